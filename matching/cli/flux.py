"""Subcommands ``flux check``, ``flux orient`` and ``flux objectives`` (gestion en flux).

* ``flux check --conventions FILE``: one JSON line per legal cap exceeded
  ``{"code", "bailleur", "departement", "year", "total", "cap", "message"}``; exit 0 when every
  cap holds, 1 when one or more is exceeded (or a record is bad), 2 on a usage error.
* ``flux orient --conventions FILE --input VACANCIES [--history EVENTS]``: one line per vacancy,
  in input order: ``{"id", "to", "flux_status", "reason", "gaps", "bailleur", "departement",
  "on", "max_gap"[, "hors_flux"][, "forced"]}``. EVENTS are JSON Lines
  ``{"logement", "bailleur", "departement", "to", "on"}`` (``to`` null when hors flux; ``id``
  is accepted for ``logement``, so the output of ``orient`` can be fed back as history).
* ``flux objectives --conventions FILE --patrimoine FILE --year Y``: one line per bailleur ×
  département.

Bad records of the main input are reported as ``line N: field.path: reason`` and the others
still processed (exit 1). Bad records in a side file (conventions of ``orient`` and
``objectives``, history, withdrawals) are reported as ``FILE: line N: …`` and nothing is
computed (exit 2): an orientation on incomplete conventions would be wrong.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any, TypeVar

from ..flux import CapsUnavailable, caps_for_year, check_caps
from ..flux.apportionment import (
    MUTATIONS_HORS_BASE,
    FluxEngine,
    parse_event,
    parse_vacancy,
)
from ..flux.objectives import NoRotation, parse_patrimoine, parse_withdrawals, yearly_objectives
from ..records import LineError, parse_convention
from .common import EXIT_OK, EXIT_REJECTED, UsageError, emit, load, report_errors

T = TypeVar("T")


def _side_file(path: str, parser: Callable[[Mapping[str, Any]], T]) -> list[tuple[int, T]]:
    """Records of a side file; any bad record is a usage error (listed on stderr first)."""
    if path == "-":
        raise UsageError("seule l'entrée principale peut être lue sur l'entrée standard")
    good, errors = load(path, parser)
    if errors:
        for e in errors:
            print(f"{path}: {e}", file=sys.stderr)
        raise UsageError(f"{path} : {len(errors)} enregistrement(s) invalide(s), rien n'est calculé")
    return good


def cmd_check(args: argparse.Namespace) -> int:
    good, errors = load(args.conventions, parse_convention, args.format)
    checkable = []
    for line, c in good:
        try:
            caps_for_year(c.year)
        except CapsUnavailable as exc:
            errors.append(LineError(line, "year", str(exc)))
            continue
        checkable.append(c)
    violations = check_caps(checkable)
    for v in violations:
        emit(v.to_json())
    errors.sort(key=lambda e: e.line)
    bad = report_errors(errors)
    return EXIT_REJECTED if violations or bad else EXIT_OK


def _engine(args: argparse.Namespace) -> FluxEngine:
    conventions = [c for _, c in _side_file(args.conventions, parse_convention)]
    try:
        return FluxEngine(conventions, mutations_hors_base=args.mutations_hors_base)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _parse_event_or_output(obj: Mapping[str, Any]):
    if isinstance(obj, Mapping) and "logement" not in obj and "id" in obj:
        obj = {**obj, "logement": obj["id"]}
    return parse_event(obj)


def cmd_orient(args: argparse.Namespace) -> int:
    engine = _engine(args)
    if args.history:
        bad = []
        for line, event in _side_file(args.history, _parse_event_or_output):
            try:
                engine.replay(event)
            except ValueError as exc:
                bad.append(LineError(line, "to", str(exc)))
        if bad:
            for e in bad:
                print(f"{args.history}: {e}", file=sys.stderr)
            raise UsageError(f"{args.history} : {len(bad)} événement(s) invalide(s)")
    good, errors = load(args.input, parse_vacancy, args.format)
    for _, vacancy in good:
        try:
            flux = engine.flux(vacancy.bailleur, vacancy.departement, vacancy.year)
        except ValueError as exc:  # shares above 100 %, duplicate conventions
            raise UsageError(str(exc)) from None
        decision = engine.orient(vacancy)
        out = decision.to_json()
        out.update(bailleur=vacancy.bailleur, departement=vacancy.departement,
                   on=vacancy.logement.available_on.isoformat(),  # type: ignore[union-attr]
                   max_gap=round(float(flux.max_gap), 4))
        emit(out)
    return EXIT_REJECTED if report_errors(errors) else EXIT_OK


def _rate(text: str | None) -> Fraction | None:
    if text is None:
        return None
    try:
        value = Fraction(text.replace(",", "."))
    except (ValueError, ZeroDivisionError):
        raise UsageError(f"taux de rotation invalide : {text!r}") from None
    if not 0 <= value <= 1:
        raise UsageError(f"taux de rotation entre 0 et 1 attendu (0.08 pour 8 %), reçu {text}")
    return value


def cmd_objectives(args: argparse.Namespace) -> int:
    conventions = [c for _, c in _side_file(args.conventions, parse_convention)]
    withdrawals = ([w for _, w in _side_file(args.sorties, parse_withdrawals)]
                   if args.sorties else [])
    rate = _rate(args.rate)
    if args.window < 1:
        raise UsageError("--window : au moins une année")
    good, errors = load(args.patrimoine, parse_patrimoine, args.format)
    try:
        result = yearly_objectives(conventions, [p for _, p in good], args.year,
                                   window=args.window, rate=rate, withdrawals=withdrawals,
                                   mutations_hors_base=args.mutations_hors_base)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    failed = 0
    for item in result:
        if isinstance(item, NoRotation):
            print(f"erreur : {item}", file=sys.stderr)
            failed += 1
        else:
            emit(item.to_json())
    bad = report_errors(errors)
    return EXIT_REJECTED if bad or failed else EXIT_OK


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``flux check|orient|objectives`` to ``python -m matching``."""
    flux = subparsers.add_parser("flux", help="gestion en flux des réservations")
    sub = flux.add_subparsers(dest="flux_command", required=True)

    p = sub.add_parser("check", help="plafonds légaux des conventions (une ligne JSON par dépassement)")
    p.add_argument("--conventions", required=True, help="conventions JSON Lines ou CSV (- : entrée standard)")
    p.add_argument("--format", choices=("jsonl", "csv"))
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("orient", help="orienter chaque logement vacant vers un réservataire ou le bailleur")
    p.add_argument("--conventions", required=True, help="conventions JSON Lines ou CSV")
    p.add_argument("--input", default="-", help="logements vacants (offres) ; défaut : entrée standard")
    p.add_argument("--history", help="orientations déjà faites dans l'année (JSON Lines)")
    p.add_argument("--format", choices=("jsonl", "csv"), help="format de --input")
    p.add_argument("--mutations-hors-base", choices=MUTATIONS_HORS_BASE, default="internes",
                   help="mutations retirées de l'assiette : internes (défaut) ou toutes")
    p.set_defaults(func=cmd_orient)

    p = sub.add_parser("objectives", help="objectifs annuels par réservataire")
    p.add_argument("--conventions", required=True, help="conventions JSON Lines ou CSV")
    p.add_argument("--patrimoine", required=True,
                   help="logements du bailleur (avec vacancies_by_year, mise_en_service, hors_flux)")
    p.add_argument("--year", required=True, type=int, help="année du flux")
    p.add_argument("--rate", help="taux de rotation fixé par le bailleur (0.08 pour 8 %%)")
    p.add_argument("--window", type=int, default=3, help="années de rotation observées (défaut 3)")
    p.add_argument("--sorties", help="sorties d'assiette prévues par bailleur × département (JSON Lines)")
    p.add_argument("--mutations-hors-base", choices=MUTATIONS_HORS_BASE, default="internes")
    p.add_argument("--format", choices=("jsonl", "csv"), help="format de --patrimoine")
    p.set_defaults(func=cmd_objectives)
