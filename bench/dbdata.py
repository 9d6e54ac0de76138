"""Benchmark data in a real database: N synthetic demandes with all their child rows.

The schema is built by the migrations (as in production). The demandes come from
``tests.support.synthetic.synthetic_table`` (seeded, plausible, not real) and are written
column by column, never one Python object per demande: PostgreSQL with binary ``COPY`` whose
rows numpy assembles (NULLs included), SQLite with ``executemany`` over column lists. Building
the data is not part of any timing; a database already holding the same data (same N and
seed, recorded in the EPCI's name) is reused.
"""

from __future__ import annotations

import sqlite3
import struct
import time
from datetime import date

import numpy as np

from matching import enums
from tests.support.synthetic import synthetic_table

SLUG = "eurometropole-strasbourg"
SIREN = "246700488"  # the Strasbourg preset's territory: the recompute finds its grid by SIREN
OUTSIDE = ("75056", "45234", "67999")
_PG_EPOCH_DAYS = 10957  # 2000-01-01 in days since 1970-01-01


# --------------------------------------------------------------------------- binary COPY


class Col:
    """One column of a binary COPY: numpy values, an optional NULL mask, a wire format."""

    def __init__(self, values: np.ndarray, kind: str, null: np.ndarray | None = None,
                 vocabulary: tuple[str, ...] | None = None):
        self.values, self.kind, self.null, self.vocabulary = values, kind, null, vocabulary


_WIRE = {"int4": ">i4", "int8": ">i8", "float8": ">f8", "bool": "?", "date": ">i4"}


def _slice(cols: list[Col], a: int, b: int) -> list[Col]:
    return [Col(c.values[a:b], c.kind, None if c.null is None else c.null[a:b], c.vocabulary)
            for c in cols]


def binary_rows(rows: int, cols: list[Col]) -> bytes:
    """Rows of a PostgreSQL binary COPY stream (vectorised, NULLs allowed).

    Each field is a big-endian int32 length (-1 for NULL) then its bytes; widths may differ
    from row to row, so every field is scattered at its own offset in one byte buffer."""
    widths, payloads = [], []
    for c in cols:
        if c.kind == "text":  # codes into a vocabulary of strings
            vocab = [v.encode() for v in c.vocabulary]
            lens = np.array([len(v) for v in vocab], np.int64)
            width = lens[c.values]
            longest = int(lens.max())
            matrix = np.zeros((len(vocab), longest), np.uint8)
            for i, v in enumerate(vocab):
                matrix[i, : len(v)] = np.frombuffer(v, np.uint8)
            payloads.append((matrix[c.values], np.arange(longest)[None, :] < width[:, None]))
        elif c.kind == "numeric":  # two decimals: three base-10000 digits, weight 1
            cents = np.round(np.nan_to_num(c.values) * 100).astype(np.int64)
            whole, frac = np.divmod(np.abs(cents), 100)
            num = np.zeros(rows, np.dtype([("ndigits", ">i2"), ("weight", ">i2"), ("sign", ">u2"),
                                           ("dscale", ">i2"), ("d", ">i2", 3)]))
            num["ndigits"], num["weight"], num["dscale"] = 3, 1, 2
            num["sign"] = np.where(cents < 0, 0x4000, 0)
            num["d"] = np.stack([whole // 10000, whole % 10000, frac * 100], axis=1)
            raw = num.view(np.uint8).reshape(rows, -1)
            width = np.full(rows, raw.shape[1], np.int64)
            payloads.append((raw, None))
        else:
            v = c.values
            if c.kind == "date":
                v = (v.astype("datetime64[D]").astype(np.int64) - _PG_EPOCH_DAYS)
            raw = np.ascontiguousarray(v.astype(_WIRE[c.kind])).view(np.uint8).reshape(rows, -1)
            width = np.full(rows, raw.shape[1], np.int64)
            payloads.append((raw, None))
        if c.null is not None:
            width = np.where(c.null, 0, width)
        widths.append(width)
    row_width = 2 + sum(4 + w for w in widths)
    starts = np.concatenate(([0], np.cumsum(row_width)[:-1]))
    buf = np.zeros(int(row_width.sum()), np.uint8)
    nfields = np.frombuffer(struct.pack(">h", len(cols)), np.uint8)
    buf[starts[:, None] + np.arange(2)] = nfields
    cursor = starts + 2
    for c, width, (payload, mask) in zip(cols, widths, payloads, strict=True):
        length = np.where(c.null, -1, width) if c.null is not None else width
        buf[cursor[:, None] + np.arange(4)] = length.astype(">i4").view(np.uint8).reshape(rows, 4)
        pos = cursor[:, None] + 4 + np.arange(payload.shape[1])
        keep = np.ones(payload.shape, bool) if mask is None else mask.copy()
        if c.null is not None:
            keep &= ~c.null[:, None]
        buf[pos[keep]] = payload[keep]
        cursor = cursor + 4 + width
    return buf.tobytes()


CHUNK = 200_000


def _pg_copy(raw, table: str, names: list[str], rows: int, cols: list[Col]) -> None:
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN "
                                       "(FORMAT BINARY)") as copy:
        copy.write(b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0))
        for a in range(0, rows, CHUNK):
            b = min(rows, a + CHUNK)
            copy.write(binary_rows(b - a, _slice(cols, a, b)))
        copy.write(b"\xff\xff")


