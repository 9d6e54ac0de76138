"""``python -m matching parameters``: the regulatory parameters and what a year still lacks.

``python -m matching parameters [--format table|json] [--at AAAA-MM-JJ]`` lists every parameter
with its latest value (or the value in force at the date), start date, provenance (``sourced``,
``derived``, ``to_verify``) and reference. ``python -m matching parameters check [--year Y]``
lists the parameters with no value in force on 1 January of Y (default: next year) and exits 1
when there is any, 0 otherwise. Both read the shipped files plus ``COTAFLUX_PARAMETERS_DIR``;
``--dir`` checks another override directory (its problems are reported with file and path).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import IO, Any

from .. import parameters as params
from .common import EXIT_OK, EXIT_REJECTED, UsageError, parse_date


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``parameters`` subcommand (and its ``check`` action) to ``python -m matching``."""
    parser = subparsers.add_parser(
        "parameters",
        help="paramètres réglementaires : valeurs, dates, provenance ; « check » : manques",
        description=(
            "Liste les paramètres réglementaires (dernière valeur ou valeur à --at, date de "
            "début, provenance sourced/derived/to_verify). « parameters check --year A » liste "
            "ceux qui n'ont aucune valeur au 1er janvier de A : statut 1 s'il en manque."
        ),
    )
    parser.add_argument("action", nargs="?", choices=("list", "check"), default="list",
                        help="list (défaut) ou check")
    parser.add_argument("--format", choices=("table", "json"), default="table",
                        help="sortie en tableau (défaut) ou en JSON")
    parser.add_argument("--at", metavar="AAAA-MM-JJ", default=None,
                        help="valeur en vigueur à cette date (défaut : dernière valeur)")
    parser.add_argument("--year", type=int, default=None,
                        help="check : année contrôlée (défaut : l'année prochaine)")
    parser.add_argument("--dir", metavar="RÉPERTOIRE", default=None,
                        help="répertoire de surcharge (défaut : COTAFLUX_PARAMETERS_DIR)")
    parser.set_defaults(func=run)
    return parser


def _load(directory: str | None) -> params.Parameters:
    overrides = Path(directory) if directory else params.overrides_dir()
    if overrides is not None:
        problems = params.validate_directory(overrides)
        if problems:
            raise UsageError("surcharge invalide :\n" + "\n".join(problems))
    try:
        return params.Parameters.load(params.PARAMETERS_DIR, overrides)
    except params.ParameterError as exc:
        raise UsageError(str(exc)) from None


def rows(parameters: params.Parameters, at: date | None) -> list[dict[str, Any]]:
    """One row per parameter: its value at ``at`` (or its latest), or why there is none."""
    out = []
    for name in parameters.names():
        series = parameters.parameter(name)
        try:
            value = series.at(at) if at else series.values[-1]
        except params.ParameterMissing as exc:
            out.append({"name": name, "value": None, "start": None, "provenance": None,
                        "unit": series.unit, "reference": None, "missing": str(exc)})
            continue
        out.append({
            "name": name, "value": value.value, "start": value.start.isoformat(),
            "provenance": value.provenance, "unit": series.unit, "reference": value.reference,
            **({"note": value.note} if value.note else {}),
        })
    return out


def _cell(value: Any) -> str:
    if isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return text if len(text) <= 40 else text[:39] + "…"
    return "—" if value is None else str(value)


def _table(lines: list[dict[str, Any]], out: IO[str]) -> None:
    header = ("paramètre", "valeur", "début", "provenance")
    cells = [header] + [
        (r["name"], _cell(r["value"]), r["start"] or "—", r["provenance"] or "manquant")
        for r in lines
    ]
    widths = [min(max(len(c[i]) for c in cells), 70) for i in range(3)]
    for c in cells:
        out.write("  ".join(c[i].ljust(widths[i]) for i in range(3)) + "  " + c[3] + "\n")


def run(args: argparse.Namespace, out: IO[str] | None = None) -> int:
    out = out or sys.stdout
    parameters = _load(args.dir)
    if args.action == "check":
        year = args.year or date.today().year + 1
        missing = parameters.missing_for(year)
        if args.format == "json":
            out.write(json.dumps({"year": year, "missing": missing}, ensure_ascii=False) + "\n")
        elif missing:
            out.write(f"{len(missing)} paramètre(s) sans valeur au 1er janvier {year} :\n")
            out.writelines(f"  {name}\n" for name in missing)
        else:
            out.write(f"Tous les paramètres ont une valeur au 1er janvier {year}.\n")
        return EXIT_REJECTED if missing else EXIT_OK
    at = parse_date(args.at) if args.at else None
    lines = rows(parameters, at)
    if args.format == "json":
        out.write(json.dumps(lines, ensure_ascii=False, indent=1) + "\n")
    else:
        _table(lines, out)
    return EXIT_OK
