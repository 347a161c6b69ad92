"""Two languages: Chinese (zh-hans) by default, English complete.

Given the gettext catalogues under tongcheng/ (each LC_MESSAGES folder may hold several .po files, which
tools/compile_messages.py merges into one django.mo), then
- every message is translated, nothing is fuzzy, and the placeholders of a translation are those of its msgid;
- a msgid translated in two catalogues has one translation (the project catalogue overrides the apps' ones);
- the committed catalogues hold exactly the msgids of the code (makemessages run on a copy of the tree);
- the compiled django.mo files are those the .po files give (else: `make messages`);
- a signed-in page is in Chinese by default and in English after the language switch.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import polib
import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "tongcheng"
LANGUAGE = "zh_Hans"
GETTEXT_TOOLS = ("xgettext", "msguniq", "msgmerge", "msgattrib")

# printf-style conversions as Python's % operator reads them: %(name)s, %d, %5.2f, %% …
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(?:\d+|\*)?(?:\.(?:\d+|\*))?[diouxXeEfFgGcrsa%]")
NAMED = re.compile(r"%\([^)]*\)")


def catalogue_folders(root: Path = SOURCE) -> list[Path]:
    return sorted({p.parent for p in root.rglob(f"locale/{LANGUAGE}/LC_MESSAGES/*.po")})


def live_entries(po: polib.POFile) -> list[polib.POEntry]:
    return [e for e in po if not e.obsolete]


def translations(entry: polib.POEntry) -> list[str]:
    if entry.msgid_plural:
        return [s for _, s in sorted(entry.msgstr_plural.items())]
    return [entry.msgstr]


def is_translated(entry: polib.POEntry) -> bool:
    return all(translations(entry)) and bool(translations(entry))


def key(entry: polib.POEntry) -> tuple[str | None, str]:
    return entry.msgctxt, entry.msgid


FOLDERS = catalogue_folders()
PO_FILES = [po for folder in FOLDERS for po in sorted(folder.glob("*.po"))]


def test_catalogues_exist():
    rel = {str(p.relative_to(ROOT)) for p in PO_FILES}
    assert f"tongcheng/locale/{LANGUAGE}/LC_MESSAGES/django.po" in rel  # project templates, settings, API
    assert f"tongcheng/core/locale/{LANGUAGE}/LC_MESSAGES/django.po" in rel
    assert f"tongcheng/core/locale/{LANGUAGE}/LC_MESSAGES/validators.po" in rel


# --- (a) complete, not fuzzy, placeholders kept ------------------------------------------------------------


@pytest.mark.parametrize("path", PO_FILES, ids=lambda p: str(p.relative_to(SOURCE)))
def test_header(path):
    po = polib.pofile(str(path))
    assert po.metadata.get("Language") == LANGUAGE
    assert po.metadata.get("Plural-Forms", "").replace(" ", "") == "nplurals=1;plural=0;"
    assert po.metadata.get("Content-Type", "").lower() == "text/plain; charset=utf-8"
    assert not po.metadata_is_fuzzy, "the header is marked fuzzy"


@pytest.mark.parametrize("path", PO_FILES, ids=lambda p: str(p.relative_to(SOURCE)))
def test_no_fuzzy_entry(path):
    fuzzy = [e.msgid for e in live_entries(polib.pofile(str(path))) if "fuzzy" in e.flags]
    assert not fuzzy, f"{path.name}: check these translations and remove the fuzzy flag: {fuzzy}"


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: str(p.relative_to(SOURCE)))
def test_every_message_translated(folder):
    """Every entry is translated. The one exception: an empty entry whose msgid another .po file of the same
    folder translates (makemessages re-adds the msgids of validators.po to django.po; compile_messages.py skips
    empty entries, so validators.po stays the single source of those). Two translations of one msgid in one
    folder must agree."""
    entries: dict[tuple, list[tuple[str, polib.POEntry]]] = {}
    for path in sorted(folder.glob("*.po")):
        for entry in live_entries(polib.pofile(str(path))):
            entries.setdefault(key(entry), []).append((path.name, entry))
    untranslated = [k[1] for k, found in entries.items() if not any(is_translated(e) for _, e in found)]
    assert not untranslated, f"{folder.relative_to(ROOT)}: {len(untranslated)} untranslated: {untranslated}"
    disagree = {
        k[1]: {name: translations(e) for name, e in found if is_translated(e)}
        for k, found in entries.items()
        if len({tuple(translations(e)) for _, e in found if is_translated(e)}) > 1
    }
    assert not disagree, f"one msgid, several translations in {folder.relative_to(ROOT)}: {disagree}"


@pytest.mark.parametrize("path", PO_FILES, ids=lambda p: str(p.relative_to(SOURCE)))
def test_placeholders_match(path):
    wrong = []
    for entry in live_entries(polib.pofile(str(path))):
        for msgstr in translations(entry):
            if not msgstr:
                continue
            source = entry.msgid_plural or entry.msgid
            if "python-format" in entry.flags:
                ok = Counter(PLACEHOLDER.findall(msgstr)) == Counter(PLACEHOLDER.findall(source))
                if entry.msgid_plural:  # nplurals=1: the one form serves both, named placeholders of either
                    ok = ok or Counter(PLACEHOLDER.findall(msgstr)) == Counter(
                        PLACEHOLDER.findall(entry.msgid)
                    )
            else:
                ok = Counter(NAMED.findall(msgstr)) == Counter(NAMED.findall(source))
            if not ok:
                wrong.append((entry.msgid, msgstr))
    assert not wrong, f"{path.name}: placeholders differ between msgid and msgstr: {wrong}"


def test_python_format_flag_where_needed():
    """A msgid with %(name)s but no python-format flag would not be checked by gettext tools."""
    missing = [
        (str(path.relative_to(SOURCE)), e.msgid)
        for path in PO_FILES
        for e in live_entries(polib.pofile(str(path)))
        if NAMED.search(e.msgid) and "python-format" not in e.flags
    ]
    assert not missing, missing


def test_one_translation_per_msgid_across_catalogues():
    """LOCALE_PATHS (tongcheng/locale) override the apps' catalogues at run time, so a msgid translated in
    both must read the same, or a page would change wording depending on which catalogue wins."""
    seen: dict[tuple, dict[str, tuple[str, ...]]] = {}
    for path in PO_FILES:
        for e in live_entries(polib.pofile(str(path))):
            if is_translated(e):
                seen.setdefault(key(e), {})[str(path.relative_to(SOURCE))] = tuple(translations(e))
    differ = {k[1]: v for k, v in seen.items() if len(set(v.values())) > 1}
    assert not differ, differ


def test_compiled_catalogues_are_current():
    """The django.mo next to the .po files holds what tools/compile_messages.py makes of them (`make messages`).
    The .mo files are not committed; a fresh machine builds them without system gettext."""
    stale = []
    for folder in FOLDERS:
        expected: dict[tuple, tuple[str, ...]] = {}
        for path in sorted(folder.glob("*.po")):
            for e in live_entries(polib.pofile(str(path))):
                if is_translated(e) and "fuzzy" not in e.flags:
                    expected.setdefault(key(e), tuple(translations(e)))
        mo_path = folder / "django.mo"
        if not mo_path.exists():
            stale.append(f"{mo_path.relative_to(ROOT)} missing")
            continue
        compiled = {key(e): tuple(translations(e)) for e in polib.mofile(str(mo_path)) if e.msgid}
        if compiled != expected:
            stale.append(str(mo_path.relative_to(ROOT)))
    assert not stale, f"run `make messages` (tools/compile_messages.py): {stale}"


# --- (b) the catalogues hold the msgids of the code ----------------------------------------------------------


def _keep_sources(directory: str, names: list[str]) -> set[str]:
    """copytree filter: folders, and the files makemessages reads (.py .html .txt); no .po/.mo, so that the
    catalogues made in the copy come from the code alone."""
    base = Path(directory)
    return {
        n
        for n in names
        if n == "__pycache__" or (not (base / n).is_dir() and Path(n).suffix not in {".py", ".html", ".txt"})
    }


@pytest.mark.skipif(
    not all(shutil.which(tool) for tool in GETTEXT_TOOLS),
    reason="GNU gettext (xgettext, msguniq, msgmerge, msgattrib) is not installed: makemessages cannot run here; "
    "the other catalogue tests still check the committed .po files",
)
def test_catalogues_hold_every_msgid_of_the_code(tmp_path, monkeypatch):
    copy = tmp_path / "tongcheng"
    shutil.copytree(SOURCE, copy, ignore=_keep_sources)
    monkeypatch.chdir(copy)
    # LOCALE_PATHS point into the real tree: aim them at the copy so the real catalogues are never touched.
    with override_settings(LOCALE_PATHS=[copy / "locale"]), translation.override(None):
        call_command("makemessages", locale=[LANGUAGE], verbosity=0, no_obsolete=True)

    problems = []
    generated = sorted(copy.rglob(f"locale/{LANGUAGE}/LC_MESSAGES/django.po"))
    assert generated, "makemessages wrote no catalogue"
    for gen in generated:
        folder = SOURCE / gen.parent.relative_to(copy)
        committed_files = sorted(folder.glob("*.po"))
        committed = {key(e) for p in committed_files for e in live_entries(polib.pofile(str(p)))}
        in_code = {key(e) for e in live_entries(polib.pofile(str(gen)))}
        if missing := sorted(m for _, m in in_code - committed):
            problems.append(
                f"{folder.relative_to(ROOT)}: msgids of the code missing from the catalogue: {missing}"
            )
        if stale := sorted(m for _, m in committed - in_code):
            problems.append(f"{folder.relative_to(ROOT)}: msgids no longer in the code: {stale}")
    made = {gen.parent.relative_to(copy) for gen in generated}
    for folder in FOLDERS:
        if folder.relative_to(SOURCE) not in made:
            problems.append(f"{folder.relative_to(ROOT)}: no msgid of the code belongs to this catalogue")
    assert not problems, (
        "run `cd tongcheng && ../manage.py makemessages -l zh_Hans --no-obsolete`, translate, then "
        "`make messages`:\n" + "\n".join(problems)
    )


# --- (c) pages: Chinese by default, English after the switch -------------------------------------------------

ZONE_PAGE = "/zones/pukou-nanqiao/"


def _lang(html: str) -> str:
    match = re.search(r'<html lang="([^"]+)"', html)
    return match.group(1) if match else ""


@pytest.fixture
def restore_language():
    """The middleware activates the request's language on the test thread; put the previous one back."""
    with translation.override(translation.get_language()):
        yield


