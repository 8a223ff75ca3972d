"""The monitoring report: a self-contained HTML page (plots embedded, no scripts, no fonts or links to the
network, a page that prints) rendered from the content of ``monitor.json``.

The page is a function of the result alone: the same result gives the same bytes (no clock is read, the plots
carry no metadata), so a report can be rebuilt from its JSON and compared with the one filed.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from models import REGISTRATION_BANDS
from monitoring._plots import MAX_FEATURES, input_shares, override_rates, realised_by_band

__all__ = ["render_html", "write_html"]

_TEMPLATES = Path(__file__).with_name("templates")
BANDS: tuple[str, ...] = tuple(label for label, _, _ in REGISTRATION_BANDS)
# The order of the groupings in the tables: the whole, time registered, the audit groups, the decided level.
GROUPINGS = ("overall", "registration_time", "sex", "age", "birth_region", "disability", "level")
UNLINKED = {"no_person_ref": "without a person reference", "no_person": "without a matching person",
            "no_open_spell": "without an open spell on the assessment date",
            "ambiguous": "ambiguous (more than one open spell)"}
FARED = ("closer", "further", "other")


def _fmt(value: Any) -> str:
    """A figure for a table: 4 decimals below 10, "-" when missing."""
    if value is None:
        return "-"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return "inf" if math.isinf(value) else f"{value:.4f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def _pct(value: Any) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{100 * value:.1f} %"


def _count(value: Any) -> str:
    return "-" if value is None else f"{value:,}" if isinstance(value, int) else str(value)


def _interval(pair: Any, as_pct: bool = False) -> str:
    """``[low, high]``, or "" when there is no interval."""
    if not pair or all(v is None for v in pair):
        return ""
    show = _pct if as_pct else _fmt
    return f"[{show(pair[0])}, {show(pair[1])}]"


def _status(value: Any) -> str:
    """The CSS class of a status: ``ok``, ``alarm``, ``not_judged``."""
    return "not_judged" if value is None else str(value).replace(" ", "_")


def _rank(value: Any, order: Iterable[str]) -> tuple[int, str]:
    """Sort key: known labels in their given order, then unknown ones in text order."""
    order = list(order)
    text = "" if value is None else str(value)
    return (order.index(text), "") if text in order else (len(order), text)


def _group_key(row: dict) -> tuple:
    """Grouping, group (bands by time registered), then "all" before the months in time order."""
    grouping = row.get("grouping")
    groups = BANDS if grouping == "registration_time" else ("all",)
    month = str(row.get("assessed_month", "all"))
    return _rank(grouping, GROUPINGS), _rank(row.get("group"), groups), month != "all", month


def _features(inputs: list[dict]) -> list[str]:
    """The features of the input rows: those with an alarm first, then in order of first appearance."""
    seen: list[str] = []
    alarmed: set[str] = set()
    for row in inputs:
        for name, cell in (row.get("features") or {}).items():
            if name not in seen:
                seen.append(name)
            if (cell or {}).get("status") == "alarm":
                alarmed.add(name)
    return sorted(seen, key=lambda name: (name not in alarmed, seen.index(name)))


def _flagged(row: dict, status: str) -> list[str]:
    return [name for name, cell in (row.get("features") or {}).items() if (cell or {}).get("status") == status]


def _rows(rows: Any, keys: str) -> list[dict]:
    """``rows`` with every key the template reads present (``None`` when the result leaves it out)."""
    return [dict.fromkeys(keys.split()) | dict(row) for row in rows or []]


def _context(result: dict) -> dict[str, Any]:
    """What the template reads: the result with every optional part defaulted and the rows in their order."""
    overrides = result.get("overrides") or {}
    inputs = sorted(result.get("inputs") or [], key=lambda r: (str(r.get("day")), str(r.get("client"))))
    realised = sorted(result.get("realised") or [], key=_group_key)
    early = sorted(result.get("early_exits") or [], key=lambda r: (r.get("days") or 0, *_group_key(r)))
    rates = sorted(overrides.get("rates") or [], key=_group_key)
    errors = sorted(result.get("errors") or [], key=_group_key)
    features = _features(inputs)
    linking = dict(result.get("linking") or {})
    unlinked = dict(linking.get("unlinked") or {})
    # Every reason the result gives, the known ones in their order, so no assessment is dropped silently.
    reasons = [(UNLINKED.get(k, k.replace("_", " ")), v) for k, v in sorted(unlinked.items(),
                                                                            key=lambda kv: _rank(kv[0], UNLINKED))]
    cell = "grouping group assessed_month status interval"
    return {
        "version": result.get("version"), "generated_at": result.get("generated_at"),
        "extract": _rows([result.get("extract") or {}], "path as_of rows")[0],
        "period": _rows([result.get("period") or {}], "from to")[0],
        "production": _rows([result.get("production") or {}], "model_version tag run_id")[0],
        "healthy": result.get("healthy"),
        "alarms": _rows(result.get("alarms"), "check detail action figure threshold evidence"),
        "checks": _rows(result.get("checks"), "check status rule rationale cells alarms"),
        "linking": _rows([linking], "assessments linked in_period")[0], "unlinked": reasons,
        "realised": _rows(realised, f"{cell} n pending censored predicted observed"),
        "early": _rows(early, f"days {cell} n pending censored predicted observed"),
        "errors": _rows(errors, "grouping group false_far false_far_interval false_too_close "
                                "false_too_close_interval successes failures"),
        "rates": _rows(rates, f"{cell} decisions overrides rate"),
        "fared": _rows(sorted(overrides.get("fared") or [], key=lambda r: _rank(r.get("direction"), FARED)),
                       "direction n predicted observed interval"),
        "inputs": [row | {"alarmed": _flagged(row, "alarm"), "unjudged": _flagged(row, "not judged")}
                   for row in _rows(inputs, "day client n mean_probability reference_mean_probability features")],
        "feed": [row | {"alarmed": _flagged(row, "alarm"), "differ": sum(int(f.get("differ") or 0)
                                                                         for f in (row["features"] or {}).values())}
                 for row in _rows(sorted(result.get("feed") or [], key=lambda r: (str(r.get("day")),
                                                                                  str(r.get("client")))),
                                  "day client n features")],
        "features": features, "plotted": features[:MAX_FEATURES],
        "thresholds": json.dumps(result.get("thresholds") or {}, indent=1, sort_keys=True, default=str),
        "plots": {"realised": realised_by_band(realised, BANDS),
                  "inputs": input_shares(inputs, features),
                  "overrides": override_rates(rates)},
    }


@functools.cache
def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(_TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      keep_trailing_newline=True)
    env.globals |= {"fmt": _fmt, "pct": _pct, "count": _count, "interval": _interval, "status": _status}
    return env


def render_html(result: dict) -> str:
    """Render the monitoring report of ``result`` as one self-contained HTML page.

    Parameters
    ----------
    result : dict
        The content of ``monitor.json`` (schema version 1). Any list may be empty and any figure ``None``
        (shown as "-").

    Returns
    -------
    str
        The page: plots embedded as base64 PNG, no scripts and no references to the network. The same result
        gives the same text.
    """
    return _environment().get_template("monitor.html.j2").render(**_context(result))


def write_html(result: dict, path: Path) -> None:
    """Write the monitoring report of ``result`` to ``path`` (UTF-8), making its folder when missing.

    Parameters
    ----------
    result : dict
        The content of ``monitor.json``; see :func:`render_html`.
    path : pathlib.Path
        The file to write, for example ``reports/monitor/monitor.html``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(result), encoding="utf-8")
