"""Write docs/error-codes.md from the registry of error codes (tongcheng/kit/error_codes.py and each app's
registrations). tests/kit/test_error_codes.py fails when the page differs from what this writes.

Usage: python tools/error_codes_doc.py"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongcheng.settings")
    import django

    django.setup()
    from tongcheng.kit.error_codes import markdown

    target = ROOT / "docs" / "error-codes.md"
    target.write_text(markdown(), encoding="utf-8")
    print(f"wrote {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
