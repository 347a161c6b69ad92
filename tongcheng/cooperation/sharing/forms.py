"""Forms of agreements and their versions: every rule the engine supports, entered as text a person writes
(ratios "7000, 3000" in the parties' order, one line per tax type or per step), turned into the engine's
format (``rules_from``) and back (``initial_from``). The checks are the services' (canonical.check_version,
then the engine's reader); ``place_problems`` puts each refusal beside the field it concerns."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongcheng.core.forms import BootstrapMixin
from tongcheng.core.models import MemberRole
from tongcheng.kit.importing import fold, in_every_language
from tongcheng.kit.services import ServiceError

from ..models import INDICATOR_CHOICES
from ..models.agreements import AGREEMENT_CODE_MAX, AGREEMENT_NOTE_MAX, AGREEMENT_TITLE_MAX, RESOLUTION_MAX
from . import canonical

__all__ = [
    "AgreementEditForm",
    "AgreementForm",
    "DecisionForm",
    "ImportForm",
    "VersionForm",
    "initial_from",
    "parties_from_text",
    "parties_text",
    "place_problems",
    "rules_from",
]

_SPLIT = re.compile(r"[\s,，、;；]+")
_MONTH_RE = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")

RATIO_KINDS = [
    ("fixed", gettext_lazy("Fixed ratio")),
    ("stepped", gettext_lazy("Schedule by date (stepped)")),
    ("contribution", gettext_lazy("Linked to fund contributions (cost sharing)")),
    ("increment", gettext_lazy("Stock stays, increment shared")),
    ("capped", gettext_lazy("Capped for one party (with extension)")),
]
BASE_KINDS = [
    ("local_share", gettext_lazy("Local retained share × fraction")),
    ("total", gettext_lazy("Total receipts × fraction")),
]


class FormProblem(ValueError):
    """A piece of text that cannot be read as what its field holds."""


def _tokens(text: str) -> list[str]:
    return [t for t in _SPLIT.split(text.strip()) if t]


def _int(text: str) -> int:
    text = text.strip().replace("_", "x")
    if not re.fullmatch(r"-?[0-9]+", text):
        raise FormProblem(_("%(value)s is not a whole number.") % {"value": text})
    return int(text)


def _vector(text: str) -> list[int]:
    return [_int(t) for t in _tokens(text)]


def _keyed_lines(text: str) -> list[tuple[str | None, str]]:
    """Lines "KEY: rest" or just "rest" (key None)."""
    out = []
    for line in text.replace("：", ":").splitlines():
        line = line.strip()
        if not line:
            continue
        if ":" in line:
            key, _sep, rest = line.partition(":")
            out.append((key.strip(), rest.strip()))
        else:
            out.append((None, line))
    return out


def ratio_spec(text: str) -> Any:
    """ "7000, 3000" -> [7000, 3000]; "VAT: 6000, 4000" lines -> {"VAT": [...], "*": [...]}."""
    lines = _keyed_lines(text)
    if not lines:
        raise FormProblem(_("Give the ratios in basis points, one per party (e.g. 7000, 3000)."))
    if len(lines) == 1 and lines[0][0] is None:
        return _vector(lines[0][1])
    spec = {}
    for key, rest in lines:
        name = "*" if key in (None, "", "*", "其他", "others") else key.upper()
        spec[name] = _vector(rest)
    return spec


def _spec_text(spec: Any) -> str:
    if isinstance(spec, dict):
        return "\n".join(f"{k}: {', '.join(map(str, v))}" for k, v in spec.items())
    if isinstance(spec, list):
        return ", ".join(map(str, spec))
    return ""


def _tax_map(text: str) -> Any:
    """ "5000" -> 5000; "VAT=5000, *=10000" or lines "VAT: 5000" -> {"VAT": 5000, "*": 10000}."""
    text = text.strip()
    if not text:
        return None
    if re.fullmatch(r"-?[0-9]+", text):
        return int(text)
    out = {}
    for part in re.split(r"[\n,，;；]+", text.replace("：", ":").replace("=", ":")):
        part = part.strip()
        if not part:
            continue
        key, sep, value = part.partition(":")
        if not sep:
            raise FormProblem(
                _("Write each entry as TAX: value (e.g. VAT: 5000), or one number for every tax.")
            )
        out[key.strip().upper() if key.strip() != "*" else "*"] = _int(value)
    return out


def _map_text(value: Any) -> str:
    if isinstance(value, dict):
        return "\n".join(f"{k}: {v}" for k, v in value.items())
    return "" if value is None else str(value)


def _steps(text: str) -> list[dict[str, Any]]:
    """Lines "2024-01: 7000, 3000" (or "2024-01 VAT: 6000, 4000" per tax type) -> steps."""
    steps: dict[str, Any] = {}
    order: list[str] = []
    for key, rest in _keyed_lines(text):
        if key is None:
            raise FormProblem(_("Write each step as YYYY-MM: ratios (e.g. 2025-01: 6000, 4000)."))
        parts = key.split()
        month = parts[0]
        if not _MONTH_RE.match(month):
            raise FormProblem(_("%(value)s is not a month written YYYY-MM.") % {"value": month})
        tax = parts[1].upper() if len(parts) > 1 else None
        vector = _vector(rest)
        if month not in steps:
            order.append(month)
            steps[month] = {} if tax else vector
        if tax:
            if not isinstance(steps[month], dict):
                steps[month] = {"*": steps[month]}
            steps[month][tax] = vector
        elif isinstance(steps[month], dict):
            steps[month]["*"] = vector
    if not order:
        raise FormProblem(_("Give at least one step."))
    return [{"from": m, "bp": steps[m]} for m in order]


def _steps_text(steps: Sequence[dict[str, Any]]) -> str:
    lines = []
    for step in steps:
        bp = step.get("bp")
        if isinstance(bp, dict):
            for tax, vec in bp.items():
                lines.append(
                    f"{step.get('from')}{'' if tax == '*' else ' ' + tax}: {', '.join(map(str, vec))}"
                )
        else:
            lines.append(f"{step.get('from')}: {_spec_text(bp)}")
    return "\n".join(lines)


def _statistics(text: str) -> dict[str, Any]:
    known = {fold(v): v for v, _label in INDICATOR_CHOICES}
    for value, label in INDICATOR_CHOICES:
        for alias in in_every_language(label):
            known[fold(alias)] = value
    out = {}
    for key, rest in _keyed_lines(text):
        if key is None:
            raise FormProblem(_("Write each indicator as NAME: ratios (e.g. gdp: 7000, 3000)."))
        out[known.get(fold(key), key)] = _vector(rest)
    return out


# --- parties ------------------------------------------------------------------------------------------


def _roles() -> dict[str, str]:
    roles = {}
    for value, label in MemberRole.choices:
        for alias in (value, *in_every_language(label)):
            roles[fold(alias)] = value
    return roles


def parties_from_text(text: str) -> list[dict[str, str]]:
    """Lines "341103 host" (the role as code or label; default partner) -> parties."""
    roles = _roles()
    parties = []
    for line in text.splitlines():
        parts = _tokens(line)
        if not parts:
            continue
        role = roles.get(fold(" ".join(parts[1:])), " ".join(parts[1:])) if len(parts) > 1 else "partner"
        parties.append({"jurisdiction": parts[0], "role": role})
    return parties


def parties_text(parties: Sequence[dict[str, Any]]) -> str:
    return "\n".join(f"{p.get('jurisdiction', '')} {p.get('role', '')}" for p in parties)


# --- the forms ---------------------------------------------------------------------------------------------


PARTIES_HELP = gettext_lazy(
    "One party per line: its 6-digit code and its role (host, partner or origin), e.g. “341103 host”. "
    "Every ratio lists one value per party, in this order."
)


class AgreementForm(BootstrapMixin, forms.Form):
    zone = forms.ModelChoiceField(label=gettext_lazy("Zone"), queryset=None, to_field_name="code")
    code = forms.SlugField(
        label=gettext_lazy("Code"),
        max_length=AGREEMENT_CODE_MAX,
        help_text=gettext_lazy("Letters, digits and hyphens; the agreement's id in settlement files."),
    )
    title = forms.CharField(label=gettext_lazy("Title"), max_length=AGREEMENT_TITLE_MAX)
    title_en = forms.CharField(
        label=gettext_lazy("English title"), max_length=AGREEMENT_TITLE_MAX, required=False
    )
    parties = forms.CharField(
        label=gettext_lazy("Parties"), widget=forms.Textarea(attrs={"rows": 3}), help_text=PARTIES_HELP
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=AGREEMENT_NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    note_en = forms.CharField(
        label=gettext_lazy("English note"),
        max_length=AGREEMENT_NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, zones: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["zone"].queryset = zones
        self.fields["zone"].label_from_instance = lambda z: z.display

    def clean_parties(self) -> list[dict[str, str]]:
        return parties_from_text(self.cleaned_data["parties"])


class AgreementEditForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=AGREEMENT_TITLE_MAX)
    title_en = forms.CharField(
        label=gettext_lazy("English title"), max_length=AGREEMENT_TITLE_MAX, required=False
    )
    parties = forms.CharField(
        label=gettext_lazy("Parties"), widget=forms.Textarea(attrs={"rows": 3}), help_text=PARTIES_HELP
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=AGREEMENT_NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    note_en = forms.CharField(
        label=gettext_lazy("English note"),
        max_length=AGREEMENT_NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, parties_fixed: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if parties_fixed:
            self.fields["parties"].disabled = True
            self.fields["parties"].help_text = gettext_lazy("Fixed: a version has been approved.")

    def clean_parties(self) -> list[dict[str, str]]:
        return parties_from_text(self.cleaned_data["parties"])


def _month_field(label: Any, required: bool = False, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=7,
        help_text=help_text or gettext_lazy("YYYY-MM"),
        widget=forms.TextInput(attrs={"placeholder": "YYYY-MM", "inputmode": "numeric"}),
    )


def _text(label: Any, help_text: Any = "", rows: int = 2) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, help_text=help_text, widget=forms.Textarea(attrs={"rows": rows})
    )


class VersionForm(BootstrapMixin, forms.Form):
    """One version of an agreement: when it is in force, what it covers and how the parties share."""

    effective_from = _month_field(gettext_lazy("In force from"), required=True)
    effective_to = _month_field(
        gettext_lazy("In force until"), help_text=gettext_lazy("YYYY-MM; empty: open-ended")
    )
    resolution = forms.CharField(
        label=gettext_lazy("Approving resolution"),
        max_length=RESOLUTION_MAX,
        required=False,
        help_text=gettext_lazy(
            "The decision body's minutes or document number; needed to approve the version."
        ),
    )
    tax_types = forms.MultipleChoiceField(
        label=gettext_lazy("Tax types shared"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("None ticked: every tax type."),
    )
    enterprises = _text(
        gettext_lazy("Enterprises (credit codes)"),
        gettext_lazy("One unified social credit code per line."),
        rows=4,
    )
    projects = _text(
        gettext_lazy("Projects"),
        gettext_lazy(
            "One project name per line: its receipts belong to the agreement, whatever the enterprise."
        ),
    )
    collected_in = forms.CharField(
        label=gettext_lazy("Only receipts collected by"),
        required=False,
        help_text=gettext_lazy("Treasury codes, separated by spaces; empty: any treasury."),
    )
    tie_order = forms.CharField(
        label=gettext_lazy("Tie order"),
        required=False,
        help_text=gettext_lazy(
            "The parties' codes in the order that wins a tie of equal remainders; empty: the parties' order."
        ),
    )
    base_kind = forms.ChoiceField(label=gettext_lazy("Base of the sharing"), choices=BASE_KINDS)
    fraction_bp = forms.CharField(
        label=gettext_lazy("Fraction (bp)"),
        required=False,
        initial="10000",
        help_text=gettext_lazy(
            "Of the base, in basis points (10000 = all): one number, or lines TAX: bp (e.g. VAT: 5000) with *: for the others."
        ),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    extension_end = _month_field(gettext_lazy("Term extension until"))
    extended = forms.BooleanField(label=gettext_lazy("The extension has been agreed"), required=False)
    ratio_kind = forms.ChoiceField(label=gettext_lazy("How the parties share"), choices=RATIO_KINDS)
    ratio_bp = _text(
        gettext_lazy("Ratios (bp)"),
        gettext_lazy(
            "One value per party, in the parties' order, adding up to 10000 (e.g. 7000, 3000); or one line per tax type, TAX: values, with *: for the others."
        ),
    )
    ratio_steps = _text(
        gettext_lazy("Schedule"),
        gettext_lazy(
            "For a schedule: one line per step, YYYY-MM: values (e.g. 2025-01: 6000, 4000); YYYY-MM TAX: values for one tax type."
        ),
        rows=3,
    )
    initial_bp = forms.CharField(
        label=gettext_lazy("Initial ratios (bp)"),
        required=False,
        help_text=gettext_lazy("Cost sharing: the ratios until anyone has contributed."),
    )
    floor_bp = forms.CharField(label=gettext_lazy("Floors (bp)"), required=False)
    cap_bp = forms.CharField(label=gettext_lazy("Caps (bp)"), required=False)
    stock_party = forms.ChoiceField(label=gettext_lazy("The stock stays with"), required=False)
    baseline_fen = forms.CharField(
        label=gettext_lazy("Stock baseline per month (fen)"),
        required=False,
        help_text=gettext_lazy("Of the base: one number, or lines TAX: fen."),
    )
    capped_party = forms.ChoiceField(label=gettext_lazy("Capped party"), required=False)
    cap_fen = forms.IntegerField(label=gettext_lazy("Cap (fen)"), required=False, min_value=0)
    consumed_fen = forms.IntegerField(
        label=gettext_lazy("Already received before (fen)"), required=False, min_value=0
    )
    share_end = _month_field(gettext_lazy("Capped party shares until"))
    cap_extension_end = _month_field(gettext_lazy("…or, if the cap is not reached, until"))
    statistics = _text(
        gettext_lazy("Statistical attribution (bp)"),
        gettext_lazy(
            "One line per indicator, NAME: values (gdp, industrial_output, fixed_asset_investment, revenue); an indicator not listed is counted where the activity is."
        ),
    )
    double_count = forms.BooleanField(
        label=gettext_lazy(
            "Every party counts the whole figure, for appraisal only (not published, not summed)"
        ),
        required=False,
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=AGREEMENT_NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    note_en = forms.CharField(
        label=gettext_lazy("English note"),
        max_length=AGREEMENT_NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    def __init__(self, *args: Any, parties: Sequence[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.parties = list(parties)
        codes = [(p["jurisdiction"], f"{p['jurisdiction']} ({p.get('role', '')})") for p in self.parties]
        self.fields["stock_party"].choices = [("", "—"), *codes]
        self.fields["capped_party"].choices = [("", "—"), *codes]
        self.fields["tax_types"].choices = [
            (code, f"{code} {zh}") for code, zh, _en in canonical.tax_type_names()
        ]

    def rules(self) -> dict[str, Any] | None:
        """The engine's rules from the cleaned data; None (with errors on the fields) if a text is unreadable."""
        data = self.cleaned_data
        rules: dict[str, Any] = {}
        readers = {
            "ratio_bp": ratio_spec,
            "ratio_steps": _steps,
            "initial_bp": _vector,
            "floor_bp": _vector,
            "cap_bp": _vector,
            "fraction_bp": _tax_map,
            "baseline_fen": _tax_map,
            "statistics": _statistics,
        }
        read: dict[str, Any] = {}
        for name, reader in readers.items():
            text = data.get(name) or ""
            if not text.strip():
                continue
            try:
                read[name] = reader(text)
            except FormProblem as exc:
                self.add_error(name, str(exc))
        if self.errors:
            return None
        if data.get("tie_order", "").strip():
            rules["tie_order"] = _tokens(data["tie_order"])
        scope: dict[str, Any] = {"enterprises": [t.upper() for t in _tokens(data.get("enterprises", ""))]}
        projects = [line.strip() for line in (data.get("projects") or "").splitlines() if line.strip()]
        if projects:
            scope["projects"] = projects
        if data.get("collected_in", "").strip():
            scope["collected_in"] = _tokens(data["collected_in"])
        rules["scope"] = scope
        if data.get("tax_types"):
            rules["tax_types"] = list(data["tax_types"])
        rules["base"] = {"kind": data["base_kind"], "fraction_bp": read.get("fraction_bp", 10000)}
        if data.get("extension_end") or data.get("extended"):
            rules["term"] = {
                "extension_end": data.get("extension_end") or None,
                "extended": bool(data.get("extended")),
            }
        kind = data["ratio_kind"]
        ratio: dict[str, Any] = {"kind": kind}
        if kind in ("fixed", "increment", "capped"):
            ratio["bp"] = read.get("ratio_bp")
        if kind == "stepped":
            ratio["steps"] = read.get("ratio_steps")
        if kind == "contribution":
            ratio["initial_bp"] = read.get("initial_bp")
            for name in ("floor_bp", "cap_bp"):
                if name in read:
                    ratio[name] = read[name]
        if kind == "increment":
            ratio["stock_party"] = data.get("stock_party") or ""
            ratio["baseline_fen"] = read.get("baseline_fen", 0)
        if kind == "capped":
            ratio.update(
                capped_party=data.get("capped_party") or "",
                cap_fen=data.get("cap_fen"),
                consumed_fen=data.get("consumed_fen") or 0,
                share_end=data.get("share_end") or "",
                extension_end=data.get("cap_extension_end") or None,
            )
        rules["ratio"] = ratio
        if read.get("statistics") or data.get("double_count"):
            rules["statistics"] = {
                "bp": read.get("statistics", {}),
                "double_count": bool(data.get("double_count")),
            }
        return rules


