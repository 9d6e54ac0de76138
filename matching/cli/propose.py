"""``python -m matching propose``: three ranked candidates per offer (docs/formats.md, propose).

``propose --offers FILE --grid ID_OR_PATH --at DATE --input DEMANDES [--applications FILE]
[--batch] [--policy ID_OR_PATH]`` writes one JSON line per offer, in input order:
``{"offer", "candidates": [{"id", "rank", "score", "source", "reasons"}], "exception"}``.
With ``--batch`` the offers are decided together and no demande appears in two lists.

Errors: a bad demande is reported as ``line N: field.path: reason`` and the others still go
through; a bad offer as ``OFFERS: line N: …`` and the other offers still get their line; an
application naming a demande or offer absent from the inputs as ``APPLICATIONS: line N: …``
(exit 1 in these cases). A malformed applications file is a usage error (``FILE: line N: …``,
nothing computed, exit 2), as are an unknown grid or policy and a date without regulatory
figures.
"""

from __future__ import annotations

import argparse
import sys
from typing import IO, Any

from ..parameters import ParameterError
from ..proposals import (
    PolicyError,
    Pool,
    load_policy_set,
    parse_application,
    propose,
    propose_batch,
)
from ..records import LineError, parse_demande, parse_logement
from .common import EXIT_OK, EXIT_REJECTED, UsageError, emit, load, parse_date, report_errors
from .cotation import _grid


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``propose`` subcommand to ``python -m matching``."""
    parser = subparsers.add_parser(
        "propose",
        help="trois candidats classés par logement, avec leurs motifs",
        description=(
            "Propose jusqu'à trois candidats classés par offre : d'abord les demandeurs qui ont "
            "candidaté et sont éligibles, puis, s'il en manque, les demandes éligibles du vivier "
            "qui souhaitent la commune. Une ligne JSON par offre, dans l'ordre des offres. "
            "--batch : les offres sont décidées ensemble, une demande n'est proposée qu'une fois. "
            "Statut : 0 tout traité, 1 des enregistrements rejetés, 2 erreur d'usage."
        ),
    )
    parser.add_argument("--offers", required=True, metavar="FILE",
                        help="offres (logement/offre) en JSON Lines ou CSV")
    parser.add_argument("--grid", required=True, metavar="ID_OR_PATH",
                        help="grille de cotation : identifiant fourni ou fichier YAML")
    parser.add_argument("--at", required=True, metavar="AAAA-MM-JJ", help="date de la proposition")
    parser.add_argument("--input", required=True, metavar="DEMANDES",
                        help="demandes en JSON Lines ou CSV (- : entrée standard)")
    parser.add_argument("--applications", metavar="FILE",
                        help='candidatures JSON Lines {"demande", "offer", "applied_on"}')
    parser.add_argument("--batch", action="store_true",
                        help="décider toutes les offres ensemble, sans proposer deux fois une demande")
    parser.add_argument("--policy", metavar="ID_OR_PATH", default=None,
                        help="politique de proposition (défaut : defaut, matching/policies/)")
    parser.add_argument("--format", choices=("jsonl", "csv"), default=None,
                        help="format des demandes (défaut : d'après l'extension, sinon jsonl)")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace, out: IO[str] | None = None, err: IO[str] | None = None) -> int:
    err = err or sys.stderr
    on = parse_date(args.at)
    grid = _grid(args.grid)
    try:
        policies = load_policy_set(args.policy)
    except (FileNotFoundError, PolicyError) as exc:
        raise UsageError(str(exc)) from None
    if args.offers == "-" or args.applications == "-":
        raise UsageError("seule l'entrée --input peut être lue sur l'entrée standard")
    offers, offer_errors = load(args.offers, parse_logement)
    applications = []
    if args.applications:
        good, bad = load(args.applications, parse_application)
        if bad:
            for e in bad:
                print(f"{args.applications}: {e}", file=err)
            raise UsageError(f"{args.applications} : {len(bad)} candidature(s) invalide(s), "
                             f"rien n'est calculé")
        applications = good
    demandes, errors = load(args.input, parse_demande, args.format)
    seen: set[str] = set()
    unique = []
    for line, d in demandes:
        if d.id in seen:
            errors.append(LineError(line, "id", f"identifiant en double : {d.id}"))
        else:
            seen.add(d.id)
            unique.append(d)
    rejected = report_errors(sorted(errors, key=lambda e: e.line), err)
    for e in offer_errors:
        print(f"{args.offers}: {e}", file=err)
    rejected += len(offer_errors)
    offer_ids = {o.id for _, o in offers}
    for line, a in applications:
        if a.demande not in seen:
            print(f"{args.applications}: line {line}: demande: demande inconnue ou rejetée : "
                  f"{a.demande}", file=err)
            rejected += 1
        if a.offer not in offer_ids:
            print(f"{args.applications}: line {line}: offer: offre inconnue : {a.offer}", file=err)
            rejected += 1
    pool = Pool.from_demandes(unique)
    the_offers = [o for _, o in offers]
    the_apps = [a for _, a in applications]
    try:
        if args.batch:
            dossiers = propose_batch(the_offers, pool, the_apps, policies, grid, on)
        else:
            dossiers = [propose(o, pool, the_apps, policies, grid, on) for o in the_offers]
    except ParameterError as exc:
        raise UsageError(str(exc)) from None
    except ValueError as exc:  # e.g. a grid needing the EPCI's communes
        raise UsageError(str(exc)) from None
    for dossier in dossiers:
        emit(dossier.to_json(), out)
    return EXIT_REJECTED if rejected else EXIT_OK
