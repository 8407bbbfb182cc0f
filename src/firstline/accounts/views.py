"""Sign-in (password, then a second factor), enrolment, and the user's own account page."""

from __future__ import annotations

from base64 import b32encode
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import authenticate, update_session_auth_hash
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from firstline import policy
from firstline.accounts import lockout, services
from firstline.accounts.forms import (
    CodeForm,
    EnrolForm,
    ProfileForm,
    ReplaceAuthenticatorForm,
    SignInForm,
)
from firstline.accounts.middleware import needs_second_factor
from firstline.accounts.models import ApiKey, User
from firstline.core import clock
from firstline.core.problems import Problem


def _next_url(request: HttpRequest) -> str:
    """Where to go after signing in: ``next`` if it stays on this site, else the dashboard."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("core:dashboard")


def _with_next(name: str, request: HttpRequest) -> str:
    url = reverse(name)
    following = request.POST.get("next") or request.GET.get("next")
    if following and url_has_allowed_host_and_scheme(following, allowed_hosts={request.get_host()}):
        url += "?" + urlencode({"next": following})
    return url


def _locked(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    response = render(request, template, context, status=429)
    lock: lockout.Lock = context["lock"]
    response["Retry-After"] = str(max(1, int((lock.until - clock.now()).total_seconds())))
    return response


def _complete_sign_in(request: HttpRequest, device: TOTPDevice | StaticDevice) -> None:
    otp_login(request, device)
    # a new privilege level gets a new session id, as the password step did
    request.session.cycle_key()
    services.record_login(user=request.user, request=request)  # type: ignore[arg-type]


def login_view(request: HttpRequest) -> HttpResponse:
    """First step: username and password, refused while a lockout is in force."""
    if request.user.is_authenticated and not needs_second_factor(request):
        return redirect(_next_url(request))
    form = SignInForm(data=request.POST or None)
    context: dict[str, Any] = {"form": form, "next": request.GET.get("next", "")}
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        address = lockout.client_address(request)
        lock = lockout.current_lock(username, address)
        if lock is not None:
            form.add_error(None, lock.message())
            return _locked(request, "accounts/login.html", {**context, "lock": lock})
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        if user is None:
            # the same answer whether or not the account exists
            lock = services.record_login_failure(
                username=username,
                address=address,
                user=User.objects.filter(username=username).first(),
                step="password",
                request=request,
            )
            if lock is not None:
                form.add_error(None, lock.message())
                return _locked(request, "accounts/login.html", {**context, "lock": lock})
            form.add_error(None, _("The username or the password is not correct."))
            return render(request, "accounts/login.html", context)
        auth_login(request, user)
        if not needs_second_factor(request):  # a demo account while the node is in demo mode
            services.record_login(user=user, request=request)
            return redirect(_next_url(request))
        has_factor = services.has_second_factor(user)
        return redirect(_with_next("accounts:verify" if has_factor else "accounts:enrol", request))
    return render(request, "accounts/login.html", context)


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """Second step: a code from the authenticator app, or a recovery code."""
    if not needs_second_factor(request):
        return redirect(_next_url(request))
    user: User = request.user  # type: ignore[assignment]
    if not services.has_second_factor(user):
        return redirect(_with_next("accounts:enrol", request))
    form = CodeForm(data=request.POST or None)
    context: dict[str, Any] = {"form": form, "next": request.GET.get("next", "")}
    if request.method == "POST" and form.is_valid():
        address = lockout.client_address(request)
        lock = lockout.current_lock(user.get_username(), address)
        if lock is not None:
            form.add_error(None, lock.message())
            return _locked(request, "accounts/verify.html", {**context, "lock": lock})
        result = services.check_second_factor(user, form.cleaned_data["otp_token"])
        if result.device is not None:
            _complete_sign_in(request, result.device)
            return redirect(_next_url(request))
        if result.wait_until is not None:
            form.add_error(None, _("Wait a few seconds before trying another code."))
            return render(request, "accounts/verify.html", context)
        lock = services.record_login_failure(
            username=user.get_username(),
            address=address,
            user=user,
            step="second_factor",
            request=request,
        )
        if lock is not None:
            form.add_error(None, lock.message())
            return _locked(request, "accounts/verify.html", {**context, "lock": lock})
        form.add_error("otp_token", _("That code is not correct, or it has been used already."))
    return render(request, "accounts/verify.html", context)


def _qr_data_uri(device: TOTPDevice) -> str:
    # a data: URI image, because the Content Security Policy allows img data: and no inline code
    import segno  # lazy: only the enrolment page draws a QR code

    return str(segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2))


def _spaced_secret(device: TOTPDevice) -> str:
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@login_required
def enrol(request: HttpRequest) -> HttpResponse:
    """Set up the authenticator app: QR code and secret, confirm with a code, then show the
    recovery codes once."""
    user: User = request.user  # type: ignore[assignment]
    unverified = needs_second_factor(request)
    replacing = not unverified and _replacement_allowed(request)
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists() and not replacing:
        return redirect(
            _with_next("accounts:verify", request) if unverified else "accounts:account"
        )
    if unverified and services.has_second_factor(user):
        # recovery codes exist: prove them first, else a stolen password would enrol a device
        return redirect(_with_next("accounts:verify", request))
    device = services.pending_totp_device(user)
    form = EnrolForm(data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.confirm_totp_enrolment(
                user=user, device=device, token=form.cleaned_data["otp_token"], request=request
            )
        except Problem as problem:
            for error in problem.errors:
                form.add_error("otp_token", error["reason"])
        else:
            device.refresh_from_db()
            request.session.pop(REPLACE_SESSION_KEY, None)
            if unverified:
                _complete_sign_in(request, device)
            else:
                otp_login(request, device)
            return render(
                request,
                "accounts/recovery_codes.html",
                {"codes": codes, "next": _next_url(request)},
            )
    return render(
        request,
        "accounts/enrol.html",
        {
            "form": form,
            "qr_data_uri": _qr_data_uri(device),
            "secret": _spaced_secret(device),
            "next": request.GET.get("next", ""),
            "replacing": replacing,
        },
    )


# Re-entering the password opens the enrolment of a new authenticator for this many seconds.
REPLACE_SESSION_KEY = "firstline_replace_authenticator_until"
REPLACE_WINDOW_SECONDS = 600


def _replacement_allowed(request: HttpRequest) -> bool:
    until = request.session.get(REPLACE_SESSION_KEY)
    return isinstance(until, int | float) and clock.now().timestamp() < until


@login_required
@require_POST
def replace_authenticator(request: HttpRequest) -> HttpResponse:
    """Start replacing the authenticator app: the password again, then the enrolment page."""
    user: User = request.user  # type: ignore[assignment]
    form = ReplaceAuthenticatorForm(user, request.POST)
    if not form.is_valid():
        return _account_page_with_errors(request, replace_form=form)
    request.session[REPLACE_SESSION_KEY] = clock.now().timestamp() + REPLACE_WINDOW_SECONDS
    return redirect("accounts:enrol")


@login_required
def account(request: HttpRequest) -> HttpResponse:
    """The user's own account: profile, devices, recovery codes, password."""
    user: User = request.user  # type: ignore[assignment]
    profile_form = ProfileForm(instance=user)
    return render(request, "accounts/account.html", _account_context(request, profile_form))


