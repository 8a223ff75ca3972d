"""``avstand serve``: start the scoring service (BentoML) on the released production version."""

from __future__ import annotations

import argparse
import errno
import json
import os
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from avstand._common import EXIT_OK
from avstand._database import opened_log
from models import AvstandError, CheckFailedError, InputError, UnavailableError

if TYPE_CHECKING:
    from serving import Production


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "serve",
        help="start the scoring service on the production version (default http://127.0.0.1:3000)",
        description="Check that a production version was released (BentoML's model store: BENTOML_HOME, default "
        "./bentoml-store), that its bundle is the one the release recorded in MLflow (the bundle.sha256 tag of "
        "its model version; MLFLOW_TRACKING_URI, default ./mlflow.db) and that the assessment log "
        "(AVSTAND_DATABASE_URL, default ./avstand-log.db) can be opened and migrated, then start `bentoml serve "
        "serving.service:Avstand`. It refuses to start, with the reason: exit 1 when the bundle differs from the "
        "recorded one or none was recorded, 2 when something is missing or cannot be opened. AVSTAND_WORKERS "
        "sets the worker processes (default 2). Per-client limits, per worker: AVSTAND_CLIENT_CONCURRENCY (calls in "
        "progress), AVSTAND_CLIENT_RECORDS_PER_SECOND, AVSTAND_CLIENT_BURST (records at once), AVSTAND_BODY_SECONDS "
        "(to send a body); AVSTAND_MIN_FREE_MB (free disk below which the service reports not ready). Their "
        "defaults: models/_settings.py and the README's Operating it.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=int, default=3000, help="port to listen on")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from models import Settings

    try:
        production = _ready()
    except AvstandError as exc:
        raise exc.reworded(f"not starting: {exc}") from exc
    _check_port(args.host, args.port)
    print(f"serving {production.tag} (MLflow version {production.model_version}, policy "
          f"{production.scorer.policy.version}, bundle sha256 {production.digest}) on http://{args.host}:{args.port}",
          file=sys.stderr, flush=True)
    # The workers load the bundle again: they refuse one that no longer hashes to what was checked here.
    environment = os.environ | {Settings.variable("bundle_sha256"): production.digest}
    command = [sys.executable, "-m", "bentoml", "serve", "serving.service:Avstand", "--host", args.host,
               "--port", str(args.port)]
    # Replace this process: signals (Ctrl-C, SIGTERM from a supervisor) go straight to BentoML.
    os.execve(sys.executable, command, environment)
    return EXIT_OK  # not reached


def _check_port(host: str, port: int) -> None:
    """Refuse, with a sentence, an address this process cannot listen on (BentoML would end in a traceback).

    Checked here, not left to BentoML: a second `bentoml serve` empties its home's metrics folder as it starts,
    before it finds the port taken, so a second start on a busy port would wipe the running service's metrics.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise InputError(f"not starting: --host {host!r} is not an address of this machine ({exc.strerror})") from None
    family, kind, protocol, _, address = infos[0]
    with socket.socket(family, kind, protocol) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as BentoML binds: a closing port is free
        try:
            probe.bind(address)
        except OSError as exc:
            why = ("another process listens there (a service already running?): stop it or choose another --port"
                   if exc.errno == errno.EADDRINUSE else exc.strerror)
            raise InputError(f"not starting: cannot listen on {host}:{port}: {why}") from None


def _ready() -> Production:
    """The production version, once every setting, the bundle's record and the log are checked."""
    from models import settings
    from serving import Limits, LogUnavailableError, load_production

    # The settings were read and checked where the run started (avstand.cli.main); the limits are built here
    # too, so that a burst below a full batch is a message, not a dead worker.
    Limits.from_settings(settings())
    production = load_production()
    _check_recorded_bundle(production)
    with opened_log(create=True, migrate="the assessment log cannot be opened") as log:
        if not log.ping():
            raise LogUnavailableError("the assessment log cannot be opened: the database does not answer")
    return production


def _check_recorded_bundle(production: Production) -> None:
    """Raise unless ``production`` is the bundle its release recorded in MLflow (the tracking store's errors
    translated: ``UnavailableError``)."""
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient
    from sqlalchemy.exc import SQLAlchemyError

    from models.registry import BUNDLE_DIGEST_TAG, BUNDLE_FILES_TAG, REGISTERED_MODEL_NAME, redacted_uri, tracking_uri

    uri, version, actual = tracking_uri(), production.model_version, production.digest
    where = redacted_uri(uri)
    if uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///").split("?")[0]).is_file():
        # MLflow would make an empty store there, then not find the version in it.
        raise InputError(f"no MLflow tracking store at {where} to check {production.tag} against "
                         "(set MLFLOW_TRACKING_URI)")
    try:
        tags = MlflowClient(tracking_uri=uri).get_model_version(REGISTERED_MODEL_NAME, version).tags
    except MlflowException as exc:  # a server that does not answer is one too (MLflow wraps its HTTP errors)
        if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
            raise CheckFailedError(f"{production.tag} is MLflow version {version}, which {where} does not hold") \
                from exc
        raise UnavailableError(f"the MLflow tracking store {where} cannot be read: "
                               f"{str(exc).replace(uri, where)}") from exc
    except (SQLAlchemyError, OSError) as exc:  # a local store: a file that is no MLflow database, or unreadable
        raise UnavailableError(f"the MLflow tracking store {where} cannot be read: {type(exc).__name__}: "
                               f"{str(exc).replace(uri, where)}") from exc
    recorded = tags.get(BUNDLE_DIGEST_TAG)
    if recorded is None:
        raise CheckFailedError(f"MLflow version {version} has no recorded bundle digest ({BUNDLE_DIGEST_TAG}) to "
                               f"check {production.tag} against (actual {actual}); export it again with "
                               f"`avstand promote --version {version}`")
    if recorded != actual:
        try:
            expected = json.loads(tags.get(BUNDLE_FILES_TAG) or "{}")
        except ValueError:
            expected = {}
        changed = sorted(n for n, sha in production.files.items() if n in expected and expected[n] != sha)
        raise CheckFailedError(f"{production.tag} is not the bundle released as MLflow version {version}: recorded "
                               f"{BUNDLE_DIGEST_TAG} {recorded}, actual {actual}"
                               + (f" ({', '.join(changed)} changed)" if changed else ""))
