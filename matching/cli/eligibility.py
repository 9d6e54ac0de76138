"""``python -m matching eligibility``: verdict of each demande for one offer (docs/formats.md).

Reads demandes (JSON Lines or CSV) from a file or standard input and writes one JSON line per
demande: ``{"id", "eligible", "category", "plafond", "rfr_used", "taux_effort",
"reste_a_vivre", "reasons": [{"code", "message", …}], …}``. Rejected records are reported on
standard error as ``line N: field.path: reason`` and the others still go through.
Exit status: 0 all processed, 1 some rejected, 2 usage error (including a decision date for
which a regulatory parameter has no value).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import IO, Any

from ..eligibility import eligibility
from ..parameters import ParameterError
from ..records import Logement, RecordError, parse_demande, parse_logement
from .common import (
    EXIT_OK,
    EXIT_REJECTED,
    UsageError,
    emit,
    load,
    parse_date,
    report_errors,
)


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``eligibility`` subcommand to ``python -m matching``."""
    parser = subparsers.add_parser(
        "eligibility",
        help="éligibilité de chaque demande à une offre, avec les motifs",
        description=(
            "Éligibilité de chaque demande (JSON Lines ou CSV) à une offre : une ligne JSON par "
            "demande avec la catégorie, le plafond, le revenu retenu et les motifs. Les "
            "enregistrements rejetés sont signalés sur la sortie d'erreur (« line N: champ: "
            "motif ») et les autres sont traités. Statut : 0 tout traité, 1 des enregistrements "
            "rejetés, 2 erreur d'usage (dont une date sans plafond de ressources connu)."
        ),
    )
    parser.add_argument("--offer", required=True, metavar="FILE",
                        help="l'offre / le logement : un objet JSON, ou un fichier JSONL d'une ligne")
    parser.add_argument("--at", required=True, metavar="AAAA-MM-JJ",
                        help="date de la décision (plafonds et âges à cette date)")
    parser.add_argument("--input", default="-", metavar="FILE",
                        help="demandes en JSON Lines ou CSV (défaut : entrée standard)")
    parser.add_argument("--format", choices=("jsonl", "csv"), default=None,
                        help="format des demandes (défaut : d'après l'extension, sinon jsonl)")
    parser.set_defaults(func=run)
    return parser


def load_offer(path: str) -> Logement:
    """Read and validate the single offer given to ``--offer``."""
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"fichier d'offre introuvable : {path}")
    text = p.read_text(encoding="utf-8")
    try:
        raw: Any = json.loads(text)
    except json.JSONDecodeError:
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) != 1:
            raise UsageError(
                f"{path} : un objet JSON ou une seule ligne JSONL attendu ({len(lines)} lignes)"
            ) from None
        try:
            raw = json.loads(lines[0])
        except json.JSONDecodeError as exc:
            raise UsageError(f"{path} : JSON invalide : {exc.msg}") from None
    try:
        return parse_logement(raw)
    except RecordError as exc:
        raise UsageError(f"offre {path} : {exc.path or '(record)'}: {exc.reason}") from None


def run(args: argparse.Namespace, out: IO[str] | None = None, err: IO[str] | None = None) -> int:
    """Evaluate every demande of the input against the offer; return the exit status."""
    on = parse_date(args.at)
    offer = load_offer(args.offer)
    demandes, errors = load(args.input, parse_demande, args.format)
    rejected = report_errors(errors, err)
    for _, demande in demandes:
        try:
            verdict = eligibility(demande, offer, on)
        except ParameterError as exc:
            raise UsageError(str(exc)) from None
        emit(verdict.to_json(), out)
    return EXIT_REJECTED if rejected else EXIT_OK

