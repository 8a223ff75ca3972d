"""``avstand validate``: check a register extract and summarise it."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from avstand._common import EXIT_BAD_INPUT, EXIT_OK, add_delimiter_argument, iso_date
from models import load_spec, write_csv
from register import RULES, check_extract, format_summary, summarize, typed_extract

log = logging.getLogger("avstand.validate")


def add_parser(commands: argparse._SubParsersAction) -> None:
    rules = "; ".join(f"{name}: {text}" for name, text in RULES.items())
    p = commands.add_parser(
        "validate",
        help="check a register extract; exit 0 when clean, 2 with every problem otherwise",
        description="Check a register extract (CSV or Parquet, one row per registration spell) against the "
        "contract and a feature spec. Every problem is reported with its row (1 = the first row after the "
        f"header), column, value and rule. Rules: {rules}. When clean, prints a summary.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--data", type=Path, required=True, help="the extract, .csv or .parquet")
    add_delimiter_argument(p)
    p.add_argument("--spec", type=Path, default=None,
                   help="feature spec (YAML); default: the spec shipped in models/feature_spec.yaml")
    p.add_argument("--as-of", type=iso_date, default=None,
                   help="the day the extract was taken; default: the latest date in the file")
    p.add_argument("--problems", type=Path, default=None, help="also write every problem to this CSV file")
    p.add_argument("--show", type=int, default=50, help="problems printed at most (all go to --problems)")
    p.add_argument("--summary-json", type=Path, default=None, help="also write the summary to this JSON file")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    spec = load_spec(args.spec)
    started = time.perf_counter()
    raw, problems, as_of = check_extract(args.data, spec=spec, as_of=args.as_of, delimiter=args.delimiter)
    log.info("checked %s: %d rows, %d problems (%.1f s)", args.data, len(raw), len(problems),
             time.perf_counter() - started)
    if args.as_of is None and as_of is not None:
        log.info("no --as-of given: using the latest date in the file, %s", as_of)
    if args.problems is not None:
        args.problems.parent.mkdir(parents=True, exist_ok=True)
        write_csv(problems, args.problems, overwrite=True)  # private and formula-safe, like every export
        log.info("wrote all %d problems to %s", len(problems), args.problems)
    if len(problems) or as_of is None:
        # The problems are validate's result, on standard output in full: returned, not raised.
        _print_problems(args.data, problems, args.show)
        return EXIT_BAD_INPUT
    extract = typed_extract(raw, path=args.data, spec=spec, as_of=as_of, as_of_inferred=args.as_of is None)
    summary = summarize(extract)
    print(f"{args.data}: clean ({len(raw):,} rows, {len(spec.features)} feature columns)")
    print(format_summary(summary))
    if args.summary_json is not None:
        args.summary_json.parent.mkdir(parents=True, exist_ok=True)
        args.summary_json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return EXIT_OK


def _print_problems(path: Path, problems, show: int) -> None:
    out = sys.stdout
    if problems.empty:
        print(f"{path}: the extract holds no valid date, so it has no as-of date; pass --as-of", file=out)
        return
    print(f"{path}: {len(problems):,} problems", file=out)
    for message in problems["message"].head(show):
        print(f"  {message}", file=out)
    if len(problems) > show:
        print(f"  ... and {len(problems) - show:,} more (--problems PATH writes them all)", file=out)
    counts = problems.groupby(["rule", "column"]).size().sort_values(ascending=False)
    print("by rule and column:", file=out)
    for (rule, column), n in counts.items():
        print(f"  {rule:<26} {column or '(table)':<24} {n:,}", file=out)
