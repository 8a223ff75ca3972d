"""``avstand audit``: audit a registered version through the release gates and write its reports."""

from __future__ import annotations

import argparse
from pathlib import Path

from avstand._common import EXIT_FAILED, EXIT_OK
from avstand.commands.promote import add_sign_off_argument


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "audit",
        help="audit a registered version: calibration, fairness, data quality, gates; exit 1 when a gate fails",
        description="Audit a registered version of 'avstand' on its out-of-time test set: calibration overall, "
        "by registration time and by audit group; fairness of the policy's decisions by group; data drift and "
        "decision changes against the version in production. Writes reports/<version>/report.html, audit.json "
        "and model_card.md, stores them with the version's MLflow run and tags the version with the verdict. "
        "Exit 0 when every gate passes, 1 when one fails, 2 when the version or a file cannot be used.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--version", type=int, help="the registered version number")
    which.add_argument("--run", dest="run_id", help="the MLflow run id the version came from")
    p.add_argument("--gates", type=Path, default=None, help="gates file (YAML); default: audits/gates.yaml")
    p.add_argument("--reports", type=Path, default=Path("reports"), help="folder for reports/<version>/")
    add_sign_off_argument(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from mlflow.tracking import MlflowClient

    from audits import Verdict, audit_version
    from models.registry import tracking_uri
    from release import moves

    history = [m.line() for m in moves(MlflowClient(tracking_uri=tracking_uri()))
               if args.version in (m.from_version, m.to_version)] if args.version is not None else []
    findings = audit_version(version=args.version, run_id=args.run_id, gates_path=args.gates,
                             reports_root=args.reports, history=history,
                             signed_off_by=args.signed_off_by)
    print(format_verdict(findings, args.reports))
    # A failed gate is the audit's result (its table is on standard output), not an error: returned.
    return EXIT_OK if Verdict.of(findings).passed else EXIT_FAILED


def format_verdict(findings: dict, reports: Path) -> str:
    meta = findings["meta"]
    not_judged = meta.get("not_judged_gates") or []
    lines = [f"version {meta['version']}: {meta['verdict'].upper()}"
             + (f" ({len(not_judged)} gates not judged: too little evidence)" if not_judged else "")]
    width = max((len(g["gate"]) for g in findings["gates"]), default=0)
    for g in findings["gates"]:
        value = "-" if g["value"] is None else f"{g['value']:.4f}"
        lines.append(f"  {g['verdict']:<15} {g['gate']:<{width}} {value:>9}  (tolerance {g['threshold']}) "
                     f"{g['detail']}")
    lines.append(f"report: {reports / str(meta['version']) / 'report.html'}")
    return "\n".join(lines)
