"""A version's rules are the engine's agreement format, checked field by field in the user's words and then by
the engine's own reader: what the database accepts, ``tongcheng settle`` accepts, and what the engine
refuses is refused here at the same JSON path (no database needed)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from tongcheng.cooperation.engine.agreements import parse_agreements
from tongcheng.cooperation.engine.types import EngineInputError
from tongcheng.cooperation.sharing import canonical

ROOT = Path(__file__).resolve().parents[3]
PARTIES = [{"jurisdiction": "341103", "role": "host"}, {"jurisdiction": "320111", "role": "partner"}]
A, B = "91341103MA2X00010G", "91341103MA2X00020H"
BASE = {
    "scope": {"enterprises": [A, B]},
    "tax_types": ["VAT", "CIT"],
    "base": {"kind": "local_share", "fraction_bp": 5000},
}

#: one version of every rule the engine supports
EVERY_RULE = {
    "fixed": {**BASE, "ratio": {"kind": "fixed", "bp": [7000, 3000]}},
    "fixed per tax": {**BASE, "ratio": {"kind": "fixed", "bp": {"VAT": [6000, 4000], "*": [5000, 5000]}}},
    "stepped by year": {
        **BASE,
        "ratio": {
            "kind": "stepped",
            "steps": [{"from": "2024-01", "bp": [7000, 3000]}, {"from": "2025-01", "bp": [6000, 4000]}],
        },
    },
    "cost-linked": {
        **BASE,
        "ratio": {
            "kind": "contribution",
            "floor_bp": [2000, 2000],
            "cap_bp": [8000, 8000],
            "initial_bp": [5000, 5000],
        },
    },
    "stock and increment": {
        **BASE,
        "ratio": {
            "kind": "increment",
            "bp": [5000, 5000],
            "stock_party": "341103",
            "baseline_fen": {"VAT": 100000, "*": 0},
        },
    },
    "capped with extension": {
        **BASE,
        "term": {"extension_end": "2033-12", "extended": False},
        "ratio": {
            "kind": "capped",
            "bp": [5000, 5000],
            "capped_party": "320111",
            "cap_fen": 300_000_000,
            "consumed_fen": 0,
            "share_end": "2026-12",
            "extension_end": "2028-12",
        },
    },
    "project scope and collected_in": {
        "scope": {"enterprises": [], "projects": ["华诺半导体"], "collected_in": ["341103"]},
        "base": {"kind": "total", "fraction_bp": {"CIT": 4000, "*": 10000}},
        "ratio": {"kind": "fixed", "bp": [7000, 3000]},
        "tie_order": ["320111", "341103"],
    },
    "statistical attribution, appraisal only": {
        **BASE,
        "ratio": {"kind": "fixed", "bp": [7000, 3000]},
        "statistics": {"bp": {"gdp": [7000, 3000], "industrial_output": [8000, 2000]}, "double_count": True},
    },
}


def _check(rules, effective_from="2024-01", effective_to="2031-12", parties=PARTIES):
    return canonical.check_version(
        code="t",
        title="t",
        parties=parties,
        effective_from=effective_from,
        effective_to=effective_to,
        rules=rules,
    )


def _engine(rules, effective_from="2024-01", effective_to="2031-12", parties=PARTIES):
    doc = canonical.version_document("t", "t", parties, effective_from, effective_to, rules)
    return parse_agreements({"agreements": [doc]}, "x", known_taxes=canonical.known_tax_types())


@pytest.mark.parametrize("name", list(EVERY_RULE))
def test_every_rule_the_engine_supports_is_stored_as_the_engines_own_format(name):
    """Given a version using one kind of rule, when it is checked and its document read by the engine, then
    the check finds nothing and the engine reads the same rule back (kind, ratios, term)."""
    rules = EVERY_RULE[name]
    assert _check(rules) == []
    agreement = _engine(rules).agreements[0]
    assert agreement.ratio.kind == rules["ratio"]["kind"]
    assert agreement.term.start == canonical.month("2024-01")
    assert agreement.term.end == canonical.month("2031-12")
    if "statistics" in rules:
        assert agreement.statistics.double_count is True


def test_the_examples_agreements_file_is_accepted_version_by_version():
    """Given the engine's example agreements (examples/settlement/agreements.json), when each is cut into an
    agreement (parties) and a version (term, rules), then each version passes the check, and its document
    is the example's agreement again (parks expanded to their enterprises)."""
    example = json.loads((ROOT / "examples/settlement/agreements.json").read_text(encoding="utf-8"))
    for raw in example["agreements"]:
        rules = {k: copy.deepcopy(v) for k, v in raw.items() if k in canonical.RULE_KEYS and k != "term"}
        scope = rules.get("scope", {})
        parks = scope.pop("parks", [])
        scope["enterprises"] = [
            *scope.get("enterprises", []),
            *[e for p in parks for e in example["parks"][p]],
        ]
        term = raw["term"]
        rest = {k: v for k, v in term.items() if k in ("extension_end", "extended")}
        if rest:
            rules["term"] = rest
        problems = _check(rules, term["start"], term.get("end") or "", raw["parties"])
        assert problems == [], (raw["id"], problems)


