"""Where messages reach a person: their profile (e-mail address, mobile number verified by a
code sent to it, which channels they want, the language messages are sent in), and a
guardian's activation by a code sent to the mobile number the school has for them."""

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from core.client_address import client_address
from schools.account_views import NewPasswordForm
from schools.accounts import account_code_issue, mobile_code_check
from schools.models import AccountCode, User

from .sms import SmsError, sms_backend

MOBILE = RegexValidator(r"^1\d{10}$", gettext_lazy("Enter an 11-digit mobile number."))
#: Codes sent to one number, or from one address, in an hour.
CODES_PER_HOUR = 5


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["email", "notify_by_email", "notify_by_sms", "language"]
        labels = {"email": gettext_lazy("E-mail address")}

    def clean(self):
        data = super().clean()
        # Asked for only when ticked now: every account starts with e-mail on, and one
        # without an address (a guardian's, say) saves its other choices all the same.
        if (
            data.get("notify_by_email")
            and not data.get("email")
            and ("notify_by_email" in self.changed_data or "email" in self.changed_data)
        ):
            self.add_error("email", _("Give an e-mail address to be notified by e-mail."))
        if data.get("notify_by_sms") and self.instance.mobile_verified_at is None:
            self.add_error(
                "notify_by_sms", _("Verify a mobile number first to be notified by SMS.")
            )
        return data


class MobileForm(forms.Form):
    mobile = forms.CharField(label=gettext_lazy("Mobile number"), validators=[MOBILE])


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code received by SMS"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _may_send(*keys: str) -> bool:
    """Whether another code may be sent now; counts this one."""
    for key in keys:
        cache.add(key, 0, timeout=3600)
        if cache.incr(key) > CODES_PER_HOUR:
            return False
    return True


def send_mobile_code(user: User, mobile: str) -> None:
    """A six-digit code to ``mobile`` for ``user``, in the user's language."""
    code = account_code_issue(
        user=user, purpose=AccountCode.Purpose.MOBILE, issued_by=None, sent_to=mobile
    )
    with translation.override(user.language):
        text = _("Your verification code is %(code)s. It is valid for 10 minutes.") % {"code": code}
    sms_backend().send(
        to=mobile, text=text, message_id=f"code-{user.pk}-{int(timezone.now().timestamp())}"
    )


@never_cache
@login_required
def profile(request):
    user = request.user
    form = ProfileForm(request.POST or None, instance=user, prefix="profile")
    mobile_form = MobileForm(prefix="mobile")
    code_form = CodeForm(prefix="code")
    action = request.POST.get("action")
    if request.method == "POST" and action == "save" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile is saved."))
        return redirect("profile")
    if request.method == "POST" and action == "send-code":
        mobile_form = MobileForm(request.POST, prefix="mobile")
        if mobile_form.is_valid():
            mobile = mobile_form.cleaned_data["mobile"]
            if not _may_send(f"sms-code:{mobile}", f"sms-code-user:{user.pk}"):
                mobile_form.add_error("mobile", _("Too many codes sent; try again in an hour."))
            else:
                try:
                    send_mobile_code(user, mobile)
                except SmsError:
                    mobile_form.add_error(
                        "mobile", _("The text message could not be sent; try again later.")
                    )
                else:
                    messages.info(request, _("A code is sent to the number; type it below."))
                    return redirect("profile")
    if request.method == "POST" and action == "verify":
        code_form = CodeForm(request.POST, prefix="code")
        if code_form.is_valid():
            try:
                mobile = mobile_code_check(user=user, typed=code_form.cleaned_data["code"])
            except ValidationError as error:
                code_form.add_error(None, error)
            else:
                user.mobile = mobile
                user.mobile_verified_at = timezone.now()
                user.save(update_fields=["mobile", "mobile_verified_at"])
                messages.success(request, _("Your mobile number is verified."))
                return redirect("profile")
    pending = AccountCode.objects.filter(
        user=user,
        purpose=AccountCode.Purpose.MOBILE,
        used_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).exists()
    return render(
        request,
        "notifications/profile.html",
        {
            "form": form,
            "mobile_form": mobile_form,
            "code_form": code_form,
            "code_pending": pending,
            "suggested_mobile": suggested_mobile(user),
        },
    )


def suggested_mobile(user: User) -> str:
    """A number the school already has for this person (a guardian's, from the student
    records), offered when the account has none verified."""
    if user.mobile_verified_at is not None:
        return ""
    if user.role == User.Role.GUARDIAN:
        return user.mobile or user.username
    return user.mobile


class GuardianMobileForm(forms.Form):
    mobile = forms.CharField(label=gettext_lazy("Your mobile number"), validators=[MOBILE])


class GuardianActivateForm(CodeForm, NewPasswordForm):
    field_order = ["code", "password1", "password2"]


@never_cache
@sensitive_post_parameters("code", "password1", "password2")
def guardian_activate(request):
    """A guardian with the mobile number the school recorded asks for a code by SMS, then
    types it and chooses a password. Whether the number has an account is not said: the
    page answers the same for any number."""
    mobile = request.session.get("guardian_activation_mobile", "")
    ask = GuardianMobileForm(request.POST if "mobile" in request.POST else None)
    form = GuardianActivateForm(request.POST if "code" in request.POST else None)
    if request.method == "POST" and "mobile" in request.POST and ask.is_valid():
        mobile = ask.cleaned_data["mobile"]
        request.session["guardian_activation_mobile"] = mobile
        address = client_address(request) or "unknown"
        if _may_send(f"sms-code:{mobile}", f"sms-code-address:{address}"):
            guardian = User.objects.filter(
                username=mobile, role=User.Role.GUARDIAN, is_active=True
            ).first()
            if guardian is not None:
                try:
                    send_mobile_code(guardian, mobile)
                except SmsError:
                    messages.error(
                        request, _("The text message could not be sent; try again later.")
                    )
                    return redirect("guardian_activate")
        messages.info(
            request,
            _("If the school has recorded this number for a guardian, a code is on its way to it."),
        )
        return redirect("guardian_activate")
    if request.method == "POST" and "code" in request.POST and form.is_valid() and mobile:
        guardian = User.objects.filter(
            username=mobile, role=User.Role.GUARDIAN, is_active=True
        ).first()
        try:
            if guardian is None:
                raise ValidationError(
                    {"code": _("The code is wrong or has expired; ask for a new one.")}
                )
            try:
                validate_password(form.cleaned_data["password1"], guardian)
            except ValidationError as error:
                raise ValidationError({"password1": error.messages}) from error
            mobile_code_check(user=guardian, typed=form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            with transaction.atomic():
                guardian.set_password(form.cleaned_data["password1"])
                guardian.mobile = mobile
                guardian.mobile_verified_at = timezone.now()
                guardian.save(update_fields=["password", "mobile", "mobile_verified_at"])
            request.session.pop("guardian_activation_mobile", None)
            login(request, guardian, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                _("Your account is active. Next time, sign in as %(login)s with your new password.")
                % {"login": guardian.username},
            )
            return redirect("home")
    return render(
        request,
        "registration/guardian_activate.html",
        {"ask": ask, "form": form, "mobile": mobile},
    )
