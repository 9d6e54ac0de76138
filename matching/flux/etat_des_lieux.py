"""État des lieux initial of a bailleur's réservations in stock, and the shares it gives.

Before a convention is converted to the flux (décret n° 2020-145; docs/regulation.md « État
des lieux et bilan annuel » and « Plafonds des réservations »), the bailleur lists the
dwellings each réservataire holds in stock. A réservataire's share of the flux is::

    share = dwellings it reserves / the bailleur's dwellings in the département

counted over the dwellings concerned by the flux only: the dwellings reserved for national
defence or internal security, those to be sold and those to be demolished are left out of
both counts. A réservation whose end date is before the reference date no longer counts.

The shares are then compared with the conventions of a year (share stated − share observed).

Pure: plain records in, plain records out; the CSV line reader reuses ``matching.records``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from ..records import Convention, RecordError
from .apportionment import departement_of

# The CSV columns of an état des lieux (docs/formats.md « reservations_stock »).
CSV_COLUMNS = ("logement", "reservataire", "convention", "date_fin")
MAX_TEXT = 64


@dataclass(frozen=True, slots=True)
class StockReservation:
    """One line of an état des lieux: a dwelling reserved in stock by a réservataire."""

    logement: str
    reservataire: str
    convention: str | None = None
    ends_on: date | None = None


def _text(obj: Mapping[str, Any], key: str, *, required: bool) -> str | None:
    value = obj.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RecordError(key, "champ obligatoire manquant")
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise RecordError(key, f"texte attendu, reçu {value!r}")
    text = str(value).strip()
    if len(text) > MAX_TEXT:
        raise RecordError(key, f"{MAX_TEXT} caractères au plus")
    if "\x00" in text:
        raise RecordError(key, "caractère NUL interdit dans un texte")
    return text


def parse_stock_line(obj: Mapping[str, Any]) -> StockReservation:
    """``{"logement", "reservataire", "convention"?, "date_fin"?}`` (date AAAA-MM-JJ)."""
    if not isinstance(obj, Mapping):
        raise RecordError("", "objet attendu")
    unknown = sorted(set(obj) - set(CSV_COLUMNS))
    if unknown:
        raise RecordError(unknown[0], "colonne inconnue (attendu : " + ", ".join(CSV_COLUMNS) + ")")
    logement = _text(obj, "logement", required=True)
    reservataire = _text(obj, "reservataire", required=True)
    convention = _text(obj, "convention", required=False)
    raw_end = _text(obj, "date_fin", required=False)
    ends_on = None
    if raw_end is not None:
        try:
            ends_on = date.fromisoformat(raw_end)
        except ValueError:
            raise RecordError("date_fin", f"date AAAA-MM-JJ attendue, reçu {raw_end!r}") from None
    assert logement is not None and reservataire is not None
    return StockReservation(logement, reservataire, convention, ends_on)


@dataclass(frozen=True, slots=True)
class StockDwelling:
    """A dwelling of the bailleur's parc as the état des lieux sees it."""

    id: str
    commune: str
    not_concerned: str | None = None  # défense / sécurité intérieure, vente, démolition


@dataclass(frozen=True, slots=True)
class StockShare:
    """A réservataire's reserved dwellings and share in one département."""

    reservataire: str
    reserved: int
    base: int

    @property
    def share(self) -> Fraction:
        return Fraction(self.reserved, self.base) if self.base else Fraction(0)

    @property
    def share_percent(self) -> float:
        return round(float(100 * self.share), 2)


@dataclass(frozen=True, slots=True)
class DepartementStock:
    """The état des lieux of one bailleur × département."""

    departement: str
    dwellings: int  # every dwelling of the parc in the département
    not_concerned: Mapping[str, int]  # reason → dwellings left out
    base: int  # dwellings concerned by the flux
    shares: tuple[StockShare, ...]  # sorted by réservataire
    expired: int  # réservations ended before the reference date (not counted)
    left_out_reserved: int  # réservations on dwellings not concerned (not counted)

    @property
    def reserved(self) -> int:
        return sum(s.reserved for s in self.shares)

    @property
    def bailleur_share_percent(self) -> float:
        return round(100 - float(100 * Fraction(self.reserved, self.base)), 2) if self.base \
            else 0.0


def stock_shares(dwellings: Iterable[StockDwelling], reservations: Iterable[StockReservation],
                 on: date | None = None) -> list[DepartementStock]:
    """Each réservataire's share per département, from the réservations in stock.

    Reservations of unknown dwellings are ignored (the import refuses them first)."""
    by_id = {d.id: d for d in dwellings}
    totals: Counter[str] = Counter()
    left_out: dict[str, Counter[str]] = defaultdict(Counter)
    for d in by_id.values():
        dep = departement_of(d.commune)
        totals[dep] += 1
        if d.not_concerned:
            left_out[dep][d.not_concerned] += 1
    reserved: dict[str, Counter[str]] = defaultdict(Counter)
    expired: Counter[str] = Counter()
    reserved_left_out: Counter[str] = Counter()
    for r in reservations:
        d = by_id.get(r.logement)
        if d is None:
            continue
        dep = departement_of(d.commune)
        if d.not_concerned:
            reserved_left_out[dep] += 1
        elif on is not None and r.ends_on is not None and r.ends_on < on:
            expired[dep] += 1
        else:
            reserved[dep][r.reservataire] += 1
    out = []
    for dep in sorted(totals):
        base = totals[dep] - sum(left_out[dep].values())
        shares = tuple(StockShare(res, n, base) for res, n in sorted(reserved[dep].items()))
        out.append(DepartementStock(dep, totals[dep], dict(sorted(left_out[dep].items())), base,
                                    shares, expired[dep], reserved_left_out[dep]))
    return out


@dataclass(frozen=True, slots=True)
class ShareComparison:
    """A réservataire's share from the stock against its convention's share of a year."""

    departement: str
    reservataire: str
    stock_percent: float | None  # None: no réservation in stock
    convention: str | None  # None: no convention that year
    convention_percent: float | None

    @property
    def gap(self) -> float | None:
        """Convention share − stock share (points); None when one side is missing."""
        if self.stock_percent is None or self.convention_percent is None:
            return None
        return round(self.convention_percent - self.stock_percent, 2)


def compare_with_conventions(stock: Iterable[DepartementStock], conventions: Iterable[Convention],
                             bailleur: str, year: int) -> list[ShareComparison]:
    """Every réservataire of the stock or of the year's conventions, per département."""
    conv = {(c.departement, c.reservataire): c for c in conventions
            if c.bailleur == bailleur and c.year == year}
    shares = {(d.departement, s.reservataire): s.share_percent for d in stock for s in d.shares}
    out = []
    for dep, res in sorted(set(conv) | set(shares)):
        c = conv.get((dep, res))
        out.append(ShareComparison(dep, res, shares.get((dep, res)), c.id if c else None,
                                   float(c.share_percent) if c else None))
    return out
