"""The loader of ``app.cotation.columns``: the table it builds has the columns of the records
of the same demandes, whatever the path (SQLite or PostgreSQL, one connection or two, a field
clamped then read again), and its numbers are PostgreSQL's own doubles."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import numpy as np
import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.adapters.records import demande_record
from app.adapters.rows import demande_rows, insert_rows, new_rows
from app.cotation import columns
from app.cotation.columns import Dialect, load_table, read_columns
from app.extensions import db
from app.models import Commune, Demande, Organisation
from matching import records
from matching.batch import DemandeTable, TableNeeds
from matching.grid import load_grid
from tests.support.synthetic import synthetic_table

ON = date(2026, 3, 1)
COMMUNES = ("99001", "99002", "99003", "99004", "2A004")  # fictitious codes, Corsica's letters
OUTSIDE = "99999"
STRASBOURG = load_grid("eurometropole-strasbourg")


def _records(n: int, seed: int, prefix: str) -> list[records.Demande]:
    """Plausible demandes, plus the odd ones: numbers at the bounds of their types, a household
    of 260 (positions and a contract beyond a byte), 300 rooms, a birth in year 1."""
    table = synthetic_table(n, ON, COMMUNES, [OUTSIDE], seed=seed)
    out = []
    for i, rec in enumerate(table.to_demandes()):
        jobs = rec.employment[:1]  # one contract per member, as the employments table holds
        if jobs and len(rec.household) > 1 and i % 3 == 0:  # a second member, same contract
            jobs += (dataclasses.replace(jobs[0], member=1),)
        out.append(dataclasses.replace(rec, id=f"{prefix}-{i:05d}", employment=jobs))
    if n < 5:
        return out
    housing = out[1].current_housing
    out[1] = dataclasses.replace(
        out[1], rfr_n2=9999999999.99, monthly_resources=0.01,
        current_housing=dataclasses.replace(housing, rent=-9999999999.99, charges=1234567.89,
                                            surface=99999.99, rooms=0))
    out[2] = dataclasses.replace(
        out[2], monthly_resources=None, rfr_n2=0.0,
        current_housing=dataclasses.replace(out[2].current_housing, rent=None, charges=0.1,
                                            surface=None, rooms=None, commune=None))
    big = tuple(records.Member("enfant", date(2010, 1, 1), is_dependent=True)
                for _ in range(259))
    out[3] = dataclasses.replace(
        out[3], household=out[3].household[:1] + big,
        employment=(records.Employment(0, "cdi"), records.Employment(259, "cdd")),
        current_housing=dataclasses.replace(out[3].current_housing, rooms=300))
    out[4] = dataclasses.replace(
        out[4], household=(dataclasses.replace(out[4].household[0], birth_date=date(1, 1, 1)),)
        + out[4].household[1:])
    return out


def _insert(session, recs, epci_id: int, statuses=None, start: int | None = None) -> list[int]:
    start = start or (session.scalar(select(db.func.max(Demande.id))) or 0) + 1
    rows = new_rows()
    for i, rec in enumerate(recs):
        demande_rows(rec, demande_id=start + i, epci_id=epci_id,
                     status=statuses[i] if statuses else "active", out=rows)
    insert_rows(session, rows)
    session.flush()
    return list(range(start, start + len(recs)))


def _add_territory(session, slug: str) -> Organisation:
    epci = Organisation(slug=slug, name=slug, kind="epci", departement="99")
    session.add(epci)
    session.flush()
    for insee in (*COMMUNES, OUTSIDE):
        session.add(Commune(insee=insee, name=insee, departement="99", zone="autres_regions",
                            epci_id=None if insee == OUTSIDE else epci.id))
    session.flush()
    return epci


def _expected(session, epci_id: int) -> tuple[list[int], DemandeTable]:
    demandes = session.scalars(select(Demande).where(
        Demande.epci_id == epci_id, Demande.status == "active").order_by(Demande.id)).all()
    return [d.id for d in demandes], DemandeTable.from_demandes([demande_record(d)
                                                                  for d in demandes])


def _communes(table: DemandeTable, codes: np.ndarray) -> np.ndarray:
    names = np.array((*table.communes, ""), dtype=object)
    return names[np.where(codes < 0, len(table.communes), codes)]


def assert_same_table(table: DemandeTable, ids: list[int], expected: DemandeTable) -> None:
    """``table`` (loaded) holds the columns of ``expected`` (from records): same values and
    types; commune codes name the same communes."""
    assert table.ids.dtype == np.int64 and table.ids.tolist() == ids
    for f in dataclasses.fields(DemandeTable):
        if f.name in ("ids", "communes", "verified"):
            continue
        a, b = getattr(table, f.name), getattr(expected, f.name)
        assert (a.dtype, a.shape) == (b.dtype, b.shape), f.name
        if f.name in ("current_commune", "wishes"):
            a, b = _communes(table, a), _communes(expected, b)
        np.testing.assert_array_equal(a, b, err_msg=f.name)
    assert table.verified.keys() == expected.verified.keys()
    for k, v in table.verified.items():
        assert v.dtype == np.int8
        np.testing.assert_array_equal(v, expected.verified[k], err_msg=k)


@pytest.fixture
def territory(db_session):
    epci = _add_territory(db.session, "i9-columns")
    statuses = ["active"] * 40 + ["brouillon", "radiee"] * 3
    _insert(db.session, _records(46, seed=5, prefix="099"), epci.id, statuses)
    return epci


def test_the_loaded_columns_are_those_of_the_records(territory):
    ids, expected = _expected(db.session, territory.id)
    assert len(ids) == 40 and expected.member_birth.shape[1] == 260
    assert_same_table(load_table(db.session, territory.id), ids, expected)


def test_numbers_are_the_databases_own_doubles(territory):
    table = load_table(db.session, territory.id)
    d = Dialect(db.session.get_bind().dialect.name)
    got = read_columns(db.session, (
        f"SELECT id, {d.real('current_rent')}, {d.real('current_charges')}, "
        f"{d.real('current_surface')}, {d.real('monthly_resources')}, {d.real('rfr_n2')}, "
        f"{d.real('current_rooms')} FROM demandes WHERE epci_id = {territory.id} "
        "AND status = 'active' ORDER BY id"),
        [("id", "i4"), ("rent", "f8"), ("charges", "f8"), ("surface", "f8"),
         ("monthly_resources", "f8"), ("rfr_n2", "f8"), ("rooms", "f8")])
    np.testing.assert_array_equal(got["id"], table.ids)
    for name in ("rent", "charges", "surface", "monthly_resources", "rfr_n2", "rooms"):
        np.testing.assert_array_equal(getattr(table, name), got[name], err_msg=name)
    assert table.rent[1] == -9999999999.99 and table.rooms[3] == 300.0
    assert np.isnan(table.rent[2]) and np.isnan(table.rooms[2])


def test_cents_divided_by_a_hundred_are_the_doubles_of_the_decimals():
    """What the loader does with numeric(p, 2) (p <= 15) sent as cents: one correctly rounded
    division, hence the double nearest the decimal, as PostgreSQL's cast and Python's float."""
    rng = np.random.default_rng(7)
    cents = np.concatenate([
        rng.integers(-10**12 + 1, 10**12, 200_000), rng.integers(-10**6, 10**6, 200_000),
        np.arange(-1000, 1000), [10**12 - 1, 1 - 10**12, 10**15 - 1, 1 - 10**15]])
    got = cents.astype(np.float64) / 100
    expected = np.array([float(Decimal(int(c)).scaleb(-2)) for c in cents])
    np.testing.assert_array_equal(got, expected)


def test_what_a_grid_needs_scores_like_everything(territory):
    needs = TableNeeds.for_grid(STRASBOURG, choices=False)
    full, lean = load_table(db.session, territory.id), load_table(db.session, territory.id, needs)
    assert lean.wishes.shape[1] == 1 and set(lean.verified) == needs.verified_keys
    for name in ("member_birth", "n_members", "contracts_adults", "refusal_dates", "reasons"):
        np.testing.assert_array_equal(getattr(lean, name), getattr(full, name))
    np.testing.assert_array_equal(lean.wishes[:, 0], full.wishes[:, 0])


def test_an_epci_without_demandes_gives_an_empty_table(db_session):
    epci = _add_territory(db.session, "i9-columns-empty")
    table = load_table(db.session, epci.id)
    assert_same_table(table, [], DemandeTable.from_demandes([]))
    lean = load_table(db.session, epci.id, TableNeeds.for_grid(STRASBOURG, choices=False))
    assert len(lean) == 0 and all(len(v) == 0 for v in lean.verified.values())


# --------------------------------------------------------------------------- PostgreSQL


def _require_postgres(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("packed rows and the second connection are PostgreSQL's")


def test_packed_fields_come_back_exactly(app, db_session, database_url):
    """Bounds of each type, NULLs, codes, a float8 word, a clamped field read again."""
    _require_postgres(database_url)
    raw = db.session.connection().connection.driver_connection
    conn = columns._Connection(raw, True, {})
    conn.hashes.update(columns._vocabulary_hashes(conn, [("a", "b", "c")]))
    query = columns._Query([
        columns._Int("i", "i"), columns._Int("small", "i", *columns._BYTE, clamped=True),
        columns._Number("x", "x", 2, 1 - 10**12, 10**12 - 1),
        columns._Number("f", "x", None), columns._Code("c", "c", ("a", "b", "c")),
        columns._Int("day", Dialect("postgresql").day("d")),
    ], "FROM (VALUES (-2147483648, NULL::numeric(12, 2), 'c', DATE '0001-01-01'), "
       "(2147483647, 9999999999.99, NULL, NULL), (7, -0.01, 'a', DATE '2026-03-01'), "
       "(0, 123.45, 'b', DATE '1970-01-01')) AS t(i, x, c, d)")
    got = conn.fetch(query)
    assert got["i"].tolist() == got["small"].tolist() == [-2**31, 2**31 - 1, 7, 0]
    assert got["x"][1:].tolist() == [9999999999.99, -0.01, 123.45] and np.isnan(got["x"][0])
    np.testing.assert_array_equal(got["f"], got["x"])
    assert got["c"].tolist() == [2, -1, 0, 1]
    assert got["day"].tolist() == [-719162, -2**31, 20513, 0]
    assert columns._Packed(query.fields, query.source, conn.hashes).words == 3


@pytest.fixture
def committed(app, database_url):
    """A territory committed for real (another connection must see it), removed afterwards."""
    _require_postgres(database_url)
    with app.app_context():
        with Session(db.engine) as session:
            epci = _add_territory(session, "i9-columns-committed")
            empty = Organisation(slug="i9-columns-committed-empty", name="vide", kind="epci")
            session.add(empty)
            ids = _insert(session, _records(60, seed=6, prefix="099"), epci.id,
                          ["active"] * 55 + ["radiee"] * 5)
            session.commit()
            epci_id, empty_id = epci.id, empty.id
        try:
            yield epci_id, ids, empty_id
        finally:
            with db.engine.begin() as conn:
                conn.execute(text("DELETE FROM demandes WHERE epci_id = :e"), {"e": epci_id})
                conn.execute(text("DELETE FROM communes WHERE insee = ANY(:c)"),
                             {"c": [*COMMUNES, OUTSIDE]})
                conn.execute(text("DELETE FROM organisations WHERE id = ANY(:e)"),
                             {"e": [epci_id, empty_id]})
            db.engine.dispose()  # close the helpers' pooled connections (else a warning at exit)


@pytest.fixture
def paths(monkeypatch):
    """The ways the loads went: "parallel" or "serial"."""
    seen: list[str] = []

    def spy(name: str):
        original = getattr(columns._Tasks, name)

        def run(self, *args):
            seen.append(name)
            return original(self, *args)
        return run

    for name in ("parallel", "serial"):
        monkeypatch.setattr(columns._Tasks, name, spy(name))
    return seen


def test_two_connections_load_the_same_table_as_one(committed, paths):
    epci_id, _, empty_id = committed
    with Session(db.engine) as session:
        ids, expected = _expected(session, epci_id)
        session.rollback()
        for needs in (None, TableNeeds.for_grid(STRASBOURG, choices=False)):
            two = load_table(session, epci_id, needs)
            one = load_table(session, epci_id, needs, parallel=False)
            for f in dataclasses.fields(DemandeTable):
                a, b = getattr(two, f.name), getattr(one, f.name)
                if f.name == "verified":
                    assert a.keys() == b.keys()
                    a, b = list(a.values()), list(b.values())
                np.testing.assert_array_equal(a, b, err_msg=f.name)
            if needs is None:
                assert_same_table(two, ids, expected)
        assert paths == ["parallel", "serial"] * 2
        assert db.engine.pool.checkedout() == 1  # the helpers' connections went back
        assert_same_table(load_table(session, empty_id), [], DemandeTable.from_demandes([]))
        assert paths[-1] == "parallel"


def test_a_transaction_that_wrote_loads_on_its_own_connection(committed, paths):
    """An imported snapshot would not see the session's own uncommitted demande."""
    epci_id, ids, _ = committed
    with Session(db.engine) as session:
        new, = _insert(session, _records(1, seed=9, prefix="098"), epci_id, start=ids[-1] + 1000)
        table = load_table(session, epci_id)
        assert paths == ["serial"] and table.ids[-1] == new and len(table) == 56
        session.rollback()


def test_a_failing_query_in_a_helper_thread_is_raised_and_its_connection_returned(
        committed, paths, monkeypatch):
    epci_id, _, _ = committed

    def broken(self, c):
        raise RuntimeError("panne")

    monkeypatch.setattr(columns._Load, "_verifications", broken)
    with Session(db.engine) as session:
        with pytest.raises(RuntimeError, match="panne"):
            load_table(session, epci_id)
        assert paths == ["parallel"]
        assert db.engine.pool.checkedout() == 1
        session.rollback()
