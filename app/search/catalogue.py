"""The offers list of a household: eligibility (the engine's vectorised path), filters, text
search, order and page, and why the other offers are not shown.

The published offers are read once per process into an ``OfferTable`` (numpy columns) and
kept until they change: a cheap fingerprint query (count and latest dates of the offers and of
their search documents) is run per request. Eligibility verdicts are ``OfferTable.evaluate``'s,
the same as ``python -m matching eligibility`` gives offer by offer.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import func, select

from app.extensions import db
from app.flux.models import Offre
from app.search import documents, get_backend
from app.search.models import OffreSearchDocument
from matching import enums, records
from matching.eligibility import REASON_CODES, REASON_LABELS, OfferTable, Verdicts

PAGE_SIZE = 20
SORTS = {
    "recent": "les plus récentes d'abord",
    "loyer": "loyer le moins cher d'abord",
    "surface": "les plus grandes d'abord",
    "pertinence": "les plus proches de ma recherche",
}
_TYPOLOGY_INDEX = {t: i for i, t in enumerate(enums.TYPOLOGIES)}


@dataclass(frozen=True, eq=False)
class Catalogue:
    """The listed offers as columns, in offer-id order."""

    ids: np.ndarray
    refs: tuple[str, ...]
    table: OfferTable
    commune: np.ndarray  # INSEE codes (object)
    commune_names: dict[str, str]
    financing: np.ndarray
    typology: np.ndarray
    cost: np.ndarray
    surface: np.ndarray
    floor: np.ndarray  # NaN when unknown
    lift: np.ndarray
    accessible: np.ndarray
    published: np.ndarray  # POSIX seconds, 0 when unknown
    position: dict[int, int]

    @classmethod
    def build(cls, rows) -> Catalogue:
        recs = [documents.row_record(r) for r in rows]
        table = OfferTable(recs)
        n = len(rows)
        return cls(
            ids=np.fromiter((r.id for r in rows), dtype=np.int64, count=n),
            refs=tuple(r.ref for r in rows),
            table=table,
            commune=np.array([r.commune_insee for r in rows], dtype=object),
            commune_names={r.commune_insee: r.commune_name for r in rows},
            financing=np.array([r.financing for r in rows], dtype=object),
            typology=np.array([r.typology for r in rows], dtype=object),
            cost=table.cost,
            surface=table.surface,
            floor=np.array([np.nan if r.floor is None else r.floor for r in rows], dtype=float),
            lift=np.array([bool(r.lift) for r in rows], dtype=bool),
            accessible=table.accessible,
            published=np.array([r.published_at.timestamp() if r.published_at else 0.0
                                for r in rows], dtype=float),
            position={int(r.id): i for i, r in enumerate(rows)},
        )


_cache: dict[str, tuple[tuple, Catalogue]] = {}
_lock = threading.Lock()


def fingerprint() -> tuple:
    """Changes whenever a listed offer, its logement or its document changes."""
    offers = db.session.execute(
        select(func.count(Offre.id), func.max(Offre.id), func.max(Offre.published_at))
        .where(documents.is_listed())
    ).one()
    docs = db.session.execute(
        select(func.count(OffreSearchDocument.offre_id), func.max(OffreSearchDocument.indexed_at))
    ).one()
    return (*offers, *docs)


def catalogue() -> Catalogue:
    """The listed offers, rebuilt only when the fingerprint changed."""
    key = str(db.engine.url)
    current = fingerprint()
    cached = _cache.get(key)
    if cached is not None and cached[0] == current:
        return cached[1]
    with _lock:
        built = Catalogue.build(documents.offer_rows())
        _cache[key] = (current, built)
    return built


@dataclass
class Criteria:
    """The requester's filters, validated (app/spaces/requester/offers.py parses them)."""

    q: str = ""
    commune: str | None = None
    typology: str | None = None
    max_rent: float | None = None
    accessible: bool = False
    lift: bool = False
    max_floor: int | None = None
    sort: str = "recent"

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, "", False)}

    @property
    def has_filters(self) -> bool:
        return bool(self.q or self.commune or self.typology or self.max_rent is not None
                    or self.accessible or self.lift or self.max_floor is not None)


@dataclass(frozen=True)
class Exclusion:
    """One line of the "why don't I see other offers" panel."""

    code: str
    financing: str | None
    count: int

    @property
    def text(self) -> str:
        label = REASON_LABELS[self.code]
        noun = "offre" if self.count == 1 else "offres"
        what = f"{self.count} {noun} {self.financing}" if self.financing else f"{self.count} {noun}"
        return f"{what} : {label}"


