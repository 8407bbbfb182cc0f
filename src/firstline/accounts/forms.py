"""Forms of the sign-in steps, the account page and the API-key pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from firstline import policy
from firstline.accounts.apikeys import available_scopes
from firstline.accounts.models import Role, User
from firstline.accounts.policy import grantable_roles


class SignInForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class CodeForm(forms.Form):
    """The second step: a code from the authenticator app, or one recovery code."""

    otp_token = forms.CharField(
        label=_("Code from your authenticator app, or a recovery code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )


class EnrolForm(forms.Form):
    otp_token = forms.CharField(
        label=_("The 6-digit code your app shows now"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class ReplaceAuthenticatorForm(forms.Form):
    """Replacing the authenticator asks for the password again, however fresh the session."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_(
            "Then scan a new QR code with the new app. The old app stops working once the new "
            "one is confirmed; a lost phone is replaced the same way after signing in with a "
            "recovery code."
        ),
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = str(self.cleaned_data["password"])
        if not self.user.check_password(password):
            raise forms.ValidationError(_("This is not your password."), code="wrong_password")
        return password


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ("first_name", "last_name", "email")


def _clearance_choices(actor: Any) -> list[tuple[str, str]]:
    return [
        (level, level)
        for level in settings.CLASSIFICATION_LEVELS
        if policy.cleared_for(actor, level)
    ]


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("Which system uses this key, so that you recognise it later."),
    )
    role = forms.ChoiceField(label=_("Acts with the role"))
    clearance = forms.ChoiceField(label=_("Clearance"))
    scopes = forms.MultipleChoiceField(
        label=_("Allowed actions"), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, actor: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(Role.choices)
        roles = [r for r in grantable_roles(actor) if r != Role.NODE_ADMIN]
        role_field: forms.ChoiceField = self.fields["role"]  # type: ignore[assignment]
        role_field.choices = [(r, labels[r]) for r in roles]
        clearance_field: forms.ChoiceField = self.fields["clearance"]  # type: ignore[assignment]
        clearance_field.choices = _clearance_choices(actor)
        scopes_field: forms.MultipleChoiceField = self.fields["scopes"]  # type: ignore[assignment]
        scopes_field.choices = [(s, s) for s in available_scopes()]


class AccessForm(forms.Form):
    """An organisation administrator changes a colleague's role and clearance."""

    role = forms.ChoiceField(label=_("Role"))
    clearance = forms.ChoiceField(label=_("Clearance"))

    def __init__(self, actor: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(Role.choices)
        role_field: forms.ChoiceField = self.fields["role"]  # type: ignore[assignment]
        role_field.choices = [(r, labels[r]) for r in grantable_roles(actor)]
        clearance_field: forms.ChoiceField = self.fields["clearance"]  # type: ignore[assignment]
        clearance_field.choices = _clearance_choices(actor)
