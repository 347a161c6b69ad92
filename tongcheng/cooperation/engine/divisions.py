"""Which GB/T 2260 administrative division codes existed in which year, without Django.

Two sources, read as files (the engine imports neither Django nor the core app):

* the national list shipped with python-stdnum (``stdnum/cn/loc.dat``, from the Wikipedia tables of
  中华人民共和国行政区划代码, with the years each code was in use, e.g. 320103 白下区 1983–2013);
* the registry's own list of the metropolitan area (``tongcheng/core/data/jurisdictions.csv``), with
  validity dates, which is newer for the codes it holds.

A code counts as real in a year if either source has it in use in that year. ``000000`` (the central
treasury) is not a GB/T 2260 code and is handled by the caller.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path

_RANGE = re.compile(r"^\[(\d{4})?-(\d{4})?\]")
REGISTRY_CSV = Path(__file__).resolve().parents[2] / "core" / "data" / "jurisdictions.csv"
Years = list[tuple[int, int]]  # inclusive ranges


@cache
def _table() -> dict[str, Years]:
    years: dict[str, Years] = {}
    try:
        import stdnum.cn

        loc = Path(stdnum.cn.__file__).resolve().parent / "loc.dat"
        province = ""
        for line in loc.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            if not line.startswith(" "):
                province = line.split()[0]
                continue
            part, _, value = line.strip().partition(" ")
            code = province + part
            names = value.partition("=")[2].strip('"')
            for name in names.split(","):
                m = _RANGE.match(name)
                start = int(m.group(1)) if m and m.group(1) else 0
                end = int(m.group(2)) if m and m.group(2) else 9999
                years.setdefault(code, []).append((start, end))
    except (ImportError, OSError):  # pragma: no cover - stdnum is a dependency
        pass
    if REGISTRY_CSV.exists():
        with REGISTRY_CSV.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                code = (row.get("code") or "").strip()
                if len(code) != 6:
                    continue
                start = int((row.get("valid_from") or "0000")[:4] or 0)
                end = int((row.get("valid_to") or "9999")[:4] or 9999)
                years.setdefault(code, []).append((start, end))
    return years


def in_use(code: str, year: int) -> bool:
    return any(a <= year <= b for a, b in _table().get(code, ()))


def known(code: str) -> bool:
    return code in _table()
