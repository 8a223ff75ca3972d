"""The ``avstand`` program as a user runs it, through its entry point: real files, exit codes 0 / 2."""

from __future__ import annotations

import json
import os
import subprocess

import pandas as pd
import pytest
from support import avstand_in_process


def avstand(*args: str, cwd=None) -> subprocess.CompletedProcess:
    # A wide terminal, so that argparse does not wrap "default: ..." across lines. In process: the program is
    # the same, without the seconds of imports (tests/avstand/test_errors.py runs it as a process).
    return avstand_in_process(*args, cwd=cwd or os.getcwd(), env=os.environ | {"COLUMNS": "200"})


def test_help_explains_every_option_with_its_default():
    top = avstand("--help")
    assert top.returncode == 0 and "synth" in top.stdout and "validate" in top.stdout
    synth = avstand("synth", "--help").stdout
    for option, default in [("--persons", "200000"), ("--seed", "20260630"), ("--as-of", "2026-06-30"),
                            ("--out", "data/register.parquet")]:
        assert option in synth and f"default: {default}" in synth
    validate = avstand("validate", "--help").stdout
    assert "--as-of" in validate and "latest date in the file" in validate and "overlapping_spells" in validate


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    out = folder / "register.csv"
    result = avstand("synth", "--persons", 3000, "--seed", 4, "--out", out)
    assert result.returncode == 0, result.stderr
    return out


def test_synth_writes_the_extract_and_its_parameters(made):
    meta = json.loads(made.with_name("register.csv.synth.json").read_text(encoding="utf-8"))
    assert meta["seed"] == 4 and meta["persons"] == 3000 and meta["as_of"] == "2026-06-30"
    assert meta["spells"] == len(pd.read_csv(made))
    assert "frailty_shape" in meta["params"]


def test_synth_never_overwrites_silently(made):
    before = made.read_bytes()
    result = avstand("synth", "--persons", 10, "--out", made)
    assert result.returncode == 2 and "--overwrite" in result.stderr
    assert made.read_bytes() == before


@pytest.mark.parametrize(("args", "fragment"), [
    (["--as-of", "30/06/2026"], "not a date written YYYY-MM-DD"),
    (["--persons", "0"], "at least 1"),
    (["--out", "x.xlsx"], ".csv or .parquet"),
])
def test_synth_bad_usage_exits_2(tmp_path, args, fragment):
    result = avstand("synth", *args, cwd=tmp_path)
    assert result.returncode == 2 and fragment in result.stderr


def test_validate_clean_extract_prints_its_summary(made):
    result = avstand("validate", "--data", made, "--as-of", "2026-06-30")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "clean" in result.stdout and "registered 12 months or more" in result.stdout
    assert "by birth_region" in result.stdout


def test_validate_says_when_it_infers_the_as_of_date(made):
    result = avstand("validate", "--data", made)
    assert result.returncode == 0
    assert "no --as-of given: using the latest date in the file" in result.stderr


def test_validate_lists_every_problem_and_exits_2(made, tmp_path):
    frame = pd.read_csv(made, dtype=str, keep_default_na=False)
    frame.loc[4, "age"] = "150"
    frame.loc[9, "birth_region"] = "mars"
    frame.loc[12, "registered_on"] = "2020-02-31"
    bad = tmp_path / "bad.csv"
    frame.to_csv(bad, index=False)
    problems = tmp_path / "problems.csv"
    result = avstand("validate", "--data", bad, "--as-of", "2026-06-30", "--problems", problems)
    assert result.returncode == 2
    assert "3 problems" in result.stdout
    assert "row 5, column age: '150'" in result.stdout and "out_of_range" in result.stdout
    assert "row 10, column birth_region: 'mars'" in result.stdout
    assert "row 13, column registered_on: '2020-02-31'" in result.stdout
    listed = pd.read_csv(problems)
    assert list(listed["row"]) == [5, 10, 13]
    assert set(listed["rule"]) == {"out_of_range", "unknown_category", "bad_date"}


def test_validate_with_another_spec(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text("features:\n  region_code: {type: category, values: [n, s], audit: true,\n"
                    "                label: {sv: Region, en: Region}}\n", encoding="utf-8")
    data = tmp_path / "other.csv"
    data.write_text("person_id,registered_on,exited_on,exit_reason,region_code\n"
                    "a,2024-01-01,2024-03-01,work,n\nb,2024-02-01,,,s\n", encoding="utf-8")
    result = avstand("validate", "--data", data, "--spec", spec, "--as-of", "2024-12-31")
    assert result.returncode == 0, result.stdout + result.stderr
    default = avstand("validate", "--data", data)
    assert default.returncode == 2 and "unknown_column" in default.stdout and "missing_column" in default.stdout


@pytest.mark.parametrize(("setup", "fragment"), [
    ("missing", "no such file"),
    ("badspec", "feature spec"),
])
def test_validate_unusable_input_exits_2(made, tmp_path, setup, fragment):
    if setup == "missing":
        result = avstand("validate", "--data", tmp_path / "absent.csv")
    else:
        spec = tmp_path / "spec.yaml"
        spec.write_text("features: {x: {type: number}}", encoding="utf-8")
        result = avstand("validate", "--data", made, "--spec", spec)
    assert result.returncode == 2 and fragment in result.stderr


@pytest.mark.parametrize("written", ["2026-W01-1", "20260630", "2026-6-30", "30/06/2026"])
def test_a_date_not_written_yyyy_mm_dd_is_refused(made, written):
    result = avstand("validate", "--data", made, "--as-of", written)
    assert result.returncode == 2 and f"{written!r} is not a date written YYYY-MM-DD" in result.stderr


def test_validate_reads_a_semicolon_separated_file_when_told(made, tmp_path):
    semicolons = tmp_path / "excel.csv"
    semicolons.write_text(made.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")
    refused = avstand("validate", "--data", semicolons)
    assert refused.returncode == 2 and "read it with --delimiter ';'" in refused.stderr
    assert "missing_column" not in refused.stdout + refused.stderr
    read = avstand("validate", "--data", semicolons, "--delimiter", ";")
    assert read.returncode == 0 and ": clean (" in read.stdout, read.stdout + read.stderr
    assert avstand("validate", "--data", semicolons, "--delimiter", "|").returncode == 2
