"""Demandes of a territory, from the database straight into the engine's columns.

``load_table`` builds a ``matching.batch.DemandeTable`` with one query per table (demandes,
then each child table) and no Python object per demande. A query names its fields: an
integer, a number (float64, NaN when NULL) or the code of a text in a vocabulary (-1 when
NULL or absent).

PostgreSQL answers each query with one row: ``string_agg`` of every row's fields packed into
a few ``int8`` (``int8send``), which numpy reads as one array of words and unpacks with shifts
and masks; the row's ``count(*)`` checks the length. The server's time goes to its calls per
row and value, hence few and cheap ones. A field takes the bits its range needs: dates are
days since 1970-01-01 (a sentinel when NULL); a child row's demande is its id minus the
lowest id loaded; member positions and counts of rooms are clamped to a byte, and a query
whose clamped field reaches a bound is read again at full width; numbers are integers scaled
by their ``numeric`` scale (from the catalogue: cents for ``numeric(12, 2)``; a float8 when
the type has no precision), divided in numpy: the double of PostgreSQL's own cast (both are
the correctly rounded value of the decimal); texts are ``hashtextextended`` masked to the
fewest bits that keep their vocabulary's values apart (no text comparison, no join). Those
codes rely on the database's constraints to keep every value in its vocabulary (CHECK of the
enums of ``matching.enums``, the foreign key to ``communes``, the verification keys the query
filters on): a value outside would read as -1 or as the vocabulary's value sharing its
masked hash.

When the session's transaction has written nothing, the queries run on two other connections
of the engine, from two threads (two server processes), both in the snapshot the session
exports (``pg_export_snapshot``): all of them read what one query would (the session's own
connection, in READ COMMITTED, would take a newer snapshot per statement). Otherwise (an
imported snapshot does not see the exporter's uncommitted rows) they run one after the other
on the session's connection. SQLite answers the same fields as plain columns (``fetchall``).

Each child table becomes its columns as soon as it and the demandes are read, in the same
threads (the longest tasks first): a child row finds its demande by id (a lookup array, or
``searchsorted`` when ids are sparse), its slot (member, wish, refusal) from its position,
rank or order of arrival. Child tables are filtered by the id range of the EPCI's demandes
when they fill most of it (rows of other demandes are dropped here), by a semi-join
otherwise.

By default the table is the one ``DemandeTable.from_demandes`` would build from the records
of ``app.adapters.records`` (tests check that both have the same columns and score the same),
except that ``ids`` holds the database ids and commune codes index the ``communes`` table.
With ``TableNeeds`` (what a grid reads) the loader leaves out what the grid does not read:
the table then scores the same for that grid, and only for it.

``read_columns`` and ``Dialect`` serve other readers (``app.adapters.proposals``): one query
of non-NULL columns as arrays (``array_send(array_agg(…))`` on PostgreSQL).
"""

from __future__ import annotations

import re
import struct
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
from psycopg.adapt import Loader
from psycopg.pq import Format
from sqlalchemy.orm import Session

from matching import enums
from matching.batch import NAT, VERIFICATION_CODES, DemandeTable, TableNeeds

ACTIVE = "active"  # a brouillon is not filed yet: it has no cotation
_NO_DAY = -(2**31)  # sentinel of a NULL date (days since 1970-01-01)
_NO_COMMUNE = "00000"  # sentinel of a NULL commune (no INSEE code is 00000)
_KEY = re.compile(r"^[a-z][a-z0-9_.]*$")
_INT4 = (-(2**31), 2**31 - 1)
_BYTE = (-1, 254)  # a clamped position: -1 and 254 mean "maybe beyond"

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


# --------------------------------------------------------------------------- fields


@dataclass(frozen=True)
class _Int:
    """An integer, never NULL: ``sql`` (in the dialect) with ``lo <= value <= hi``.

    ``clamped``: the range is what values usually are, not what they may be. PostgreSQL
    clamps them into it; a value at either bound may have been clamped, and the query is then
    read again with the full int4 range."""

    name: str
    sql: str
    lo: int = _INT4[0]
    hi: int = _INT4[1]
    clamped: bool = False


@dataclass(frozen=True)
class _Number:
    """A column as float64, NaN when NULL. On PostgreSQL ``value * 10**scale`` is an integer
    in [lo, hi] (an integer column: scale 0; ``numeric(p, s)``: scale s, |·| < 10**p);
    ``scale`` None: no such bound, the value travels as a float8. ``clamped``: as ``_Int``."""

    name: str
    col: str
    scale: int | None = 0
    lo: int = _INT4[0]
    hi: int = _INT4[1]
    clamped: bool = False


