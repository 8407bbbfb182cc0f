"""ISO 3166-1 alpha-2 country codes with English short names (reference data, not a model).

The directory creates a ``Country`` row the first time a code is used (by the CSV import, the
API or the demo), so a fresh node needs no country fixture. XK is the user-assigned code for
Kosovo, named "Kosovo*" with the customary footnote (``KOSOVO_FOOTNOTE``): the designation is
without prejudice to positions on status.
"""

from __future__ import annotations

KOSOVO_FOOTNOTE = (
    "*This designation is without prejudice to positions on status, and is in line with "
    "UNSCR 1244/1999 and the ICJ Opinion on the Kosovo declaration of independence."
)

# The six Western Balkan beneficiaries and their names in the region's languages.
BENEFICIARY_NAMES: dict[str, dict[str, str]] = {
    "AL": {"sq": "Shqipëria", "mk": "Албанија", "sr-latn": "Albanija"},
    "BA": {
        "bs": "Bosna i Hercegovina",
        "hr": "Bosna i Hercegovina",
        "sr-latn": "Bosna i Hercegovina",
        "sr": "Босна и Херцеговина",
    },
    "XK": {"sq": "Kosova*", "sr-latn": "Kosovo*", "sr": "Косово*"},
    "ME": {"cnr": "Crna Gora", "sr-latn": "Crna Gora", "sq": "Mali i Zi"},
    "MK": {"mk": "Северна Македонија", "sq": "Maqedonia e Veriut", "sr-latn": "Severna Makedonija"},
    "RS": {"sr-latn": "Srbija", "sr": "Србија", "sq": "Serbia"},
}
BENEFICIARIES = frozenset(BENEFICIARY_NAMES)

OTHER_NAMES: dict[str, dict[str, str]] = {
    "SI": {"sl": "Slovenija"},
    "AT": {"sl": "Avstrija"},
    "BE": {"sl": "Belgija"},
    "CZ": {"sl": "Češka"},
}