@dataclass
class Listing:
    criteria: Criteria
    page: int
    pages: int
    total: int
    offer_ids: list[int]
    eligible_total: int
    listed_total: int
    excluded_total: int
    exclusions: list[Exclusion] = field(default_factory=list)
    hidden_by_filters: int = 0
    page_out_of_range: bool = False


def filter_mask(cat: Catalogue, criteria: Criteria) -> np.ndarray:
    """Offers matching the requester's filters (not the text)."""
    mask = np.ones(len(cat.ids), dtype=bool)
    if criteria.commune:
        mask &= cat.commune == criteria.commune
    if criteria.typology:
        mask &= cat.typology == criteria.typology
    if criteria.max_rent is not None:
        mask &= cat.cost <= criteria.max_rent
    if criteria.accessible:
        mask &= cat.accessible
    if criteria.lift:
        mask &= cat.lift
    if criteria.max_floor is not None:
        mask &= cat.floor <= criteria.max_floor  # unknown floor (NaN) is left out
    return mask


def exclusions(verdicts: Verdicts, cat: Catalogue) -> list[Exclusion]:
    """Why offers are closed: per reason (ceilings per financing), most frequent first. An offer
    closed for several reasons counts under each."""
    counts: Counter[tuple[str, str | None]] = Counter()
    for code, mask in verdicts.failures.items():
        if not mask.any():
            continue
        if code in ("plafond_depasse", "plafond_non_fourni"):
            for financing, n in Counter(cat.financing[mask]).items():
                counts[(code, financing)] += int(n)
        else:
            counts[(code, None)] += int(mask.sum())
    return [Exclusion(code, financing, n) for (code, financing), n in
            sorted(counts.items(), key=lambda kv: (-kv[1], REASON_CODES.index(kv[0][0]),
                                                   kv[0][1] or ""))]


def evaluate(record: records.Demande, on: date) -> tuple[Catalogue, Verdicts]:
    cat = catalogue()
    return cat, cat.table.evaluate(record, on)


def list_offers(record: records.Demande, criteria: Criteria, on: date, page: int = 1,
                page_size: int = PAGE_SIZE) -> Listing:
    """The eligible offers matching the criteria, one page of them, and the exclusions."""
    cat, verdicts = evaluate(record, on)
    ok = verdicts.ok
    wanted = filter_mask(cat, criteria)
    relevance = None
    if criteria.q:
        backend = get_backend()
        if getattr(backend, "name", "") == "meilisearch":
            hits = backend.search(criteria.q, criteria.as_dict())
        else:
            hits = backend.search(criteria.q)
        if hits is not None:
            text_mask = np.zeros(len(cat.ids), dtype=bool)
            relevance = np.full(len(cat.ids), np.inf)
            for rank, offre_id in enumerate(hits):
                i = cat.position.get(offre_id)
                if i is not None:
                    text_mask[i] = True
                    relevance[i] = rank
            wanted &= text_mask
    shown = np.flatnonzero(ok & wanted)
    sort = criteria.sort
    if sort == "pertinence" and relevance is None:
        sort = "recent"
    if sort == "loyer":
        keys = (cat.ids[shown], cat.cost[shown])
    elif sort == "surface":
        keys = (cat.ids[shown], -np.nan_to_num(cat.surface[shown], nan=0.0))
    elif sort == "pertinence":
        keys = (cat.ids[shown], relevance[shown])
    else:
        keys = (-cat.ids[shown], -cat.published[shown])
    ordered = shown[np.lexsort(keys)]
    total = len(ordered)
    pages = max(1, math.ceil(total / page_size))
    out_of_range = page > pages
    start = (page - 1) * page_size
    offer_ids = [] if out_of_range else [int(cat.ids[i]) for i in ordered[start:start + page_size]]
    return Listing(
        criteria=criteria, page=page, pages=pages, total=total, offer_ids=offer_ids,
        eligible_total=int(ok.sum()), listed_total=len(cat.ids),
        excluded_total=int((~ok).sum()), exclusions=exclusions(verdicts, cat),
        hidden_by_filters=int((ok & ~wanted).sum()), page_out_of_range=out_of_range,
    )


def eligible_ids(record: records.Demande, on: date) -> set[int]:
    """Ids of every listed offer open to the household."""
    cat, verdicts = evaluate(record, on)
    return {int(i) for i in cat.ids[verdicts.ok]}