@dataclass(frozen=True)
class _Code:
    """The index of a text column's value in ``vocabulary``: -1 when NULL or absent."""

    name: str
    col: str
    vocabulary: tuple[str, ...]


_Field = _Int | _Number | _Code


class _Hashes:
    """PostgreSQL: a vocabulary's ``hashtextextended(value, 0)``, masked to the fewest bits
    that keep its values apart, and the way back from a masked hash to the index (int32)."""

    def __init__(self, hashes: np.ndarray):
        hashes = hashes.astype(np.int64).view(np.uint64)
        distinct = len(np.unique(hashes))
        bits = max(distinct - 1, 0).bit_length()  # fewer cannot tell them apart
        while len(np.unique(hashes & np.uint64((1 << bits) - 1))) < distinct:
            bits += 1
        self.mask = (1 << bits) - 1
        masked = (hashes & np.uint64(self.mask)).astype(np.int64)
        self.lut = None
        if bits <= 20:  # one lookup array, from the masked hash plus one (0: NULL)
            self.lut = np.full(self.mask + 2, -1, np.int32)
            self.lut[masked + 1] = np.arange(len(masked))
        self.order = np.argsort(masked).astype(np.int32)
        self.sorted = masked[self.order]

    def codes(self, shifted: np.ndarray) -> np.ndarray:
        """Indexes of masked hashes plus one (0 for NULL: -1)."""
        if self.lut is not None:
            return self.lut[shifted]
        masked = shifted.view(np.int64) - 1
        if len(self.sorted) == 0:
            return np.full(len(masked), -1, np.int32)
        i = np.minimum(np.searchsorted(self.sorted, masked), len(self.sorted) - 1)
        return np.where(self.sorted[i] == masked, self.order[i], -1).astype(np.int32)


@dataclass(frozen=True)
class _Part:
    """PostgreSQL: a field's bits in a packed row, ``(value - lo, + 1 if nullable) << shift``
    in word ``word``; ``floating``: the word is the float8 ``expr``."""

    field: _Field
    expr: str
    lo: int
    width: int
    nullable: bool
    floating: bool = False
    word: int = 0
    shift: int = 0


def _clamp(sql: str, lo: int, hi: int) -> str:
    """``sql`` within [lo, hi] (NULL stays NULL)."""
    return f"CASE WHEN {sql} < {lo} THEN {lo} WHEN {sql} > {hi} THEN {hi} ELSE {sql} END"


def _part(f: _Field, hashes: dict[tuple[str, ...], _Hashes]) -> _Part:
    if isinstance(f, _Int):
        sql = _clamp(f.sql, f.lo, f.hi) if f.clamped else f.sql
        return _Part(f, sql, f.lo, (f.hi - f.lo).bit_length(), False)
    if isinstance(f, _Number):
        if f.scale is None:
            return _Part(f, f"COALESCE(CAST({f.col} AS float8), 'NaN'::float8)", 0, 64, False,
                         floating=True)
        expr = f"{f.col} * {10**f.scale}" if f.scale else f.col
        if f.clamped:
            expr = _clamp(expr, f.lo, f.hi)
        return _Part(f, expr, f.lo, (f.hi - f.lo + 1).bit_length(), True)
    h = hashes[f.vocabulary]  # the masked hash plus one, 0 for NULL
    return _Part(f, f"hashtextextended({f.col}, 0) & {h.mask}", 0, (h.mask + 1).bit_length(),
                 True)


