"""Compile the gettext catalogues without system gettext: every .po file of a LC_MESSAGES folder is merged
into that folder's django.mo (so an app may keep its messages in several .po files)."""

from __future__ import annotations

import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent


def compile_all(root: Path = ROOT / "tongcheng") -> list[Path]:
    written = []
    for folder in sorted({p.parent for p in root.rglob("LC_MESSAGES/*.po")}):
        merged = polib.POFile()
        merged.metadata = {
            "Content-Type": "text/plain; charset=UTF-8",
            "Plural-Forms": "nplurals=1; plural=0;",
        }
        seen: dict[tuple[str, str | None], str] = {}
        for po_path in sorted(folder.glob("*.po")):
            for entry in polib.pofile(str(po_path)):
                if entry.obsolete or "fuzzy" in entry.flags or not (entry.msgstr or entry.msgstr_plural):
                    continue
                key = (entry.msgid, entry.msgctxt)
                if key in seen:
                    continue
                seen[key] = po_path.name
                merged.append(entry)
        target = folder / "django.mo"
        merged.save_as_mofile(str(target))
        written.append(target)
    return written


if __name__ == "__main__":
    for path in compile_all():
        print(f"compiled {path.relative_to(ROOT)}", file=sys.stderr)
