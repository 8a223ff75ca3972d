"""``avstand compare``: two registered versions side by side on the same test rows."""

from __future__ import annotations

import argparse
from pathlib import Path

from avstand._common import EXIT_OK


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "compare",
        help="two versions side by side: who changes level, in which groups, calibration and fairness",
        description="Score two registered versions of 'avstand' on the same rows (the out-of-time test set of "
        "the later-trained one) and write reports/compare-A-B/compare.html and compare.json: the rows by each "
        "version's decision, the share changing level by level and by group (further from work or closer), the "
        "overlap (Jaccard) of the sets each version places, and both versions' calibration and fairness figures "
        "with intervals. Exit 0 when written, 2 when a version cannot be found.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--version", dest="versions", type=int, action="append", required=True, metavar="N",
                   help="a registered version number; give it twice: --version A --version B")
    p.add_argument("--gates", type=Path, default=None,
                   help="gates file (YAML) whose bootstrap the intervals use; default: audits/gates.yaml")
    p.add_argument("--reports", type=Path, default=Path("reports"), help="folder for reports/compare-A-B/")
    p.set_defaults(run=run, parser=p)


def run(args: argparse.Namespace) -> int:
    from audits import compare_versions

    if len(args.versions) != 2:
        args.parser.error(f"--version must be given exactly twice (got {len(args.versions)})")
    first, second = args.versions
    result = compare_versions(first=first, second=second, gates_path=args.gates, reports_root=args.reports)
    changes = result["changes"]
    print(f"versions {first} and {second} on {changes['rows']:,} test rows of version {result['meta']['test_set_of']}: "
          f"decision changed for {100 * changes['decision_changed']:.1f} %, outcome for "
          f"{100 * changes['outcome_changed']:.1f} %; Jaccard of C or in-depth {changes['far_jaccard']:.3f}")
    print(f"report: {args.reports / f'compare-{first}-{second}' / 'compare.html'}")
    return EXIT_OK
