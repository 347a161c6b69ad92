"""The registry of error codes (issue 7, point 3): every code the code base answers with is registered with
its status and a label in both languages, the API's messages come from it, an unknown code is a
programming error, and docs/error-codes.md is the registry's own table."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.utils import translation

from tongcheng.kit.error_codes import ERROR_CODES, UnknownErrorCode, check_error_code, error_label, markdown
from tongcheng.kit.services import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    ServiceError,
    ValidationFailed,
)

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "tongcheng"
# Calls whose third positional argument is an answered code: the API's error JSON, the 500/503 page and
# JSON, and a list's refused parameter.
POSITIONAL = {"_error": 2, "error_response": 2, "_problem": 2}


def _service_error_names() -> set[str]:
    names, todo = set(), [ServiceError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return names


def _codes_in_source() -> dict[str, set[str]]:
    """Every code literal the code base answers with: ``code=`` of a service error, a service error class's
    ``code``, ``"code": …`` of an error item, the code argument of the error responses, ``CODE`` constants."""
    errors = _service_error_names()
    found: dict[str, set[str]] = {}

    def add(code: str, where: str) -> None:
        found.setdefault(code, set()).add(where)

    for path in SOURCE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        where = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                for keyword in node.keywords:
                    if name in errors and keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
                        add(keyword.value.value, where)
                index = POSITIONAL.get(name)
                if (
                    index is not None
                    and len(node.args) > index
                    and isinstance(node.args[index], ast.Constant)
                ):
                    add(node.args[index].value, where)
            elif isinstance(node, ast.ClassDef) and node.name in errors:
                for item in node.body:
                    if (
                        isinstance(item, ast.Assign)
                        and [getattr(t, "id", None) for t in item.targets] == ["code"]
                        and isinstance(item.value, ast.Constant)
                    ):
                        add(item.value.value, where)
            elif isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if (
                        isinstance(key, ast.Constant)
                        and key.value == "code"
                        and isinstance(value, ast.Constant)
                        and isinstance(value.value, str)
                    ):
                        add(value.value, where)
            elif (
                isinstance(node, ast.Assign)
                and [getattr(t, "id", None) for t in node.targets] == ["CODE"]
                and isinstance(node.value, ast.Constant)
            ):
                add(node.value.value, where)
    return found


def test_every_code_used_in_the_code_base_is_registered():
    """Given the sources, when every answered code literal is collected, then each is registered (and the
    collection did find the codes of the kit, the API and core, so the scan itself works)."""
    found = _codes_in_source()
    assert {
        "not_found",
        "stale_version",
        "unauthenticated",
        "invalid_transition",
        "member_outside_metro",
    } <= set(found)
    unknown = {code: sorted(where) for code, where in found.items() if code not in ERROR_CODES}
    assert not unknown, f"register these codes (kit/error_codes.py or the app's error_registry.py): {unknown}"


CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_registered_code_has_a_status_and_a_chinese_label():
    missing = []
    for code, entry in ERROR_CODES.items():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", code), code
        assert entry.status is None or 400 <= entry.status < 600, code
        with translation.override("en"):
            english = str(entry.label)
        with translation.override("zh-hans"):
            chinese = str(entry.label)
        if chinese == english or not CJK.search(chinese):
            missing.append((code, english))
    assert not missing, f"translate these labels in the app's zh_Hans catalogue: {missing}"


def test_the_error_codes_page_is_the_registry_table():
    page = (ROOT / "docs" / "error-codes.md").read_text(encoding="utf-8")
    assert page == markdown(), "docs/error-codes.md is out of date: run python tools/error_codes_doc.py"
    for code in ERROR_CODES:
        assert f"| `{code}` |" in page


def test_an_unknown_code_is_a_programming_error_in_tests(settings):
    """Given the tests' strict settings, when an error is raised with a code nobody registered, or answered
    with another status than registered, then it raises; in production it is only logged."""
    with pytest.raises(UnknownErrorCode):
        ValidationFailed("x", code="no_such_code")
    with pytest.raises(UnknownErrorCode):
        check_error_code("not_found", 409)
    settings.DEBUG = settings.TONGCHENG_STRICT_ACTIONS = False
    assert ValidationFailed("x", code="no_such_code").code == "no_such_code"


def test_an_error_without_a_message_takes_its_label_in_the_callers_language():
    for error in (NotFoundError(), ForbiddenError(), ConflictError(), ServiceError(code="session_required")):
        with translation.override("zh-hans"):
            chinese = str(error.message)
        with translation.override("en"):
            english = str(error.message)
            label = str(error_label(error.code))
        assert english == label and CJK.search(chinese), error.code
    assert str(ValidationFailed("A precise reason.", code="required").message) == "A precise reason."


@pytest.mark.django_db
def test_the_api_answers_with_the_registered_status_and_label(client_for):
    """Given an anonymous call and a missing record, when the API answers, then the body's code, status and
    message are the registry's, in the caller's language (Chinese by default)."""
    anonymous = client_for(None).get("/api/v1/zones")
    assert anonymous.status_code == ERROR_CODES["unauthenticated"].status
    with translation.override("zh-hans"):
        assert anonymous.json()["message"] == error_label("unauthenticated")
    missing = client_for("office_metro").get("/api/v1/zones/no-such-zone", headers={"Accept-Language": "en"})
    assert missing.status_code == 404
    with translation.override("en"):
        assert missing.json() == {"code": "not_found", "message": error_label("not_found"), "errors": []}
