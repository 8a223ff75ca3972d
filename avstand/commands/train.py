"""``avstand train``: build a model version from a register extract and register it in MLflow."""

from __future__ import annotations

import argparse
from pathlib import Path

from avstand._common import EXIT_OK, add_delimiter_argument, invalid_extract, iso_date
from models import REGISTRATION_BANDS, InputError
from register import ExtractError


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "train",
        help="train a model version on a register extract and register it in MLflow (not promoted)",
        description="Build landmark snapshots of everyone registered on each assessment date, label the "
        "180-day outcome with censoring weights, split out of time (train / calibration / test), fit "
        "LightGBM (days registered may never raise the probability), choose a calibrator by evidence, fit "
        "the comparators (registration-blind, logistic regression, and on synthetic data the oracle) and "
        "register the bundle as a new version of the MLflow model 'avstand'. Tracking: MLFLOW_TRACKING_URI, "
        "else sqlite:///mlflow.db in the working folder.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add_training_arguments(p)
    p.set_defaults(run=run)


def add_training_arguments(p: argparse.ArgumentParser) -> None:
    """The options of a training run, shared with ``avstand release``."""
    p.add_argument("--data", type=Path, required=True, help="the register extract, .csv or .parquet")
    p.add_argument("--as-of", type=iso_date, default=None,
                   help="the day the extract was taken; default: the latest date in the file")
    p.add_argument("--spec", type=Path, default=None, help="feature spec (YAML); default: models/feature_spec.yaml")
    p.add_argument("--config", type=Path, default=None, help="training config (YAML); default: training/config.yaml")
    p.add_argument("--policy", type=Path, default=None, help="outcome policy (YAML); default: models/policy.yaml")
    add_delimiter_argument(p)


def run(args: argparse.Namespace) -> int:
    # Imported here: the training stack (LightGBM, MLflow) is heavy and other subcommands do not need it.
    from training import train

    try:
        result = train(data=args.data, as_of=args.as_of, spec_path=args.spec, config_path=args.config,
                       policy_path=args.policy, delimiter=args.delimiter)
    except ExtractError as exc:
        raise invalid_extract(exc, "registered") from exc
    except InputError as exc:  # the file, spec, policy, config or data: whichever, the user must know nothing moved
        raise exc.reworded(f"{exc}; nothing was registered.") from exc
    print(format_result(result))
    return EXIT_OK


def format_result(result) -> str:
    """The test-set table: per band, observed share and each model's predicted - observed, and AUC; then
    the time-to-work curve by band and the period effect assumed ahead."""
    names = list(result.metrics)
    bands = ["overall"] + [label for label, _, _ in REGISTRATION_BANDS]
    lines = [f"registered avstand version {result.version} (run {result.run_id}); period effect assumed ahead: "
             f"{result.level_ahead:+.3f} (log-odds of the monthly hazard of work or studies)",
             f"test set {result.periods['test_start']} .. {result.periods['test_last']}; "
             "predicted - observed (censoring-weighted):",
             f"  {'band':<14}{'rows':>9}{'observed':>10}" + "".join(f"{n:>20}" for n in names)]
    for band in bands:
        m = result.metrics["model"][band]
        thin = result.thin_bands.get(f"test {band}")
        if thin or not m.get("rows"):
            lines.append(f"  {band:<14}{m.get('rows', 0):>9,}  not judged ({thin or 'no observed rows'})")
            continue
        lines.append(f"  {band:<14}{m['rows']:>9,}{m['observed']:>10.3f}" + "".join(
            f"{result.metrics[n][band]['predicted'] - result.metrics[n][band]['observed']:>+20.3f}" for n in names))
    calibration_thin = [f"{k.removeprefix('calibration ')} ({v})" for k, v in result.thin_bands.items()
                        if k.startswith("calibration ")]
    if calibration_thin:
        lines.append(f"  calibration period too thin to judge: {', '.join(calibration_thin)}")
    lines.append(f"  {'ROC-AUC':<33}" + "".join(f"{result.metrics[n]['overall'].get('auc') or float('nan'):>20.4f}"
                                                for n in names))
    if result.oracle_mae is not None:
        lines.append(f"mean |model - oracle| per row: {result.oracle_mae:.4f}")
    return "\n".join(lines + _curve_lines(result.curve))


def _curve_lines(curve: dict) -> list[str]:
    """The curve's mean prediction by band at each horizon, with what was observed and the truth where known."""
    lines = ["time-to-work curve on the test set: predicted (observed, truth where known)"]
    horizons = list(curve)
    lines.append(f"  {'band':<14}" + "".join(f"{h:>26}" for h in horizons))
    for band in curve[horizons[0]]:
        cells = []
        for h in horizons:
            c = curve[h][band]
            known = [f"{c[k]:.3f}" if c[k] is not None else "-" for k in ("observed", "oracle")]
            cells.append(f"{c['predicted']:.3f} ({known[0]}, {known[1]})")
        lines.append(f"  {band:<14}" + "".join(f"{cell:>26}" for cell in cells))
    return lines