_TABLE = """
AD Andorra
AE United Arab Emirates
AF Afghanistan
AG Antigua and Barbuda
AI Anguilla
AL Albania
AM Armenia
AO Angola
AQ Antarctica
AR Argentina
AS American Samoa
AT Austria
AU Australia
AW Aruba
AX Åland Islands
AZ Azerbaijan
BA Bosnia and Herzegovina
BB Barbados
BD Bangladesh
BE Belgium
BF Burkina Faso
BG Bulgaria
BH Bahrain
BI Burundi
BJ Benin
BL Saint Barthélemy
BM Bermuda
BN Brunei
BO Bolivia
BQ Bonaire, Sint Eustatius and Saba
BR Brazil
BS Bahamas
BT Bhutan
BV Bouvet Island
BW Botswana
BY Belarus
BZ Belize
CA Canada
CC Cocos (Keeling) Islands
CD Congo (Democratic Republic)
CF Central African Republic
CG Congo
CH Switzerland
CI Côte d'Ivoire
CK Cook Islands
CL Chile
CM Cameroon
CN China
CO Colombia
CR Costa Rica
CU Cuba
CV Cape Verde
CW Curaçao
CX Christmas Island
CY Cyprus
CZ Czech Republic
DE Germany
DJ Djibouti
DK Denmark
DM Dominica
DO Dominican Republic
DZ Algeria
EC Ecuador
EE Estonia
EG Egypt
EH Western Sahara
ER Eritrea
ES Spain
ET Ethiopia
FI Finland
FJ Fiji
FK Falkland Islands
FM Micronesia
FO Faroe Islands
FR France
GA Gabon
GB United Kingdom
GD Grenada
GE Georgia
GF French Guiana
GG Guernsey
GH Ghana
GI Gibraltar
GL Greenland
GM Gambia
GN Guinea
GP Guadeloupe
GQ Equatorial Guinea
GR Greece
GS South Georgia and the South Sandwich Islands
GT Guatemala
GU Guam
GW Guinea-Bissau
GY Guyana
HK Hong Kong
HM Heard Island and McDonald Islands
HN Honduras
HR Croatia
HT Haiti
HU Hungary
ID Indonesia
IE Ireland
IL Israel
IM Isle of Man
IN India
IO British Indian Ocean Territory
IQ Iraq
IR Iran
IS Iceland
IT Italy
JE Jersey
JM Jamaica
JO Jordan
JP Japan
KE Kenya
KG Kyrgyzstan
KH Cambodia
KI Kiribati
KM Comoros
KN Saint Kitts and Nevis
KP Korea (Democratic People's Republic)
KR Korea (Republic)
KW Kuwait
KY Cayman Islands
KZ Kazakhstan
LA Laos
LB Lebanon
LC Saint Lucia
LI Liechtenstein
LK Sri Lanka
LR Liberia
LS Lesotho
LT Lithuania
LU Luxembourg
LV Latvia
LY Libya
MA Morocco
MC Monaco
MD Moldova
ME Montenegro
MF Saint Martin (French)
MG Madagascar
MH Marshall Islands
MK North Macedonia
ML Mali
MM Myanmar
MN Mongolia
MO Macau
MP Northern Mariana Islands
MQ Martinique
MR Mauritania
MS Montserrat
MT Malta
MU Mauritius
MV Maldives
MW Malawi
MX Mexico
MY Malaysia
MZ Mozambique
NA Namibia
NC New Caledonia
NE Niger
NF Norfolk Island
NG Nigeria
NI Nicaragua
NL Netherlands
NO Norway
NP Nepal
NR Nauru
NU Niue
NZ New Zealand
OM Oman
PA Panama
PE Peru
PF French Polynesia
PG Papua New Guinea
PH Philippines
PK Pakistan
PL Poland
PM Saint Pierre and Miquelon
PN Pitcairn
PR Puerto Rico
PS Palestine
PT Portugal
PW Palau
PY Paraguay
QA Qatar
RE Réunion
RO Romania
RS Serbia
RU Russia
RW Rwanda
SA Saudi Arabia
SB Solomon Islands
SC Seychelles
SD Sudan
SE Sweden
SG Singapore
SH Saint Helena
SI Slovenia
SJ Svalbard and Jan Mayen
SK Slovakia
SL Sierra Leone
SM San Marino
SN Senegal
SO Somalia
SR Suriname
SS South Sudan
ST Sao Tome and Principe
SV El Salvador
SX Saint Maarten (Dutch)
SY Syria
SZ Eswatini
TC Turks and Caicos Islands
TD Chad
TF French Southern Territories
TG Togo
TH Thailand
TJ Tajikistan
TK Tokelau
TL Timor-Leste
TM Turkmenistan
TN Tunisia
TO Tonga
TR Turkey
TT Trinidad and Tobago
TV Tuvalu
TW Taiwan
TZ Tanzania
UA Ukraine
UG Uganda
UM United States Minor Outlying Islands
US United States
UY Uruguay
UZ Uzbekistan
VA Holy See
VC Saint Vincent
VE Venezuela
VG Virgin Islands (UK)
VI Virgin Islands (US)
VN Vietnam
VU Vanuatu
WF Wallis and Futuna
WS Samoa
XK Kosovo*
YE Yemen
YT Mayotte
ZA South Africa
ZM Zambia
ZW Zimbabwe
"""

NAMES: dict[str, str] = dict(
    line.split(" ", 1)
    for line in _TABLE.strip().splitlines()  # "AL Albania"
)


def is_known(code: str) -> bool:
    """True for an ISO 3166-1 alpha-2 code (upper case) or XK."""
    return code in NAMES


def local_names(code: str) -> dict[str, str]:
    """Names in other languages we ship for ``code`` (empty for most countries)."""
    return dict(BENEFICIARY_NAMES.get(code) or OTHER_NAMES.get(code) or {})