class _Packed:
    """A query's fields packed in int8 words (first fit, widest first), its SQL and decoder."""

    def __init__(self, fields: Sequence[_Field], source: str, hashes: dict):
        self.hashes, self.source = hashes, source
        room: list[int] = []
        self.parts: list[_Part] = []
        for p in sorted((_part(f, hashes) for f in fields), key=lambda p: -p.width):
            w = next((w for w, r in enumerate(room) if r >= p.width and not p.floating), None)
            if w is None:
                room.append(64)
                w = len(room) - 1
            room[w] -= p.width
            self.parts.append(replace(p, word=w, shift=room[w]))
        words = []
        for w in range(len(room)):
            mine = [p for p in self.parts if p.word == w]
            if mine[0].floating:
                words.append(f"float8send({mine[0].expr})")
                continue
            terms = []
            for p in mine:
                offset = p.nullable - p.lo
                term = f"({p.expr})::int8" + (f" + {offset}" if offset else "")
                if p.nullable:
                    term = f"COALESCE({term}, 0)"
                terms.append(f"(({term}) << {p.shift})" if p.shift else f"({term})")
            words.append(f"int8send({' | '.join(terms)})")
        self.words = len(room)
        self.sql = f"SELECT string_agg({' || '.join(words)}, ''), count(*) {source}"

    def decode(self, data, order_by: str | None = None) -> dict[str, np.ndarray]:
        """The fields of the packed rows in ``data`` (read in place: a memoryview of the
        driver's result will do), rows sorted by the field ``order_by`` if given."""
        if len(data) % (8 * self.words):
            raise RuntimeError(f"lignes de largeur inattendue : {self.source[:80]}")
        words = np.frombuffer(data, ">u8").reshape(-1, self.words)
        bits = np.empty(len(words), np.uint64)  # one field's bits at a time
        out: dict[str, np.ndarray] = {}
        if order_by is not None:
            key = next(p for p in self.parts if p.field.name == order_by)
            out[order_by] = first = self._value(words, key, bits)
            if not (first[1:] > first[:-1]).all():  # rows come in the order of the pages
                order = np.argsort(first, kind="stable")
                words, out[order_by] = words[order], first[order]  # one gather for all fields
        for p in self.parts:
            if p.field.name not in out:
                out[p.field.name] = self._value(words, p, bits)
        return out

    def _value(self, words: np.ndarray, p: _Part, bits: np.ndarray) -> np.ndarray:
        """A field of the rows: int32 (an integer, a code) or float64 (a number)."""
        f, word = p.field, words[:, p.word]
        if p.floating:
            return word.view(">f8").astype(np.float64)
        np.right_shift(word, np.uint64(p.shift), out=bits)
        if p.width < 64:
            np.bitwise_and(bits, np.uint64((1 << p.width) - 1), out=bits)
        if isinstance(f, _Code):
            return self.hashes[f.vocabulary].codes(bits)
        if isinstance(f, _Number):
            e = bits.astype(np.float64)
            e += p.lo - 1  # exact: integers below 2**53
            if f.scale:
                e /= 10**f.scale
            e[bits == 0] = np.nan
            return e
        e = bits.view(np.int64).astype(np.int32)  # an _Int lies within int4
        if p.lo:
            e += p.lo  # wraps as int4 would not: values are back within int4
        return e


@dataclass(frozen=True)
class _Query:
    """One query: its fields, then ``FROM … WHERE …``; rows sorted by ``order_by`` (a field)
    if given, else as they come."""

    fields: Sequence[_Field]
    source: str
    order_by: str | None = None

    def sqlite_sql(self) -> str:
        cols = []
        for f in self.fields:
            if isinstance(f, _Int):
                cols.append(f.sql)
            elif isinstance(f, _Number):
                cols.append(f"CAST({f.col} AS REAL)")
            else:
                cols.append(f.col)
        return f"SELECT {', '.join(cols)} {self.source}"

    def sqlite_decode(self, rows: list[tuple]) -> dict[str, np.ndarray]:
        if self.order_by is not None:
            at = [f.name for f in self.fields].index(self.order_by)
            rows = sorted(rows, key=lambda row: row[at])
        out: dict[str, np.ndarray] = {}
        columns = zip(*rows, strict=True) if rows else [()] * len(self.fields)
        for f, values in zip(self.fields, columns, strict=True):
            if isinstance(f, _Int):
                out[f.name] = np.array(values, dtype=np.int64)
            elif isinstance(f, _Number):
                out[f.name] = np.array(values, dtype=np.float64)
            else:
                index = {v: i for i, v in enumerate(f.vocabulary)}
                out[f.name] = np.array([index.get(v, -1) for v in values], dtype=np.int64)
        return out

    def clamped(self, got: dict[str, np.ndarray]) -> bool:
        """Whether a clamped field reached a bound (the values may be beyond)."""
        return any(isinstance(f, _Int | _Number) and f.clamped and (
            (got[f.name] == f.lo).any() or (got[f.name] == f.hi).any())
            for f in self.fields)

    def full(self) -> _Query:
        """The query with every clamped field at full int4 width."""
        return _Query([replace(f, lo=_INT4[0], hi=_INT4[1], clamped=False)
                       if isinstance(f, _Int | _Number) and f.clamped else f
                       for f in self.fields], self.source, self.order_by)


# --------------------------------------------------------------------------- running


