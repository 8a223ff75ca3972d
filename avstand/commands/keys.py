"""``avstand keys``: API keys for client systems (add prints a key once; only its hash is stored)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from avstand._common import EXIT_OK
from avstand._database import opened_log


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "keys",
        help="create, revoke and list API keys of client systems",
        description="API keys live in the assessment log's database (AVSTAND_DATABASE_URL, else the SQLite file "
        "avstand-log.db in the working folder). 'add NAME' prints the new key once: store it in the client "
        "system; only its SHA-256 is kept. 'rotate NAME' prints a new key for the same client (its log stays "
        "under the one name); the old key ends at once, or after --grace-minutes N. 'revoke NAME' ends it at "
        "once. 'list' shows names and dates. A running service sees a change within a second.",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    for action, text in (("add", "create a key for client system NAME"), ("revoke", "end client NAME's key"),
                         ("rotate", "a new key for client NAME; the old one ends at once or after --grace-minutes")):
        sub = actions.add_parser(action, help=text, description=text)
        sub.add_argument("name", metavar="NAME", help="the client system's name, e.g. caseworker-portal")
        if action == "rotate":
            sub.add_argument("--grace-minutes", type=_minutes, default=0, metavar="N",
                             help="accept the old key N minutes more, while the client system switches (default 0: "
                                  "the old key ends at once)")
        sub.set_defaults(run=run)
    actions.add_parser("list", help="names, creation and revocation dates",
                       description="names, creation and revocation dates").set_defaults(run=run)


def _minutes(text: str) -> int:
    # argparse turns this ValueError into a usage error (exit 2) naming the option and the value.
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


def run(args: argparse.Namespace) -> int:
    from serving import add_key, list_keys, revoke_key, rotate_key

    # The first `keys add` on a machine creates the SQLite log.
    with opened_log(create=True, migrate="the key store cannot be opened") as log:
        if args.action == "add":
            print(add_key(log, args.name))
            print(f"key for {args.name} created: it is shown only now", file=sys.stderr)
        elif args.action == "rotate":
            key, until = rotate_key(log, args.name, grace=dt.timedelta(minutes=args.grace_minutes))
            print(key)
            ends = "at once" if not args.grace_minutes else f"at {until:%Y-%m-%d %H:%M} UTC"
            print(f"new key for {args.name}: it is shown only now; the old key ends {ends}", file=sys.stderr)
        elif args.action == "revoke":
            revoke_key(log, args.name)
            print(f"key of {args.name} revoked", file=sys.stderr)
        else:
            for row in list_keys(log):
                status = f"revoked {row['revoked_at']:%Y-%m-%d %H:%M}" if row["revoked_at"] else "active"
                if row["rotated_at"] and not row["revoked_at"]:
                    status += f", rotated {row['rotated_at']:%Y-%m-%d %H:%M}"
                    if row["previous_until"]:
                        status += f" (old key accepted until {row['previous_until']:%Y-%m-%d %H:%M})"
                print(f"{row['name']:<30} created {row['created_at']:%Y-%m-%d %H:%M}  {status}")
    return EXIT_OK
