"""Opening accounts with one-time codes: issued by a registrar (a slip), by the level above
(an invitation) or sent to a mobile number, and redeemed once to set a password.

A code is returned once, to be printed or sent, and stored only as a keyed digest (HMAC with
the secret key): the database never holds a usable code. Issuing a code ends the account's
live code of the same purpose, in the same transaction (the database keeps one live code
per account and purpose)."""

import datetime
import secrets

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from .models import AccountCode, User

#: Letters and digits that cannot be read as one another (no 0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
#: Wrong tries of one mobile code before it stops working.
MOBILE_CODE_TRIES = 5
MOBILE_CODE_MINUTES = 10


def code_shown(code: str) -> str:
    """A slip's code in two groups of five, as it is printed and typed."""
    return f"{code[:5]}-{code[5:]}" if len(code) == CODE_LENGTH else code


def code_typed(typed: str) -> str:
    """The code a person typed, as it was issued: without spaces or dashes, in capitals."""
    return "".join(char for char in typed.upper() if char.isalnum())


def _digest(code: str, *, purpose: str, user_pk: int | None = None) -> str:
    # A mobile code is six digits, so many accounts hold the same one: its digest names the
    # account. A slip's or an invitation's code is long enough to name its account alone.
    scope = f"{purpose}:{user_pk}" if purpose == AccountCode.Purpose.MOBILE else purpose
    return salted_hmac("schools.account-code", f"{scope}:{code}").hexdigest()


def account_code_issue(
    *,
    user: User,
    purpose: str,
    issued_by: User | None,
    now: datetime.datetime | None = None,
    sent_to: str = "",
) -> str:
    """A new code for ``user`` (returned, to be printed or sent), ending any live one."""
    now = now or timezone.now()
    if purpose == AccountCode.Purpose.MOBILE:
        code = "".join(secrets.choice("0123456789") for _ in range(6))
        lifetime = datetime.timedelta(minutes=MOBILE_CODE_MINUTES)
    else:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        lifetime = datetime.timedelta(days=settings.ACTIVATION_CODE_DAYS)
    with transaction.atomic():
        AccountCode.objects.filter(
            user=user, purpose=purpose, used_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=now)
        AccountCode.objects.create(
            user=user,
            purpose=purpose,
            digest=_digest(code, purpose=purpose, user_pk=user.pk),
            sent_to=sent_to,
            issued_by=issued_by,
            issued_at=now,
            expires_at=now + lifetime,
        )
    return code


def account_code_find(typed: str, *, purposes: tuple[str, ...]) -> AccountCode | None:
    """The live, unexpired slip or invitation code typed, or ``None`` (wrong, used, ended or
    expired look the same to the person typing it)."""
    code = code_typed(typed)
    if len(code) != CODE_LENGTH:
        return None
    digests = [_digest(code, purpose=purpose) for purpose in purposes]
    return (
        AccountCode.objects.select_related("user")
        .filter(
            digest__in=digests,
            used_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
            user__is_active=True,
        )
        .first()
    )


@transaction.atomic
def account_activate(*, typed_code: str, password: str) -> User:
    """Redeem a slip's or an invitation's code: the account's password is set, the code is
    used up. The password must pass the configured validators (in the reader's language)."""
    found = account_code_find(
        typed_code, purposes=(AccountCode.Purpose.ACTIVATE, AccountCode.Purpose.INVITE)
    )
    if found is None:
        raise ValidationError(
            {"code": _("This code is not valid: it may be mistyped, used, replaced or expired.")}
        )
    code = AccountCode.objects.select_for_update().get(pk=found.pk)
    if code.used_at is not None or code.revoked_at is not None:
        raise ValidationError(
            {"code": _("This code is not valid: it may be mistyped, used, replaced or expired.")}
        )
    user = code.user
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password1": error.messages}) from error
    user.set_password(password)
    user.save(update_fields=["password"])
    code.used_at = timezone.now()
    code.save(update_fields=["used_at"])
    return user


def mobile_code_check(*, user: User, typed: str, now: datetime.datetime | None = None) -> str:
    """Check a code sent to a mobile number for ``user``; returns the number it was sent to.
    A wrong code counts against the code (kept, whatever the caller's transaction does next),
    which stops working after a few."""
    now = now or timezone.now()
    live = AccountCode.objects.filter(
        user=user,
        purpose=AccountCode.Purpose.MOBILE,
        used_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=now,
    )
    code = live.first()
    invalid = ValidationError({"code": _("The code is wrong or has expired; ask for a new one.")})
    if code is None:
        raise invalid
    typed_digits = "".join(char for char in typed if char.isdigit())
    if code.digest != _digest(typed_digits, purpose=code.purpose, user_pk=user.pk):
        AccountCode.objects.filter(pk=code.pk).update(failures=F("failures") + 1)
        AccountCode.objects.filter(pk=code.pk, failures__gte=MOBILE_CODE_TRIES).update(
            revoked_at=now
        )
        raise invalid
    # Used once: of two requests with the right code, one marks it.
    if live.filter(pk=code.pk).update(used_at=now) != 1:
        raise invalid
    return code.sent_to


def account_has_password(user: User) -> bool:
    """Whether the account has been activated (has a password it can sign in with)."""
    return user.has_usable_password()
