"""``avstand release``: train, audit, and promote to production only when every gate passes."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from avstand._common import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK
from avstand.commands.audit import format_verdict
from avstand.commands.train import add_training_arguments, format_result
from models import PolicyError, SpecError
from register import ExtractError, ReadError


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "release",
        help="train -> audit -> promote: move the 'production' alias only when every gate passes",
        description="Train a version on the extract, audit it, and move the MLflow alias 'production' to it only "
        "when every gate passes; then export it to BentoML's model store (BENTOML_HOME, default ./bentoml-store) "
        "for `avstand serve`. Otherwise the version is tagged with its failed gates, production stays where "
        "it was, and the exit code is 1. --override-gate releases despite failed gates; the reason, the failed "
        "gates and the user (AVSTAND_USER, else the login name) are recorded on the version and in the report.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add_training_arguments(p)
    p.add_argument("--gates", type=Path, default=None, help="gates file (YAML); default: audits/gates.yaml")
    p.add_argument("--reports", type=Path, default=Path("reports"), help="folder for reports/<version>/")
    p.add_argument("--override-gate", metavar="REASON", default=None,
                   help="release even if gates fail, for this recorded reason (an accountable person's decision)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from audits import AuditError, GatesError, audit_version, load_gates, promote
    from training import ConfigError, TrainingDataError, train

    if args.override_gate is not None and not args.override_gate.strip():
        print("avstand release: --override-gate needs a reason", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        load_gates(args.gates)  # refuse a broken gates file before spending minutes on training
        result = train(data=args.data, as_of=args.as_of, spec_path=args.spec, config_path=args.config,
                       policy_path=args.policy)
        print(format_result(result))
        override = None
        if args.override_gate is not None:
            user = os.environ.get("AVSTAND_USER") or getpass.getuser()
            override = {"reason": args.override_gate.strip(), "user": user}
        findings = audit_version(version=result.version, gates_path=args.gates, reports_root=args.reports,
                                 override=override)
    except ExtractError as exc:
        print(f"avstand release: the extract is not valid; nothing was registered.\n{exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (ReadError, SpecError, PolicyError, ConfigError, TrainingDataError, GatesError, AuditError) as exc:
        print(f"avstand release: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(format_verdict(findings, args.reports))
    failed = findings["meta"]["failed_gates"]
    promoted = promote(findings, override=override if failed else None)
    if promoted:
        from models.registry import PRODUCTION_ALIAS, REGISTERED_MODEL_NAME, tracking_uri
        from serving import export_production

        print(f"production: version {result.version}" + (" (released despite failed gates: override recorded)"
                                                          if failed else ""))
        # The service reads production from BentoML's model store, so the release is complete only with this.
        try:
            tag = export_production(tracking_uri=tracking_uri(), model_name=REGISTERED_MODEL_NAME,
                                    alias=PRODUCTION_ALIAS)
        except Exception as exc:
            print(f"avstand release: version {result.version} is production in MLflow, but exporting it to "
                  f"BentoML's model store failed ({type(exc).__name__}: {exc}); the service still serves the "
                  f"previous export. Run the release again once the cause is fixed.", file=sys.stderr)
            return EXIT_FAILED
        print(f"exported to BentoML's model store as {tag}: `avstand serve` serves it")
        return EXIT_OK
    print(f"not released: failed gates {', '.join(failed)}; production unchanged")
    return EXIT_FAILED
