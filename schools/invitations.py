"""Staff accounts, opened by the level above with an e-mailed invitation: the province invites
its cities' bureaus, a bureau its districts and its schools' registrars, a district its
schools' registrars; an administrator anyone. The invitation carries a one-time code; the
person follows the link, chooses a password and signs in."""

from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from .access import role_required
from .accounts import account_code_issue
from .models import AccountCode, Municipality, PilotArea, Province, School, User
from .selectors import municipalities_visible_to, pilot_areas_visible_to, schools_visible_to

R = User.Role
#: Who invites whom.
INVITES: dict[str, tuple[str, ...]] = {
    R.ADMIN: (R.PROVINCE, R.BUREAU, R.DISTRICT, R.REGISTRAR),
    R.PROVINCE: (R.BUREAU,),
    R.BUREAU: (R.DISTRICT, R.REGISTRAR),
    R.DISTRICT: (R.REGISTRAR,),
}
#: The field of the account that names each role's place.
PLACE_FIELD: dict[str, str] = {
    R.PROVINCE: "province",
    R.BUREAU: "municipality",
    R.DISTRICT: "pilot_area",
    R.REGISTRAR: "school",
}


def invitable_roles(actor: User) -> tuple[str, ...]:
    return INVITES[R.ADMIN] if actor.sees_everything else INVITES.get(actor.role, ())


@dataclass
class Places:
    provinces: QuerySet
    municipalities: QuerySet
    pilot_areas: QuerySet
    schools: QuerySet


def places_for(actor: User) -> Places:
    """The places the actor may invite staff to, by kind."""
    provinces = Province.objects.all() if actor.sees_everything else Province.objects.none()
    return Places(
        provinces=provinces,
        municipalities=municipalities_visible_to(actor),
        pilot_areas=pilot_areas_visible_to(actor),
        schools=schools_visible_to(actor),
    )


def staff_visible_to(actor: User) -> QuerySet[User]:
    """The staff accounts the actor invites and looks after: of the roles they invite, in
    the places they see."""
    places = places_for(actor)
    scoped = Q(role=R.PROVINCE, province__in=places.provinces) | Q(
        role=R.BUREAU, municipality__in=places.municipalities
    )
    scoped |= Q(role=R.DISTRICT, pilot_area__in=places.pilot_areas)
    scoped |= Q(role=R.REGISTRAR, school__in=places.schools)
    return (
        User.objects.filter(scoped, role__in=invitable_roles(actor))
        .select_related(*User.SIGNATURE_RELATED)
        .order_by("role", "username")
    )


def invitation_send(user: User, *, actor: User) -> None:
    """A new invitation code for ``user`` (ending any earlier one), e-mailed after commit in
    the invited person's language."""
    code = account_code_issue(user=user, purpose=AccountCode.Purpose.INVITE, issued_by=actor)
    link = f"{settings.SITE_URL}{reverse('activate')}#{code}"
    with translation.override(user.language):
        subject = _("Your account for student status transfers")
        body = _(
            "%(inviter)s has opened an account for you: %(username)s, %(office)s.\n\n"
            "Open this link within %(days)s days to choose your password:\n%(link)s\n\n"
            "If the link does not fill in the code, type it on that page: %(code)s"
        ) % {
            "inviter": actor.signature,
            "username": user.username,
            "office": user.office,
            "days": settings.ACTIVATION_CODE_DAYS,
            "link": link,
            "code": code,
        }
    transaction.on_commit(lambda: send_mail(subject, body, None, [user.email]))


class InviteForm(forms.Form):
    username = forms.RegexField(
        label=gettext_lazy("Login name"),
        regex=r"^[A-Za-z0-9_.@+-]{3,150}$",
        error_messages={"invalid": gettext_lazy("Letters, digits and _ . @ + - only.")},
    )
    last_name = forms.CharField(label=gettext_lazy("Family name"), max_length=150)
    first_name = forms.CharField(label=gettext_lazy("Given name"), max_length=150)
    email = forms.EmailField(label=gettext_lazy("E-mail address"))
    role = forms.ChoiceField(label=gettext_lazy("Role"))
    province = forms.ModelChoiceField(
        Province.objects.none(), required=False, label=gettext_lazy("Province")
    )
    municipality = forms.ModelChoiceField(
        Municipality.objects.none(), required=False, label=gettext_lazy("Municipality")
    )
    pilot_area = forms.ModelChoiceField(
        PilotArea.objects.none(), required=False, label=gettext_lazy("Pilot area")
    )
    school = forms.ModelChoiceField(
        School.objects.none(), required=False, label=gettext_lazy("School")
    )
    language = forms.ChoiceField(
        label=gettext_lazy("Language of the invitation"), choices=settings.LANGUAGES
    )

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        roles = invitable_roles(actor)
        role_field = self.fields["role"]
        assert isinstance(role_field, forms.ChoiceField)
        role_field.choices = [(r, User.Role(r).label) for r in roles]
        places = places_for(actor)
        for name, queryset in (
            ("province", places.provinces),
            ("municipality", places.municipalities),
            ("pilot_area", places.pilot_areas),
            ("school", places.schools.order_by("code")),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = queryset
            if name not in {PLACE_FIELD[r] for r in roles}:
                del self.fields[name]

    def clean_username(self):
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError(_("This login name is taken."))
        return username

    def clean(self):
        data = super().clean()
        role = data.get("role")
        if role:
            place = PLACE_FIELD[role]
            if not data.get(place):
                self.add_error(
                    place if place in self.fields else None, _("Choose where they work.")
                )
            for other in set(PLACE_FIELD.values()) - {place}:
                data[other] = None
        return data


@role_required(R.PROVINCE, R.BUREAU, R.DISTRICT, R.ADMIN, superuser=True)
def staff_page(request):
    form = InviteForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            user = User(
                username=data["username"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                role=data["role"],
                language=data["language"],
                is_staff=True,
                **{field: data.get(field) for field in set(PLACE_FIELD.values())},
            )
            user.set_unusable_password()
            user.save()
            invitation_send(user, actor=request.user)
        messages.success(
            request,
            _("%(name)s is invited; the link is on its way to %(email)s.")
            % {"name": user.get_full_name(), "email": user.email},
        )
        return redirect("schools:staff")
    return render(
        request,
        "schools/staff.html",
        {"form": form, "staff": staff_visible_to(request.user)[:500]},
    )


@require_POST
@role_required(R.PROVINCE, R.BUREAU, R.DISTRICT, R.ADMIN, superuser=True)
def staff_reinvite(request, pk: int):
    user = staff_visible_to(request.user).filter(pk=pk).first()
    if user is None or not user.email:
        raise Http404
    with transaction.atomic():
        invitation_send(user, actor=request.user)
    messages.success(
        request,
        _("A new invitation is on its way to %(email)s; the earlier link no longer works.")
        % {"email": user.email},
    )
    return redirect("schools:staff")
