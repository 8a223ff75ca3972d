"""``monitor``: both loops over the assessment log, against the production version and a later extract."""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from models import FeatureSpec, InputError, write_atomically
from monitoring._alarms import alarms_and_checks
from monitoring._early import early_exits
from monitoring._feed import feed_agreement
from monitoring._inputs import InputReference, input_cells
from monitoring._linking import LINK_REASONS, link_assessments
from monitoring._overrides import decided, override_figures
from monitoring._production import production_version
from monitoring._realised import realised_calibration, realised_errors
from monitoring._thresholds import Thresholds, load_thresholds
from register import load_extract
from serving import AssessmentLog, read_assessments, read_decisions

__all__ = ["Monitored", "evaluate", "monitor"]

log = logging.getLogger("avstand.monitor")


@dataclass(frozen=True)
class Monitored:
    """A monitoring run's figures (``monitor.json``) and where they were written."""

    result: dict[str, Any]
    folder: Path

    @property
    def healthy(self) -> bool:
        return not self.result["alarms"]


def monitor(*, data: Path, as_of: dt.date | None = None, since: dt.date | None = None, until: dt.date | None = None,
            output: Path | None = None, thresholds: Thresholds | None = None,
            assessment_log: AssessmentLog | None = None, record: bool = True, delimiter: str = ",") -> Monitored:
    """Judge the assessments made between ``since`` and ``until`` (assessment days, inclusive; default all).

    The fast loop compares their inputs with the production version's test set per day and client; the slow
    loop links them to ``data``, a register extract taken on ``as_of`` (default: its latest date), and
    compares each closed window's outcome with the chance given. Writes ``monitor.json`` and
    ``monitor.html`` into ``output`` and, with ``record``, an MLflow run linked to the production version.

    Raises
    ------
    models.InputError
        For a period that ends before it starts, an unusable extract or monitoring file, or no production version.
    serving.LogUnavailableError
        When the log cannot be read.
    """
    if since and until and since > until:
        raise InputError(f"--from {since} is after --to {until}")
    started = time.perf_counter()
    thresholds = thresholds or load_thresholds()
    production = production_version()
    spec = production.scorer.spec
    _step(started, "production: version %d (run %s), test set of %s rows", production.version, production.run_id,
          f"{len(production.test_set):,}")
    extract = load_extract(data, spec=spec, as_of=as_of, delimiter=delimiter)
    _step(started, "extract %s as of %s: %s spells", data, extract.as_of, f"{len(extract.frame):,}")
    owned = assessment_log is None
    assessment_log = assessment_log or AssessmentLog()
    try:
        logged, decisions = read_assessments(assessment_log), read_decisions(assessment_log)
    finally:
        if owned:
            assessment_log.close()
    assessments = _in_period(logged, since, until)
    if assessments.empty:
        # Not "healthy": a log that stopped filling must not stay green. Exit 2, as for a wrong period.
        span = f" from {since or 'the start'} to {until or 'the end'}" if since or until else ""
        raise InputError(f"the assessment log holds no assessments{span} ({len(logged):,} in all): nothing to "
                         f"monitor", hint="check the period, and that the service and `avstand score` log to "
                         "AVSTAND_DATABASE_URL")
    _step(started, "log: %s assessments in the period (%s in the log), %s decisions", f"{len(assessments):,}",
          f"{len(logged):,}", f"{len(decisions):,}")
    reference = InputReference.from_test_set(production.test_set, spec=spec, policy=production.scorer.policy)
    result = evaluate(assessments=assessments, decisions=decisions, extract=extract.frame, as_of=extract.as_of,
                      spec=spec, reference=reference, thresholds=thresholds)
    result |= {"version": 1, "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
               "extract": {"path": str(data), "as_of": extract.as_of.isoformat(), "rows": len(extract.frame)},
               "period": {"from": since.isoformat() if since else None, "to": until.isoformat() if until else None},
               "production": {"model_version": str(production.version), "run_id": production.run_id},
               "thresholds": thresholds.model_dump()}
    result["healthy"] = not result["alarms"]
    folder = output or Path("reports") / f"monitor-{extract.as_of.isoformat()}"
    _write(result, folder)
    if record:
        from monitoring._record import record_run
        result["mlflow_run_id"] = record_run(result, folder)
    _step(started, "%s: %d alarms; reports in %s", "HEALTHY" if result["healthy"] else "ALARM",
          len(result["alarms"]), folder)
    return Monitored(result=result, folder=folder)


