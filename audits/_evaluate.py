"""The audit's figures and verdicts for one candidate's probabilities on a test set, without any store.

``audit_version`` feeds it a registered version; the gates benchmark feeds it the simulator's truth and
deliberately faulty probabilities on the same rows, so that what is measured is exactly what releases.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from audits._calibration import calibration_audit
from audits._comparison import auc_loss, disparity_changes
from audits._fairness import decision_labels, fairness_audit
from audits._gates import Gates
from audits._groups import audit_groups
from audits._quality import data_drift, version_changes
from audits._verdicts import evaluate_gates
from models import REGISTRATION_BANDS, REGISTRATION_TIME, FeatureSpec, reliability_curve

__all__ = ["Scored", "evaluate_candidate", "version_figures"]

_BANDS = [label for label, _, _ in REGISTRATION_BANDS]
log = logging.getLogger("avstand.audit")


@dataclass(frozen=True)
class Scored:
    """One model's probabilities and policy decisions on the test rows, and its training data profile."""

    probability: np.ndarray
    outcome: np.ndarray
    level: np.ndarray
    profile: dict | None = None
    name: str = "candidate"
    # Months -> probabilities at the curve's other horizons (``probability_<m>_months``), where the model has them.
    horizons: dict[int, np.ndarray] = field(default_factory=dict)

    @property
    def decision(self) -> np.ndarray:
        return decision_labels(self.outcome, self.level)


def evaluate_candidate(*, test_set: pd.DataFrame, candidate: Scored, production: Scored | None, spec: FeatureSpec,
                       gates: Gates, comparators: dict[str, np.ndarray] | None = None,
                       explanations: dict | None = None) -> dict:
    """Calibration, fairness, drift and version changes of ``candidate`` on ``test_set``, and the gates.

    Parameters
    ----------
    test_set : pandas.DataFrame
        Training's out-of-time test set: raw records with ``label``, ``weight`` and ``person_id``.
    candidate, production : Scored
        The candidate and, when a version is in production, production on the same rows.
    comparators : dict, optional
        Other probabilities to show beside the candidate's in the calibration-by-band figure.
    explanations : dict, optional
        ``{"difference": ..., "rows": ...}``: the candidate's contributions against LightGBM's on the test set.
    """
    y, w = test_set["label"].to_numpy(), test_set["weight"].to_numpy()
    person = test_set["person_id"].to_numpy()
    p = candidate.probability
    groups = audit_groups(test_set, spec=spec, intersections=gates.intersections)
    boot = {"n_boot": gates.bootstrap.replicates, "seed": gates.bootstrap.seed}
    step = _Steps(f"{len(groups.columns)} groupings ({', '.join(groups.columns)}), {boot['n_boot']} bootstrap "
                  f"replicates of {len(np.unique(person)):,} persons")
    calibration = calibration_audit(y=y, p=p, w=w, person=person, groups=groups, min_rows=gates.min_rows_per_group,
                                    **boot)
    # Every band is reported, those without test rows too (as not judged, with their zero counts).
    present = calibration["groups"][REGISTRATION_TIME]
    calibration["groups"][REGISTRATION_TIME] = {
        b: present.get(b, {"rows": 0, "successes": 0, "judged": False}) for b in _BANDS}
    step.done("calibration overall, by registration time and by group")
    fairness = fairness_audit(y=y, p=p, decision=candidate.decision, w=w, person=person, groups=groups,
                              min_outcomes=gates.min_outcomes_per_group, min_expected_errors=gates.min_expected_errors,
                              keep_draws=production is not None, **boot)
    step.done("fairness of the decisions by group")
    band_predictions = {"candidate": _band_means(p, w, groups)}
    for name, values in (comparators or {}).items():
        band_predictions[name] = _band_means(values, w, groups)
    comparison, drift, changes, beside = None, None, None, None
    if production is not None:
        band_predictions[production.name] = _band_means(production.probability, w, groups)
        prod_fairness = fairness_audit(y=y, p=production.probability, decision=production.decision, w=w,
                                       person=person, groups=groups, min_outcomes=gates.min_outcomes_per_group,
                                       min_expected_errors=gates.min_expected_errors, keep_draws=True, **boot)
        comparison = {"auc_loss": auc_loss(y=y, p_candidate=p, p_production=production.probability, w=w,
                                           person=person, **boot),
                      "disparity_changes": disparity_changes(fairness, prod_fairness)}
        _drop_draws(fairness)
        _drop_draws(prod_fairness)
        beside = version_figures(production, test_set=test_set, groups=groups, gates=gates, fairness=prod_fairness)
        step.done(f"{production.name}: its calibration and fairness on the same rows, the paired AUC and excess")
        if candidate.profile is not None and production.profile is not None:
            drift = _with_integer_flags(data_drift(candidate.profile, production.profile), spec)
        changes = version_changes(candidate_decision=candidate.decision, production_decision=production.decision,
                                  candidate_p=p, production_p=production.probability)
    horizons = _horizons(test_set, candidate, person=person, groups=groups[[REGISTRATION_TIME]], gates=gates)
    step.done(f"the curve's other horizons ({', '.join(horizons) or 'none'})")
    results = evaluate_gates(gates, calibration=calibration, fairness=fairness, drift=drift, production=comparison,
                             horizons=horizons, explanations=explanations)
    failed = [r["gate"] for r in results if r["verdict"] == "fail"]
    step.done(f"{len(results)} gates: {len(failed)} failed")
    return {
        "verdict": "fail" if failed else "pass", "failed_gates": failed,
        "not_judged_gates": [r["gate"] for r in results if r["verdict"] == "not_judged"],
        "gates": results,
        "bands": {"overall": calibration["overall"]} | calibration["groups"][REGISTRATION_TIME],
        "band_predictions": band_predictions, "reliability": _reliability(y, p, w),
        "reliability_by_band": _reliability_by_band(y, p, w, groups),
        "calibration": calibration, "fairness": fairness, "comparison": comparison, "drift": drift,
        "changes": changes, "group_columns": list(groups.columns), "horizons": horizons,
        "production": beside,
    }


