"""Demandes of a territory, from the database straight into the engine's columns.

``load_table`` builds a ``matching.batch.DemandeTable`` with one query per table (demandes,
then each child table) and no Python object per demande: PostgreSQL sends every query as a
binary ``COPY … TO STDOUT`` whose rows have a fixed width (NULLs are replaced by sentinels in
the SQL), read by numpy as one structured array; SQLite, which has no COPY, answers the same
queries through ``fetchall`` turned column by column into arrays. Child rows find their
demande by its database id (a lookup array, or ``searchsorted`` when ids are sparse) and their
slot (member, wish, refusal) from their position, rank or order of arrival.

The table is the one ``DemandeTable.from_demandes`` would build from the records of
``app.adapters.records`` (a test checks that both score the same), with two differences:
``ids`` holds the database ids, and ``verified`` holds only the keys asked for (a grid reads a
few: ``matching.batch.verification_keys``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from matching import enums
from matching.batch import NAT, VERIFICATION_CODES, DemandeTable

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
        return _copy_binary(session, sql, kinds)
    rows = session.connection().exec_driver_sql(sql).fetchall()
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


def _copy_binary(session: Session, sql: str, kinds: Sequence[tuple[str, str]]) -> dict[str, np.ndarray]:
    """``COPY (sql) TO STDOUT (FORMAT BINARY)`` read as fixed-width rows.

    Each row is a field count (int16) then, per field, a length (int32) and the value in
    network byte order; with no NULL and fixed-width types every row has the same size."""
    raw = session.connection().connection.driver_connection
    chunks: list[bytes] = []
    with raw.cursor() as cur, cur.copy(f"COPY ({sql}) TO STDOUT (FORMAT BINARY)") as copy:
        for block in copy:
            chunks.append(bytes(block))
    data = b"".join(chunks)
    if data[:11] != b"PGCOPY\n\xff\r\n\x00":
        raise RuntimeError("COPY binaire : signature inattendue")
    ext = int.from_bytes(data[15:19], "big")
    body = data[19 + ext : -2]  # header, extension, then rows, then the trailer (-1 as int16)
    fields = [("n", ">i2")]
    for i, (_, kind) in enumerate(kinds):
        fields += [(f"l{i}", ">i4"), (f"v{i}", _BINARY[kind])]
    dtype = np.dtype(fields)
    if len(body) % dtype.itemsize:
        raise RuntimeError("COPY binaire : ligne de largeur variable (valeur NULL non remplacée ?)")
    rows = np.frombuffer(body, dtype=dtype)
    if len(rows) and not (rows["n"] == len(kinds)).all():
        raise RuntimeError("COPY binaire : nombre de colonnes inattendu")
    out: dict[str, np.ndarray] = {}
    for i, (name, kind) in enumerate(kinds):
        if len(rows) and not (rows[f"l{i}"] == dtype[f"v{i}"].itemsize).all():
            raise RuntimeError(f"COPY binaire : largeur inattendue de la colonne {name}")
        v = rows[f"v{i}"]
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


def _bitmask(n: int, rows: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """OR of 1 << code per demande (codes unique per demande: a sum is an OR)."""
    ok = codes >= 0
    return np.bincount(rows[ok], weights=(1 << codes[ok].astype(np.int64)).astype(np.float64),
                       minlength=n).astype(np.int64)


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


def load_table(session: Session, epci_id: int,
               verified_keys: Iterable[str] | None = None) -> DemandeTable:
    """The active demandes of one EPCI as columns, in order of database id.

    ``verified_keys``: the verification statuses to load (default: every key present)."""
    d = Dialect(session.get_bind().dialect.name)
    where = f"epci_id = {int(epci_id)} AND status = '{ACTIVE}'"
    child = f"demande_id IN (SELECT id FROM demandes WHERE {where})"
    vocab = communes_vocabulary(session)

    main = read_columns(session, (
        f"SELECT id, {d.day('filed_on')}, is_mutation, "
        f"{d.code('current_housing_kind', enums.HOUSING_KINDS)}, "
        f"{d.insee('current_commune_insee')}, {d.real('current_rooms')}, "
        f"{d.real('current_surface')}, {d.real('current_rent')}, {d.real('current_charges')}, "
        f"{d.real('monthly_resources')}, {d.real('rfr_n2')}, needs_accessible, "
        f"employer_contributes_action_logement, is_dalo, is_acd_labelled "
        f"FROM demandes WHERE {where}"
    ), [("id", "i4"), ("filed_on", "day"), ("is_mutation", "bool"), ("kind", "i4"),
        ("commune", "insee"), ("rooms", "f8"), ("surface", "f8"), ("rent", "f8"),
        ("charges", "f8"), ("monthly_resources", "f8"), ("rfr_n2", "f8"),
        ("needs_accessible", "bool"), ("contributes_al", "bool"), ("dalo", "bool"),
        ("acd", "bool")])
    order = np.argsort(main["id"], kind="stable")
    if not (order == np.arange(len(order))).all():
        main = {k: v[order] for k, v in main.items()}
    n = len(main["id"])
    row_of = _Rows(main["id"])

    members = read_columns(session, (
        f"SELECT demande_id, position, {d.day('birth_date')}, is_dependent, has_disability, "
        f"{d.code('role', ('demandeur',))} FROM household_members WHERE {child}"
    ), [("demande", "i4"), ("position", "i4"), ("birth", "day"), ("dependent", "bool"),
        ("disability", "bool"), ("is_demandeur", "i4")])
    m_rows = row_of(members["demande"])
    m_slot = _slots(m_rows, members["position"])
    M = int(m_slot.max()) + 1 if len(m_slot) else 1
    birth = np.full((n, M), NAT)
    birth[m_rows, m_slot] = _days(members["birth"])
    dependent = np.zeros((n, M), bool)
    dependent[m_rows, m_slot] = members["dependent"]
    disability = np.zeros((n, M), bool)
    disability[m_rows, m_slot] = members["disability"]
    is_dem = np.zeros((n, M), bool)
    is_dem[m_rows, m_slot] = members["is_demandeur"] == 0
    first_dem = is_dem.argmax(axis=1)
    demandeur_birth = np.where(is_dem.any(axis=1), birth[np.arange(n), first_dem], NAT)
    n_members = np.bincount(m_rows, minlength=n).astype(np.int64)

    def codes_of(table: str, col: str, vocabulary: Sequence[str]) -> np.ndarray:
        got = read_columns(session, f"SELECT demande_id, {d.code(col, vocabulary)} "
                                    f"FROM {table} WHERE {child}",
                           [("demande", "i4"), ("code", "i4")])
        return _bitmask(n, row_of(got["demande"]), got["code"])

    reasons = codes_of("demande_reasons", "reason", enums.REASONS)
    typologies = codes_of("wished_typologies", "typology", enums.TYPOLOGIES)
    l441_1 = codes_of("priority_criteria", "criterion", enums.L441_1)

    jobs = read_columns(session, (
        f"SELECT demande_id, member_position, {d.code('contract', enums.CONTRACTS)} "
        f"FROM employments WHERE {child}"
    ), [("demande", "i4"), ("member", "i4"), ("code", "i4")])
    j_rows = row_of(jobs["demande"])
    member = jobs["member"].astype(np.int64)
    # Contracts of adults: the member (an index into the household, as in the record) exists
    # and is not a dependent.
    exists = (member >= 0) & (member < n_members[j_rows])
    adult = exists & ~dependent[j_rows, np.where(exists, member, 0)]
    contracts_adults = _bitmask(n, j_rows[adult], jobs["code"][adult])

    wished = read_columns(session, (
        f"SELECT demande_id, rank, {d.insee('commune_insee')} FROM wished_communes WHERE {child}"
    ), [("demande", "i4"), ("rank", "i4"), ("commune", "insee")])
    w_rows = row_of(wished["demande"])
    w_slot = _slots(w_rows, wished["rank"] - 1)
    K = int(w_slot.max()) + 1 if len(w_slot) else 1
    wishes = np.full((n, K), -1, np.int32)
    wishes[w_rows, w_slot] = _encode(wished["commune"], vocab)

    refusals = read_columns(session, (
        f"SELECT demande_id, {d.day('refused_on')}, is_adapted FROM refusals WHERE {child}"
    ), [("demande", "i4"), ("date", "day"), ("adapted", "bool")])
    r_rows = row_of(refusals["demande"])
    r_slot = _slots(r_rows)  # arrival order: a score reads only the count and the last date
    R = int(r_slot.max()) + 1 if len(r_slot) else 1
    refusal_dates = np.full((n, R), NAT)
    refusal_dates[r_rows, r_slot] = _days(refusals["date"])
    refusal_adapted = np.zeros((n, R), bool)
    refusal_adapted[r_rows, r_slot] = refusals["adapted"]

    if verified_keys is None:
        found = session.connection().exec_driver_sql(
            f"SELECT DISTINCT criterion FROM verifications WHERE {child}").scalars().all()
        keys = sorted(found)
    else:
        keys = sorted(set(verified_keys))
    verified: dict[str, np.ndarray] = {}
    if keys:
        if not all(_KEY.match(k) for k in keys):
            raise ValueError(f"clé de vérification invalide parmi {keys!r}")
        statuses = read_columns(session, (
            f"SELECT demande_id, {d.code('criterion', keys)}, "
            f"{d.code('status', tuple(VERIFICATION_CODES))} FROM verifications "
            f"WHERE criterion IN ({', '.join(_quote(k) for k in keys)}) AND {child}"
        ), [("demande", "i4"), ("key", "i4"), ("status", "i4")])
        v_rows = row_of(statuses["demande"])
        for i, k in enumerate(keys):
            mine = statuses["key"] == i
            column = np.zeros(n, np.int8)  # absent key = declared
            column[v_rows[mine]] = statuses["status"][mine]
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
