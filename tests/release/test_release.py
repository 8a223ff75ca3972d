"""Promotion, rollback and the version list against a real MLflow store and a real BentoML model store,
through the program as an operator runs it: every move recorded, refused versions stay out, a promotion
re-audits when production changed since the audit."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import mlflow
import pytest
from mlflow.tracking import MlflowClient
from support import (
    avstand_in_process,
    fit_flawed_candidate,
    quick_gates,
    quick_training,
    register_flawed_candidate,
    run_avstand,
    trained_store_in,
)


@pytest.fixture(scope="module")
def store(tmp_path_factory, monkeypatch_module):
    """A store of its own (30,000 persons: what is proven here is how versions move, which does not depend on
    size; a gate refuses the blind candidate by far at any size), trained as the first version, with a
    BentoML store of its own, a faster gates file (40 replicates: the rules are the same) and version 2, a
    second registration of version 1's bundle."""
    folder = tmp_path_factory.mktemp("release")
    trained_store = trained_store_in(folder, persons=30_000)
    shutil.copy(trained_store["folder"] / "mlflow.db", folder / "mlflow.db")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    quick_gates(folder)
    # MLflow's registry resolves a version's source through the process's tracking store.
    monkeypatch_module.setenv("MLFLOW_TRACKING_URI", uri)
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(uri)
    first = client.get_model_version("avstand", "1")
    client.create_model_version("avstand", first.source, run_id=first.run_id)
    env = trained_store["env"] | {"MLFLOW_TRACKING_URI": uri, "BENTOML_HOME": str(folder / "bentoml"),
                                  "AVSTAND_USER": "release-manager"}
    return {"folder": folder, "client": client, "env": env, "data": trained_store["folder"] / "register.parquet"}


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def avstand(store, *args):
    return run_avstand(*args, "--gates", store["folder"] / "quick-gates.yaml", "--reports", store["folder"] / "reports",
                       cwd=store["folder"], env=store["env"]) if args[0] == "promote" else \
        run_avstand(*args, cwd=store["folder"], env=store["env"]) if args[0] != "versions" else \
        avstand_in_process(*args, cwd=store["folder"], env=store["env"])  # no BentoML store: in process


def production(store) -> int | None:
    try:
        return int(store["client"].get_model_version_by_alias("avstand", "production").version)
    except Exception:
        return None


def exported(store) -> str:
    return (Path(store["env"]["BENTOML_HOME"]) / "models" / "avstand" / "latest").read_text(encoding="utf-8")


def history(store) -> list[dict]:
    tags = store["client"].get_registered_model("avstand").tags
    return [json.loads(v) for k, v in sorted(tags.items()) if k.startswith("production.move.")]


@pytest.fixture(scope="module")
def moves(store):
    """promote 1 (never audited: audited first) -> promote 2 (audited against 1) -> rollback to 1."""
    results = [avstand(store, "promote", "--version", 1), avstand(store, "promote", "--version", 2),
               avstand(store, "rollback", "--reason", "complaints from the field")]
    return results


def test_promote_audits_a_version_first_and_records_the_move(store, moves):
    first, second, _ = moves
    assert first.returncode == 0, first.stdout + first.stderr
    assert "audited again before promotion (it was never audited)" in first.stderr
    assert "production: version 1 (was no version)" in first.stdout
    assert second.returncode == 0, second.stdout + second.stderr
    assert "production is version 1 now" in second.stderr or "never audited" in second.stderr
    assert "production: version 2 (was version 1)" in second.stdout
    assert [(m["action"], m["from_version"], m["to_version"], m["user"]) for m in history(store)][:2] == [
        ("promote", None, 1, "release-manager"), ("promote", 1, 2, "release-manager")]


def test_rollback_returns_to_the_previous_version_and_exports_it(store, moves):
    rolled = moves[2]
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert production(store) == 1 and exported(store) == "v1"
    move = history(store)[2]
    assert (move["action"], move["from_version"], move["to_version"], move["reason"]) == (
        "rollback", 2, 1, "complaints from the field")
    left = store["client"].get_model_version("avstand", "2").tags
    back = store["client"].get_model_version("avstand", "1").tags
    assert left["release.status"] == "rolled_back" and "complaints from the field" in left["release.rolled_back"]
    assert "complaints from the field" in back["release.restored_by_rollback"]
    card = (store["folder"] / "reports" / "1" / "model_card.md").read_text(encoding="utf-8")
    assert "## Production history" in card and "rollback: version 2 -> version 1 by release-manager" in card


