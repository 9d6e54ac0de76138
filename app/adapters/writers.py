"""Exchange records → lines (JSON Lines or CSV, docs/formats.md), the one place that writes them.

``record_line`` / ``write_records`` turn records of ``matching.records`` (or the dicts of
``to_jsonable``) into what ``matching.records.read_records`` reads back unchanged: JSON Lines
one object per line; CSV with dotted columns for nested records and JSON cells for lists and
free-form objects (``verified``), an empty cell for "not given". Used by ``flask export``
(app/export.py) and by the spaces' downloads.
"""

from __future__ import annotations

import csv
import dataclasses
import json
from collections.abc import Iterable, Mapping
from typing import IO, Any

from matching.records import to_jsonable

FORMATS = ("jsonl", "csv")


def as_dict(record: Any, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The record as exchange-format JSON values, with extra top-level fields after ``id``."""
    data = to_jsonable(record)
    if not extra:
        return data
    out: dict[str, Any] = {}
    for key, value in data.items():
        out[key] = value
        if key == "id":
            out.update(to_jsonable(dict(extra)))
    out.update({k: to_jsonable(v) for k, v in extra.items() if k not in out})
    return out


def json_line(data: Mapping[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"


def _flat(record: Any, prefix: str = "") -> dict[str, Any]:
    """Nested records (dataclasses) become dotted columns; everything else one cell."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        if dataclasses.is_dataclass(value):
            out.update(_flat(value, f"{prefix}{f.name}."))
        else:
            out[f"{prefix}{f.name}"] = value
    return out


def flat_row(record: Any, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    row = _flat(record)
    if extra:
        head = {k: row.pop(k) for k in list(row)[:1]}  # keep ``id`` first
        row = head | dict(extra) | row
    return row


def _cell(value: Any) -> str:
    value = to_jsonable(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


class RecordWriter:
    """Write records one by one in either format (the CSV header from the first record)."""

    def __init__(self, out: IO[str], fmt: str = "jsonl"):
        if fmt not in FORMATS:
            raise ValueError(f"format inconnu : {fmt!r} (jsonl ou csv)")
        self.out, self.fmt = out, fmt
        self._csv: csv.DictWriter | None = None
        self.count = 0

    def write(self, record: Any, extra: Mapping[str, Any] | None = None) -> None:
        if self.fmt == "jsonl":
            self.out.write(json_line(as_dict(record, extra)))
        else:
            row = flat_row(record, extra)
            if self._csv is None:
                self._csv = csv.DictWriter(self.out, fieldnames=list(row), lineterminator="\n")
                self._csv.writeheader()
            self._csv.writerow({k: _cell(v) for k, v in row.items()})
        self.count += 1


def write_records(records: Iterable[Any], out: IO[str], fmt: str = "jsonl") -> int:
    """Write every record; the number written."""
    writer = RecordWriter(out, fmt)
    for record in records:
        writer.write(record)
    return writer.count