class _Connection:
    """Queries on one DBAPI connection: psycopg (packed rows) or sqlite3 (plain rows)."""

    def __init__(self, raw, postgresql: bool, hashes: dict[tuple[str, ...], _Hashes]):
        self.raw, self.postgresql, self.hashes = raw, postgresql, hashes

    def rows(self, sql: str) -> list[tuple]:
        if self.postgresql:
            with self.raw.cursor() as cur:
                cur.execute(sql)
                return cur.fetchall()
        return self.raw.execute(sql).fetchall()

    def fetch(self, query: _Query) -> dict[str, np.ndarray]:
        if not self.postgresql:
            return query.sqlite_decode(self.raw.execute(query.sqlite_sql()).fetchall())
        packed = _Packed(query.fields, query.source, self.hashes)

        class Rows(Loader):  # decodes the bytea in the driver's buffer, without a copy
            format = Format.BINARY

            def load(self, data) -> dict[str, np.ndarray]:
                return packed.decode(data, query.order_by)

        with self.raw.cursor(binary=True) as cur:
            cur.adapters.register_loader("bytea", Rows)
            cur.execute(packed.sql)
            got, count = cur.fetchone()
        got = packed.decode(b"") if got is None else got  # no row
        if len(next(iter(got.values()))) != count:  # a NULL row would be left out
            raise RuntimeError(f"ligne NULL : {query.source[:80]}")
        return self.fetch(query.full()) if query.clamped(got) else got


class _Snapshot:
    """Another connection of the engine, read only, in the session's snapshot."""

    def __init__(self, engine, snapshot: str, hashes: dict):
        self.engine, self.snapshot, self.hashes = engine, snapshot, hashes

    def __enter__(self) -> _Connection:
        self.conn = self.engine.connect()
        try:
            self.conn = self.conn.execution_options(isolation_level="REPEATABLE READ")
            self.conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            self.conn.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{self.snapshot}'")
        except BaseException:
            self.conn.close()
            raise
        return _Connection(self.conn.connection.driver_connection, True, self.hashes)

    def __exit__(self, *exc) -> None:
        try:
            self.conn.rollback()
        finally:
            self.conn.close()


@dataclass
class _Task:
    name: str
    after: frozenset[str]
    run: Callable[[_Connection], None]


