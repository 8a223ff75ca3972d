"""``avstand serve``: start the scoring service (BentoML) on the released production version."""

from __future__ import annotations

import argparse
import os
import sys

from avstand._common import EXIT_BAD_INPUT


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "serve",
        help="start the scoring service on the production version (default http://127.0.0.1:3000)",
        description="Check that a production version was released (BentoML's model store: BENTOML_HOME, default "
        "./bentoml-store) and that the assessment log (AVSTAND_DATABASE_URL, default ./avstand-log.db) can be "
        "opened and migrated, then start `bentoml serve serving.service:Avstand`. It refuses to start, with "
        "the reason, when either is missing. AVSTAND_WORKERS sets the worker processes (default 2).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=int, default=3000, help="port to listen on")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from serving import AssessmentLog, LogUnavailableError, NoProductionModelError, load_production

    try:
        production = load_production()
    except NoProductionModelError as exc:
        print(f"avstand serve: not starting: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    log = AssessmentLog()
    try:
        log.migrate()
        if not log.ping():
            raise LogUnavailableError("the database does not answer")
    except Exception as exc:
        print(f"avstand serve: not starting: the assessment log {log.engine.url!r} cannot be opened: "
              f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    finally:
        log.close()
    print(f"serving {production.tag} (MLflow version {production.model_version}, policy "
          f"{production.scorer.policy.version}) on http://{args.host}:{args.port}", file=sys.stderr, flush=True)
    command = [sys.executable, "-m", "bentoml", "serve", "serving.service:Avstand", "--host", args.host,
               "--port", str(args.port)]
    # Replace this process: signals (Ctrl-C, SIGTERM from a supervisor) go straight to BentoML.
    os.execv(sys.executable, command)
    return EXIT_BAD_INPUT  # not reached