def initial_from(version: Any | None = None, rules: dict[str, Any] | None = None) -> dict[str, Any]:
    """The form's initial values of a stored version (or of bare rules)."""
    rules = rules if rules is not None else (version.rules if version is not None else {})
    scope = rules.get("scope", {})
    ratio = rules.get("ratio", {"kind": "fixed"})
    base = rules.get("base", {"kind": "local_share", "fraction_bp": 10000})
    term = rules.get("term", {})
    stats = rules.get("statistics") or {}
    initial: dict[str, Any] = {
        "tax_types": rules.get("tax_types", []),
        "enterprises": "\n".join(scope.get("enterprises", [])),
        "projects": "\n".join(scope.get("projects", [])),
        "collected_in": " ".join(scope.get("collected_in", [])),
        "tie_order": " ".join(rules.get("tie_order", [])),
        "base_kind": base.get("kind", "local_share"),
        "fraction_bp": _map_text(base.get("fraction_bp", 10000)),
        "extension_end": term.get("extension_end") or "",
        "extended": bool(term.get("extended")),
        "ratio_kind": ratio.get("kind", "fixed"),
        "ratio_bp": _spec_text(ratio.get("bp")),
        "ratio_steps": _steps_text(ratio.get("steps", [])),
        "initial_bp": _spec_text(ratio.get("initial_bp")),
        "floor_bp": _spec_text(ratio.get("floor_bp")),
        "cap_bp": _spec_text(ratio.get("cap_bp")),
        "stock_party": ratio.get("stock_party", ""),
        "baseline_fen": _map_text(ratio.get("baseline_fen")),
        "capped_party": ratio.get("capped_party", ""),
        "cap_fen": ratio.get("cap_fen"),
        "consumed_fen": ratio.get("consumed_fen"),
        "share_end": ratio.get("share_end", ""),
        "cap_extension_end": ratio.get("extension_end") or "",
        "statistics": "\n".join(f"{k}: {', '.join(map(str, v))}" for k, v in stats.get("bp", {}).items()),
        "double_count": bool(stats.get("double_count")),
    }
    if version is not None:
        initial.update(
            effective_from=version.effective_from,
            effective_to=version.effective_to,
            resolution=version.resolution,
            note=version.note,
            note_en=version.note_en,
            version=version.version,
        )
    return initial


