"""``avstand promote``: move production to an already audited version, without training it again."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from avstand._common import EXIT_FAILED, EXIT_OK


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "promote",
        help="promote an audited version to production (re-audited first if production changed since)",
        description="Move the MLflow alias 'production' to a registered version when its audit passed against "
        "the version in production now; a version audited against another production (or never) is audited "
        "again first. --override-gate promotes despite failed gates, for a recorded reason. Every move is "
        "recorded (who: AVSTAND_USER, else the login name; when; why), shown on the model cards and exported "
        "to BentoML's model store, where `avstand serve` picks it up on its next start. Exit 0 promoted, "
        "1 refused by a gate (or the export failed), 2 bad input.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--version", type=int, required=True, help="the registered version number")
    add_gate_arguments(p)
    p.set_defaults(run=run)


def add_gate_arguments(p: argparse.ArgumentParser) -> None:
    """The options of a promotion, shared with ``avstand release``: gates, reports, override."""
    p.add_argument("--gates", type=Path, default=None, help="gates file (YAML); default: audits/gates.yaml")
    p.add_argument("--reports", type=Path, default=Path("reports"), help="folder for reports/<version>/")
    p.add_argument("--override-gate", metavar="REASON", default=None, type=_reason,
                   help="release even if gates fail, for this recorded reason (an accountable person's decision)")
    add_sign_off_argument(p)


def add_sign_off_argument(p: argparse.ArgumentParser) -> None:
    """``--signed-off-by NAME``, shared with ``avstand audit``."""
    p.add_argument("--signed-off-by", metavar="NAME", default=None, type=_name,
                   help="the person who answers for the audit: recorded on the version, in the report and model card")


def _name(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("needs a name")
    return text.strip()


def _reason(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("needs a reason")
    return text.strip()


def run(args: argparse.Namespace) -> int:
    from release import promote_version

    result = promote_version(version=args.version, gates_path=args.gates, reports_root=args.reports,
                             override=args.override_gate, signed_off_by=args.signed_off_by)
    if result.findings is not None:
        from avstand.commands.audit import format_verdict

        print(format_verdict(result.findings, args.reports))
    return report_promotion(result, "avstand promote")


def report_promotion(result, program: str) -> int:
    """Print what a promotion did; the exit code.

    Refused by a gate, or moved but not exported, is a result (production did or did not move, and the
    next step is said): exit 1, returned rather than raised, after the lines that say what happened.
    """
    before = f"version {result.previous_production}" if result.previous_production is not None else "no version"
    if result.promoted and result.previous_production == result.version and result.move is None:
        print(f"version {result.version} is already production")
    elif not result.promoted:
        print(f"not released: failed gates {', '.join(result.failed_gates)}; production unchanged ({before})")
        return EXIT_FAILED
    else:
        note = " (released despite failed gates: override recorded)" if result.failed_gates else ""
        print(f"production: version {result.version} (was {before}){note}")
    if result.not_judged_gates:
        print(f"not judged (too little evidence, see the report): {', '.join(result.not_judged_gates)}")
    if result.export_error:
        print(f"{program}: version {result.version} is production in MLflow, but exporting it to BentoML's model "
              f"store failed ({result.export_error}); the service still serves the previous export. Once the "
              f"cause is fixed, `avstand promote --version {result.version}` exports it again.", file=sys.stderr)
        return EXIT_FAILED
    print(f"exported to BentoML's model store as {result.exported}: `avstand serve` serves it from its next start")
    return EXIT_OK
