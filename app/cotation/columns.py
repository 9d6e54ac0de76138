"""Demandes of a territory, from the database straight into the engine's columns.

``load_table`` builds a ``matching.batch.DemandeTable`` with one query per table (demandes,
then each child table) and no Python object per demande. On PostgreSQL each query comes back
as one row of binary arrays (``array_send(array_agg(column))``): NULLs are replaced by
sentinels in the SQL, so every element has the same width and numpy reads a column as one
structured array. SQLite answers the same queries through ``fetchall``, turned column by
column into arrays. Child rows find their demande by its database id (a lookup array, or
``searchsorted`` when ids are sparse) and their slot (member, wish, refusal) from their
position, rank or order of arrival.

By default the table is the one ``DemandeTable.from_demandes`` would build from the records
of ``app.adapters.records`` (a test checks that both score the same), except that ``ids``
holds the database ids. With ``TableNeeds`` (what a grid reads) the loader leaves out what
the grid does not read: the table then scores the same for that grid, and only for it.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from matching import enums
from matching.batch import NAT, VERIFICATION_CODES, DemandeTable, TableNeeds

ACTIVE = "active"  # a brouillon is not filed yet: it has no cotation
_NO_DAY = -(2**31)  # sentinel of a NULL date (days since 1970-01-01)
_NO_COMMUNE = "00000"  # sentinel of a NULL commune (no INSEE code is 00000)
_KEY = re.compile(r"^[a-z][a-z0-9_.]*$")

# Column kinds: PostgreSQL binary width and numpy type of the value.
_BINARY = {"i4": ">i4", "f8": ">f8", "bool": "?", "day": ">i4", "insee": "S5"}


@dataclass(frozen=True)
class Dialect:
    """The few SQL expressions that differ between PostgreSQL and SQLite."""

    name: str

    def day(self, col: str) -> str:
        """A date as days since 1970-01-01 (an integer; the sentinel when NULL)."""
        if self.name == "postgresql":
            return f"COALESCE({col} - DATE '1970-01-01', {_NO_DAY})"
        return f"COALESCE(CAST(julianday({col}) - 2440587.5 AS INTEGER), {_NO_DAY})"

    def real(self, col: str) -> str:
        """A number as a double (NaN when NULL; SQLite's None becomes NaN in numpy)."""
        if self.name == "postgresql":
            return f"COALESCE(CAST({col} AS float8), 'NaN'::float8)"
        return f"CAST({col} AS REAL)"

    @staticmethod
    def code(col: str, vocabulary: Sequence[str]) -> str:
        """The index of a text value in a vocabulary (-1 when absent)."""
        cases = " ".join(f"WHEN {_quote(v)} THEN {i}" for i, v in enumerate(vocabulary))
        return f"(CASE {col} {cases} ELSE -1 END)"

    @staticmethod
    def insee(col: str) -> str:
        return f"COALESCE({col}, '{_NO_COMMUNE}')"


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def read_columns(session: Session, sql: str, kinds: Sequence[tuple[str, str]]) -> dict[str, np.ndarray]:
    """Run one query whose columns are never NULL; one numpy array per column."""
    if session.get_bind().dialect.name == "postgresql":
        return _pg_arrays(session, sql, kinds)
    rows = session.connection().connection.driver_connection.execute(sql).fetchall()
    out: dict[str, np.ndarray] = {}
    for (name, kind), values in zip(kinds, zip(*rows, strict=True) if rows else [()] * len(kinds),
                                    strict=True):
        if kind == "insee":
            out[name] = np.array(values, dtype="U5")
        elif kind == "bool":
            out[name] = np.array(values, dtype=bool)
        elif kind == "f8":
            out[name] = np.array(values, dtype=np.float64)
        else:
            out[name] = np.array(values, dtype=np.int64)
    return out


def _pg_arrays(session: Session, sql: str, kinds: Sequence[tuple[str, str]]) -> dict[str, np.ndarray]:
    """The query's columns as PostgreSQL arrays in binary (``array_send(array_agg(…))``).

    One row comes back, one bytea per column: a header, then per element a length (int32)
    and the value in network byte order. With no NULL and fixed-width types every element has
    the same size, so numpy reads each column as one structured array. (A ``COPY … TO``
    would send one message per row, which the driver hands over one by one.)"""
    names = [f"c{i}" for i in range(len(kinds))]
    aggregates = ", ".join(f"array_send(array_agg({c}))" for c in names)
    raw = session.connection().connection.driver_connection
    with raw.cursor(binary=True) as cur:
        cur.execute(f"SELECT {aggregates} FROM ({sql}) AS q({', '.join(names)})")
        row = cur.fetchone()
    out: dict[str, np.ndarray] = {}
    for (name, kind), data in zip(kinds, row, strict=True):
        dtype = np.dtype([("length", ">i4"), ("value", _BINARY[kind])])
        if data is None:  # no row: array_agg gives NULL
            v = np.zeros(0, dtype["value"])
        else:
            ndim, _flags, _oid = struct.unpack(">iii", data[:12])
            count = struct.unpack(">i", data[12:16])[0] if ndim else 0
            elements = np.frombuffer(data, dtype, count=count, offset=12 + 8 * ndim)
            if not (elements["length"] == dtype["value"].itemsize).all():
                raise RuntimeError(f"colonne {name} : valeur NULL ou de largeur variable")
            v = elements["value"]
        if kind == "insee":
            out[name] = v.astype("U5")
        elif kind == "bool":
            out[name] = v.astype(bool)
        elif kind == "f8":
            out[name] = v.astype(np.float64)
        else:
            out[name] = v.astype(np.int64)
    return out


def _days(v: np.ndarray) -> np.ndarray:
    out = v.astype(np.int64).astype("datetime64[D]")
    out[v == _NO_DAY] = NAT
    return out


class _Rows:
    """Maps database ids of demandes to row numbers of the table."""

    def __init__(self, ids: np.ndarray):
        self.ids = ids
        self.lut = None
        if len(ids):
            lo, hi = int(ids[0]), int(ids[-1])
            if hi - lo < 4 * len(ids) + 1024:  # dense ids: one lookup array, O(1) per child row
                self.lo = lo
                self.lut = np.full(hi - lo + 1, -1, np.int64)
                self.lut[ids - lo] = np.arange(len(ids))

    def __call__(self, demande_ids: np.ndarray) -> np.ndarray:
        if self.lut is not None:
            return self.lut[demande_ids - self.lo]
        rows = np.searchsorted(self.ids, demande_ids)
        if len(rows) and not (self.ids[np.minimum(rows, len(self.ids) - 1)] == demande_ids).all():
            raise RuntimeError("ligne enfant sans demande")  # pragma: no cover (queries filter)
        return rows


def _slots(rows: np.ndarray, key: np.ndarray | None = None) -> np.ndarray:
    """Index of each child row within its demande, in ``key`` order (else arrival order).

    When keys are dense (0..count-1, unique per demande, as positions and ranks written by the
    application are), the key is the slot and nothing is sorted."""
    m = len(rows)
    if m == 0:
        return np.zeros(0, np.int64)
    counts = np.bincount(rows)
    if key is not None and (key >= 0).all() and (key < counts[rows]).all():
        return key.astype(np.int64)  # unique (database constraint) and below the count: dense
    order = np.lexsort((key, rows)) if key is not None else np.argsort(rows, kind="stable")
    sorted_rows = rows[order]
    first = np.r_[True, sorted_rows[1:] != sorted_rows[:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(m), 0))
    slots = np.empty(m, np.int64)
    slots[order] = np.arange(m) - start
    return slots


def _bitmask(n: int, rows: np.ndarray, codes: np.ndarray, distinct: bool = True) -> np.ndarray:
    """OR of 1 << code per demande. ``distinct``: a code comes at most once per demande (the
    table's primary key says so), so a sum is an OR; otherwise pairs are deduplicated first
    (two adults with the same contract)."""
    ok = codes >= 0
    rows, codes = rows[ok].astype(np.int64), codes[ok].astype(np.int64)
    if not distinct:
        pairs = np.unique(rows * 64 + codes)  # codes < 64
        rows, codes = pairs >> 6, pairs & 63
    return np.bincount(rows, weights=(1 << codes).astype(np.float64), minlength=n).astype(np.int64)


def communes_vocabulary(session: Session) -> np.ndarray:
    """Every commune code of the database, sorted (U5)."""
    got = read_columns(session, "SELECT insee FROM communes", [("insee", "insee")])
    return np.sort(got["insee"])


def _encode(codes: np.ndarray, vocabulary: np.ndarray) -> np.ndarray:
    """Index of each code in the sorted vocabulary, -1 for the NULL sentinel or unknown."""
    if len(vocabulary) == 0:
        return np.full(len(codes), -1, np.int32)
    i = np.minimum(np.searchsorted(vocabulary, codes), len(vocabulary) - 1)
    return np.where(vocabulary[i] == codes, i, -1).astype(np.int32)


def load_table(session: Session, epci_id: int, needs: TableNeeds | None = None) -> DemandeTable:
    """The active demandes of one EPCI as columns, in order of database id.

    ``needs`` (``TableNeeds.for_grid``) leaves out what the grid does not read; by default
    everything is loaded. Child tables are filtered by the id range of the EPCI's demandes
    when they fill most of it (no join in the database; rows of other demandes are dropped
    here), by a semi-join otherwise."""
    d = Dialect(session.get_bind().dialect.name)
    where = f"epci_id = {int(epci_id)} AND status = '{ACTIVE}'"
    vocab = communes_vocabulary(session)

    numbers = ("rooms", "surface", "rent", "charges", "monthly_resources", "rfr_n2")
    wanted = numbers if needs is None else tuple(c for c in numbers if c in needs.numbers)
    source = {"rooms": "current_rooms", "surface": "current_surface", "rent": "current_rent",
              "charges": "current_charges", "monthly_resources": "monthly_resources",
              "rfr_n2": "rfr_n2"}
    # Flags and the housing kind travel packed in one integer: fewer columns, faster transfer.
    flags = " + ".join(f"(CASE WHEN {col} THEN {1 << i} ELSE 0 END)" for i, col in enumerate(
        ("is_mutation", "needs_accessible", "employer_contributes_action_logement", "is_dalo",
         "is_acd_labelled")))
    main = read_columns(session, (
        f"SELECT id, {d.day('filed_on')}, {flags} + 32 * "
        f"{d.code('current_housing_kind', enums.HOUSING_KINDS)}, "
        f"{d.insee('current_commune_insee')}"
        + "".join(f", {d.real(source[c])}" for c in wanted)
        + f" FROM demandes WHERE {where}"
    ), [("id", "i4"), ("filed_on", "day"), ("packed", "i4"), ("commune", "insee"),
        *((c, "f8") for c in wanted)])
    order = np.argsort(main["id"], kind="stable")
    if not (order == np.arange(len(order))).all():
        main = {k: v[order] for k, v in main.items()}
    n = len(main["id"])
    row_of = _Rows(main["id"])
    packed = main.pop("packed")
    for i, name in enumerate(("is_mutation", "needs_accessible", "contributes_al", "dalo", "acd")):
        main[name] = (packed >> i) & 1 == 1
    main["kind"] = packed >> 5
    for c in numbers:
        if c not in main:
            main[c] = np.full(n, np.nan)  # not read by the grid
    child = f"demande_id IN (SELECT id FROM demandes WHERE {where})"
    if n and row_of.lut is not None:
        lo, hi = int(main["id"][0]), int(main["id"][-1])
        span = session.connection().exec_driver_sql(
            f"SELECT count(*) FROM demandes WHERE id BETWEEN {lo} AND {hi}").scalar_one()
        if 2 * n >= span:
            child = f"demande_id BETWEEN {lo} AND {hi}"

    def children(sql: str, kinds: Sequence[tuple[str, str]]) -> tuple[np.ndarray, dict]:
        """Rows of a child table with the table row of their demande (others dropped)."""
        got = read_columns(session, sql, [("demande", "i4"), *kinds])
        rows = row_of(got.pop("demande"))
        keep = rows >= 0
        if not keep.all():
            rows, got = rows[keep], {k: v[keep] for k, v in got.items()}
        return rows, got

    m_rows, members = children(
        f"SELECT demande_id, {d.day('birth_date')}, position * 8 "
        f"+ (CASE WHEN is_dependent THEN 1 ELSE 0 END) "
        f"+ (CASE WHEN has_disability THEN 2 ELSE 0 END) "
        f"+ (CASE WHEN role = 'demandeur' THEN 4 ELSE 0 END) FROM household_members "
        f"WHERE {child}", [("birth", "day"), ("packed", "i4")])
    packed = members.pop("packed")
    members["position"] = packed >> 3
    members["dependent"] = packed & 1 == 1
    members["disability"] = packed & 2 == 2
    members["is_demandeur"] = packed & 4 == 4
    m_slot = _slots(m_rows, members["position"])
    M = int(m_slot.max()) + 1 if len(m_slot) else 1
    birth = np.full((n, M), NAT)
    birth[m_rows, m_slot] = _days(members["birth"])
    dependent = np.zeros((n, M), bool)
    dependent[m_rows, m_slot] = members["dependent"]
    disability = np.zeros((n, M), bool)
    disability[m_rows, m_slot] = members["disability"]
    is_dem = np.zeros((n, M), bool)
    is_dem[m_rows, m_slot] = members["is_demandeur"]
    first_dem = is_dem.argmax(axis=1)
    demandeur_birth = np.where(is_dem.any(axis=1), birth[np.arange(n), first_dem], NAT)
    n_members = np.bincount(m_rows, minlength=n).astype(np.int64)

    def codes_of(table: str, col: str, vocabulary: Sequence[str]) -> np.ndarray:
        rows, got = children(f"SELECT demande_id, {d.code(col, vocabulary)} FROM {table} "
                             f"WHERE {child}", [("code", "i4")])
        return _bitmask(n, rows, got["code"])

    reasons = codes_of("demande_reasons", "reason", enums.REASONS)
    typologies = (codes_of("wished_typologies", "typology", enums.TYPOLOGIES)
                  if needs is None or needs.typologies else np.zeros(n, np.int64))
    l441_1 = codes_of("priority_criteria", "criterion", enums.L441_1)

    j_rows, jobs = children(
        f"SELECT demande_id, member_position * 64 + {d.code('contract', enums.CONTRACTS)} "
        f"FROM employments WHERE {child}", [("packed", "i4")])
    member, jobs["code"] = jobs["packed"] >> 6, jobs["packed"] & 63
    # Contracts of adults: the member (an index into the household, as in the record) exists
    # and is not a dependent.
    exists = (member >= 0) & (member < n_members[j_rows])
    adult = exists & ~dependent[j_rows, np.where(exists, member, 0)]
    contracts_adults = _bitmask(n, j_rows[adult], jobs["code"][adult], distinct=False)

    first_only = " AND rank = 1" if needs is not None and needs.first_wish_only else ""
    w_rows, wished = children(
        f"SELECT demande_id, rank, {d.insee('commune_insee')} FROM wished_communes "
        f"WHERE {child}{first_only}", [("rank", "i4"), ("commune", "insee")])
    w_slot = _slots(w_rows, wished["rank"] - 1)
    K = int(w_slot.max()) + 1 if len(w_slot) else 1
    wishes = np.full((n, K), -1, np.int32)
    wishes[w_rows, w_slot] = _encode(wished["commune"], vocab)

    r_rows, refusals = children(
        f"SELECT demande_id, 2 * {d.day('refused_on')} + (CASE WHEN is_adapted THEN 1 ELSE 0 "
        f"END) FROM refusals WHERE {child}", [("packed", "i4")])
    refusals["date"], refusals["adapted"] = refusals["packed"] >> 1, refusals["packed"] & 1 == 1
    r_slot = _slots(r_rows)  # arrival order: a score reads only the count and the last date
    R = int(r_slot.max()) + 1 if len(r_slot) else 1
    refusal_dates = np.full((n, R), NAT)
    refusal_dates[r_rows, r_slot] = _days(refusals["date"])
    refusal_adapted = np.zeros((n, R), bool)
    refusal_adapted[r_rows, r_slot] = refusals["adapted"]

    if needs is None:
        found = session.connection().exec_driver_sql(
            f"SELECT DISTINCT criterion FROM verifications WHERE {child}").scalars().all()
        keys, statuses = sorted(found), ("verified", "rejected")
    else:
        keys = sorted(needs.verified_keys)
        statuses = ("rejected",) if needs.rejected_only else ("verified", "rejected")
    verified: dict[str, np.ndarray] = {}
    if keys:
        if not all(_KEY.match(k) for k in keys):
            raise ValueError(f"clé de vérification invalide parmi {keys!r}")
        v_rows, got = children(
            f"SELECT demande_id, 4 * {d.code('criterion', keys)} + "
            f"{d.code('status', tuple(VERIFICATION_CODES))} FROM verifications "
            f"WHERE criterion IN ({', '.join(_quote(k) for k in keys)}) "
            f"AND status IN ({', '.join(_quote(s) for s in statuses)}) AND {child}",
            [("packed", "i4")])
        got["key"], got["status"] = got["packed"] >> 2, got["packed"] & 3
        for i, k in enumerate(keys):
            mine = got["key"] == i
            column = np.zeros(n, np.int8)  # absent key (or status not loaded) = declared
            column[v_rows[mine]] = got["status"][mine]
            verified[k] = column

    return DemandeTable(
        ids=main["id"], filed_on=_days(main["filed_on"]), is_mutation=main["is_mutation"],
        kind=main["kind"].astype(np.int16), current_commune=_encode(main["commune"], vocab),
        rooms=main["rooms"], surface=main["surface"], rent=main["rent"],
        charges=main["charges"], monthly_resources=main["monthly_resources"],
        rfr_n2=main["rfr_n2"], reasons=reasons, typologies=typologies,
        needs_accessible=main["needs_accessible"], contributes_al=main["contributes_al"],
        dalo=main["dalo"], acd_labelled=main["acd"], l441_1=l441_1,
        contracts_adults=contracts_adults, n_members=n_members, member_birth=birth,
        member_dependent=dependent, member_disability=disability,
        demandeur_birth=demandeur_birth, refusal_dates=refusal_dates,
        refusal_adapted=refusal_adapted, wishes=wishes, communes=tuple(vocab.tolist()),
        verified=verified,
    )
