"""The audit's reports: a JSON file with every figure, a self-contained HTML report (plots embedded) and
a model card in Markdown, all rendered from the same findings."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from audits._fairness import DECISIONS
from audits._plots import (
    calibration_plot,
    fairness_plot,
    ordered,
    readable,
    reliability_by_band_plot,
    reliability_plot,
)

__all__ = ["html_environment", "write_reports"]

_TEMPLATES = Path(__file__).with_name("templates")


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return "inf" if math.isinf(value) else f"{value:.4f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def _pct(value: Any) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def _interval(pair: list | None) -> str:
    return "" if not pair else f"[{_fmt(pair[0])}, {_fmt(pair[1])}]"


def _ratio_text(result: dict) -> str:
    """A highest-to-lowest ratio in words where a number would mislead (a lowest rate of 0, an open interval)."""
    if result.get("highest") is None:
        return "fewer than two groups to judge: no ratio"
    pair = f"({result['highest']} vs {result['lowest']})"
    if result.get("ratio") is None:
        return (f"no ratio {pair}: the lowest rate is 0, and a ratio to 0 has no value; the rates differ by "
                f"{_fmt(result['difference'])} {_interval(result.get('difference_ci'))}")
    ci = result.get("ratio_ci")
    if ci and math.isinf(ci[1]):
        return (f"{_fmt(result['ratio'])} [{_fmt(ci[0])}, no upper bound: in some bootstrap replicates the lowest "
                f"rate is 0] {pair}")
    return f"{_fmt(result['ratio'])} {_interval(ci)} {pair}"


_CALIBRATION_HEAD = ("<tr><th>group</th><th>rows</th><th>observed</th><th>predicted</th><th>predicted - observed</th>"
                     "<th>slope</th><th>intercept</th><th>ECE</th><th>Brier</th><th>ROC-AUC</th><th>judged</th></tr>")


def _calibration_row(label: str, c: dict, css: str = "") -> str:
    return (f"<tr{css}><td>{escape(label)}</td><td>{c.get('rows', 0)}</td><td>{_fmt(c.get('observed'))}</td>"
            f"<td>{_fmt(c.get('predicted'))}</td><td>{_fmt(c.get('calibration_in_the_large'))} "
            f"{_interval(c.get('calibration_in_the_large_ci'))}</td><td>{_fmt(c.get('calibration_slope'))}</td>"
            f"<td>{_fmt(c.get('calibration_intercept'))}</td><td>{_fmt(c.get('ece'))} {_interval(c.get('ece_ci'))}</td>"
            f"<td>{_fmt(c.get('brier'))}</td><td>{_fmt(c.get('auc'))} {_interval(c.get('auc_ci'))}</td>"
            f"<td>{'yes' if c.get('judged', True) else 'too small to judge'}</td></tr>")


def _paired_table(head: str, row, cells: dict, production: dict | None, name: str) -> Markup:
    """One row per group in natural order; with production's cells, production's row on the same rows
    beneath each (shaded, its name in the first column)."""
    rows = [f"<table>{head}"]
    for label, c in ordered(cells):
        rows.append(row(label, c))
        if production is not None and label in production:
            rows.append(row(f"\u2003{name}", production[label], ' class="production"'))
    rows.append("</table>")
    return Markup("".join(rows))


def _calibration_table(cells: dict, production: dict | None = None, name: str = "") -> Markup:
    return _paired_table(_CALIBRATION_HEAD, _calibration_row, cells, production, name)


def _fairness_row(label: str, c: dict, css: str = "") -> str:
    shares = "".join(f"<td>{_pct(c['share_' + d])}</td>" for d in DECISIONS)
    errors = "".join(f"<td>{_pct(c[m])} {_pct_interval(c.get(m + '_ci'))} (as scored {_pct(c[m + '_expected'])})</td>"
                     for m in ("false_far", "false_too_close"))
    return (f"<tr{css}><td>{escape(label)}</td>{shares}{errors}<td>{c['successes']}</td>"
            f"<td>{c['non_successes']}</td></tr>")


_FAIRNESS_HEAD = ("<tr><th>group</th>" + "".join(f"<th>{d}</th>" for d in DECISIONS)
                  + "<th>false far</th><th>false too close</th><th>successes</th><th>non-successes</th></tr>")


def _fairness_table(cells: dict, production: dict | None = None, name: str = "") -> Markup:
    """Decision shares and error rates by group (see ``_paired_table``)."""
    return _paired_table(_FAIRNESS_HEAD, _fairness_row, cells, production, name)


def _pct_interval(pair: list | None) -> str:
    return "" if not pair else f"[{100 * pair[0]:.1f}, {100 * pair[1]:.1f}]"


_BIN = re.compile(r"\[(-?[0-9.e+]+), (-?[0-9.e+]+)([)\]])")


def _bin_text(label: str | None, integer: bool) -> str:
    """A number feature's drift bin as a reader wants it: the whole numbers it holds for an integer feature
    (``[21.4, 26.8)`` -> ``22-26``), as profiled otherwise."""
    found = _BIN.fullmatch(str(label)) if integer and label is not None else None
    if not found:
        return "-" if label is None else str(label)
    low = math.ceil(float(found[1]))
    high = math.floor(float(found[2])) if found[3] == "]" else math.ceil(float(found[2])) - 1
    if low > high or low < 0:  # no whole number inside, or a negative range: the bin as profiled
        return str(label)
    return str(low) if low == high else f"{low}-{high}"


def _plots(findings: dict) -> dict[str, str]:
    """The report's figures, production's curves and bars beside the candidate's where there is production."""
    production = findings.get("production")
    names = {"candidate": findings}
    if production:
        names[production["name"]] = production
    by_band = {band: {name: f["reliability_by_band"][band] for name, f in names.items()
                      if band in f.get("reliability_by_band", {})} for band in findings["reliability_by_band"]}
    return {
        "calibration_by_band": calibration_plot(
            findings["bands"], {name: findings["band_predictions"][name] for name in names},
            {name: series for name, series in findings["band_predictions"].items() if name not in names}),
        "reliability": reliability_plot({name: f["reliability"] for name, f in names.items()}),
        "reliability_by_band": reliability_by_band_plot(by_band),
        "false_far": fairness_plot({name: f["fairness"] for name, f in names.items()}),
    }


