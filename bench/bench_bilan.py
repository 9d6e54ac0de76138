"""Bilan annuel of a bailleur with 50 000 logements and a year of events (target ≤ 10 s).

Run: ``.venv/bin/python bench/bench_bilan.py [--logements 50000] [--runs 3]
[--url postgresql://cotaflux:cotaflux@127.0.0.1:5432/cotaflux_bench]`` (default: a SQLite
file under instance/). On PostgreSQL the data lives in its own schema ``bench_bilan``.

Data (not timed, reused when the same size is already there): one bailleur, 40 communes of
one EPCI, N logements, four conventions, and a year of the ledger: a vacancy for 12 % of the
dwellings, each oriented (``mise_a_disposition``), 5 % taken back, 85 % allocated (with the
allocation row and its demande: household members, DALO, L.441-1 criteria) and 80 % leased;
the EPCI's quartile threshold.

Printed (medians of ``--runs`` runs): reading the events as records (``app/adapters``), the
pure aggregation (``matching.flux.bilan.aggregate``), and the PDF rendering (WeasyPrint), then
the total against the 10 s target.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from flask_migrate import upgrade  # noqa: E402
from pypdf import PdfReader  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts.models import Organisation  # noqa: E402
from app.adapters import bilan as adapters  # noqa: E402
from app.attribution.models import Attribution  # noqa: E402
from app.demandes.models import Demande, HouseholdMember, PriorityCriterion  # noqa: E402
from app.extensions import db  # noqa: E402
from app.flux import bilan as service  # noqa: E402
from app.flux.models import Convention, FluxEvent, Offre, QuartileThreshold  # noqa: E402
from app.patrimoine.models import Logement  # noqa: E402
from app.territoire.models import Commune  # noqa: E402
from matching.flux import bilan as engine  # noqa: E402

YEAR = 2025
SCHEMA = "bench_bilan"
SLUG = "bench-bilan-bailleur"
RESERVATAIRES = (("bench-prefet", "etat", 25.0, "mise_a_disposition"),
                 ("bench-al", "action_logement", 20.0, "attribution"),
                 ("bench-commune", "commune", 10.0, "bail_signe"),
                 ("bench-departement", "departement", 5.0, "mise_a_disposition"))
TYPOLOGIES = ("T1", "T2", "T3", "T4", "T5")
FINANCINGS = ("PLAI", "PLUS", "PLS")


def with_schema(url: str) -> str:
    return url + ("&" if "?" in url else "?") + f"options=-csearch_path%3D{SCHEMA}"


def _insert(model, rows: list[dict], chunk: int = 5000) -> None:
    for start in range(0, len(rows), chunk):
        db.session.execute(model.__table__.insert(), rows[start:start + chunk])


def build(n: int, seed: int = 1) -> None:
    """The data set (not timed)."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    orgs = [Organisation(slug=SLUG, name=f"Bailleur de {n} logements", kind="bailleur",
                         departement="45"),
            Organisation(slug="bench-epci", name="EPCI du banc d'essai", kind="epci",
                         departement="45")]
    orgs += [Organisation(slug=s, name=s, kind="reservataire", reservataire_kind=k,
                          departement="45") for s, k, _, _ in RESERVATAIRES]
    db.session.add_all(orgs)
    db.session.flush()
    bailleur, epci, *reservataires = orgs
    communes = [f"45{900 + i:03d}" for i in range(40)]
    _insert(Commune, [{"insee": c, "name": f"Commune {c}", "departement": "45",
                       "zone": "autres_regions", "epci_id": epci.id, "has_qpv": i % 4 == 0}
                      for i, c in enumerate(communes)])
    conventions = []
    for org, (_, _, share, counts_on) in zip(reservataires, RESERVATAIRES, strict=True):
        c = Convention(ref=f"BENCH-{org.slug}", bailleur_id=bailleur.id, reservataire_id=org.id,
                       departement="45", year=YEAR, share_percent=share, origin="financement",
                       counts_on=counts_on)
        db.session.add(c)
        conventions.append(c)
    db.session.add(QuartileThreshold(epci_id=epci.id, year=YEAR, threshold=11_000,
                                     arrete="banc d'essai"))
    db.session.flush()
    start = (db.session.scalar(select(func.max(Logement.id))) or 0) + 1
    _insert(Logement, [{
        "id": start + i, "ref": f"B{i:06d}", "bailleur_id": bailleur.id,
        "commune_insee": communes[i % len(communes)], "zone": "autres_regions",
        "qpv": i % 7 == 0, "typology": TYPOLOGIES[i % 5], "financing": FINANCINGS[i % 3],
        "rent": 400 + i % 300, "charges": 80, "construction_year": 1950 + i % 75,
        "hors_flux_reason": "vente" if i % 97 == 0 else None, "created_at": now, "version": 1}
        for i in range(n)])
    vacancies = rng.sample(range(n), n * 12 // 100)
    demande0 = (db.session.scalar(select(func.max(Demande.id))) or 0) + 1
    offre0 = (db.session.scalar(select(func.max(Offre.id))) or 0) + 1
    offres, events, attributions, demandes, members, criteria = [], [], [], [], [], []
    weights = [s for _, _, s, _ in RESERVATAIRES] + [40.0]
    for k, i in enumerate(vacancies):
        offre_id, lg_id = offre0 + k, start + i
        on = date(YEAR, 1, 1) + timedelta(days=rng.randrange(300))
        who = rng.choices(range(5), weights)[0]
        res = reservataires[who] if who < 4 else None
        conv = conventions[who] if who < 4 else None
        offres.append({"id": offre_id, "ref": f"BO{k:06d}", "logement_id": lg_id,
                       "flux_status": "bail_signe", "declared_on": on, "available_on": on,
                       "reservataire_id": res.id if res else None,
                       "convention_id": conv.id if conv else None, "is_published": False,
                       "created_at": now})

        def ev(kind, day, res=res, conv=conv, details=None, offre_id=offre_id):
            events.append({"offre_id": offre_id, "kind": kind, "occurred_on": day,
                           "reservataire_id": res.id if res else None,
                           "convention_id": conv.id if conv else None, "recorded_at": now,
                           "details": details})

        ev("mise_a_disposition", on)
        if res is not None and rng.random() < 0.05:
            ev("reprise", on + timedelta(days=31))
            continue
        if rng.random() < 0.85:
            d_id = demande0 + len(demandes)
            demandes.append({"id": d_id, "nur": f"BENCH-{d_id:08d}", "epci_id": epci.id,
                             "status": "attribuee", "filed_on": date(2023, 1, 1),
                             "rfr_n2": rng.randrange(3_000, 40_000),
                             "current_housing_kind": "locataire_hlm",
                             "is_dalo": rng.random() < 0.05, "created_at": now,
                             "updated_at": now})
            for p in range(1 + rng.randrange(3)):
                members.append({"demande_id": d_id, "position": p,
                                "role": "demandeur" if p == 0 else "enfant",
                                "birth_date": date(1985 if p == 0 else 2015, 1, 1)})
            if rng.random() < 0.3:
                criteria.append({"demande_id": d_id, "criterion": "handicap"})
            allocated = on + timedelta(days=40)
            attributions.append({"offre_id": offre_id, "logement_id": lg_id,
                                 "demande_id": d_id, "reservataire_id": res.id if res else None,
                                 "status": "bail_signe", "proposed_on": allocated,
                                 "answer_due_on": allocated + timedelta(days=10), "version": 1})
            ev("attribution", allocated)
            if rng.random() < 0.94:
                ev("bail_signe", allocated + timedelta(days=20))
    for model, rows in ((Offre, offres), (FluxEvent, events), (Demande, demandes),
                        (HouseholdMember, members), (PriorityCriterion, criteria),
                        (Attribution, attributions)):
        _insert(model, rows)
    if db.engine.dialect.name == "postgresql":
        for table in ("logements", "offres", "demandes"):
            db.session.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"))
    db.session.commit()


def prepare(url: str, n: int) -> Organisation:
    if url.startswith("postgresql"):
        conn = db.session.connection()
        conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        db.session.commit()
    try:
        found = db.session.scalar(select(func.count(Logement.id)).join(
            Organisation, Logement.bailleur_id == Organisation.id).where(
            Organisation.slug == SLUG))
    except Exception:  # no tables yet
        db.session.rollback()
        found = None
    if found != n:
        print(f"Préparation des données ({n} logements, non chronométrée)…", flush=True)
        db.session.remove()
        if url.startswith("postgresql"):
            with db.engine.begin() as c:
                c.exec_driver_sql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
                c.exec_driver_sql(f"CREATE SCHEMA {SCHEMA}")
        else:
            db.drop_all()
            with db.engine.begin() as c:
                c.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        upgrade()
        build(n)
    return db.session.scalar(select(Organisation).where(Organisation.slug == SLUG))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logements", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--url", default="sqlite:///" + str(
        Path(__file__).resolve().parents[1] / "instance" / "bench_bilan.sqlite"))
    args = parser.parse_args()
    url = with_schema(args.url) if args.url.startswith("postgresql") else args.url
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context(), app.test_request_context():
        bailleur = prepare(args.url, args.logements)
        events = db.session.scalar(select(func.count(FluxEvent.id)))
        print(f"Bilan {YEAR} de {bailleur.name} : {events} événements du registre "
              f"({db.engine.dialect.name}).")
        read, agg, pdf, total = [], [], [], []
        pages = size = 0
        for _ in range(args.runs):
            db.session.expire_all()
            t0 = time.perf_counter()
            records = adapters.bilan_events(bailleur.id, YEAR)
            t1 = time.perf_counter()
            bilan = engine.aggregate(
                records, bailleur=bailleur.slug, year=YEAR,
                obligations=engine.obligations_for_year(YEAR), thresholds=service.thresholds(YEAR),
                reservataires=[s for s, _, _, _ in RESERVATAIRES],
                withdrawals_forecast=service.withdrawals_forecast(bailleur.id, YEAR + 1),
                not_concerned=adapters.not_concerned_counts(bailleur.id))
            t2 = time.perf_counter()
            names = dict(db.session.execute(select(Organisation.slug, Organisation.name)).all())
            body = service.render_pdf(service.BilanDocument(bilan, bailleur, names, "bailleur"))
            t3 = time.perf_counter()
            read.append(t1 - t0)
            agg.append(t2 - t1)
            pdf.append(t3 - t2)
            total.append(t3 - t0)
            size = len(body)
            pages = len(PdfReader(io.BytesIO(body)).pages)
        m = statistics.median
        print(f"  lecture des événements (adapters) : médiane {m(read):6.2f} s "
              f"({len(records)} enregistrements)")
        print(f"  agrégation (matching.flux.bilan)  : médiane {m(agg):6.2f} s")
        print(f"  rendu PDF (WeasyPrint)            : médiane {m(pdf):6.2f} s "
              f"({pages} pages, {size // 1024} Kio)")
        print(f"  total                             : médiane {m(total):6.2f} s "
              f"sur {args.runs} essais (objectif ≤ 10 s : "
              f"{'tenu' if m(total) <= 10 else 'NON TENU'})")


if __name__ == "__main__":
    main()
