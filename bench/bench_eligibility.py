"""Benchmark: eligibility of one demande against 20 000 offers, vectorised vs explained loop.

What each line computes (so that ratios compare like with like):
- (a) ``OfferTable.evaluate``: one boolean mask per reason code (hence the reason codes of
  every offer), no explanation text;
- (c) ``open_offers`` then ``.closed``: the same masks, the open list, and the explained verdict
  (reasons with their French text and figures) of every closed offer;
- (b) the explained loop: ``eligibility()`` on every offer, an explained verdict for each.
(c) and (b) give the same explained reasons for the closed offers (checked): (b)/(c) is the
like-for-like ratio; (b)/(a) compares explained verdicts with masks and codes.

Run: ``.venv/bin/python bench/bench_eligibility.py [--offers 20000] [--demandes 50] [--runs 9]``.
Data are synthetic and seeded (identical on every run). Prints medians in milliseconds.
Target: vectorised ≤ 20 ms median on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

try:
    import matching  # noqa: F401
except ModuleNotFoundError:  # run from a checkout whose editable install does not map matching/
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matching.eligibility import OfferTable, eligibility, open_offers  # noqa: E402
from matching.policy import Policy  # noqa: E402
from matching.records import CurrentHousing, Demande, Employer, Logement, Member, Priority, Wishes  # noqa: E402

ON = date(2026, 11, 28)
ZONES = ("paris_limitrophes", "ile_de_france", "autres_regions")
TYPOLOGIES = ("T1", "T2", "T3", "T4", "T5", "T6")
FINANCINGS = ("PLAI", "PLUS", "PLUS", "PLUS", "PLS")
RESERVATAIRES = (None, "action-logement", "prefet-45", "ville-orleans", "bailleur")


def make_offers(rng: random.Random, n: int, communes: list[str]) -> list[Logement]:
    """n synthetic offers over the given communes."""
    offers = []
    for i in range(n):
        typology = rng.choice(TYPOLOGIES)
        rooms = TYPOLOGIES.index(typology) + 1
        offers.append(Logement(
            id=f"LGT-{i:06d}", commune=rng.choice(communes), zone=rng.choice(ZONES),
            typology=typology, rooms=rooms, financing=rng.choice(FINANCINGS),
            rent=round(rng.uniform(180, 420) + 70 * rooms, 2), charges=round(rng.uniform(30, 160), 2),
            surface=round(rng.uniform(14, 22) * rooms + 10, 1), accessible=rng.random() < 0.25,
            reservataire=rng.choice(RESERVATAIRES),
        ))
    return offers


def make_demandes(rng: random.Random, n: int, communes: list[str]) -> list[Demande]:
    """n synthetic demandes wishing 1–5 of the communes."""
    out = []
    for k in range(n):
        size = rng.choice((1, 1, 2, 2, 3, 3, 4, 5, 6, 7))
        members = [Member("demandeur", date(rng.randint(1950, 2003), rng.randint(1, 12), 1))]
        for _ in range(size - 1):
            members.append(Member("enfant", date(rng.randint(2008, 2025), rng.randint(1, 12), 1),
                                  is_dependent=True, has_disability=rng.random() < 0.03))
        out.append(Demande(
            id=f"D-{k:05d}", filed_on=date(2025, 1, 1), household=tuple(members),
            rfr_n2=float(rng.randint(6000, 60000)),
            rfr_n1=rng.choice((None, float(rng.randint(6000, 60000)))),
            monthly_resources=round(rng.uniform(700, 4500), 2),
            current_housing=CurrentHousing(kind="heberge_tiers"),
            wishes=Wishes(communes=tuple(rng.sample(communes, rng.randint(1, 5))),
                          max_rent=rng.choice((None, 900.0))),
            employer=Employer(contributes_action_logement=rng.random() < 0.5),
            priority=Priority(dalo=rng.random() < 0.05),
        ))
    return out


def median_ms(samples: list[float]) -> float:
    """Median of durations in seconds, in milliseconds."""
    return statistics.median(samples) * 1000


def main() -> None:
    """Build the data, time both paths, print the medians."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--offers", type=int, default=20_000)
    parser.add_argument("--demandes", type=int, default=50)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--explained-runs", type=int, default=7)
    args = parser.parse_args()

    rng = random.Random(20261128)
    communes = [f"45{n:03d}" for n in range(1, 334)]  # Loiret-like: 333 communes
    offers = make_offers(rng, args.offers, communes)
    demandes = make_demandes(rng, args.demandes, communes)
    policy = Policy(reservataire_kinds={"prefet-45": "etat", "ville-orleans": "commune"})

    t0 = time.perf_counter()
    table = OfferTable(offers)
    build_ms = (time.perf_counter() - t0) * 1000

    open_offers(demandes[0], table, ON, policy)  # warm-up: parameter files, imports

    evaluate, listing = [], []
    for run in range(args.runs):
        d = demandes[run % len(demandes)]
        t0 = time.perf_counter()
        table.evaluate(d, ON, policy)
        evaluate.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        result = open_offers(d, table, ON, policy)
        listing.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    opened = 0
    for d in demandes:
        opened += int(table.evaluate(d, ON, policy).ok.sum())
    per_demande_ms = (time.perf_counter() - t0) * 1000 / len(demandes)

    explained, explained_closed = [], []
    for run in range(args.explained_runs):
        d = demandes[run % len(demandes)]
        t0 = time.perf_counter()
        loop = [eligibility(d, offre, ON, policy) for offre in offers]
        explained.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        closed = open_offers(d, table, ON, policy).closed
        explained_closed.append(time.perf_counter() - t0)
        expected = [(offre.id, [r.code for r in v.reasons])
                    for offre, v in zip(offers, loop, strict=True) if not v.ok]
        assert [(lg.id, [r.code for r in reasons]) for lg, reasons in closed] == expected

    vec = median_ms(evaluate)
    loop = median_ms(explained)
    full = median_ms(explained_closed)
    rows = [
        ("OfferTable build (once)", f"{build_ms:.1f} ms"),
        (f"(a)  vectorised evaluate, median of {args.runs}", f"{vec:.2f} ms"),
        (f"(a') open_offers (masks + open list), median of {args.runs}", f"{median_ms(listing):.2f} ms"),
        (f"     mean evaluate over all {len(demandes)} demandes", f"{per_demande_ms:.2f} ms"),
        (f"(c)  open_offers + explained verdict of every closed offer, median of "
         f"{args.explained_runs}", f"{full:.1f} ms"),
        (f"(b)  explained per-offer loop, median of {args.explained_runs}", f"{loop:.1f} ms"),
        ("ratio (b)/(c), both explained verdicts (like for like)", f"{loop / full:.1f}x"),
        ("ratio (b)/(a), explained verdicts vs masks + reason codes", f"{loop / vec:.0f}x"),
    ]
    print(f"machine: {os.cpu_count()} CPU(s); {args.offers} offers, {args.demandes} demandes; "
          f"{opened / len(demandes):.0f} open offers per demande on average")
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label.ljust(width)}  {value:>10}")
    print(f"last summary: {result.summary()}")


if __name__ == "__main__":
    main()
