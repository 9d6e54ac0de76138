"""The offers list of a household: eligibility (the engine's vectorised path), filters, text
search, order and page, and why the other offers are not shown.

The published offers are read once per process into an ``OfferTable`` (numpy columns) and
kept until they change: a fingerprint query answered from indexes alone (the highest offer id,
the number and the latest write of the search documents, which app/search/indexing.py rewrites
at every commit touching an offer or its logement) is run once per request. Eligibility verdicts
are ``OfferTable.evaluate``'s, the same as ``python -m matching eligibility`` gives offer by
offer; a household's verdicts are kept with the catalogue they were computed on (keyed by the
household's whole record and the date), so a change of either computes them again.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import func, select

from app.extensions import db
from app.flux.models import Offre
from app.search import documents, get_backend, text
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
VERDICTS_KEPT = 256  # households whose verdicts a catalogue keeps (least recently used out)
SEARCHES_KEPT = 128  # texts whose matches a catalogue keeps (paging and filtering repeat them)


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
    rows: tuple[Any, ...] = ()  # the offer rows (app/search/documents.py), what the list shows
    financing_code: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    financings: tuple[str, ...] = ()
    commune_choices: tuple[tuple[str, str], ...] = ()  # (code, name), French alphabetical order
    _summaries: OrderedDict = field(default_factory=OrderedDict, repr=False)
    _summaries_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _searches: OrderedDict = field(default_factory=OrderedDict, repr=False)

    @classmethod
    def build(cls, rows) -> Catalogue:
        recs = [documents.row_record(r) for r in rows]
        table = OfferTable(recs)
        n = len(rows)
        financings = tuple(sorted({r.financing for r in rows}))
        code = {f: i for i, f in enumerate(financings)}
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
            rows=tuple(rows),
            financing_code=np.fromiter((code[r.financing] for r in rows), dtype=np.int32,
                                       count=n),
            financings=financings,
            commune_choices=tuple(sorted(
                {r.commune_insee: r.commune_name for r in rows}.items(),
                key=lambda kv: (text.fold(kv[1]), kv[0]))),
        )

    def rows_of(self, offre_ids: list[int]) -> list[Any]:
        """The rows of these offers, in this order (those no longer listed left out)."""
        return [self.rows[self.position[i]] for i in offre_ids if i in self.position]

    def positions(self, offre_ids: list[int]) -> np.ndarray:
        """Positions of these offers in the columns (ids not listed left out), in this order."""
        wanted = np.asarray(offre_ids, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.ids, wanted), max(len(self.ids) - 1, 0))
        found = self.ids[at] == wanted if len(self.ids) else np.zeros(len(wanted), dtype=bool)
        return at[found]

    def summary(self, record: records.Demande, on: date) -> Summary:
        """The household's verdicts on these offers: computed once per record and date."""
        key = (repr(record), on)
        with self._summaries_lock:
            found = self._summaries.get(key)
            if found is not None:
                self._summaries.move_to_end(key)
                return found
        verdicts = self.table.evaluate(record, on)
        computed = Summary(ok=verdicts.ok, exclusions=tuple(exclusions(verdicts, self)))
        computed.ok.setflags(write=False)
        with self._summaries_lock:
            self._summaries[key] = computed
            while len(self._summaries) > VERDICTS_KEPT:
                self._summaries.popitem(last=False)
        return computed


    def matches(self, backend, query: str, ranked: bool) -> np.ndarray | None:
        """Positions of the offers matching a free text, best first when ``ranked`` (None for
        a query without words). The database's answers are kept with the catalogue: its
        fingerprint moves with every change of a search document, so they are never stale.
        Meilisearch's (filtered on its side, pushed after commit) are not kept."""
        if getattr(backend, "name", "") == "meilisearch":
            raise ValueError("Meilisearch filters on its side: call it with the criteria")
        key = (backend.name, tuple(text.query_terms(query)), ranked)
        with self._summaries_lock:
            if key in self._searches:
                self._searches.move_to_end(key)
                return self._searches[key]
        hits = backend.search(query, ranked=ranked)
        found = None if hits is None else self.positions(hits)
        if found is not None:
            found.setflags(write=False)
        with self._summaries_lock:
            self._searches[key] = found
            while len(self._searches) > SEARCHES_KEPT:
                self._searches.popitem(last=False)
        return found


