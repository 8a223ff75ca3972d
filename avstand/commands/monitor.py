"""``avstand monitor``: after release, the inputs scored and the outcomes of the people assessed."""

from __future__ import annotations

import argparse
from pathlib import Path

from avstand._common import EXIT_FAILED, EXIT_OK, add_delimiter_argument, invalid_extract, iso_date


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "monitor",
        help="monitor the production version: input drift per day and client, realised outcomes, overrides; "
        "exit 1 on an alarm",
        description="Both loops over the assessment log (AVSTAND_DATABASE_URL, default ./avstand-log.db). Fast: "
        "each day's records of each client system against the production version's training data (test set), "
        "feature by feature. Slow: each assessment linked to its spell in a later register extract (person_ref "
        "is the register's person_id; the spell open on the assessment day); where 180 days have passed, what "
        "happened against the chance given: overall, by registration time, audit group and level, per month of "
        "assessment; and the caseworkers' override rates. Thresholds and their rationale in "
        "monitoring/monitoring.yaml. Writes DIR/monitor.html and DIR/monitor.json and records an MLflow run "
        "(experiment avstand-monitoring) linked to the production version. Exit 0 healthy, 1 an alarm, 2 bad "
        "input.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--data", type=Path, required=True,
                   help="a register extract taken after the assessments, .csv or .parquet")
    add_delimiter_argument(p)
    p.add_argument("--as-of", type=iso_date, default=None,
                   help="the day the extract was taken; default: the latest date in the file")
    p.add_argument("--from", dest="since", type=iso_date, default=None,
                   help="first assessment day to monitor; default: the log's first")
    p.add_argument("--to", dest="until", type=iso_date, default=None,
                   help="last assessment day to monitor; default: the log's last")
    p.add_argument("--output", type=Path, default=None,
                   help="folder for monitor.html and monitor.json; default: reports/monitor-<as-of>")
    p.add_argument("--thresholds", type=Path, default=None,
                   help="monitoring file (YAML); default: monitoring/monitoring.yaml")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from monitoring import load_thresholds, monitor
    from register import ExtractError, ReadError

    try:
        done = monitor(data=args.data, as_of=args.as_of, since=args.since, until=args.until, output=args.output,
                       thresholds=load_thresholds(args.thresholds), delimiter=args.delimiter)
    except ExtractError as exc:
        raise invalid_extract(exc, "monitored") from exc
    except ReadError as exc:
        raise exc.reworded(f"{exc}; nothing was monitored.") from exc
    print(format_summary(done.result, done.folder))
    # An alarm is the monitor's result (written out and printed), not an error: returned.
    return EXIT_OK if done.healthy else EXIT_FAILED


def format_summary(result: dict, folder: Path) -> str:
    """The checks, the linking and every alarm with what to do, as text for a terminal."""
    link = result["linking"]
    unlinked = ", ".join(f"{k} {v:,}" for k, v in link["unlinked"].items() if v) or "none"
    verdict = "HEALTHY" if result["healthy"] else "ALARM"
    lines = [f"{verdict}: production version {result['production']['model_version']}, "
             f"extract as of {result['extract']['as_of']}",
             f"assessments  {link['assessments']:,}: linked {link['linked']:,} ({link['closed']:,} windows closed, "
             f"{link['pending']:,} pending); not linked: {unlinked}"]
    for client, count in link.get("by_client", {}).items():
        if count["linked"] < count["assessments"] / 2:  # a client whose assessments are mostly never judged
            lines.append(f"warning      client {client}: {count['linked']:,} of {count['assessments']:,} assessments "
                         f"linked to the register: its person_ref must be the register's person_id")
    lines += [f"check        {c['check']:<22} {c['status']:<10} ({c['cells']:,} cells judged, {c['alarms']} alarms)"
              for c in result["checks"]]
    for alarm in result["alarms"][:20]:
        lines += [f"ALARM {alarm['check']}: {alarm['detail']}", f"      evidence: {alarm['evidence']}",
                  f"      what to do: {alarm['action']}"]
    if len(result["alarms"]) > 20:
        lines.append(f"... and {len(result['alarms']) - 20} more alarms in {folder / 'monitor.json'}")
    lines.append(f"reports      {folder / 'monitor.html'}, {folder / 'monitor.json'}")
    return "\n".join(lines)