def _account_page_with_errors(request: HttpRequest, **forms: Any) -> HttpResponse:
    """The account page again, showing the form that failed with its errors (400)."""
    return render(request, "accounts/account.html", _account_context(request, **forms), status=400)


def _account_context(
    request: HttpRequest,
    profile_form: ProfileForm | None = None,
    password_form: PasswordChangeForm | None = None,
    replace_form: ReplaceAuthenticatorForm | None = None,
) -> dict[str, Any]:
    user: User = request.user  # type: ignore[assignment]
    if password_form is None:
        password_form = PasswordChangeForm(user)
        # the page opens at the profile, not scrolled down to the password form
        password_form.fields["old_password"].widget.attrs.pop("autofocus", None)
    return {
        "profile_form": profile_form or ProfileForm(instance=user),
        "password_form": password_form,
        "replace_form": replace_form or ReplaceAuthenticatorForm(user),
        "totp_devices": policy.visible_to(user, TOTPDevice).filter(user=user, confirmed=True),
        "recovery_codes_left": StaticToken.objects.filter(
            device__in=policy.visible_to(user, StaticDevice).filter(user=user)
        ).count(),
        "can_manage_keys": policy.can(user, policy.VIEW, ApiKey),
        "can_manage_users": policy.can(user, policy.CHANGE, User),
    }


@login_required
@require_POST
def profile(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = ProfileForm(request.POST, instance=user)
    if not form.is_valid():
        return _account_page_with_errors(request, profile_form=form)
    services.update_profile(user=user, changes=form.cleaned_data, request=request)
    messages.success(request, _("Your profile is saved."))
    return redirect("accounts:account")


@login_required
@require_POST
def password(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = PasswordChangeForm(user, request.POST)
    if not form.is_valid():
        return _account_page_with_errors(request, password_form=form)
    services.change_password(
        user=user, new_password=form.cleaned_data["new_password1"], request=request
    )
    update_session_auth_hash(request, user)  # stay signed in (both factors) on this device
    messages.success(request, _("Your password is changed."))
    return redirect("accounts:account")


@login_required
@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes, shown once; the old ones stop working."""
    codes = services.regenerate_recovery_codes(user=request.user, request=request)  # type: ignore[arg-type]
    return render(
        request,
        "accounts/recovery_codes.html",
        {"codes": codes, "next": reverse("accounts:account")},
    )