@dataclass(frozen=True)
class Summary:
    """What the list needs of a household's verdicts: who is open, why the others are not."""

    ok: np.ndarray
    exclusions: tuple[Exclusion, ...]


_cache: dict[str, tuple[tuple, Catalogue]] = {}
_lock = threading.Lock()


def fingerprint() -> tuple:
    """Changes whenever a listed offer, its logement or its document changes: every such
    change rewrites the offer's search document (app/search/indexing.py, in the same
    transaction), which moves the documents' count or their latest ``indexed_at``; a new offer
    moves the highest offer id. One statement answered from indexes (no scan of the offers)."""
    docs = OffreSearchDocument.__table__.c
    return tuple(db.session.execute(select(
        select(func.max(Offre.id)).scalar_subquery(),
        select(func.count()).select_from(OffreSearchDocument.__table__).scalar_subquery(),
        select(func.max(docs.indexed_at)).scalar_subquery(),
    )).one())


def catalogue() -> Catalogue:
    """The listed offers, rebuilt only when the fingerprint changed."""
    key = str(db.engine.url)
    current = fingerprint()
    cached = _cache.get(key)
    if cached is not None and cached[0] == current:
        return cached[1]
    with _lock:
        cached = _cache.get(key)
        if cached is not None and cached[0] == current:  # another thread built it meanwhile
            return cached[1]
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
    counts: dict[tuple[str, str | None], int] = {}
    for code, mask in verdicts.failures.items():
        if not mask.any():
            continue
        if code in ("plafond_depasse", "plafond_non_fourni"):
            per_financing = np.bincount(cat.financing_code[mask], minlength=len(cat.financings))
            for i in np.flatnonzero(per_financing):
                key = (code, cat.financings[i])
                counts[key] = counts.get(key, 0) + int(per_financing[i])
        else:
            counts[(code, None)] = counts.get((code, None), 0) + int(mask.sum())
    return [Exclusion(code, financing, n) for (code, financing), n in
            sorted(counts.items(), key=lambda kv: (-kv[1], REASON_CODES.index(kv[0][0]),
                                                   kv[0][1] or ""))]


def evaluate(record: records.Demande, on: date) -> tuple[Catalogue, Verdicts]:
    cat = catalogue()
    return cat, cat.table.evaluate(record, on)


def list_offers(record: records.Demande, criteria: Criteria, on: date, page: int = 1,
                page_size: int = PAGE_SIZE, cat: Catalogue | None = None) -> Listing:
    """The eligible offers matching the criteria, one page of them, and the exclusions
    (``cat``: the catalogue the caller already holds for this request)."""
    cat = cat if cat is not None else catalogue()
    summary = cat.summary(record, on)
    ok = summary.ok
    wanted = filter_mask(cat, criteria)
    relevance = None
    if criteria.q:
        backend = get_backend()
        if getattr(backend, "name", "") == "meilisearch":
            hits = backend.search(criteria.q, criteria.as_dict())
            at = None if hits is None else cat.positions(hits)
        else:  # the database ranks only when the order asks for it
            at = cat.matches(backend, criteria.q, ranked=criteria.sort == "pertinence")
        if at is not None:
            text_mask = np.zeros(len(cat.ids), dtype=bool)
            text_mask[at] = True
            relevance = np.full(len(cat.ids), np.inf)
            relevance[at] = np.arange(len(at), dtype=float)
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
        excluded_total=int((~ok).sum()), exclusions=list(summary.exclusions),
        hidden_by_filters=int((ok & ~wanted).sum()), page_out_of_range=out_of_range,
    )


def eligible_ids(record: records.Demande, on: date) -> set[int]:
    """Ids of every listed offer open to the household."""
    cat = catalogue()
    return {int(i) for i in cat.ids[cat.summary(record, on).ok]}