class _Steps:
    """The audit's staged progress lines: what each step did and how long it took."""

    def __init__(self, what: str) -> None:
        log.info("audit: %s", what)
        self.started = self.last = time.perf_counter()

    def done(self, what: str) -> None:
        now = time.perf_counter()
        log.info("audit: %s (%.0f s; %.0f s in all)", what, now - self.last, now - self.started)
        self.last = now


def version_figures(scored: Scored, *, test_set: pd.DataFrame, groups: pd.DataFrame, gates: Gates,
                    fairness: dict | None = None) -> dict:
    """A version's figures on ``test_set``: calibration overall, by band and by group, fairness (``fairness``
    when already computed on these rows), the reliability curves; what the report shows of production beside
    the candidate, and what ``avstand compare`` shows of each version."""
    y, w, person = test_set["label"].to_numpy(), test_set["weight"].to_numpy(), test_set["person_id"].to_numpy()
    p, n_boot, seed = scored.probability, gates.bootstrap.replicates, gates.bootstrap.seed
    calibration = calibration_audit(y=y, p=p, w=w, person=person, groups=groups, min_rows=gates.min_rows_per_group,
                                    n_boot=n_boot, seed=seed)
    if fairness is None:
        fairness = fairness_audit(y=y, p=p, decision=scored.decision, w=w, person=person, groups=groups,
                                  min_outcomes=gates.min_outcomes_per_group,
                                  min_expected_errors=gates.min_expected_errors, n_boot=n_boot, seed=seed)
    present = calibration["groups"][REGISTRATION_TIME]
    return {"name": scored.name, "calibration": calibration, "fairness": fairness,
            "bands": {"overall": calibration["overall"]} | {b: present[b] for b in _BANDS if b in present},
            "reliability": _reliability(y, p, w), "reliability_by_band": _reliability_by_band(y, p, w, groups)}


def _reliability(y, p, w) -> dict[str, list[float]]:
    predicted, observed = reliability_curve(y, p, w)
    return {"predicted": predicted.tolist(), "observed": observed.tolist()}


def _reliability_by_band(y, p, w, groups: pd.DataFrame) -> dict[str, dict[str, list[float]]]:
    """The reliability curve within each registration-time band that has rows with a known outcome."""
    band = groups[REGISTRATION_TIME].to_numpy()
    return {b: _reliability(y[band == b], p[band == b], w[band == b]) for b in _BANDS
            if (w[band == b] > 0).any()}


def _with_integer_flags(drift: dict, spec: FeatureSpec) -> dict:
    """Mark the drift of integer features, whose bins the report names by the whole numbers they hold."""
    for name, cells in drift.items():
        feature = spec.features.get(name)
        cells["integer"] = bool(feature is not None and feature.integer)
    return drift


def _horizons(test_set: pd.DataFrame, candidate: Scored, *, person: np.ndarray, groups: pd.DataFrame,
              gates: Gates) -> dict[str, dict]:
    """The curve's calibration by band at each horizon whose windows are over in the test set (its
    ``label_<m>_months`` and ``weight_<m>_months``); the others say why they are not judged."""
    out: dict[str, dict] = {}
    for months, p in sorted(candidate.horizons.items()):
        label, weight = f"label_{months}_months", f"weight_{months}_months"
        if label not in test_set:
            out[f"{months} months"] = {"judged": False, "why": f"the test set's {months}-month windows are not over"}
            continue
        found = calibration_audit(y=test_set[label].to_numpy(), p=p, w=test_set[weight].to_numpy(), person=person,
                                  groups=groups, min_rows=gates.min_rows_per_group, n_boot=gates.bootstrap.replicates,
                                  seed=gates.bootstrap.seed)
        present = found["groups"][REGISTRATION_TIME]
        out[f"{months} months"] = {"judged": True, "overall": found["overall"], "bands": {
            b: present.get(b, {"rows": 0, "successes": 0, "judged": False}) for b in _BANDS}}
    return out


def _drop_draws(fairness: dict) -> None:
    for result in fairness.values():
        for metric in ("false_far", "false_too_close"):
            result[metric].pop("paired", None)


def _band_means(p: np.ndarray, w: np.ndarray, groups: pd.DataFrame) -> dict[str, float]:
    band = groups[REGISTRATION_TIME].to_numpy()
    return {b: float(np.average(p[band == b], weights=w[band == b])) for b in _BANDS if (w[band == b] > 0).any()}