def evaluate(*, assessments: pd.DataFrame, decisions: pd.DataFrame, extract: pd.DataFrame, as_of: dt.date,
             spec: FeatureSpec, reference: InputReference, thresholds: Thresholds) -> dict[str, Any]:
    """Every figure and alarm of a monitoring run, from tables already read.

    Parameters
    ----------
    assessments, decisions : pandas.DataFrame
        As ``serving.read_assessments`` and ``serving.read_decisions`` return them.
    extract : pandas.DataFrame
        A typed register extract taken on ``as_of``.
    spec : FeatureSpec
        The production version's feature spec.
    reference : InputReference
        The production version's test set, summarised.

    Returns
    -------
    dict
        ``alarms``, ``checks``, ``linking``, ``early_exits``, ``realised``, ``errors``, ``overrides``,
        ``inputs`` and ``feed`` as in ``monitor.json``.
    """
    started = time.perf_counter()
    assessments = assessments.reset_index(drop=True)  # linking aligns on the index
    sizes = assessments.groupby(["assessed_on", "client"]).size() if len(assessments) else pd.Series(dtype=int)
    cells = int((sizes >= thresholds.inputs.min_records).sum()) * len(spec.model_features)
    inputs = input_cells(assessments, reference, spec=spec, rule=thresholds.inputs, cells_judged=cells)
    _step(started, "inputs: %d days x clients, %d cells judged", len(inputs), cells)
    linked = link_assessments(assessments, extract, as_of=as_of, features=spec.model_features)
    counts = linked["link"].value_counts()
    linking = {"assessments": len(linked), "linked": int(counts.get("linked", 0)),
               "closed": int((linked["window"] == "closed").sum()),
               "pending": int((linked["window"] == "pending").sum()),
               "unlinked": {reason: int(counts.get(reason, 0)) for reason in LINK_REASONS},
               "by_client": {str(client): {"assessments": len(rows), "linked": int((rows == "linked").sum())}
                             for client, rows in linked.groupby("client")["link"]}}
    _step(started, "linked %s of %s assessments (%s closed windows, %s pending)", f"{linking['linked']:,}",
          f"{len(linked):,}", f"{linking['closed']:,}", f"{linking['pending']:,}")
    feed = feed_agreement(linked, spec=spec, rule=thresholds.feed)
    early = early_exits(linked, as_of=as_of, spec=spec, rule=thresholds.early_exits)
    realised = realised_calibration(linked, spec=spec, rule=thresholds.realised_calibration)
    errors = realised_errors(linked, spec=spec, confidence=thresholds.realised_calibration.confidence)
    overrides = override_figures(decided(linked, decisions), spec=spec, rule=thresholds.overrides)
    _step(started, "early exits: %d cells; realised: %d cells; overrides: %d rates", len(early), len(realised),
          len(overrides["rates"]))
    alarms, checks = alarms_and_checks(inputs=inputs, feed=feed, early=early, realised=realised, overrides=overrides,
                                       thresholds=thresholds)
    return {"alarms": alarms, "checks": checks, "linking": linking, "early_exits": early, "realised": realised,
            "errors": errors, "overrides": overrides, "inputs": inputs, "feed": feed}


def _in_period(logged: pd.DataFrame, since: dt.date | None, until: dt.date | None) -> pd.DataFrame:
    if logged.empty:
        return logged
    day = logged["assessed_on"].astype(str)
    keep = pd.Series(True, index=logged.index)
    if since:
        keep &= day >= since.isoformat()
    if until:
        keep &= day <= until.isoformat()
    return logged.loc[keep].reset_index(drop=True)


def _write(result: dict[str, Any], folder: Path) -> None:
    from monitoring._report import write_html
    text = json.dumps(_finite(result), indent=1, ensure_ascii=False, allow_nan=False)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        data = (text + "\n").encode("utf-8")
        write_atomically(folder / "monitor.json", lambda handle: handle.write(data))
        write_html(_finite(result), folder / "monitor.html")
    except OSError as exc:
        raise InputError(f"--output {folder}: cannot write the reports ({exc.strerror or exc})") from exc


def _finite(value: Any) -> Any:
    """NaN and infinities as null: JSON has no such numbers, and other tools read this file."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _step(started: float, message: str, *args: Any) -> None:
    log.info(message + " (%.1f s)", *args, time.perf_counter() - started)
