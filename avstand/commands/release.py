"""``avstand release``: train, audit, and promote to production only when the gates allow."""

from __future__ import annotations

import argparse

from avstand._common import invalid_extract
from avstand.commands.audit import format_verdict
from avstand.commands.promote import add_gate_arguments, report_promotion
from avstand.commands.train import add_training_arguments, format_result
from register import ExtractError


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "release",
        help="train -> audit -> promote: move the 'production' alias only when no gate fails",
        description="Train a version on the extract, audit it against the version in production, and move the "
        "MLflow alias 'production' to it only when no gate fails; then export it to BentoML's model store "
        "(BENTOML_HOME, default ./bentoml-store) for `avstand serve`. Otherwise the version is tagged with its "
        "failed gates, production stays where it was, and the exit code is 1; it can be promoted later without "
        "training it again (`avstand promote`). --override-gate releases despite failed gates; the reason, "
        "the failed gates and the user (AVSTAND_USER, else the login name) are recorded on the version, in "
        "the alias's history and in the report.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add_training_arguments(p)
    add_gate_arguments(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from release import release

    try:
        result = release(data=args.data, as_of=args.as_of, spec_path=args.spec, config_path=args.config,
                         policy_path=args.policy, gates_path=args.gates, reports_root=args.reports,
                         override=args.override_gate, signed_off_by=args.signed_off_by,
                         delimiter=args.delimiter)
    except ExtractError as exc:  # found before training: nothing was registered (later errors say for themselves)
        raise invalid_extract(exc, "registered") from exc
    print(format_result(result.trained))
    print(format_verdict(result.findings, args.reports))
    return report_promotion(result.promotion, "avstand release")
