"""Every page's frame: the language switcher lists the region's languages, Montenegrin included."""

from django.test import Client

from firstline.accounts.models import User


def test_the_dashboard_lists_every_interface_language(signed_in, albanian_officer: User) -> None:  # type: ignore[no-untyped-def]
    client: Client = signed_in(albanian_officer)
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    for code in ("en", "sq", "sr-latn", "sr", "mk", "bs", "hr", "cnr", "sl"):
        assert f'value="{code}"' in html
