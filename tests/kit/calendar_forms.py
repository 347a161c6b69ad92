"""What a browser posts from the schedule page (/calendar/<year>/), and an invented 2027 schedule.

ASSUMED_2027 is made up for the tests (the State Council's 2027 notice is not in the package): New Year's
Day Friday 1 Jan off; Spring Festival weekdays 5 and 8–12 Feb off; Saturday 20 Feb worked."""

from __future__ import annotations

import datetime as dt

D = dt.date
ASSUMED_2027: list[tuple[dt.date, str, str]] = [
    (D(2027, 1, 1), "holiday", "元旦"),
    (D(2027, 2, 5), "holiday", "春节"),
    *[(D(2027, 2, day), "holiday", "春节") for day in range(8, 13)],
    (D(2027, 2, 20), "workday", "春节调休上班"),
]


def form_data(
    rows: list[tuple[dt.date | str, str, str]],
    *,
    basis: str = "国办发明电〔2026〕99号（测试）",
    complete: bool = True,
    version: int = 0,
    published_on: str = "",
    extra_blank_rows: int = 2,
) -> dict[str, str]:
    data = {
        "basis": basis,
        "published_on": published_on,
        "version": str(version),
        "days-TOTAL_FORMS": str(len(rows) + extra_blank_rows),
        "days-INITIAL_FORMS": "0",
        "days-MIN_NUM_FORMS": "0",
        "days-MAX_NUM_FORMS": "366",
    }
    if complete:
        data["complete"] = "on"
    for index, (day, kind, note) in enumerate(rows):
        data[f"days-{index}-day"] = day.isoformat() if isinstance(day, dt.date) else day
        data[f"days-{index}-kind"] = kind
        data[f"days-{index}-note"] = note
    for index in range(len(rows), len(rows) + extra_blank_rows):
        data[f"days-{index}-day"] = ""
        data[f"days-{index}-kind"] = "holiday"
        data[f"days-{index}-note"] = ""
    return data