def rules_from(form: VersionForm) -> dict[str, Any] | None:
    return form.rules()


# where a refusal of a version goes on the form, by the JSON path it names (longest first)
_PLACES = [
    ("effective_from", "effective_from"),
    ("effective_to", "effective_to"),
    ("rules.tie_order", "tie_order"),
    ("rules.scope.enterprises", "enterprises"),
    ("rules.scope.projects", "projects"),
    ("rules.scope.collected_in", "collected_in"),
    ("rules.scope", "enterprises"),
    ("rules.tax_types", "tax_types"),
    ("rules.term", "extension_end"),
    ("rules.base.kind", "base_kind"),
    ("rules.base", "fraction_bp"),
    ("rules.ratio.kind", "ratio_kind"),
    ("rules.ratio.bp", "ratio_bp"),
    ("rules.ratio.steps", "ratio_steps"),
    ("rules.ratio.floor_bp", "floor_bp"),
    ("rules.ratio.cap_bp", "cap_bp"),
    ("rules.ratio.initial_bp", "initial_bp"),
    ("rules.ratio.stock_party", "stock_party"),
    ("rules.ratio.baseline_fen", "baseline_fen"),
    ("rules.ratio.capped_party", "capped_party"),
    ("rules.ratio.cap_fen", "cap_fen"),
    ("rules.ratio.consumed_fen", "consumed_fen"),
    ("rules.ratio.share_end", "share_end"),
    ("rules.ratio.extension_end", "cap_extension_end"),
    ("rules.ratio", "ratio_kind"),
    ("rules.statistics", "statistics"),
    ("parties", "parties"),
    ("resolution", "resolution"),
    ("code", "code"),
    ("title", "title"),
    ("version", None),
    ("status", None),
]


