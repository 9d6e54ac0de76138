"""Input/output helpers shared by the subcommands (docs/formats.md: errors and exit status)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import IO, Any, TypeVar

from ..records import LineError, read_records

T = TypeVar("T")

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """Bad command-line usage: reported on stderr with exit status 2."""


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"date AAAA-MM-JJ invalide : {text!r}") from None


def open_input(path: str | None) -> IO[str]:
    if path in (None, "-"):
        return sys.stdin
    p = Path(path)
    if not p.exists():
        raise UsageError(f"fichier introuvable : {path}")
    return p.open(encoding="utf-8", newline="")


def guess_format(path: str | None, explicit: str | None) -> str:
    if explicit:
        return explicit
    if path and path.lower().endswith(".csv"):
        return "csv"
    return "jsonl"


def load(path: str | None, parser: Callable[[Mapping[str, Any]], T], fmt: str | None = None,
         ) -> tuple[list[tuple[int, T]], list[LineError]]:
    """Read and validate records from a file or standard input."""
    stream = open_input(path)
    try:
        return read_records(stream, parser, guess_format(path, fmt))
    finally:
        if stream is not sys.stdin:
            stream.close()


def report_errors(errors: Iterable[LineError], err: IO[str] | None = None) -> int:
    """Write ``line N: field.path: reason`` lines; return how many."""
    err = err or sys.stderr
    count = 0
    for e in errors:
        print(str(e), file=err)
        count += 1
    return count


def emit(obj: Any, out: IO[str] | None = None) -> None:
    (out or sys.stdout).write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")
