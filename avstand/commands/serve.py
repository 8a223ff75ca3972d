"""`avstand serve` (being written)."""

import argparse


def add_parser(commands: argparse._SubParsersAction) -> None:
    commands.add_parser("serve", help="(being written)")