BROKEN = [
    # (what, change to the fixed version, field, code)
    (
        "ratios add to 9,000",
        lambda r: r["ratio"].update(bp=[6000, 3000]),
        "rules.ratio.bp",
        "ratios_not_whole",
    ),
    ("one value for two parties", lambda r: r["ratio"].update(bp=[10000]), "rules.ratio.bp", "ratio_length"),
    (
        "a ratio above 10,000",
        lambda r: r["ratio"].update(bp=[12000, -2000]),
        "rules.ratio.bp[0]",
        "out_of_range",
    ),
    ("text ratio", lambda r: r["ratio"].update(bp=["7000", 3000]), "rules.ratio.bp[0]", "not_an_integer"),
    ("unknown tax type", lambda r: r.update(tax_types=["VATT"]), "rules.tax_types[0]", "unknown_tax_type"),
    (
        "unknown tax in a ratio",
        lambda r: r["ratio"].update(bp={"GST": [5000, 5000]}),
        "rules.ratio.bp.GST",
        "unknown_tax_type",
    ),
    (
        "misspelt field",
        lambda r: r["base"].update(fraction_pb=5000),
        "rules.base.fraction_pb",
        "unknown_field",
    ),
    ("empty scope", lambda r: r.update(scope={"enterprises": []}), "rules.scope", "empty_scope"),
    (
        "steps out of order",
        lambda r: r.update(
            ratio={
                "kind": "stepped",
                "steps": [{"from": "2024-01", "bp": [5000, 5000]}, {"from": "2023-01", "bp": [5000, 5000]}],
            }
        ),
        "rules.ratio.steps[1].from",
        "steps_order",
    ),
    (
        "stock party not a party",
        lambda r: r.update(
            ratio={"kind": "increment", "bp": [5000, 5000], "stock_party": "320115", "baseline_fen": 1}
        ),
        "rules.ratio.stock_party",
        "invalid_parties",
    ),
    (
        "statistics of an unknown indicator",
        lambda r: r.update(statistics={"bp": {"population": [5000, 5000]}}),
        "rules.statistics.bp.population",
        "invalid_rules",
    ),
]


@pytest.mark.parametrize("what,change,field,code", BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_version_is_refused_at_its_field_and_the_engine_refuses_it_too(what, change, field, code):
    """Given the fixed version broken in one way, when it is checked, then the first problem names the field
    and a registered code, and the engine's reader refuses the same document: the database can never
    hold what the command line would refuse."""
    rules = copy.deepcopy(EVERY_RULE["fixed"])
    change(rules)
    problems = _check(rules)
    assert problems and problems[0].field == field and problems[0].code == code, problems
    with pytest.raises(EngineInputError):
        _engine(rules)


def test_a_credit_code_of_the_scope_must_pass_its_check_character():
    """Given a scope naming 91341103MA2X00010H (wrong check character), then it is refused at its place. The
    engine's reader takes any text there (it would simply never match a receipt, whose codes the command
    line checks), so the database is stricter than the file here, never looser."""
    rules = copy.deepcopy(EVERY_RULE["fixed"])
    rules["scope"]["enterprises"] = [A, "91341103MA2X00010H"]
    problems = _check(rules)
    assert [(p.field, p.code) for p in problems] == [("rules.scope.enterprises[1]", "invalid_uscc")]


def test_a_schedule_must_cover_the_version_from_its_first_month():
    """Given a stepped ratio whose first step starts a year after the version, then it is refused at
    rules.ratio.steps[0].from when saved (the engine would refuse it only when settling such a month:
    "no ratio step in force")."""
    rules = copy.deepcopy(EVERY_RULE["fixed"])
    rules["ratio"] = {"kind": "stepped", "steps": [{"from": "2025-01", "bp": [5000, 5000]}]}
    assert [(p.field, p.code) for p in _check(rules)] == [("rules.ratio.steps[0].from", "steps_order")]


def test_months_of_the_version_are_checked_where_they_are_entered():
    """Given a version ending before it starts, or a month written 2024/01, then the problem is at
    effective_to or effective_from."""
    assert [p.field for p in _check(EVERY_RULE["fixed"], "2025-01", "2024-12")] == ["effective_to"]
    assert [p.field for p in _check(EVERY_RULE["fixed"], "2024/01", "")] == ["effective_from"]


def test_what_only_the_engine_finds_is_refused_at_the_engines_path():
    """Given a capped rule whose sharing runs past the version's months (a rule the field checks leave to the
    engine), when checked, then the engine's refusal is returned at rules.ratio.share_end."""
    rules = copy.deepcopy(EVERY_RULE["capped with extension"])
    problems = _check(rules, "2024-01", "2025-12")
    assert problems and problems[0].field == "rules.ratio.share_end"
    assert problems[0].code == "engine_refused"


def test_a_party_code_not_in_use_during_the_term_is_refused():
    """Given 320103 (白下区, merged into 秦淮区 in 2013) as a party of a version from 2024, then the
    party is refused as the command line refuses it."""
    parties = [{"jurisdiction": "341103", "role": "host"}, {"jurisdiction": "320103", "role": "partner"}]
    problems = _check(EVERY_RULE["fixed"], parties=parties)
    assert [(p.field, p.code) for p in problems] == [("parties[1].jurisdiction", "division_not_in_use")]


def test_parties_are_distinct_codes_with_a_known_role():
    problems = canonical.check_parties(
        [{"jurisdiction": "341103", "role": "host"}, {"jurisdiction": "341103", "role": "boss"}], None
    )
    assert {(p.field, p.code) for p in problems} == {
        ("parties[1].jurisdiction", "duplicate_party"),
        ("parties[1].role", "invalid_parties"),
    }
    assert canonical.check_parties([{"jurisdiction": "341103", "role": "host"}], None)[0].field == "parties"
