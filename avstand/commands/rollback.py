"""``avstand rollback``: return production to an earlier released version, for a recorded reason."""

from __future__ import annotations

import argparse
from pathlib import Path

from avstand.commands.promote import report_promotion


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "rollback",
        help="return production to an earlier released version (default: the one before the current)",
        description="Move the MLflow alias 'production' back to a version that was released before, without an "
        "audit (it passed, or was overridden, when it was released). The move, the reason and the user "
        "(AVSTAND_USER, else the login name) are recorded on both versions and in the alias's history, and "
        "the version is exported to BentoML's model store, where `avstand serve` picks it up on its next start.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--to", type=int, default=None, help="the version to return to; default: the previous production")
    p.add_argument("--reason", required=True, help="why (recorded)")
    p.add_argument("--reports", type=Path, default=Path("reports"), help="folder for reports/<version>/")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from release import rollback

    result = rollback(reason=args.reason, to=args.to, reports_root=args.reports)
    return report_promotion(result, "avstand rollback")
