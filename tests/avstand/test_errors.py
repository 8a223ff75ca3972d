"""One error tree, one exit-code map: every package's errors grow on ``models.AvstandError``, and ``avstand``
turns any of them into one line and its branch's exit code in one place; Ctrl-C is 130."""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys

import pytest
from mlflow.tracking import MlflowClient
from support import free_port, main_in_process

from models import AvstandError, CheckFailedError, InputError, UnavailableError

PACKAGES = ("models", "register", "training", "audits", "release", "serving")
# Every error a package exports and the branch it belongs to: a new error must be placed here on purpose.
BRANCHES = {
    "BundleError": CheckFailedError, "PolicyError": InputError, "RecordError": InputError, "SpecError": InputError,
    "SettingsError": InputError,
    "ExtractError": InputError, "ReadError": InputError,
    "ConfigError": InputError, "TrainingDataError": InputError,
    "AuditError": InputError, "GatesError": InputError,
    "ReleaseError": InputError,
    "ApiKeyError": InputError, "LimitsError": InputError, "NoProductionModelError": InputError,
    "ArchiveCheckError": CheckFailedError, "LogUnavailableError": UnavailableError,
    "LogPartlyWrittenError": UnavailableError,
}
# Code (ours and the tests') catches these as the built-in errors they were before the tree.
BUILT_IN = {"LogUnavailableError": RuntimeError, "LogPartlyWrittenError": RuntimeError,
            "NoProductionModelError": RuntimeError,
            "ArchiveCheckError": RuntimeError}


def _public_errors() -> dict[str, type]:
    found = {}
    for package in PACKAGES:
        module = importlib.import_module(package)
        for name in module.__all__:
            value = getattr(module, name)
            if isinstance(value, type) and issubclass(value, BaseException) and value.__module__ != "models._errors":
                found[name] = value
    return found


def test_every_public_error_of_every_package_is_an_avstand_error_on_its_branch():
    errors = _public_errors()
    assert set(errors) == set(BRANCHES)
    for name, error in errors.items():
        (branch,) = [b for b in (InputError, UnavailableError, CheckFailedError) if issubclass(error, b)]
        assert branch is BRANCHES[name], name
        assert issubclass(error, BUILT_IN.get(name, ValueError)), name
        assert error.exit_code == {InputError: 2, UnavailableError: 2, CheckFailedError: 1}[branch]


def test_an_error_says_its_message_and_hint_and_keeps_its_branch_when_reworded():
    from register import ReadError

    error = InputError("out.csv exists", hint="pass --overwrite to replace it")
    assert str(error) == "out.csv exists; pass --overwrite to replace it" and error.message == "out.csv exists"
    assert str(InputError("plain")) == "plain"
    for original, branch in [(ReadError("x.csv: no such file"), InputError),
                             (UnavailableError("the log cannot be read"), UnavailableError),
                             (CheckFailedError("digest differs"), CheckFailedError),
                             (AvstandError("the base itself"), AvstandError)]:
        reworded = original.reworded(f"not starting: {original}")
        assert type(reworded) is branch and str(reworded) == f"not starting: {original}"
        assert reworded.exit_code == original.exit_code


@pytest.mark.parametrize(("args", "said"), [
    (["synth", "--persons", "0"], "avstand synth: --persons must be at least 1\n"),
    (["synth", "--out", "x.xlsx"], "avstand synth: --out x.xlsx: expected a .csv or .parquet file name\n"),
    (["score", "--input", "in.csv", "--output", "out.txt"],
     "avstand score: --output out.txt: expected a .csv or .parquet file name\n"),
    (["log", "export", "--from", "2026-06-30", "--to", "2026-06-01", "--output", "x.csv"],
     "avstand log: --from 2026-06-30 is after --to 2026-06-01\n"),
])
def test_bad_input_is_one_line_naming_the_command_and_exit_2(tmp_path, monkeypatch, capsys, args, said):
    monkeypatch.chdir(tmp_path)
    assert main_in_process(*args) == 2
    assert capsys.readouterr().err == said
    assert list(tmp_path.iterdir()) == []


def test_an_input_error_raised_deep_down_is_said_by_main(tmp_path, monkeypatch, capsys):
    # The spec's SpecError comes from models, through validate, which no longer catches it.
    spec = tmp_path / "spec.yaml"
    spec.write_text("features: {x: {type: number}}", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main_in_process("validate", "--data", "absent.csv", "--spec", spec) == 2
    (line, *more) = capsys.readouterr().err.splitlines()
    assert line.startswith("avstand validate: ") and "feature spec" in line and "Traceback" not in "".join(more)


def test_a_hint_follows_the_message(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "taken.csv").write_text("mine\n")
    assert main_in_process("synth", "--persons", 10, "--out", "taken.csv") == 2
    assert capsys.readouterr().err == "avstand synth: taken.csv exists; pass --overwrite to replace it\n"
    assert (tmp_path / "taken.csv").read_text() == "mine\n"


def test_a_failed_check_exits_1(production_store, tmp_path):
    # `avstand serve` refusing: production's MLflow version is not in the tracking store it is pointed at (a
    # real, empty one). A process, not main() in this one: BentoML fixes its model store at first use, and
    # serve that wrongly passed its checks would replace the process with BentoML (stopped below, then).
    uri = f"sqlite:///{tmp_path / 'other-mlflow.db'}"
    MlflowClient(tracking_uri=uri).search_registered_models()  # creates the store's tables
    env = production_store["env"] | {"MLFLOW_TRACKING_URI": uri, "AVSTAND_DATABASE_URL": f"sqlite:///{tmp_path}/l.db"}
    process = subprocess.Popen([sys.executable, "-m", "avstand", "serve", "--port", str(free_port())], cwd=tmp_path,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        _, said = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    assert process.returncode == 1, said
    assert said.startswith(f"avstand serve: not starting: {production_store['tag']} is MLflow version 1, which ")
    assert said.endswith("does not hold\n") and said.count("\n") == 1


def test_ctrl_c_says_interrupted_and_exits_130(tmp_path):
    # A real `avstand synth` of 2 million persons, interrupted once it says it is simulating (seconds of work
    # left): the way a user at a terminal does it.
    out = tmp_path / "big.parquet"
    process = subprocess.Popen([sys.executable, "-m", "avstand", "synth", "--persons", "2000000", "--out", str(out)],
                               cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = process.stderr.readline()
        assert "simulating 2000000 persons" in first, first
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130, stderr
    assert stderr == "avstand: interrupted\n" and stdout == ""
    assert not out.exists()