class _Tasks:
    """Tasks with dependencies, run by one thread or by two, each on its own connection: a
    free thread takes the first task whose dependencies are done, else waits."""

    def __init__(self) -> None:
        self.todo: list[_Task] = []
        self.done: set[str] = set()
        self.failed: BaseException | None = None
        self.cond = threading.Condition()

    def add(self, name: str, after: Sequence[str], run: Callable[[_Connection], None]) -> None:
        self.todo.append(_Task(name, frozenset(after), run))

    def _next(self) -> _Task | None:
        with self.cond:
            while self.failed is None and self.todo:
                task = next((t for t in self.todo if t.after <= self.done), None)
                if task is not None:
                    self.todo.remove(task)
                    return task
                self.cond.wait()
            return None

    def _work(self, conn: _Connection) -> None:
        while (task := self._next()) is not None:
            try:
                task.run(conn)
            except BaseException as exc:
                with self.cond:
                    self.failed = self.failed or exc
                    self.cond.notify_all()
                raise
            with self.cond:
                self.done.add(task.name)
                self.cond.notify_all()

    def serial(self, conn: _Connection) -> None:
        self._work(conn)

    def parallel(self, connect: Callable[[], object], threads: int = 2) -> None:
        """``connect()``: a context manager giving each thread its ``_Connection``."""

        def work() -> None:
            try:
                with connect() as conn:
                    self._work(conn)
            except BaseException as exc:  # noqa: BLE001 - raised again by the caller
                with self.cond:
                    self.failed = self.failed or exc
                    self.cond.notify_all()

        pool = [threading.Thread(target=work, name=f"load_table-{i}") for i in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        if self.failed is not None:
            raise self.failed


# --------------------------------------------------------------------------- helpers


def _days(v: np.ndarray) -> np.ndarray:
    """Days (``_NO_DAY`` when NULL) as datetime64[D]; ``v`` is reused if int64."""
    v = v.astype(np.int64, copy=False)
    v[v == _NO_DAY] = NAT.view(np.int64)
    return v.view("datetime64[D]")


class _Rows:
    """Maps database ids of demandes to row numbers of the table (-1: not a loaded one)."""

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
        if len(self.ids) == 0:
            return np.full(len(demande_ids), -1, np.int64)
        if self.lut is not None:
            inside = (demande_ids >= self.lo) & (demande_ids < self.lo + len(self.lut))
            if inside.all():
                return self.lut[demande_ids - self.lo]
            return np.where(inside, self.lut[np.where(inside, demande_ids - self.lo, 0)], -1)
        rows = np.minimum(np.searchsorted(self.ids, demande_ids), len(self.ids) - 1)
        return np.where(self.ids[rows] == demande_ids, rows, -1)


def _slots(rows: np.ndarray, key: np.ndarray | None = None,
           counts: np.ndarray | None = None) -> np.ndarray:
    """Index of each child row within its demande, in ``key`` order (else arrival order).

    When keys are dense (0..count-1, unique per demande, as positions and ranks written by the
    application are), the key is the slot and nothing is sorted. ``counts``: child rows per
    demande (``bincount(rows)``), when known."""
    m = len(rows)
    if m == 0:
        return np.zeros(0, np.int64)
    counts = np.bincount(rows) if counts is None else counts
    if key is not None and (key >= 0).all() and (key < counts[rows]).all():
        return key  # unique (database constraint) and below the count: dense
    order = np.lexsort((key, rows)) if key is not None else np.argsort(rows, kind="stable")
    sorted_rows = rows[order]
    first = np.r_[True, sorted_rows[1:] != sorted_rows[:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(m), 0))
    slots = np.empty(m, np.int64)
    slots[order] = np.arange(m) - start
    return slots


def _bitmask(n: int, rows: np.ndarray, codes: np.ndarray, distinct: bool = True) -> np.ndarray:
    """OR of 1 << code per demande. ``distinct``: a code comes at most once per demande (the
    table's primary key says so), so a sum is an OR; otherwise (two adults with the same
    contract) an OR in place."""
    ok = codes >= 0
    rows, codes = rows[ok].astype(np.int64), codes[ok].astype(np.int64)
    if not distinct:
        out = np.zeros(n, np.int64)
        np.bitwise_or.at(out, rows, np.left_shift(1, codes))  # codes < 64
        return out
    return np.bincount(rows, weights=(1 << codes).astype(np.float64), minlength=n).astype(np.int64)


def communes_vocabulary(session: Session) -> np.ndarray:
    """Every commune code of the database, sorted (U5)."""
    got = read_columns(session, "SELECT insee FROM communes", [("insee", "insee")])
    return np.sort(got["insee"])


def _number_types(conn: _Connection,
                  columns: Sequence[str]) -> dict[str, tuple[int | None, int, int]]:
    """PostgreSQL: (scale, lo, hi) of numeric columns of ``demandes`` (see ``_Number``)."""
    if not columns:
        return {}
    out: dict[str, tuple[int | None, int, int]] = {}
    for name, kind, typmod in conn.rows(
            "SELECT attname, format_type(atttypid, NULL), atttypmod FROM pg_attribute "
            "WHERE attrelid = 'demandes'::regclass AND attname IN "
            f"({', '.join(_quote(c) for c in columns)})"):
        precision, scale = (typmod - 4) >> 16, (typmod - 4) & 0xFFFF
        if kind == "integer":
            out[name] = (0, *_INT4)
        elif kind == "smallint":
            out[name] = (0, -(2**15), 2**15 - 1)
        elif kind == "numeric" and typmod >= 4 and scale <= precision <= 15:
            out[name] = (scale, 1 - 10**precision, 10**precision - 1)  # exact in a double
        else:
            out[name] = (None, 0, 0)
    return out


def _vocabulary_hashes(conn: _Connection, vocabularies: Sequence[tuple[str, ...]]) -> dict:
    values = [v for vocabulary in vocabularies for v in vocabulary]
    if not values:
        return {v: _Hashes(np.zeros(0, np.int64)) for v in vocabularies}
    rows = conn.rows(
        f"SELECT hashtextextended(v, 0) FROM unnest(ARRAY[{', '.join(_quote(v) for v in values)}]"
        "::text[]) WITH ORDINALITY AS t(v, i) ORDER BY i")
    hashes = np.array([h for (h,) in rows], dtype=np.int64)
    out, start = {}, 0
    for vocabulary in vocabularies:
        out[vocabulary] = _Hashes(hashes[start:start + len(vocabulary)])
        start += len(vocabulary)
    return out


# --------------------------------------------------------------------------- loading

_NUMBERS = {"rooms": "current_rooms", "surface": "current_surface", "rent": "current_rent",
            "charges": "current_charges", "monthly_resources": "monthly_resources",
            "rfr_n2": "rfr_n2"}
_FLAGS = ("is_mutation", "needs_accessible", "employer_contributes_action_logement", "is_dalo",
          "is_acd_labelled")


def load_table(session: Session, epci_id: int, needs: TableNeeds | None = None,
               parallel: bool = True) -> DemandeTable:
    """The active demandes of one EPCI as columns, in order of database id.

    ``needs`` (``TableNeeds.for_grid``) leaves out what the grid does not read; by default
    everything is loaded. ``parallel=False`` keeps PostgreSQL to the session's connection."""
    return _Load(session, epci_id, needs, parallel).table()


class _Load:
    """One ``load_table``: its queries, then the columns each child table makes."""

    def __init__(self, session: Session, epci_id: int, needs: TableNeeds | None, parallel: bool):
        self.d = d = Dialect(session.get_bind().dialect.name)
        self.pg = pg = d.name == "postgresql"
        self.session, self.needs = session, needs
        self.where = f"epci_id = {int(epci_id)} AND status = '{ACTIVE}'"
        self.conn = conn = _Connection(session.connection().connection.driver_connection, pg, {})
        self.snapshot = None
        if pg and parallel and conn.rows("SELECT txid_current_if_assigned() IS NULL")[0][0]:
            self.snapshot = conn.rows("SELECT pg_export_snapshot()")[0][0]
        numbers = tuple(_NUMBERS)
        self.wanted = numbers if needs is None else tuple(c for c in numbers if c in needs.numbers)
        if needs is not None:
            self.keys: list[str] | None = sorted(needs.verified_keys)
            self.statuses = ("rejected",) if needs.rejected_only else ("verified", "rejected")
        else:
            self.keys, self.statuses = None, ("verified", "rejected")
        if pg:  # after the export: every commune of the snapshot is in the vocabulary
            found = conn.rows("SELECT insee, hashtextextended(insee, 0) FROM communes")
            insee = np.array([c for c, _ in found], dtype="U5")
            order = np.argsort(insee, kind="stable")
            vocab = insee[order]
            self.types = _number_types(conn, [_NUMBERS[c] for c in self.wanted])
        else:
            vocab = communes_vocabulary(session)
            self.types = {_NUMBERS[c]: (0, *_INT4) for c in self.wanted}
        self.communes = tuple(vocab.tolist())
        if pg:
            vocabularies = [enums.HOUSING_KINDS, enums.REASONS, enums.TYPOLOGIES, enums.L441_1,
                            enums.CONTRACTS, tuple(VERIFICATION_CODES)]
            if self.keys:
                vocabularies.append(tuple(self.keys))
            conn.hashes.update(_vocabulary_hashes(conn, vocabularies))
            conn.hashes[self.communes] = _Hashes(
                np.array([h for _, h in found], dtype=np.int64)[order])
        self.got: dict[str, dict[str, np.ndarray]] = {}  # decoded queries
        self.cols: dict[str, np.ndarray] = {}  # columns of the table

    # -- queries

    def _main(self, c: _Connection) -> None:
        d = self.d
        flags = " + ".join(f"(CASE WHEN {col} THEN {1 << i} ELSE 0 END)"
                           for i, col in enumerate(_FLAGS))
        main = c.fetch(_Query([
            _Int("id", "id"), _Int("filed_on", d.day("filed_on")), _Int("flags", flags, 0, 31),
            _Code("kind", "current_housing_kind", enums.HOUSING_KINDS),
            _Code("commune", "current_commune_insee", self.communes),
            *(self._number(c) for c in self.wanted),
        ], f"FROM demandes WHERE {self.where}", order_by="id"))
        ids = main["id"].astype(np.int64)
        self.n = n = len(ids)
        self.rows = _Rows(ids)
        flags = main["flags"]
        self.cols.update(
            ids=ids, filed_on=_days(main["filed_on"]), kind=main["kind"].astype(np.int16),
            current_commune=main["commune"].astype(np.int32, copy=False),
            **{name: flags & (1 << i) != 0 for i, name in enumerate(
                ("is_mutation", "needs_accessible", "contributes_al", "dalo", "acd_labelled"))},
            **{c: main[c] if c in main else np.full(n, np.nan) for c in _NUMBERS})

    def _number(self, name: str) -> _Number:
        scale, lo, hi = self.types[_NUMBERS[name]]
        if name == "rooms" and (scale, lo, hi) == (0, *_INT4):  # a count of rooms: a byte
            return _Number(name, _NUMBERS[name], 0, *_BYTE, clamped=True)
        return _Number(name, _NUMBERS[name], scale, lo, hi)

    def _bounds(self, c: _Connection) -> None:
        """The id range of the demandes, and the filter of child rows."""
        if self.snapshot is None:  # one connection: the demandes are read
            ids = self.cols["ids"]
            n = len(ids)
            lo, hi = (int(ids[0]), int(ids[-1])) if n else (None, None)
        else:
            n, lo, hi = c.rows(
                f"SELECT count(*), min(id), max(id) FROM demandes WHERE {self.where}")[0]
        self.lo, self.hi = lo, hi
        if n == 0:
            self.child = None
            return
        child = f"demande_id BETWEEN {lo} AND {hi}"  # always: offsets stay in their bits
        semi = f"demande_id IN (SELECT id FROM demandes WHERE {self.where}) AND {child}"
        if hi - lo >= 4 * n + 1024:  # sparse (as ``_Rows``)
            child = semi
        elif hi - lo + 1 > 2 * n:
            span = c.rows(f"SELECT count(*) FROM demandes WHERE id BETWEEN {lo} AND {hi}")[0][0]
            if 2 * n < span:
                child = semi
        self.child = child

    def _demande(self) -> _Int:
        return _Int("demande", f"demande_id - {self.lo}", 0, self.hi - self.lo)

    def _read(self, name: str, fields: list[_Field], source: str) -> Callable:
        """A task reading a child table: ``fields`` after the demande; ``source`` after FROM,
        with ``{child}`` for the filter."""

        def run(c: _Connection) -> None:
            query = _Query([self._demande() if self.child else _Int("demande", "0"), *fields],
                           "FROM " + source.format(child=self.child))
            if self.child is None:  # no demande, no child row
                self.got[name] = {f.name: np.zeros(0, np.int64) for f in query.fields}
            else:
                self.got[name] = c.fetch(query)
        return run

    def _verifications(self, c: _Connection) -> None:
        keys = self.keys
        if keys is None:
            keys = [] if self.child is None else sorted(k for (k,) in c.rows(
                f"SELECT DISTINCT criterion FROM verifications WHERE {self.child}"))
        if not all(_KEY.match(k) for k in keys):
            raise ValueError(f"clé de vérification invalide parmi {keys!r}")
        self.verified_keys = keys
        if not keys or self.child is None:
            self.got["verifications"] = {"demande": np.zeros(0, np.int64),
                                         "key": np.zeros(0, np.int64)}
            return
        if self.pg and tuple(keys) not in c.hashes:
            c.hashes.update(_vocabulary_hashes(c, [tuple(keys)]))
        fields = [self._demande(), _Code("key", "criterion", tuple(keys))]
        if len(self.statuses) > 1:
            fields.append(_Code("status", "status", tuple(VERIFICATION_CODES)))
        self.got["verifications"] = c.fetch(_Query(fields, (
            f"FROM verifications WHERE status IN ({', '.join(map(_quote, self.statuses))}) "
            f"AND criterion IN ({', '.join(map(_quote, keys))}) AND {self.child}")))

    # -- columns

    def _child(self, name: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Rows of a child table with the table row of their demande (others dropped)."""
        part = dict(self.got.pop(name))
        offsets = part.pop("demande")
        if self.rows.lut is not None and self.lo == self.rows.lo:
            rows = self.rows.lut[offsets]  # offsets are within the range of ids
        else:
            rows = self.rows(offsets + (self.lo or 0))
        keep = rows >= 0
        if not keep.all():
            rows, part = rows[keep], {k: v[keep] for k, v in part.items()}
        return rows, part

    def _members(self, _c: _Connection) -> None:
        n = self.n
        rows, members = self._child("members")
        flags = members["flags"]
        counts = np.bincount(rows, minlength=n)
        slot = _slots(rows, members["position"], counts)
        M = int(slot.max()) + 1 if len(slot) else 1
        at = rows * M  # in the flattened (n, M) arrays
        at += slot
        birth = np.full(n * M, NAT)
        days = members["birth"]
        birth.view(np.int64)[at] = days  # then the NULL dates
        birth[at[days == _NO_DAY]] = NAT
        bits = np.zeros(n * M, np.uint8)  # the flags, one scatter
        bits[at] = flags
        demandeur = ((bits >> 2) & 1).view(bool).reshape(n, M)
        first = demandeur.argmax(axis=1)  # the demandeur in the first slot
        demandeur_birth = birth[np.arange(n) * M + first]
        demandeur_birth[~demandeur[np.arange(n), first]] = NAT
        self.cols.update(member_birth=birth.reshape(n, M),
                         member_dependent=(bits & 1).view(bool).reshape(n, M),
                         member_disability=((bits >> 1) & 1).view(bool).reshape(n, M),
                         demandeur_birth=demandeur_birth, n_members=counts.astype(np.int64))

    def _mask(self, name: str) -> Callable[[_Connection], None]:
        def run(_c: _Connection) -> None:
            rows, part = self._child(name)
            self.cols[name] = _bitmask(self.n, rows, part["code"])
        return run

    def _employments(self, _c: _Connection) -> None:
        rows, jobs = self._child("employments")
        member = jobs["member"]
        # Contracts of adults: the member (an index into the household, as in the record)
        # exists and is not a dependent.
        exists = (member >= 0) & (member < self.cols["n_members"][rows])
        adult = exists & ~self.cols["member_dependent"][rows, np.where(exists, member, 0)]
        self.cols["contracts_adults"] = _bitmask(self.n, rows[adult], jobs["code"][adult],
                                                 distinct=False)

    def _wishes(self, _c: _Connection) -> None:
        rows, wished = self._child("wishes")
        if "rank" in wished:
            slot = _slots(rows, wished["rank"] - 1)
        else:  # the first wish only: one per demande (rank is unique)
            slot = np.zeros(len(rows), np.int64)
        K = int(slot.max()) + 1 if len(slot) else 1
        wishes = np.full((self.n, K), -1, np.int32)
        wishes[rows, slot] = wished["commune"]
        self.cols["wishes"] = wishes

    def _refusals(self, _c: _Connection) -> None:
        rows, refused = self._child("refusals")
        slot = _slots(rows)  # arrival order: a score reads only the count and the last date
        R = int(slot.max()) + 1 if len(slot) else 1
        dates = np.full((self.n, R), NAT)
        dates[rows, slot] = _days(refused["date"])
        adapted = np.zeros((self.n, R), bool)
        adapted[rows, slot] = refused["adapted"] == 1
        self.cols.update(refusal_dates=dates, refusal_adapted=adapted)

    def _verified(self, _c: _Connection) -> None:
        rows, v = self._child("verifications")
        status = v.get("status")
        verified: dict[str, np.ndarray] = {}
        for i, k in enumerate(self.verified_keys):
            mine = v["key"] == i
            column = np.zeros(self.n, np.int8)  # absent key (or status not loaded) = declared
            column[rows[mine]] = (VERIFICATION_CODES[self.statuses[0]] if status is None
                                  else status[mine])
            verified[k] = column
        self.verified = verified

    # -- all

    def table(self) -> DemandeTable:
        d, tasks = self.d, _Tasks()
        first_only = self.needs is not None and self.needs.first_wish_only
        typologies = self.needs is None or self.needs.typologies
        wished = [_Code("commune", "commune_insee", self.communes)]
        reads = {  # fields after the demande, FROM …
            "members": ([
                _Int("birth", d.day("birth_date")), _Int("position", "position", *_BYTE, True),
                _Int("flags", "(CASE WHEN is_dependent THEN 1 ELSE 0 END) "
                              "+ (CASE WHEN has_disability THEN 2 ELSE 0 END) "
                              "+ (CASE WHEN role = 'demandeur' THEN 4 ELSE 0 END)", 0, 7)],
                "household_members WHERE {child}"),
            "reasons": ([_Code("code", "reason", enums.REASONS)], "demande_reasons WHERE {child}"),
            "wishes": (wished, "wished_communes WHERE {child} AND rank = 1") if first_only else (
                [*wished, _Int("rank", "rank")], "wished_communes WHERE {child}"),
            "employments": ([_Int("member", "member_position", *_BYTE, True),
                             _Code("code", "contract", enums.CONTRACTS)],
                            "employments WHERE {child}"),
            "refusals": ([_Int("date", d.day("refused_on")),
                          _Int("adapted", "(CASE WHEN is_adapted THEN 1 ELSE 0 END)", 0, 1)],
                         "refusals WHERE {child}"),
            "l441_1": ([_Code("code", "criterion", enums.L441_1)],
                       "priority_criteria WHERE {child}"),
            "typologies": ([_Code("code", "typology", enums.TYPOLOGIES)],
                           "wished_typologies WHERE {child}"),
        }
        if not typologies:
            del reads["typologies"]
            self.cols["typologies"] = None
        posts = {"members": self._members, "reasons": self._mask("reasons"),
                 "wishes": self._wishes, "refusals": self._refusals,
                 "l441_1": self._mask("l441_1"), "verifications": self._verified,
                 "typologies": self._mask("typologies"), "employments": self._employments}

        def read(name: str) -> None:
            if name == "verifications":
                tasks.add("read verifications", ("bounds",), self._verifications)
            elif name in reads:
                tasks.add(f"read {name}", ("bounds",), self._read(name, *reads[name]))

        def post(name: str) -> None:
            after = ("members", "read employments") if name == "employments" else (
                "main", f"read {name}")
            if name in reads or name == "verifications":
                tasks.add(name, after, posts[name])

        # Longest first (the threads take the first task ready): the members' columns, the
        # longest numpy task, come before the last short queries.
        tasks.add("main", (), self._main)
        tasks.add("bounds", ("main",) if self.snapshot is None else (), self._bounds)
        for name in ("members", "reasons", "verifications", "wishes", "employments"):
            read(name)
        post("members")
        for name in ("refusals", "l441_1", "typologies"):
            read(name)
        for name in ("reasons", "wishes", "verifications", "employments", "refusals", "l441_1",
                     "typologies"):
            post(name)
        if self.snapshot is None:
            tasks.serial(self.conn)
        else:
            engine = self.session.get_bind().engine
            tasks.parallel(lambda: _Snapshot(engine, self.snapshot, self.conn.hashes))
        if self.cols["typologies"] is None:  # not read by the grid
            self.cols["typologies"] = np.zeros(self.n, np.int64)
        return DemandeTable(**self.cols, communes=self.communes, verified=self.verified)
