"""``avstand versions``: the registered versions with their status, data period and figures."""

from __future__ import annotations

import argparse

from avstand._common import EXIT_OK


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "versions",
        help="list versions: status (production, released before, refused, overridden), data, AUC, worst band",
        description="List every registered version of 'avstand', newest first: status (production, released "
        "before, refused with its failed gates, overridden, audited, not audited), the extract's as-of date and "
        "test period, ROC-AUC and the registration-time band with the largest predicted - observed on the test "
        "set; then, for operators (the service's GET /model does not show them), each version's MLflow run, git "
        "commit, audit report, recorded bundle digest and who last released it; then the production alias's "
        "history (who moved it, when, why).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from mlflow.tracking import MlflowClient

    from models.registry import tracking_uri
    from release import list_versions, moves

    rows = list_versions()
    if not rows:
        print(f"no registered versions in {tracking_uri()}")
        return EXIT_OK
    print(f"{'version':>7}  {'status':<26} {'as of':<10}  {'test period':<22} {'AUC':>6}  worst band")
    for r in rows:
        status = r.status + (f" ({', '.join(r.failed_gates)})" if r.status == "refused" and r.failed_gates else "")
        worst = f"{r.worst_band} {r.worst_band_gap:+.4f}" if r.worst_band else "-"
        auc = f"{r.auc:.4f}" if r.auc is not None else "-"
        print(f"{r.version:>7}  {status:<26} {r.as_of or '-':<10}  {r.test_period or '-':<22} {auc:>6}  {worst}")
    history = moves(MlflowClient(tracking_uri=tracking_uri()))
    released_by = {m.to_version: m.user for m in history if m.state == "done"}  # the latest move to each
    print("operator details (not on GET /model):")
    for r in rows:
        print(f"  version {r.version}: run {r.run_id or '-'}, commit {r.git_commit or '-'}, report {r.report or '-'}, "
              f"bundle sha256 {r.bundle_sha256 or 'not recorded'}, released by {released_by.get(r.version, '-')}")
    if history:
        print("production history:")
        for move in history:
            print(f"  {move.line()}")
    return EXIT_OK
