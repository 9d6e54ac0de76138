"""``python -m matching``: the domain engine on JSON Lines / CSV (docs/formats.md)."""

from __future__ import annotations

import argparse
import importlib
import sys

from .cli.common import EXIT_USAGE, UsageError

# Each module registers its subcommands and sets ``func`` on its parser.
SUBCOMMAND_MODULES = (
    "matching.cli.cotation", "matching.cli.eligibility", "matching.cli.flux",
    "matching.cli.parameters", "matching.cli.propose",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m matching", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # argparse exits with status 2 on usage errors
    try:
        return int(args.func(args))
    except UsageError as exc:
        print(f"erreur : {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