def _detail(path: str, prefix: str) -> str:
    """What of the field a refusal concerns, for a person: "VAT", "step 2", "line 3"."""
    rest = path[len(prefix) :]
    m = re.match(r"^\[(\d+)\]", rest)
    if m and prefix.endswith("steps"):
        return _("step %(n)d") % {"n": int(m.group(1)) + 1}
    if m:
        return _("line %(n)d") % {"n": int(m.group(1)) + 1}
    m = re.match(r"^\.([A-Za-z_*]+)", rest)
    if m and prefix in (
        "rules.ratio.bp",
        "rules.statistics.bp",
        "rules.base.fraction_bp",
        "rules.ratio.baseline_fen",
    ):
        return m.group(1)
    return ""


def place_problems(exc: ServiceError, form: forms.Form) -> None:
    """Each item of a refusal beside its field (the longest matching path), else at the top of the form."""
    items = exc.errors or [{"field": exc.field or "", "message": str(exc.message)}]
    for item in items:
        path = item.get("field") or ""
        message = str(item.get("message") or exc.message)
        target = None
        for prefix, name in _PLACES:
            if path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "["):
                target = name
                detail = _detail(path, prefix)
                if detail:
                    message = f"{detail}: {message}"
                break
        if target is not None and target in form.fields and not form.fields[target].disabled:
            form.add_error(target, message)
        else:
            form.add_error(None, message)


class DecisionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    note = forms.CharField(required=False, max_length=5000)


class ImportForm(BootstrapMixin, forms.Form):
    dataset = forms.ChoiceField(label=gettext_lazy("Data"))
    zone = forms.ModelChoiceField(label=gettext_lazy("Zone"), queryset=None, to_field_name="code")
    file = forms.FileField(label=gettext_lazy("File (.xlsx or .csv)"))
    apply_good_rows = forms.BooleanField(
        label=gettext_lazy("Apply the rows without errors and let me download the rejected ones"),
        required=False,
    )

    def __init__(self, *args: Any, zones: Any, datasets: Sequence[tuple[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["zone"].queryset = zones
        self.fields["zone"].label_from_instance = lambda z: z.display
        self.fields["dataset"].choices = list(datasets)
