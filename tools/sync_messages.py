"""Bring the zh_Hans catalogues in line with the code without disturbing how they are split into files.

`makemessages` writes one django.po per locale folder; Tongcheng keeps some folders' messages in several
.po files (tools/compile_messages.py merges them). This runs makemessages on a copy of the tree, then, per
folder: msgids no longer in the code are removed from whichever file holds them, and new msgids are added
(untranslated, so tests/test_i18n.py names them until someone translates them) to the folder's django.po.

Usage: python tools/sync_messages.py   (needs GNU gettext, as makemessages does)"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "tongcheng"
LANGUAGE = "zh_Hans"


def _key(entry: polib.POEntry) -> tuple[str | None, str]:
    return entry.msgctxt, entry.msgid


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "tongcheng"
        shutil.copytree(SOURCE, copy, ignore=shutil.ignore_patterns("*.po", "*.mo", "__pycache__"))
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        code = (
            "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'tongcheng.settings'); "
            "django.setup(); from django.test import override_settings; "
            "from django.core.management import call_command; from pathlib import Path; "
            f"p = Path({str(copy)!r}); os.chdir(p); "
            "override_settings(LOCALE_PATHS=[p / 'locale']).enable(); "
            f"call_command('makemessages', locale=[{LANGUAGE!r}], verbosity=0, no_obsolete=True)"
        )
        subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT)
        for generated in sorted(copy.rglob(f"locale/{LANGUAGE}/LC_MESSAGES/django.po")):
            folder = SOURCE / generated.parent.relative_to(copy)
            folder.mkdir(parents=True, exist_ok=True)
            in_code = {_key(e): e for e in polib.pofile(str(generated)) if not e.obsolete}
            held: set[tuple[str | None, str]] = set()
            for po_path in sorted(folder.glob("*.po")):
                po = polib.pofile(str(po_path))
                stale = [e for e in po if _key(e) not in in_code]
                for entry in stale:
                    po.remove(entry)
                held |= {_key(e) for e in po}
                if stale:
                    print(f"{po_path.relative_to(ROOT)}: removed {len(stale)} stale msgids")
                    po.save()
            target = folder / "django.po"
            po = polib.pofile(str(target)) if target.exists() else polib.POFile()
            added = [e for k, e in in_code.items() if k not in held]
            for entry in added:
                entry.msgstr = ""
                entry.flags = [f for f in entry.flags if f != "fuzzy"]
                po.append(entry)
            if added:
                po.save(str(target))
                print(f"{target.relative_to(ROOT)}: added {len(added)} msgids to translate")
    return 0


if __name__ == "__main__":
    sys.exit(main())