# --------------------------------------------------------------------------- the data


def _bits_rows(mask: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(row, code) of every set bit of a bitmask column."""
    set_bits = (mask[:, None] >> np.arange(width)) & 1 == 1
    return np.nonzero(set_bits)


def tables(n: int, on: date, communes: tuple[str, ...], seed: int) -> dict[str, tuple]:
    """Every table's rows as columns: {table: (names, rows, [Col])}; demande ids 1..n."""
    t = synthetic_table(n, on, communes, OUTSIDE, seed=seed)
    ids = np.arange(1, n + 1, dtype=np.int64)
    vocab = t.communes
    nan = np.isnan
    out: dict[str, tuple] = {}
    nur = np.char.add("B", np.char.zfill(ids.astype(str), 9))
    nur_codes = np.arange(n)
    out["demandes"] = (
        ["id", "nur", "epci_id", "status", "filed_on", "is_mutation", "rfr_n2",
         "monthly_resources", "current_housing_kind", "current_commune_insee", "current_rooms",
         "current_surface", "current_rent", "current_charges",
         "employer_contributes_action_logement", "needs_accessible", "is_dalo",
         "is_acd_labelled", "created_at", "updated_at"],
        n,
        [Col(ids, "int4"), Col(nur_codes, "text", vocabulary=tuple(nur.tolist())),
         Col(np.full(n, -1), "int4"),  # EPCI id, filled in by write()
         Col(np.zeros(n, np.int64), "text", vocabulary=("active",)),
         Col(t.filed_on, "date"), Col(t.is_mutation, "bool"), Col(t.rfr_n2, "numeric"),
         Col(t.monthly_resources, "numeric", nan(t.monthly_resources)),
         Col(t.kind.astype(np.int64), "text", vocabulary=enums.HOUSING_KINDS),
         Col(np.maximum(t.current_commune, 0).astype(np.int64), "text",
             t.current_commune < 0, vocab),
         Col(np.nan_to_num(t.rooms).astype(np.int64), "int4", nan(t.rooms)),
         Col(t.surface, "numeric", nan(t.surface)), Col(t.rent, "numeric", nan(t.rent)),
         Col(t.charges, "numeric", nan(t.charges)), Col(t.contributes_al, "bool"),
         Col(t.needs_accessible, "bool"), Col(t.dalo, "bool"), Col(t.acd_labelled, "bool"),
         Col(np.zeros(n, np.int64), "int8"), Col(np.zeros(n, np.int64), "int8")],
    )
    valid = np.arange(t.member_birth.shape[1])[None, :] < t.n_members[:, None]
    r, j = np.nonzero(valid)
    role = np.where(j == 0, 0, np.where(t.member_dependent[r, j], 2, 1))
    birth = t.member_birth[r, j]
    out["household_members"] = (
        ["demande_id", "position", "role", "birth_date", "is_dependent", "has_disability"],
        len(r),
        [Col(ids[r], "int4"), Col(j, "int4"),
         Col(role, "text", vocabulary=("demandeur", "conjoint", "enfant")),
         Col(np.where(np.isnat(birth), np.datetime64("2000-01-01"), birth), "date",
             np.isnat(birth)),
         Col(t.member_dependent[r, j], "bool"), Col(t.member_disability[r, j], "bool")],
    )
    for table, col, mask, vocabulary in (
        ("demande_reasons", "reason", t.reasons, enums.REASONS),
        ("wished_typologies", "typology", t.typologies, enums.TYPOLOGIES),
        ("priority_criteria", "criterion", t.l441_1, enums.L441_1),
    ):
        r, code = _bits_rows(mask, len(vocabulary))
        out[table] = (["demande_id", col], len(r),
                      [Col(ids[r], "int4"), Col(code, "text", vocabulary=vocabulary)])
    # One contract per demande, held by the demandeur (member 0), as a real file would.
    has_job = t.contracts_adults != 0
    lowest = np.zeros(n, np.int64)
    for i in reversed(range(len(enums.CONTRACTS))):
        lowest = np.where((t.contracts_adults >> i) & 1 == 1, i, lowest)
    r = np.nonzero(has_job)[0]
    out["employments"] = (["demande_id", "member_position", "contract"], len(r),
                          [Col(ids[r], "int4"), Col(np.zeros(len(r), np.int64), "int4"),
                           Col(lowest[r], "text", vocabulary=enums.CONTRACTS)])
    wishes = t.wishes.copy()  # a commune is wished once: later repeats are dropped
    for k in range(1, wishes.shape[1]):
        wishes[(wishes[:, :k] == wishes[:, k : k + 1]).any(axis=1), k] = -1
    order = np.argsort(wishes < 0, axis=1, kind="stable")  # kept wishes first, in order
    wishes = np.take_along_axis(wishes, order, axis=1)
    r, k = np.nonzero(wishes >= 0)
    out["wished_communes"] = (["demande_id", "rank", "commune_insee"], len(r),
                              [Col(ids[r], "int4"), Col(k + 1, "int4"),
                               Col(wishes[r, k].astype(np.int64), "text", vocabulary=vocab)])
    r, k = np.nonzero(~np.isnat(t.refusal_dates))
    out["refusals"] = (["demande_id", "refused_on", "is_adapted"], len(r),
                       [Col(ids[r], "int4"), Col(t.refusal_dates[r, k], "date"),
                        Col(t.refusal_adapted[r, k], "bool")])
    keys = tuple(sorted(t.verified))
    status = np.stack([t.verified[k] for k in keys], axis=1)
    r, k = np.nonzero(status != 0)  # an absent key is "declared"
    out["verifications"] = (["demande_id", "criterion", "status"], len(r),
                            [Col(ids[r], "int4"), Col(k, "text", vocabulary=keys),
                             Col(status[r, k].astype(np.int64), "text",
                                 vocabulary=("declared", "verified", "rejected"))])
    return out


def _sqlite_values(c: Col) -> list:
    if c.kind == "text":
        values = np.array(c.vocabulary, dtype=object)[c.values]
    elif c.kind == "date":
        values = c.values.astype("datetime64[D]").astype(str).astype(object)
    elif c.kind == "int8":  # created_at / updated_at
        values = np.full(len(c.values), "2026-01-01 00:00:00.000000", dtype=object)
    else:
        values = c.values.astype(object)
    if c.null is not None:
        values = np.where(c.null, None, values)
    return values.tolist()


def write(engine, n: int, on: date, communes: tuple[str, ...], seed: int,
          echo=print) -> None:
    """Fill an empty migrated database: the EPCI, its communes, n demandes (untimed)."""
    t0 = time.perf_counter()
    data = tables(n, on, communes, seed)
    with engine.begin() as conn:
        name = f"Eurométropole de Strasbourg (bench n={n} seed={seed})"
        epci_id = conn.exec_driver_sql(
            "INSERT INTO organisations (slug, name, kind, siren, departement, created_at) "
            "VALUES (?, ?, 'epci', ?, '67', CURRENT_TIMESTAMP) RETURNING id"
            if engine.dialect.name == "sqlite" else
            "INSERT INTO organisations (slug, name, kind, siren, departement, created_at) "
            "VALUES (%s, %s, 'epci', %s, '67', now()) RETURNING id",
            (SLUG, name, SIREN)).scalar_one()
        placeholder = "?" if engine.dialect.name == "sqlite" else "%s"
        all_communes = list(communes) + [c for c in OUTSIDE if c not in communes]
        conn.exec_driver_sql(
            "INSERT INTO communes (insee, name, departement, zone, epci_id, has_qpv) VALUES "
            f"({', '.join([placeholder] * 6)})",
            [(c, f"Commune {c}", c[:2], "autres_regions", epci_id if c in communes else None,
              False) for c in all_communes])
        data["demandes"][2][2].values[:] = epci_id
        for table, (names, rows, cols) in data.items():
            if engine.dialect.name == "postgresql":
                raw = conn.connection.driver_connection
                if table == "demandes":
                    cols[-2].values[:] = cols[-1].values[:] = (
                        (np.datetime64("2026-01-01T00:00:00", "us")
                         - np.datetime64("2000-01-01T00:00:00", "us")).astype(np.int64))
                _pg_copy(raw, table, names, rows, cols)
            else:
                lite: sqlite3.Connection = conn.connection.driver_connection
                sql = (f"INSERT INTO {table} ({', '.join(names)}) VALUES "
                       f"({', '.join('?' * len(names))})")
                for a in range(0, rows, CHUNK):
                    columns = [_sqlite_values(c) for c in _slice(cols, a, min(rows, a + CHUNK))]
                    lite.executemany(sql, zip(*columns, strict=True))
            echo(f"  {table} : {rows} lignes")
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('demandes', 'id'), "
                                 f"{n + 1}, false)")
            for table in ("organisations", "communes", *data):
                conn.exec_driver_sql(f"ANALYZE {table}")
    echo(f"données générées en {time.perf_counter() - t0:.1f} s (non compté)")


def marker(n: int, seed: int) -> str:
    return f"Eurométropole de Strasbourg (bench n={n} seed={seed})"
