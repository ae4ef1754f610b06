"""A second factor at sign-in (django-otp): a TOTP authenticator app, with ten recovery
codes for a lost phone. Anyone may turn it on from their profile; with ``OTP_REQUIRED`` on,
the bureau, the province and the administrators must, and cannot turn it off.

A signed-in user who has a device (or must have one) and has not yet given a code in this
session reaches only these pages, signing out and the language switch
(``TwoFactorMiddleware``)."""

import base64

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import devices_for_user, match_token
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import User

RECOVERY_CODES = 10
#: The roles that must use a second factor when ``OTP_REQUIRED`` is on.
REQUIRED_ROLES = (User.Role.BUREAU, User.Role.PROVINCE, User.Role.ADMIN)
SESSION_RECOVERY = "two_factor_recovery_codes"


def second_factor_required(user: User) -> bool:
    return bool(settings.OTP_REQUIRED) and (user.is_superuser or user.role in REQUIRED_ROLES)


def has_device(user: User) -> bool:
    return any(devices_for_user(user, confirmed=True))


def recovery_codes_new(user: User) -> list[str]:
    """Ten new recovery codes, each good once; the old ones stop working."""
    device, _created = StaticDevice.objects.get_or_create(user=user, name="recovery")
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


class TokenForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Code from your authenticator app, or a recovery code"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


def _wrong_code(user: User) -> str:
    throttled = any(
        not device.verify_is_allowed()[0]
        for device in devices_for_user(user)
        if hasattr(device, "verify_is_allowed")
    )
    if throttled:
        return _("Too many wrong codes; wait a little and type the newest one.")
    return _("This code is not right; try the newest one.")


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("home")


@never_cache
@sensitive_post_parameters("token")
@login_required
def verify(request):
    """The second step of signing in: a code from the app, or one of the recovery codes."""
    user = request.user
    if not has_device(user):
        return redirect("two_factor")
    if user.is_verified():
        return redirect(_next(request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(user, form.cleaned_data["token"].replace(" ", ""))
        if device is None:
            form.add_error("token", _wrong_code(user))
        else:
            otp_login(request, device)
            if isinstance(device, StaticDevice):
                left = device.token_set.count()
                messages.warning(
                    request,
                    _("You used a recovery code; %(left)s are left.") % {"left": left},
                )
            return redirect(_next(request))
    return render(
        request, "registration/two_factor_verify.html", {"form": form, "next": _next(request)}
    )


def _qr_svg(url: str) -> str:
    svg = segno.make(url, error="m").svg_inline(scale=4, title=_("QR code for the app"))
    return svg


def _pending_device(user: User) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(
        user=user, name=_("Authenticator app"), confirmed=False
    )


@never_cache
@sensitive_post_parameters("token")
@login_required
def manage(request):
    """Turn the second factor on (scan, type a code), see new recovery codes once, get new
    ones, or turn it off where the role allows."""
    user = request.user
    action = request.POST.get("action", "")
    codes = request.session.pop(SESSION_RECOVERY, None)
    enabled = has_device(user)
    if enabled and not user.is_verified():
        return redirect(f"{reverse('two_factor_verify')}?next={reverse('two_factor')}")
    form = TokenForm(request.POST if action in ("enable", "disable") else None)
    if request.method == "POST" and action == "enable" and not enabled and form.is_valid():
        device = _pending_device(user)
        if device.verify_token(form.cleaned_data["token"].replace(" ", "")):
            with transaction.atomic():
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                request.session[SESSION_RECOVERY] = recovery_codes_new(user)
            otp_login(request, device)
            messages.success(request, _("Two-step sign-in is on."))
            return redirect("two_factor")
        form.add_error("token", _("This code is not right; try the newest one."))
    if request.method == "POST" and action == "recovery" and enabled:
        request.session[SESSION_RECOVERY] = recovery_codes_new(user)
        messages.success(request, _("New recovery codes are made; the old ones stop working."))
        return redirect("two_factor")
    if request.method == "POST" and action == "disable" and enabled and form.is_valid():
        if second_factor_required(user):
            form.add_error(None, _("Your role must use two-step sign-in."))
        elif match_token(user, form.cleaned_data["token"].replace(" ", "")) is None:
            form.add_error("token", _wrong_code(user))
        else:
            with transaction.atomic():
                TOTPDevice.objects.filter(user=user).delete()
                StaticDevice.objects.filter(user=user).delete()
            messages.success(request, _("Two-step sign-in is off."))
            return redirect("two_factor")
    context = {
        "form": form,
        "enabled": enabled,
        "required": second_factor_required(user),
        "codes": codes,
        "recovery_left": StaticToken.objects.filter(device__user=user).count(),
    }
    if not enabled:
        device = _pending_device(user)
        context["qr"] = _qr_svg(device.config_url)
        context["secret"] = base64.b32encode(device.bin_key).decode()
    return render(request, "registration/two_factor.html", context)


#: What this session still owes after the password: "verify" (a code) or "setup" (a device
#: first, the role requires one); set at sign-in, so other requests pay no query.
SESSION_PENDING = "two_factor_pending"


def on_login(sender, request, user, **kwargs) -> None:
    if request is None or not hasattr(request, "session"):
        return
    if has_device(user):
        request.session[SESSION_PENDING] = "verify"
    elif second_factor_required(user):
        request.session[SESSION_PENDING] = "setup"
    else:
        request.session.pop(SESSION_PENDING, None)


class TwoFactorMiddleware:
    """A signed-in user who owes a code reaches only the second step (or, if their role
    must use one and they have none yet, its setup), signing out and the language switch."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        pending = session.get(SESSION_PENDING) if session is not None else None
        if pending and request.user.is_authenticated and not self._exempt(request.path):
            if request.user.is_verified():
                session.pop(SESSION_PENDING, None)
            elif pending == "verify" or has_device(request.user):
                return redirect(f"{reverse('two_factor_verify')}?next={request.path}")
            else:
                return redirect("two_factor")
        return self.get_response(request)

    @staticmethod
    def _exempt(path: str) -> bool:
        open_paths = [
            reverse("two_factor"),
            reverse("two_factor_verify"),
            reverse("logout"),
            reverse("set_language"),
            settings.STATIC_URL or "/static/",
        ]
        return any(path.startswith(prefix) for prefix in open_paths)
