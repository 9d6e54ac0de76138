"""Benchmark: the requester's offers list with 20 000 published offers, served by gunicorn.

1. builds a SQLite database (or uses ``--database-url``) through the migrations, loads the demo
   territory with enough logements and publishes ``--offers`` offers (app/demo/offers_demo.py),
   unless ``--reuse`` and the database already holds them;
2. starts ``gunicorn wsgi:app`` with 2 workers on 127.0.0.1 only;
3. signs in as the demo requester and, ``--runs`` times, sends a bounded number of requests
   (``--requests``, two client threads) to ``/mon-espace/offres`` with a mix of filters, text,
   sorts and pages, then the same number to the bare route ``/api/v1/health``;
4. prints, per run, the median and p95 of the server time of each route (gunicorn's access log,
   ``%(D)s``: from the request read by the worker to the answer written, without the time spent
   waiting for a free worker) and of the client's time (loopback, queueing included), and their
   ratio to the bare route. Target: server p95 ≤ 100 ms for the offers list.

Run: ``.venv/bin/python bench/bench_offers.py [--offers 20000] [--requests 400] [--runs 3]
[--database-url postgresql://…]``.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
TODAY = "2026-11-28"
PASSWORD = "Cotaflux-demo-2026"
QUERIES = (
    {}, {"tri": "loyer"}, {"typologie": "T3"}, {"loyer_max": "550"}, {"q": "balcon"},
    {"q": "proche tramway", "tri": "pertinence"}, {"page": "2"}, {"accessible": "1"},
    {"etage_max": "2", "ascenseur": "1"}, {"commune": "45234"}, {"q": "résidence calme"},
)


def prepare(url: str, offers: int, reuse: bool) -> None:
    env = {**os.environ, "DATABASE_URL": url, "PLATFORM_TODAY": TODAY}
    code = f"""
from app import create_app
from app.extensions import db
from flask_migrate import upgrade
from sqlalchemy import func, select
app = create_app("development")
with app.app_context():
    upgrade()
    from app.flux.models import Offre
    from app.search.documents import is_listed
    n = db.session.scalar(select(func.count(Offre.id)).where(is_listed()))
    if n < {offers} or not {reuse}:
        from app.demo.loader import load_demo
        from app.demo.offers_demo import publish_demo_offers
        from datetime import date
        if n == 0:
            load_demo(demandes=2000, logements={offers} + 4000, echo=print)
            db.session.commit()
        n = db.session.scalar(select(func.count(Offre.id)).where(is_listed()))
        if n < {offers}:
            publish_demo_offers(date.fromisoformat("{TODAY}"), count={offers} - n, echo=print)
            db.session.commit()
    print("offres publiées :", db.session.scalar(select(func.count(Offre.id)).where(is_listed())))
"""
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)


def timed(session: requests.Session, url: str) -> float:
    start = time.perf_counter()
    response = session.get(url, timeout=30)
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code not in (200, 422):
        raise RuntimeError(f"{url}: {response.status_code}")
    return elapsed


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def server_times(log: Path, start: int) -> dict[str, list[float]]:
    """Server times (ms) per path from the access log lines written after byte ``start``."""
    out: dict[str, list[float]] = {}
    with log.open(encoding="utf-8") as f:
        f.seek(start)
        for line in f:
            path, status, micros = line.split()
            if status in ("200", "422"):
                out.setdefault(path, []).append(int(micros) / 1000)
    return out


def line(label: str, values: list[float], bare: list[float]) -> str:
    return (f"  {label:<8} médiane {statistics.median(values):6.1f} ms, p95 {p95(values):6.1f} ms"
            f"  (route nue : médiane {statistics.median(bare):5.1f}, p95 {p95(bare):5.1f} ; "
            f"ratio {statistics.median(values) / statistics.median(bare):.1f} / "
            f"{p95(values) / p95(bare):.1f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offers", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--reuse", action="store_true", help="garder la base si elle est prête")
    parser.add_argument("--port", type=int, default=5087)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    requests_count = min(args.requests, 5000)  # bounded load
    url = args.database_url or f"sqlite:///{Path(tempfile.gettempdir()) / 'cotaflux-bench-offers.sqlite3'}"
    prepare(url, args.offers, args.reuse)

    env = {**os.environ, "DATABASE_URL": url, "PLATFORM_TODAY": TODAY,
           "COTAFLUX_CONFIG": "development"}
    log = Path(tempfile.mkdtemp(prefix="bench-offers-")) / "access.log"
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--workers", "2",
         "--bind", f"127.0.0.1:{args.port}", "--log-level", "warning",
         "--access-logfile", str(log), "--access-logformat", "%(U)s %(s)s %(D)s", "wsgi:app"],
        cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(120):
            try:
                requests.get(base + "/api/v1/health", timeout=10)
                break
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.5)
        session = requests.Session()
        page = session.get(base + "/connexion").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        session.post(base + "/connexion", data={"email": "demandeur@demo.example.org",
                                                "password": PASSWORD, "csrf_token": token},
                     headers={"Origin": base})
        first = session.get(base + "/mon-espace/offres")
        shown = len(re.findall(r"data-offre-ref=", first.text))
        print(f"demandeur connecté : {shown} offres sur la première page")
        urls = [base + "/mon-espace/offres?" + "&".join(f"{k}={v}" for k, v in q.items())
                for q in QUERIES]
        for u in urls * 4:  # warm both workers (each builds its offer table once)
            timed(session, u)
        print(f"{requests_count} requêtes par route et par passe, 2 clients, gunicorn 2 workers, "
              f"{args.offers} offres, {url.split(':', 1)[0]} ; temps serveur (journal d'accès "
              "de gunicorn) et temps du client")
        for run in range(1, max(1, min(args.runs, 10)) + 1):
            start = log.stat().st_size
            with ThreadPoolExecutor(2) as pool:
                offers = list(pool.map(lambda i: timed(session, urls[i % len(urls)]),
                                       range(requests_count)))
                health = list(pool.map(lambda i: timed(session, base + "/api/v1/health"),
                                       range(requests_count)))
            time.sleep(0.5)  # the last access-log lines
            server_side = server_times(log, start)
            print(f"passe {run} — /mon-espace/offres :")
            print(line("serveur", server_side["/mon-espace/offres"],
                       server_side["/api/v1/health"]))
            print(line("client", offers, health))
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
