"""Activating an account with the code on its slip or in its invitation: the person chooses
a password (Django's validators, in their language) and is signed in."""

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from core.client_address import client_address

from .accounts import account_activate

#: Wrong codes from one address in an hour before the page stops trying them.
WRONG_CODES_PER_HOUR = 20


class NewPasswordForm(forms.Form):
    """A new password, typed twice; the validators run where the account is known."""

    password1 = forms.CharField(
        label=gettext_lazy("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=gettext_lazy("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if (
            data.get("password1")
            and data.get("password2")
            and data["password1"] != data["password2"]
        ):
            self.add_error("password2", _("The two passwords differ."))
        return data


class ActivationForm(NewPasswordForm):
    field_order = ["code", "password1", "password2"]

    code = forms.CharField(
        label=gettext_lazy("Activation code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "characters"}
        ),
        help_text=gettext_lazy("As printed on your slip, for example ABCDE-FGHJK."),
    )


def _wrong_codes_key(request) -> str:
    return f"activation-wrong:{client_address(request) or 'unknown'}"


@never_cache
@sensitive_post_parameters("code", "password1", "password2")
def activate(request):
    form = ActivationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        key = _wrong_codes_key(request)
        if (cache.get(key) or 0) >= WRONG_CODES_PER_HOUR:
            form.add_error(
                "code", _("Too many wrong codes from this device; try again in an hour.")
            )
        else:
            try:
                user = account_activate(
                    typed_code=form.cleaned_data["code"], password=form.cleaned_data["password1"]
                )
            except ValidationError as error:
                if "code" in error.message_dict:
                    cache.add(key, 0, timeout=3600)
                    cache.incr(key)
                form.add_error(None, error)
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(
                    request,
                    _(
                        "Your account is active. Next time, sign in as %(login)s with your new "
                        "password."
                    )
                    % {"login": user.get_username()},
                )
                return redirect("home")
    return render(request, "registration/activate.html", {"form": form})
