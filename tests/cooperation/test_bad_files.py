"""The corpus of bad settlement inputs (issue 9, point 1): each file makes ``tongcheng settle`` exit 2 with
its located message, and nothing is written (a previous result folder stays byte for byte as it was).

The files and the expected messages are in tests/cooperation/bad_files/ (made by make_corpus.py there)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tongcheng.cooperation.cli import main

CORPUS = Path(__file__).resolve().parent / "bad_files"
GOOD = CORPUS / "good"
CASES = json.loads((CORPUS / "expectations.json").read_text(encoding="utf-8"))


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _args(tmp: Path, replace: dict[str, Path] | None = None) -> list[str]:
    inputs = {
        "--receipts": GOOD / "receipts.csv",
        "--agreements": GOOD / "agreements.json",
        **(replace or {}),
    }
    args = ["settle", "--periods", "2026-01..2026-03", "--out", str(tmp / "out")]
    for option, path in inputs.items():
        args += [option, str(path)]
    return args


def test_the_corpus_has_at_least_40_cases_each_with_its_file():
    assert len(CASES) >= 40
    assert len({c["case"] for c in CASES}) == len(CASES)
    for c in CASES:
        assert (CORPUS / c["file"]).is_file(), c["file"]


def test_the_good_inputs_settle(tmp_path, capsys):
    assert main(_args(tmp_path)) == 0, capsys.readouterr().err
    assert (tmp_path / "out" / "summary.json").is_file()


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_given_a_bad_file_when_settled_then_exit_2_with_the_located_message_and_nothing_written(
    tmp_path, capsys, case
):
    assert main(_args(tmp_path)) == 0  # a previous run's results
    before = _snapshot(tmp_path / "out")
    capsys.readouterr()
    bad = tmp_path / case["file"]
    shutil.copyfile(CORPUS / case["file"], bad)
    code = main(_args(tmp_path, {case["option"]: bad}))
    err = capsys.readouterr().err
    assert code == 2, err
    lines = [line for line in err.splitlines() if case["expect"] in line]
    assert lines, f"expected {case['expect']!r} in:\n{err}"
    assert all(line.startswith(str(bad)) for line in lines), lines  # the message names the file
    assert "Traceback" not in err
    assert _snapshot(tmp_path / "out") == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_given_out_pointing_at_a_file_when_settled_then_exit_2_and_the_file_is_untouched(tmp_path, capsys):
    target = tmp_path / "results.csv"
    target.write_text("mine\n", encoding="utf-8")
    args = _args(tmp_path)
    args[args.index("--out") + 1] = str(target)
    assert main(args) == 2
    assert f"--out: {target} is a file" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == "mine\n"


def test_given_out_pointing_at_a_folder_of_other_files_when_settled_then_refused_and_kept(tmp_path, capsys):
    """A run replaces the result folder as a whole, so it must never take over a folder of other files."""
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me", encoding="utf-8")
    assert main(_args(tmp_path)) == 2
    assert "holds files that are not settlement results (notes.txt)" in capsys.readouterr().err
    assert _snapshot(folder) == {"notes.txt": b"keep me"}


def test_given_full_width_digits_when_settled_then_they_are_read_as_the_digits_they_are(tmp_path, capsys):
    """Full-width forms (全角) are mapped to ASCII, documented; the result equals the ASCII file's."""
    text = (GOOD / "receipts.csv").read_text(encoding="utf-8")
    wide = (
        text.replace("1000001", "１０００００１")
        .replace("2026-02", "２０２６－０２")
        .replace("320111", "３２０１１１")
    )
    (tmp_path / "wide.csv").write_text(wide, encoding="utf-8")
    assert main(_args(tmp_path)) == 0
    ascii_result = _snapshot(tmp_path / "out")
    shutil.rmtree(tmp_path / "out")
    assert main(_args(tmp_path, {"--receipts": tmp_path / "wide.csv"})) == 0, capsys.readouterr().err
    wide_result = _snapshot(tmp_path / "out")
    summary = json.loads(wide_result.pop("summary.json"))
    assert summary["totals"] == json.loads(ascii_result.pop("summary.json"))["totals"]
    assert wide_result == ascii_result