@pytest.mark.django_db
def test_zone_page_chinese_by_default_then_english(client_for, demo_user, restore_language):
    user = demo_user("office_pn")
    type(user).objects.filter(pk=user.pk).update(language="")  # a user who has not chosen a language yet
    client = client_for("office_pn")

    html = client.get(ZONE_PAGE).content.decode()
    assert _lang(html) == "zh-hans"
    for chinese in ("毗邻区", "成员", "相关机构", "退出", "都市圈"):
        assert chinese in html, chinese
    for english in ("Adjacent zones", "Members", "Institutions", "Sign out", "Skip to main content"):
        assert english not in html, f"untranslated on the Chinese page: {english}"

    response = client.post("/language/", {"language": "en", "next": ZONE_PAGE}, follow=True)
    assert response.redirect_chain and response.redirect_chain[-1][0] == ZONE_PAGE
    html = response.content.decode()
    assert _lang(html) == "en"
    for english in ("Adjacent zones", "Members", "Institutions", "Sign out", "Metropolitan area"):
        assert english in html, english
    for chinese in ("成员", "相关机构", "退出"):
        assert chinese not in html, f"Chinese UI text on the English page: {chinese}"

    # Remembered for the user, not only in this browser's cookie.
    user.refresh_from_db()
    assert user.language == "en"
    assert _lang(client_for("office_pn").get(ZONE_PAGE).content.decode()) == "en"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/metro/",
        "/zones/",
        "/jurisdictions/320111/",
        "/organisations/",
        "/me/tokens/",
        "/audit/",
        "/zones/new/",
    ],
)
def test_main_pages_show_no_english_ui_text_in_chinese(client_for, demo_user, restore_language, path):
    """The UI words every page shares are translated (the data itself may hold English names)."""
    user = demo_user("office_metro")
    type(user).objects.filter(pk=user.pk).update(language="")
    html = client_for("office_metro").get(path).content.decode()
    assert _lang(html) == "zh-hans"
    for english in (
        "Sign out",
        "Skip to main content",
        "Main navigation",
        "Export CSV",
        "Nothing to show.",
        "Search",
        "Members",
        "Name",
        "Kind",
        "Code",
    ):
        assert f">{english}<" not in html, f"{path}: untranslated {english!r}"