def test_versions_lists_status_data_and_figures_and_the_history(store, moves):
    listed = avstand(store, "versions")
    assert listed.returncode == 0, listed.stderr
    lines = {line.split()[0]: line for line in listed.stdout.splitlines() if line.strip()[:1].isdigit()}
    assert "production" in lines["1"] and "released before, rolled back" in lines["2"]
    assert "2026-06-30" in lines["1"] and "0.7" in lines["1"]  # as-of date and an AUC
    assert "rollback: version 2 -> version 1 by release-manager: complaints from the field" in listed.stdout


def test_promotion_skips_the_audit_when_production_is_unchanged_and_repeats_it_when_not(store, moves):
    # Version 2 was audited against version 1, which is production again: its audit stands.
    again = avstand(store, "promote", "--version", 2)
    assert again.returncode == 0 and "audited again" not in again.stderr, again.stderr
    # Version 1 was audited against no production; production is now version 2: audited again.
    back = avstand(store, "promote", "--version", 1)
    assert back.returncode == 0 and "production is version 2 now, the audit compared it with none" in back.stderr
    assert production(store) == 1


def test_rollback_and_promote_refuse_what_makes_no_sense(store, moves):
    for args, fragment in [(("promote", "--version", 99), "not registered"),
                           (("rollback", "--to", 1, "--reason", "x"), "already production"),
                           (("rollback", "--reason", " "), "needs a reason")]:
        result = avstand(store, *args)
        assert result.returncode == 2 and fragment in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr


def test_promoting_the_production_version_exports_it_again(store, moves):
    # The way back after an export that failed once the alias had moved.
    latest = Path(store["env"]["BENTOML_HOME"]) / "models" / "avstand" / "latest"
    latest.write_text("v2", encoding="utf-8")  # as if the export of version 1 had not happened
    again = avstand(store, "promote", "--version", 1)
    assert again.returncode == 0 and "version 1 is already production" in again.stdout, again.stdout + again.stderr
    assert exported(store) == "v1" and history(store)[-1]["to_version"] == 1


def test_a_version_never_released_cannot_be_rolled_back_to(store, moves):
    client = store["client"]
    first = client.get_model_version("avstand", "1")
    never = client.create_model_version("avstand", first.source, run_id=first.run_id).version
    result = avstand(store, "rollback", "--to", never, "--reason", "x")
    assert result.returncode == 2 and "was never released" in result.stderr
    assert production(store) == 1


def test_a_refused_version_is_promoted_only_with_a_recorded_override(store, moves):
    blind = fit_flawed_candidate(store["data"], blind=True, config=quick_training(store["folder"]))
    version = register_flawed_candidate(store["client"], blind, store["folder"])
    refused = avstand(store, "promote", "--version", version)
    assert refused.returncode == 1 and "not released: failed gates" in refused.stdout, refused.stdout
    assert production(store) == 1
    assert store["client"].get_model_version("avstand", str(version)).tags["release.status"] == "refused"
    assert f"{version}  refused (calibration" in avstand(store, "versions").stdout
    forced = avstand(store, "promote", "--version", version, "--override-gate", "pilot in one county, approved")
    assert forced.returncode == 0 and "override recorded" in forced.stdout, forced.stdout + forced.stderr
    tags = store["client"].get_model_version("avstand", str(version)).tags
    assert tags["release.status"] == "overridden" and tags["release.override_user"] == "release-manager"
    assert history(store)[-1]["action"] == "override" and exported(store) == f"v{version}"
    card = (store["folder"] / "reports" / str(version) / "model_card.md").read_text(encoding="utf-8")
    assert "Released despite failed gates" in card and "pilot in one county, approved" in card
    back = avstand(store, "rollback", "--to", 1, "--reason", "pilot over")
    assert back.returncode == 0 and production(store) == 1
    # A rollback is not a promotion: the next rollback returns to what version 1 replaced when it was last
    # promoted (version 2), not to the version just rolled back from.
    again = avstand(store, "rollback", "--reason", "back to the version before")
    assert again.returncode == 0 and production(store) == 2, again.stdout + again.stderr
    assert avstand(store, "promote", "--version", 1).returncode == 0 and production(store) == 1
