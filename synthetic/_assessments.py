"""Simulated assessments and caseworker decisions, as the assessment log holds them: what the monitoring
proofs and benchmarks judge, with the truth of every person known.

A "model" here is the simulator's own truth in a world it believes in (``believed``): the perfect model of
that world, or one blind to time registered. The register the assessments are later linked to may be
simulated in another world (a downturn the model did not foresee).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

import numpy as np
import pandas as pd

from models import HORIZON_DAYS, FeatureSpec, Policy, load_policy, load_spec
from synthetic._faults import feed_error
from synthetic._params import SimulationParams
from synthetic._truth import true_curve

__all__ = ["simulate_assessments", "simulate_decisions"]

_LADDER = ("too_close", "A", "B", "C", "in_depth_support")


def simulate_assessments(extract: pd.DataFrame, *, days: Sequence[dt.date], per_day: int, seed: int,
                         believed: SimulationParams | None = None, blind: bool = False, client: str = "batch",
                         feed_error_in: str | None = None, feed_error_on: Sequence[dt.date] = (),
                         spec: FeatureSpec | None = None, policy: Policy | None = None) -> pd.DataFrame:
    """``per_day`` persons of the stock on each of ``days`` (drawn without replacement), assessed that day.

    Parameters
    ----------
    extract : pandas.DataFrame
        A simulated extract taken on or after the last day (``seen_on`` gives the stock as then known).
    believed : SimulationParams, optional
        The world the model's chances come from (default: the default world).
    blind : bool
        A model blind to time registered: the chance of a person just registered, rescaled so that the
        day's mean is right (calibrated overall, too high for the long-registered, too low for the new).
    feed_error_in : str, optional
        A feature that a faulty feed gets wrong for 14 % of the records on the days ``feed_error_on``
        (``synthetic.feed_error``); the model then scores the wrong values, as it would.

    Returns
    -------
    pandas.DataFrame
        One row per assessment, as ``serving.read_assessments`` returns the log.
    """
    spec, policy = spec or load_spec(), policy or load_policy()
    believed = believed or SimulationParams()
    rng = np.random.default_rng(seed)
    parts = []
    for day in days:
        stamp = pd.Timestamp(day)
        stock = extract.loc[(extract["registered_on"] <= stamp)
                            & (extract["exited_on"].isna() | (extract["exited_on"] >= stamp))]
        chosen = stock.iloc[np.sort(rng.choice(len(stock), size=min(per_day, len(stock)), replace=False))]
        records = chosen.assign(assessed_on=stamp)
        if feed_error_in and day in feed_error_on:
            records = feed_error(records, column=feed_error_in, since=records["registered_on"].min().date(),
                                 seed=int(rng.integers(2**31)))
        parts.append(_assessed(records, believed, blind, spec, policy, client, rng))
    return pd.concat(parts, ignore_index=True)


def _assessed(records: pd.DataFrame, believed: SimulationParams, blind: bool, spec: FeatureSpec, policy: Policy,
              client: str, rng: np.random.Generator) -> pd.DataFrame:
    curve = _curve(records, believed)
    if blind:
        fresh = _curve(records.assign(registered_on=records["assessed_on"]), believed)
        curve = np.clip(fresh * curve[:, -1].mean() / fresh[:, -1].mean(), 0, 1)
    p = curve[:, -1]
    days = (records["assessed_on"] - records["registered_on"]).dt.days.to_numpy()
    outcome, level = policy.decide(p, days)
    out = pd.DataFrame({"id": [str(uuid.UUID(bytes=rng.bytes(16), version=4)) for _ in range(len(records))],
                        "created_at": records["assessed_on"].to_numpy(), "client": client, "model_version": "1",
                        "policy_version": str(policy.version), "days_registered": days, "probability": p,
                        "outcome": outcome, "level": level, "person_ref": records["person_id"].to_numpy(dtype=object),
                        "curve": np.round(curve, 4).tolist()})
    for name in spec.model_features:
        kind = spec.features[name].type
        column = records[name]
        out[name] = (column.astype(object).to_numpy() if kind == "category"
                     else column.astype(bool if kind == "boolean" else float).to_numpy())
    out["registered_on"] = records["registered_on"].dt.strftime("%Y-%m-%d").to_numpy()
    out["assessed_on"] = records["assessed_on"].dt.strftime("%Y-%m-%d").to_numpy()
    return out


def _curve(records: pd.DataFrame, believed: SimulationParams) -> np.ndarray:
    """The truth's curve to the policy's 180 days, month by month (the log's curve goes on to 360 days; the
    monitoring of early exits reads its first three months, and 180 days cost half the time)."""
    horizons = tuple(range(30, HORIZON_DAYS + 1, 30))
    found = true_curve(records, params=believed, horizons=horizons)
    return np.column_stack([found[h] for h in horizons])


def simulate_decisions(assessments: pd.DataFrame, *, rate: float, seed: int, only: tuple[str, str] | None = None,
                       only_rate: float | None = None) -> pd.DataFrame:
    """A caseworker decision on every assessment: an override (one step up or down the ladder of
    recommendations) with chance ``rate``, else a follow. With ``only`` = (feature, value), members of that
    group are overridden with chance ``only_rate`` and everyone else with ``rate``."""
    rng = np.random.default_rng(seed)
    chance = np.full(len(assessments), rate)
    if only is not None:
        chance[(assessments[only[0]].astype(str) == only[1]).to_numpy()] = only_rate
    override = rng.random(len(assessments)) < chance
    was = np.where(assessments["level"].isna(), assessments["outcome"], assessments["level"])
    rank = np.array([_LADDER.index(v) for v in was])
    step = np.where(rng.random(len(assessments)) < 0.5, -1, 1)
    step = np.where((rank + step < 0) | (rank + step >= len(_LADDER)), -step, step)
    final = np.array(_LADDER, dtype=object)[np.where(override, rank + step, rank)]
    suitable = np.isin(final, ("A", "B", "C"))
    level = np.full(len(final), None, dtype=object)
    level[suitable] = final[suitable]
    outcome = np.where(suitable, "suitable", final)
    return pd.DataFrame({"assessment_id": assessments["id"].to_numpy(),
                         "created_at": assessments["created_at"].to_numpy(),
                         "client": assessments["client"].to_numpy(), "caseworker": "cw",
                         "decision": np.where(override, "override", "follow"), "final_outcome": outcome,
                         "final_level": level})
