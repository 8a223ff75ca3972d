"""The audit's reports: a JSON file with every figure, a self-contained HTML report (plots embedded) and
a model card in Markdown, all rendered from the same findings."""

from __future__ import annotations

import base64
import io
import json
import math
import re
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no screen

import matplotlib.pyplot as plt
import numpy as np
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from audits._fairness import DECISIONS

__all__ = ["write_reports"]

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


def _label_key(label: str) -> tuple:
    # Groups read in their natural order: the whole test set first, bands by their lower bound (0-3 months
    # before 3-6 months, 16-24 before 25-34), then words; an intersection by its parts in turn.
    if label == "overall":
        return ((-1, 0, label),)
    parts = []
    for part in str(label).split(" & "):
        number = re.match(r"\d+", part)
        parts.append((0, int(number.group()), part) if number else (1, 0, part))
    return tuple(parts)


def _ordered(cells: dict) -> list[tuple[str, Any]]:
    """The items of a table's groups in their natural order (see ``_label_key``)."""
    return sorted(cells.items(), key=lambda item: _label_key(item[0]))


def _calibration_table(cells: dict) -> Markup:
    rows = ["<table><tr><th>group</th><th>rows</th><th>observed</th><th>predicted</th><th>predicted - observed</th>"
            "<th>slope</th><th>intercept</th><th>ECE</th><th>Brier</th><th>ROC-AUC</th><th>judged</th></tr>"]
    for label, c in _ordered(cells):
        rows.append(
            f"<tr><td>{label}</td><td>{c.get('rows', 0)}</td><td>{_fmt(c.get('observed'))}</td>"
            f"<td>{_fmt(c.get('predicted'))}</td><td>{_fmt(c.get('calibration_in_the_large'))} "
            f"{_interval(c.get('calibration_in_the_large_ci'))}</td><td>{_fmt(c.get('calibration_slope'))}</td>"
            f"<td>{_fmt(c.get('calibration_intercept'))}</td><td>{_fmt(c.get('ece'))} {_interval(c.get('ece_ci'))}</td>"
            f"<td>{_fmt(c.get('brier'))}</td><td>{_fmt(c.get('auc'))} {_interval(c.get('auc_ci'))}</td>"
            f"<td>{'yes' if c.get('judged', True) else 'too small to judge'}</td></tr>")
    rows.append("</table>")
    return Markup("".join(rows))


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _plots(findings: dict) -> dict[str, str]:
    bands = [b for b in findings["bands"] if b != "overall"]
    fig, ax = plt.subplots(figsize=(8, 4.2))
    x = np.arange(len(bands))
    # A band without observed rows has no figures: a gap in the line.
    ax.plot(x, [findings["bands"][b].get("observed", np.nan) for b in bands], "k-o", lw=2.5, label="observed")
    for name, series in findings["band_predictions"].items():
        ax.plot(x, [series.get(b, np.nan) for b in bands], "--s" if name != "candidate" else "-s", label=name)
    ax.set_xticks(x, bands)
    ax.set_ylabel("P(work or studies within 180 days)")
    ax.set_title("Calibration by registration time")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    calibration = _png(fig)

    fig, ax = plt.subplots(figsize=(5, 4.2))
    curve = findings["reliability"]
    ax.plot([0, 1], [0, 1], color="0.6")
    ax.plot(curve["predicted"], curve["observed"], "C0-o")
    ax.set_xlabel("mean predicted")
    ax.set_ylabel("observed")
    ax.set_title("Reliability, all test rows")
    ax.grid(alpha=0.3)
    reliability = _png(fig)

    columns = [c for c in ("sex", "age", "birth_region", "disability") if c in findings["fairness"]]
    fig, axes = plt.subplots(1, max(len(columns), 1), figsize=(3 * max(len(columns), 1), 3.6), sharey=True)
    for ax, column in zip(np.atleast_1d(axes), columns, strict=False):
        cells = dict(_ordered(findings["fairness"][column]["by_group"]))
        ax.bar(list(cells), [c["false_far"] or 0 for c in cells.values()], color="C3")
        ax.set_title(column, fontsize=9)
        ax.tick_params(axis="x", rotation=45, labelsize=7)
    np.atleast_1d(axes)[0].set_ylabel("false far: successes placed C / in-depth")
    fig.tight_layout()
    return {"calibration_by_band": calibration, "reliability": reliability, "false_far": _png(fig)}


def write_reports(findings: dict, folder: Path) -> dict[str, Path]:
    """Write ``audit.json``, ``report.html`` and ``model_card.md`` into ``folder``; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    env = Environment(loader=FileSystemLoader(_TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      keep_trailing_newline=True)
    env.globals |= {"fmt": _fmt, "pct": _pct, "interval": _interval, "calibration_table": _calibration_table,
                    "decisions": DECISIONS, "ordered": _ordered, "ratio_text": _ratio_text}
    paths = {"json": folder / "audit.json", "html": folder / "report.html", "card": folder / "model_card.md"}
    paths["json"].write_text(json.dumps(findings, indent=1, default=_json_default) + "\n", encoding="utf-8")
    context = findings | {"plots": _plots(findings)}
    paths["html"].write_text(env.get_template("report.html.j2").render(**context), encoding="utf-8")
    markdown = Environment(loader=FileSystemLoader(_TEMPLATES), autoescape=False, undefined=StrictUndefined,
                           keep_trailing_newline=True)
    markdown.globals |= env.globals
    paths["card"].write_text(markdown.get_template("model_card.md.j2").render(**findings), encoding="utf-8")
    return paths


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON-serialisable: {type(value)}")
