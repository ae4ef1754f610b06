"""Rule packs: the regional rules a policy starts from, each setting with its source.

A pack is data, not code: a named, dated set of a policy's rule settings, each with the
document (and, where we hold its text, the article) it comes from, and whether the district
may change it locally. A district starts a policy from a pack; the services refuse a change
to what the pack fixes, and the bureau sees every local difference before it approves.

Only Hangzhou's plan is held here in full text (``seeds/002``); for Shandong, Wenzhou and
Xiamen we hold the rules as summarised for the product, without article numbers, and the
pages say so rather than invent one.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from schools.models import ProgrammeType

from .models import Assessor, TransferPolicy, WindowTerm

#: The national rules every pack keeps, shown with each policy: the product holds them by
#: its shape (windows only at the end of a grade-10 or grade-11 semester, an active status).
NATIONAL_RULES = [
    _("No transfer in the first semester of study, in the graduating year, or while on leave."),
    _(
        "A student moving from a general to a vocational school studies there at least a year "
        "and a half before its diploma."
    ),
]
NATIONAL_SOURCE = _("National rules, as reported by provincial education departments")


@dataclass(frozen=True)
class Source:
    document: str | Promise
    #: "" where we do not hold the article: the page says so instead of inventing one.
    article: str | Promise = ""

    def text(self) -> str:
        if self.article:
            return str(
                _("%(document)s, %(article)s")
                % {"document": self.document, "article": self.article}
            )
        return str(_("%(document)s (article not held here)") % {"document": self.document})


@dataclass(frozen=True)
class Rule:
    value: Any
    source: Source
    #: Whether the district may set it otherwise for its area.
    local: bool = False


@dataclass(frozen=True)
class RulePack:
    key: str
    title: str | Promise
    dated: datetime.date
    rules: dict[str, Rule] = field(default_factory=dict)

    def __str__(self) -> str:
        return str(self.title)


# --- how each setting reads in words ----------------------------------------------------------


def _terms(value) -> str:
    if not value:
        return str(_("no window"))
    return str(pgettext_lazy("between names in a list", ", ")).join(
        str(WindowTerm(term).label) for term in value
    )


def _count(value) -> str:
    return str(value)


def _transfer_back(value) -> str:
    if not value:
        return str(_("not allowed"))
    return ngettext(
        "allowed once, in a later window", "allowed %(count)s times, in later windows", value
    ) % {"count": value}


def _days_before(value) -> str:
    if not value:
        return str(_("any time in the last half of the semester and the break after it"))
    return str(_("closing at least %(days)s days before the semester ends") % {"days": value})


def _line(value) -> str:
    return str(TransferPolicy.EntranceLine(value).label)


def _subjects(value) -> str:
    if not value:
        return str(_("none"))
    return "、".join(value)


def _programmes(value) -> str:
    if not value:
        return str(_("none"))
    return str(pgettext_lazy("between names in a list", ", ")).join(
        str(ProgrammeType(kind).label) for kind in value
    )


def _choice_label(choices) -> Callable[[Any], str]:
    return lambda value: str(choices(value).label)


def _credits(value) -> str:
    return str(_("no minimum")) if value is None else str(value)


def _notice(value) -> str:
    return (
        str(_("working days (public holidays and make-up days counted)"))
        if value
        else str(_("calendar days"))
    )


@dataclass(frozen=True)
class Setting:
    name: str
    label: str | Promise
    words: Callable[[Any], str]


#: The settings a pack holds, in the order the policy page and the filing package list them.
SETTINGS = [
    Setting("window_term", _("This version's window"), _choice_label(WindowTerm)),
    Setting("terms_g2v", _("Windows for general → vocational"), _terms),
    Setting("terms_v2g", _("Windows for vocational → general"), _terms),
    Setting("window_lead_days", _("Application period"), _days_before),
    Setting("max_applications", _("Applications a student may make"), _count),
    Setting("transfer_back", _("Transfer back to the original school"), _transfer_back),
    Setting("assessor", _("Who assesses"), _choice_label(Assessor)),
    Setting("entrance_line", _("Entrance exam score (vocational → general)"), _line),
    Setting("required_passes", _("Proficiency tests to pass (vocational → general)"), _subjects),
    Setting("excluded_programmes", _("Programmes not open (general → vocational)"), _programmes),
    Setting("max_choices", _("Choices a student may list"), _count),
    Setting("min_first_semester_credits", _("Minimum first-semester credits"), _credits),
    Setting("notice_days", _("Public notice period"), _count),
    Setting("notice_working_days", _("Notice period counted in"), _notice),
]
SETTING_NAMES = [setting.name for setting in SETTINGS]

HANGZHOU = _(
    "Hangzhou's pilot work plan for the integration of general and vocational education at "
    "the high school stage (2023)"
)
HANGZHOU_TRANSFERS = _("main tasks, item 3 (status transfers)")
DISTRICT_CHOICE = _("Not set by the plan: the district's choice")
SHANDONG = _("Shandong provincial rules on transfers between general and vocational schools (2026)")
WENZHOU = _("Wenzhou rules on transfers between general and vocational schools (revised 2024)")
XIAMEN = _("Xiamen rules for general-vocational integration classes (2022)")


def _local(value, document=DISTRICT_CHOICE) -> Rule:
    return Rule(value, Source(document), local=True)


def _district_choices(document) -> dict[str, Rule]:
    """What every pack leaves to the district: the minimum credits, the notice period and
    how it is counted (a district may count working days)."""
    return {
        "min_first_semester_credits": _local(None, document),
        "notice_days": _local(5, document),
        "notice_working_days": _local(False, document),
    }


PACKS: dict[str, RulePack] = {
    pack.key: pack
    for pack in [
        RulePack(
            key="hangzhou-2023",
            title=_("Hangzhou pilot 2023"),
            dated=datetime.date(2023, 8, 9),
            rules={
                "window_term": Rule(WindowTerm.G10_S1, Source(HANGZHOU, HANGZHOU_TRANSFERS)),
                "terms_g2v": Rule([WindowTerm.G10_S1], Source(HANGZHOU, HANGZHOU_TRANSFERS)),
                "terms_v2g": Rule([WindowTerm.G10_S1], Source(HANGZHOU, HANGZHOU_TRANSFERS)),
                "window_lead_days": Rule(0, Source(HANGZHOU, HANGZHOU_TRANSFERS)),
                "max_applications": Rule(1, Source(HANGZHOU, HANGZHOU_TRANSFERS)),
                "transfer_back": Rule(0, Source(HANGZHOU, HANGZHOU_TRANSFERS)),
                "assessor": Rule(Assessor.DISTRICT, Source(HANGZHOU, HANGZHOU_TRANSFERS)),
                "entrance_line": Rule(
                    TransferPolicy.EntranceLine.NONE, Source(HANGZHOU, HANGZHOU_TRANSFERS)
                ),
                "required_passes": Rule([], Source(HANGZHOU, HANGZHOU_TRANSFERS)),
                "excluded_programmes": Rule([], Source(HANGZHOU, HANGZHOU_TRANSFERS)),
                "max_choices": _local(1),
                **_district_choices(DISTRICT_CHOICE),
            },
        ),
        RulePack(
            key="shandong-2026",
            title=_("Shandong 2026"),
            dated=datetime.date(2026, 1, 1),
            rules={
                "window_term": _local(WindowTerm.G10_S1, SHANDONG),
                "terms_g2v": Rule(
                    [WindowTerm.G10_S1, WindowTerm.G10_S2, WindowTerm.G11_S1], Source(SHANDONG)
                ),
                "terms_v2g": Rule([WindowTerm.G10_S1, WindowTerm.G10_S2], Source(SHANDONG)),
                "window_lead_days": Rule(0, Source(SHANDONG)),
                "max_applications": Rule(3, Source(SHANDONG)),
                "transfer_back": Rule(1, Source(SHANDONG)),
                "assessor": Rule(Assessor.RECEIVING_SCHOOL, Source(SHANDONG)),
                "entrance_line": Rule(TransferPolicy.EntranceLine.NONE, Source(SHANDONG)),
                "required_passes": Rule([], Source(SHANDONG)),
                "excluded_programmes": Rule(
                    [ProgrammeType.FIVE_YEAR, ProgrammeType.THREE_PLUS_FOUR], Source(SHANDONG)
                ),
                "max_choices": Rule(1, Source(SHANDONG)),
                **_district_choices(SHANDONG),
            },
        ),
        RulePack(
            key="wenzhou-2024",
            title=_("Wenzhou 2024"),
            dated=datetime.date(2024, 1, 1),
            rules={
                "window_term": _local(WindowTerm.G10_S1, WENZHOU),
                "terms_g2v": Rule(
                    [WindowTerm.G10_S1, WindowTerm.G10_S2, WindowTerm.G11_S1], Source(WENZHOU)
                ),
                "terms_v2g": Rule(
                    [WindowTerm.G10_S1, WindowTerm.G10_S2, WindowTerm.G11_S1], Source(WENZHOU)
                ),
                "window_lead_days": Rule(30, Source(WENZHOU)),
                "max_applications": Rule(3, Source(WENZHOU)),
                "transfer_back": Rule(0, Source(WENZHOU)),
                "assessor": Rule(Assessor.RECEIVING_SCHOOL, Source(WENZHOU)),
                "entrance_line": Rule(TransferPolicy.EntranceLine.SCHOOL, Source(WENZHOU)),
                "required_passes": Rule([], Source(WENZHOU)),
                "excluded_programmes": Rule([], Source(WENZHOU)),
                "max_choices": Rule(1, Source(WENZHOU)),
                **_district_choices(WENZHOU),
            },
        ),
        RulePack(
            key="xiamen-2022",
            title=_("Xiamen 2022"),
            dated=datetime.date(2022, 1, 1),
            rules={
                "window_term": Rule(WindowTerm.G10_S2, Source(XIAMEN)),
                "terms_g2v": Rule([WindowTerm.G10_S2], Source(XIAMEN)),
                "terms_v2g": Rule([WindowTerm.G10_S2], Source(XIAMEN)),
                "window_lead_days": Rule(0, Source(XIAMEN)),
                "max_applications": Rule(1, Source(XIAMEN)),
                "transfer_back": Rule(0, Source(XIAMEN)),
                "assessor": Rule(Assessor.DISTRICT, Source(XIAMEN)),
                "entrance_line": Rule(TransferPolicy.EntranceLine.NONE, Source(XIAMEN)),
                "required_passes": Rule(["化学", "地理", "生物"], Source(XIAMEN)),
                "excluded_programmes": Rule([], Source(XIAMEN)),
                "max_choices": Rule(2, Source(XIAMEN)),
                **_district_choices(XIAMEN),
            },
        ),
    ]
}
DEFAULT_PACK = "hangzhou-2023"


def pack_of(policy_or_key) -> RulePack:
    key = getattr(policy_or_key, "rule_pack", policy_or_key)
    return PACKS[key]


def pack_values(key: str) -> dict[str, Any]:
    """A pack's settings as the keyword arguments of a new policy."""
    return {name: _copy(rule.value) for name, rule in PACKS[key].rules.items()}


