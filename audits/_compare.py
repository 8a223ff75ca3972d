"""``compare``: two registered versions on the same test rows, side by side: who changes level, in which
groups, how much the far-placed sets overlap, and each version's calibration and fairness figures.

Both versions are scored on the test set of the later-trained one (the later test period; versions are
numbered as they were registered, not by their data): its test period lies after both versions' training
data, so neither is judged on rows it learnt from.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from audits._audit import AuditError, audit_inputs
from audits._evaluate import version_figures
from audits._fairness import DECISIONS
from audits._gates import load_gates
from audits._groups import audit_groups
from audits._plots import calibration_plot, fairness_plot, ordered, reliability_plot
from audits._quality import version_changes
from audits._report import html_environment
from models.registry import REGISTERED_MODEL_NAME, tracking_uri

__all__ = ["compare_versions"]

log = logging.getLogger("avstand.audit")

_RANK = {d: i for i, d in enumerate(DECISIONS)}  # too close (0) ... in-depth support (4): further from work


def compare_versions(*, first: int, second: int, gates_path: str | Path | None = None,
                     reports_root: str | Path = "reports") -> dict[str, Any]:
    """Compare two registered versions; write ``compare.json`` and ``compare.html`` into
    ``reports_root/compare-<first>-<second>``; return the comparison.

    Intervals use the gates file's bootstrap (replicates and seed), so a figure here equals the audit's.
    """
    if first == second:
        raise AuditError(f"compare two different versions, not version {first} with itself")
    started = time.perf_counter()
    gates = load_gates(gates_path)
    later, earlier = _by_test_period(first, second)
    inputs = audit_inputs(version=later, against=earlier, explain=False)
    if inputs.production is None:
        raise AuditError(f"version {earlier} could not be scored")
    scored = {later: dataclasses.replace(inputs.candidate, name=f"version {later}"),
              earlier: dataclasses.replace(inputs.production, name=f"version {earlier}")}
    a, b = scored[first], scored[second]
    test_set = inputs.test_set
    groups = audit_groups(test_set, spec=inputs.scorer.spec, intersections=gates.intersections)
    changes = version_changes(candidate_decision=a.decision, production_decision=b.decision,
                              candidate_p=a.probability, production_p=b.probability)
    figures = {s.name: version_figures(s, test_set=test_set, groups=groups, gates=gates) for s in (a, b)}
    log.info("versions %s and %s on %d test rows of version %s: calibration and fairness by %d groupings (%.0f s)",
             first, second, len(test_set), later, len(groups.columns), time.perf_counter() - started)
    result = {
        "meta": {"versions": [first, second], "names": [a.name, b.name], "test_set_of": later,
                 "test_rows": len(test_set), "test_start": inputs.run.data.tags.get("period.test_start"),
                 "test_last": inputs.run.data.tags.get("period.test_last"), "gates_sha256": gates.digest(),
                 "replicates": gates.bootstrap.replicates},
        "changes": changes,
        "transitions": _transitions(b.decision, a.decision),
        "jaccard": _jaccard(a.decision, b.decision) | {"C or in-depth": changes["far_jaccard"]},
        "changers_by_level": _changers(b.decision, a.decision, pd.Series(b.decision, dtype=object)),
        "changers_by_group": {column: _changers(b.decision, a.decision, groups[column]) for column in groups},
        "figures": figures,
    }
    folder = Path(reports_root) / f"compare-{first}-{second}"
    _write(result, folder)
    log.info("comparison of versions %s and %s in %s (%.0f s)", first, second, folder, time.perf_counter() - started)
    return result


def _by_test_period(first: int, second: int) -> tuple[int, int]:
    """(later, earlier): the version whose test period starts later first (the one trained on later data),
    the higher number when both start together. A version that is not registered is an ``AuditError``."""
    client = MlflowClient(tracking_uri=tracking_uri())
    starts = {}
    for version in (first, second):
        try:
            run_id = client.get_model_version(REGISTERED_MODEL_NAME, str(version)).run_id
            starts[version] = client.get_run(run_id).data.tags.get("period.test_start", "") if run_id else ""
        except MlflowException as exc:
            raise AuditError(f"{REGISTERED_MODEL_NAME} version {version} is not registered in "
                             f"{tracking_uri()}") from exc
    later = max((first, second), key=lambda v: (starts[v], v))
    return later, second if later == first else first


def _transitions(before: np.ndarray, after: np.ndarray) -> dict[str, dict[str, int]]:
    """Rows by the second version's decision (``before``) and the first's (``after``)."""
    return {d: {e: int(np.sum((before == d) & (after == e))) for e in DECISIONS} for d in DECISIONS}


def _jaccard(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """Overlap (intersection over union) of the two versions' sets per decision (both empty: 1)."""
    out = {}
    for d in DECISIONS:
        x, y = a == d, b == d
        union = int(np.sum(x | y))
        out[d] = float(np.sum(x & y) / union) if union else 1.0
    return out


def _changers(before: np.ndarray, after: np.ndarray, group: pd.Series) -> dict[str, dict[str, Any]]:
    """Per group: rows, and the shares whose decision changes, moves further from work, or closer."""
    rank_before = np.array([_RANK[d] for d in before])
    rank_after = np.array([_RANK[d] for d in after])
    out = {}
    labels = group.astype(str).to_numpy()
    for label in sorted(set(labels)):
        inside = labels == label
        n = int(inside.sum())
        out[label] = {"rows": n, "changed": float(np.mean(before[inside] != after[inside])),
                      "further": float(np.mean(rank_after[inside] > rank_before[inside])),
                      "closer": float(np.mean(rank_after[inside] < rank_before[inside]))}
    return dict(ordered(out))


def _write(result: dict, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "compare.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    figures = result["figures"]
    names = result["meta"]["names"]
    plots = {
        "calibration_by_band": calibration_plot(figures[names[0]]["bands"], {
            n: {b: c["predicted"] for b, c in figures[n]["bands"].items() if b != "overall" and "predicted" in c}
            for n in names}),
        "reliability": reliability_plot({n: figures[n]["reliability"] for n in names}),
        "false_far": fairness_plot({n: figures[n]["fairness"] for n in names}),
    }
    html = html_environment().get_template("compare.html.j2").render(**result, plots=plots)
    (folder / "compare.html").write_text(html, encoding="utf-8")
