"""The program's one write to the environment, at the start of a run, and its refusal of a wrong setting."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from avstand._common import TELEMETRY_OFF, export_for_libraries
from avstand.cli import main
from models import Settings

ROOT = Path(__file__).resolve().parents[2]


def _avstand(*args: str, cwd: Path, **settings: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "avstand", *args], capture_output=True, text=True, cwd=cwd,
                          env=os.environ | settings, timeout=300, check=False)


def test_importing_the_program_writes_nothing_to_the_environment(tmp_path):
    clean = {"PATH": os.environ["PATH"], "PYTHONPATH": os.pathsep.join(sys.path)}
    code = ("import json, os; before = dict(os.environ); import avstand._common, avstand.cli; "
            "print(json.dumps([before, dict(os.environ)]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=clean,
                          timeout=300, check=True)
    before, after = json.loads(done.stdout)
    # scikit-learn sets its OpenMP switches (KMP_*) when imported; of the variables this project reads or
    # writes, none is written.
    ours = set(TELEMETRY_OFF) | set(Settings.variables().values())
    assert {k: v for k, v in after.items() if k in ours} == {k: v for k, v in before.items() if k in ours} == {}
    assert set(after) - set(before) <= {"KMP_DUPLICATE_LIB_OK", "KMP_INIT_AT_FORK"}


def test_the_libraries_are_told_telemetry_off_and_the_model_store():
    environ = {"BENTOML_DO_NOT_TRACK": "false", "OTHER": "kept"}
    export_for_libraries(Settings(bentoml_home=Path("/srv/bentoml")), environ)
    assert environ == {"OTHER": "kept", **TELEMETRY_OFF, "BENTOML_HOME": "/srv/bentoml"}


def test_main_writes_them_once_a_run_starts(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for name in TELEMETRY_OFF:
        monkeypatch.setenv(name, "false")  # restored after the test, like BENTOML_HOME below
    monkeypatch.delenv("BENTOML_HOME", raising=False)
    monkeypatch.setenv("AVSTAND_DATABASE_URL", f"sqlite:///{tmp_path / 'keys.db'}")
    assert main(["keys", "list"]) == 0
    assert os.environ["BENTOML_HOME"] == str(tmp_path / "bentoml-store")
    assert {name: os.environ[name] for name in TELEMETRY_OFF} == TELEMETRY_OFF


@pytest.mark.parametrize("command", ["versions", "serve"])
def test_a_wrong_setting_stops_any_command_with_exit_2_in_one_line(tmp_path, command):
    done = _avstand(command, cwd=tmp_path, AVSTAND_WORKERS="0")
    assert done.returncode == 2
    assert done.stderr == f"avstand {command}: AVSTAND_WORKERS='0': a whole number of processes, at least 1\n"


def test_serve_refuses_a_burst_below_a_full_batch_with_exit_2(tmp_path):
    done = _avstand("serve", cwd=tmp_path, AVSTAND_CLIENT_BURST="10")
    assert done.returncode == 2
    assert done.stderr == "avstand serve: not starting: AVSTAND_CLIENT_BURST='10': at least 1000 (a full batch)\n"