def _copy(value):
    return list(value) if isinstance(value, list) else value


def _normalise(value):
    if isinstance(value, list):
        return [str(item) for item in value]
    return value


def pack_refusals(key: str, values: dict[str, Any]) -> dict[str, str]:
    """For each setting the pack fixes and ``values`` sets otherwise: the message that
    refuses it, naming the setting, the pack and its source."""
    pack = PACKS[key]
    refusals = {}
    for setting in SETTINGS:
        rule = pack.rules[setting.name]
        if rule.local or setting.name not in values:
            continue
        if _normalise(values[setting.name]) != _normalise(rule.value):
            refusals[setting.name] = str(
                _(
                    "%(setting)s is set by the pack %(pack)s to %(value)s (%(source)s); only a "
                    "setting the pack marks as local may change."
                )
                % {
                    "setting": setting.label,
                    "pack": pack.title,
                    "value": setting.words(rule.value),
                    "source": rule.source.text(),
                }
            )
    return refusals


@dataclass(frozen=True)
class SettingRow:
    name: str
    label: str
    words: str
    pack_words: str
    source: str
    local: bool

    @property
    def differs(self) -> bool:
        return self.words != self.pack_words


def policy_rule_rows(policy: TransferPolicy) -> list[SettingRow]:
    """Each of a policy's rule settings in plain words, beside its pack's and its source:
    what the policy page, the bureau's review and the filing package show."""
    pack = pack_of(policy)
    rows = []
    for setting in SETTINGS:
        rule = pack.rules[setting.name]
        rows.append(
            SettingRow(
                name=setting.name,
                label=str(setting.label),
                words=setting.words(getattr(policy, setting.name)),
                pack_words=setting.words(rule.value),
                source=rule.source.text(),
                local=rule.local,
            )
        )
    return rows


def rule_source(policy: TransferPolicy, name: str) -> str:
    """The pack and source of one setting, as a refusal that rests on it names them."""
    pack = pack_of(policy)
    return str(
        _("%(pack)s: %(source)s") % {"pack": pack.title, "source": pack.rules[name].source.text()}
    )


def setting_label(name: str) -> str:
    return str(next(setting.label for setting in SETTINGS if setting.name == name))
