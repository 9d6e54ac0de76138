"""Subcommands ``cotation``, ``grids``, ``grid-check`` and ``simulate`` (docs/formats.md contract)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..batch import DemandeTable
from ..cotation import GridNotApplicable, cotation
from ..grid import Grid, GridError, list_presets, load_grid, read_grid_file, validate_grid
from ..records import LineError, parse_demande
from ..simulation import simulate
from .common import (
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_USAGE,
    UsageError,
    emit,
    load,
    parse_date,
    report_errors,
)


def _grid(ref: str) -> Grid:
    try:
        return load_grid(ref)
    except GridError as exc:
        raise UsageError(str(exc)) from None
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from None


def _communes(text: str | None) -> list[str] | None:
    """``67482,67043`` or ``@file`` (one code per line or comma-separated)."""
    if text is None:
        return None
    if text.startswith("@"):
        path = Path(text[1:])
        if not path.exists():
            raise UsageError(f"fichier introuvable : {path}")
        text = path.read_text(encoding="utf-8").replace("\n", ",")
    codes = [c.strip() for c in text.split(",") if c.strip()]
    bad = [c for c in codes if len(c) != 5]
    if bad:
        raise UsageError(f"codes commune INSEE invalides : {', '.join(bad)}")
    return codes


def cmd_cotation(args: argparse.Namespace) -> int:
    """Score each demande of the input; bad records on stderr, exit 1 if any."""
    grid = _grid(args.grid)
    on = parse_date(args.at)
    if on < grid.effective_on and not args.ignore_effective_date:
        raise UsageError(f"la grille {grid.ref} n'entre en vigueur que le {grid.effective_on} "
                         "(--ignore-effective-date pour simuler)")
    communes = _communes(args.epci_communes)
    good, errors = load(args.input, parse_demande, args.format)
    for number, demande in good:
        try:
            emit(cotation(demande, grid, on, communes).to_json(all_lines=args.all_lines))
        except GridNotApplicable as exc:
            errors.append(LineError(number, exc.path, exc.reason))
        except ValueError as exc:  # missing EPCI communes for the mobility criterion
            raise UsageError(str(exc)) from None
    errors.sort(key=lambda e: e.line)
    return EXIT_REJECTED if report_errors(errors) else EXIT_OK


def cmd_grids(args: argparse.Namespace) -> int:
    """List the preset grids: id, territory, version, effective date."""
    for g in list_presets():
        if args.json:
            emit({"id": g.id, "label": g.label, "territory": g.territory.epci,
                  "siren": g.territory.siren, "version": g.version,
                  "effective_on": g.effective_on.isoformat(), "combination": g.combination,
                  "applies_to": g.applies_to, "is_example": g.is_example,
                  "warnings": [str(w) for w in g.warnings]})
        else:
            print(f"{g.id}\t{g.territory.epci}\t{g.version}\t{g.effective_on.isoformat()}")
    return EXIT_OK


def cmd_grid_check(args: argparse.Namespace) -> int:
    """Validate a grid file: errors (exit 2) and warnings."""
    try:
        data = read_grid_file(args.file)
    except FileNotFoundError:
        raise UsageError(f"fichier introuvable : {args.file}") from None
    except GridError as exc:
        raise UsageError(str(exc)) from None
    result = validate_grid(data)
    for e in result.errors:
        print(f"erreur : {e}", file=sys.stderr)
    for w in result.warnings:
        print(f"avertissement : {w}", file=sys.stderr)
    if result.ok:
        print(f"{args.file} : grille valide ({len(result.warnings)} avertissement(s))")
    return EXIT_OK if result.ok else EXIT_USAGE


def cmd_simulate(args: argparse.Namespace) -> int:
    """Compare two grids on the same demandes; French summary, optional CSV and JSON."""
    if len(args.grid) != 2:
        raise UsageError("deux grilles attendues : --grid A --grid B")
    grid_a, grid_b = _grid(args.grid[0]), _grid(args.grid[1])
    on = parse_date(args.at)
    good, errors = load(args.input, parse_demande, args.format)
    if not good:
        report_errors(errors)
        raise UsageError("aucune demande valide à simuler")
    table = DemandeTable.from_demandes([d for _, d in good])
    try:
        report = simulate(table, grid_a, grid_b, on, top_n=args.top,
                          low_income_threshold=args.low_income_threshold,
                          epci_communes=_communes(args.epci_communes))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.csv:
        with open(args.csv, "w", encoding="utf-8", newline="") as out:
            report.write_csv(out)
    if args.json:
        print(json.dumps(report.summary(), ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(report.text())
    return EXIT_REJECTED if report_errors(errors) else EXIT_OK


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the cotation subcommands to ``python -m matching``."""
    p = subparsers.add_parser("cotation", help="cotation des demandes (une ligne JSON par demande)")
    p.add_argument("--grid", required=True, help="identifiant d'une grille fournie ou fichier YAML")
    p.add_argument("--at", required=True, help="date de calcul AAAA-MM-JJ")
    p.add_argument("--input", default="-", help="fichier JSON Lines ou CSV (défaut : entrée standard)")
    p.add_argument("--format", choices=("jsonl", "csv"), help="format d'entrée (défaut : selon l'extension)")
    p.add_argument("--epci-communes", help="communes de l'EPCI : 67482,67043 ou @fichier")
    p.add_argument("--all-lines", action="store_true", help="inclure les critères non appliqués")
    p.add_argument("--ignore-effective-date", action="store_true",
                   help="calculer même avant l'entrée en vigueur de la grille")
    p.set_defaults(func=cmd_cotation)

    p = subparsers.add_parser("grids", help="grilles de cotation fournies")
    p.add_argument("--json", action="store_true", help="une ligne JSON par grille")
    p.set_defaults(func=cmd_grids)

    p = subparsers.add_parser("grid-check", help="valider un fichier de grille")
    p.add_argument("file")
    p.set_defaults(func=cmd_grid_check)

    p = subparsers.add_parser("simulate", help="comparer deux grilles sur les mêmes demandes")
    p.add_argument("--grid", action="append", required=True, help="grille A puis grille B")
    p.add_argument("--at", required=True, help="date de calcul AAAA-MM-JJ")
    p.add_argument("--input", required=True, help="fichier JSON Lines ou CSV, ou - pour l'entrée standard")
    p.add_argument("--format", choices=("jsonl", "csv"))
    p.add_argument("--csv", help="écrire les rangs par demande dans ce fichier CSV")
    p.add_argument("--json", action="store_true", help="résumé JSON au lieu du texte")
    p.add_argument("--top", type=int, default=20, help="nombre de demandes qui bougent le plus")
    p.add_argument("--low-income-threshold", type=float,
                   help="seuil du premier quartile (€ de RFR par UC ; défaut : calculé sur les demandes)")
    p.add_argument("--epci-communes", help="communes de l'EPCI : 67482,67043 ou @fichier")
    p.set_defaults(func=cmd_simulate)