def _environment(*, autoescape: bool) -> Environment:
    env = Environment(loader=FileSystemLoader(_TEMPLATES), autoescape=autoescape, undefined=StrictUndefined,
                      keep_trailing_newline=True)
    env.globals |= {"fmt": _fmt, "pct": _pct, "interval": _interval, "calibration_table": _calibration_table,
                    "fairness_table": _fairness_table, "bin_text": _bin_text, "readable": readable,
                    "decisions": DECISIONS, "ordered": ordered, "ratio_text": _ratio_text}
    return env


def html_environment() -> Environment:
    """The audit templates with the report's helpers, escaping HTML (the report and the comparison)."""
    return _environment(autoescape=True)


def write_reports(findings: dict, folder: Path, *, audited_at: str | None = None) -> dict[str, Path]:
    """Write ``audit.json``, ``report.html`` and ``model_card.md`` into ``folder``; return their paths.

    ``audited_at`` (the audit's moment) is shown in the report and model card but kept out of ``audit.json``,
    so that the same inputs give the same figures file.
    """
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"json": folder / "audit.json", "html": folder / "report.html", "card": folder / "model_card.md"}
    paths["json"].write_text(json.dumps(findings, indent=1, default=_json_default) + "\n", encoding="utf-8")
    # A report re-written from an older audit.json (release/_cards.py) renders without what it lacks.
    view = {"production": None, "reliability_by_band": {}} | findings | {
        "meta": {"signed_off_by": None} | findings["meta"], "audited_at": audited_at}
    context = view | {"plots": _plots(view)}
    paths["html"].write_text(html_environment().get_template("report.html.j2").render(**context), encoding="utf-8")
    card = _environment(autoescape=False).get_template("model_card.md.j2").render(**view)
    paths["card"].write_text(card, encoding="utf-8")
    return paths


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON-serialisable: {type(value)}")
