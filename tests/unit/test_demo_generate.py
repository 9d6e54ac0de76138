"""The demo territory generator: deterministic, valid exchange format, plausible distributions."""

from __future__ import annotations

import dataclasses
import json
import random
import re
import time
from collections import Counter
from datetime import date, timedelta

import pytest

from app.demo import generate as g
from matching import flux, household
from matching.records import parse_convention, parse_demande, parse_logement

ON = date(2026, 11, 28)


@pytest.fixture(scope="module")
def territory() -> g.Territory:
    return g.generate_territory(seed=2026, demandes=5000, logements=3000, on=ON)


def _dump(t: g.Territory) -> str:
    return json.dumps(dataclasses.asdict(t), default=str, sort_keys=True, ensure_ascii=False)


def _share(items, predicate) -> float:
    items = list(items)
    return sum(1 for x in items if predicate(x)) / len(items)


# --------------------------------------------------------------------------- determinism


def test_same_seed_gives_the_same_territory():
    assert _dump(g.generate_territory(seed=11, demandes=600, logements=400)) == _dump(
        g.generate_territory(seed=11, demandes=600, logements=400)
    )


def test_another_seed_gives_another_territory():
    assert _dump(g.generate_territory(seed=11, demandes=600, logements=400)) != _dump(
        g.generate_territory(seed=12, demandes=600, logements=400)
    )


def test_generators_use_only_the_rng_they_are_given():
    random.seed(1)
    first = g.generate_demandes(random.Random(5), 200, ON)
    random.seed(2)  # the global generator must not matter
    assert g.generate_demandes(random.Random(5), 200, ON) == first


# --------------------------------------------------------------------------- exchange format


def test_every_record_passes_the_exchange_format_parsers(territory):
    for d in territory.demandes:
        parse_demande(d)
    for lg in territory.logements:
        parse_logement(lg)
    for c in territory.conventions:
        parse_convention(c)


def test_demande_ids_look_like_nur_in_filing_order(territory):
    ids = [d["id"] for d in territory.demandes]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"045-\d{4}-\d{6}", i) for i in ids)
    assert all(d["id"][4:8] == d["filed_on"][:4] for d in territory.demandes)


def test_identity_is_kept_apart_and_fictional(territory):
    for d in territory.demandes[:500]:
        ident = d["_identity"]
        assert ident["email"].endswith("@example.org")
        assert ident["phone"].startswith(g.FICTION_PHONE_PREFIX)
        assert ident["civility"] in ("M.", "Mme")
        assert "first_name" not in d and "last_name" not in d


def test_employer_sirets_are_never_valid_siret_numbers(territory):
    sirets = {d["employer"]["siret"] for d in territory.demandes if d["employer"]["siret"]}
    assert sirets
    assert not any(g.luhn_ok([int(ch) for ch in s]) for s in sirets)


def test_communes_are_the_22_members_of_orleans_metropole(territory):
    members = [c for c in territory.communes if c["is_epci_member"]]
    assert len(members) == 22
    assert territory.epci["siren"] == "244500468"
    assert sorted(territory.epci["communes"]) == sorted(c["insee"] for c in members)
    assert {c["insee"] for c in members} >= {"45234", "45147", "45284", "45285", "45302", "45232"}
    assert set(g.PARC_WEIGHT) == {c["insee"] for c in members}
    assert {q["commune"] for q in territory.qpv} <= {c["insee"] for c in members}


# --------------------------------------------------------------------------- conventions


def test_conventions_respect_the_legal_caps(territory):
    assert flux.check_caps([parse_convention(c) for c in territory.conventions]) == []
    years = {c["year"] for c in territory.conventions}
    assert years == {2025, 2026}
    for b in g.BAILLEURS:
        assert g.own_share(territory.conventions, b["slug"], 2026) > 0


# --------------------------------------------------------------------------- parc


def test_parc_is_split_across_three_bailleurs_with_the_typology_and_financing_mix(territory):
    logements = territory.logements
    assert len(logements) == 3000
    by_bailleur = Counter(lg["bailleur"] for lg in logements)
    assert set(by_bailleur) == {b["slug"] for b in g.BAILLEURS}
    for typology, share in g.TYPOLOGY_MIX.items():
        assert _share(logements, lambda lg, t=typology: lg["typology"] == t) == pytest.approx(
            share, abs=0.03
        )
    for financing, share in g.FINANCING_MIX.items():
        assert _share(logements, lambda lg, f=financing: lg["financing"] == f) == pytest.approx(
            share, abs=0.03
        )


def test_parc_qpv_accessibility_and_rents_are_plausible(territory):
    logements = territory.logements
    assert _share(logements, lambda lg: lg["qpv"]) == pytest.approx(0.30, abs=0.06)
    qpv_communes = {q["commune"] for q in territory.qpv}
    assert all(lg["commune"] in qpv_communes and lg["qpv_name"] for lg in logements if lg["qpv"])
    assert _share(logements, lambda lg: lg["accessible"]) == pytest.approx(0.10, abs=0.04)
    for financing, rate in g.RENT_PER_M2.items():
        rates = [lg["rent"] / lg["surface"] for lg in logements if lg["financing"] == financing]
        assert sum(rates) / len(rates) == pytest.approx(rate, rel=0.08)
    assert all(lg["accessible"] <= (lg["floor"] == 0 or lg["lift"]) for lg in logements)


def test_programmes_group_logements_with_unique_names_per_bailleur(territory):
    names = Counter((p["bailleur"], p["name"]) for p in territory.programmes)
    assert max(names.values()) == 1
    ids = {p["id"] for p in territory.programmes}
    assert {lg["programme_id"] for lg in territory.logements} == ids


# --------------------------------------------------------------------------- demandes


def test_household_sizes_follow_the_target_mix(territory):
    sizes = Counter(min(len(d["household"]), 5) for d in territory.demandes)
    n = len(territory.demandes)
    for size, share in {1: 0.40, 2: 0.22, 3: 0.16, 4: 0.12, 5: 0.10}.items():
        assert sizes[size] / n == pytest.approx(share, abs=0.025)


def test_incomes_sit_mostly_under_the_plus_ceiling(territory):
    below_plai = above_plus = 0
    for d in territory.demandes:
        category = household.categorie_menage(parse_demande(d), ON)
        plai, plus = (household.plafond(f, g.ZONE, category, ON).amount for f in ("PLAI", "PLUS"))
        below_plai += d["rfr_n2"] < plai
        above_plus += d["rfr_n2"] > plus
    n = len(territory.demandes)
    assert below_plai / n == pytest.approx(0.25, abs=0.04)
    assert above_plus / n == pytest.approx(0.05, abs=0.02)


def test_priorities_disability_and_refusals_have_the_target_rates(territory):
    demandes = territory.demandes
    assert _share(
        demandes, lambda d: any(m["has_disability"] for m in d["household"])
    ) == pytest.approx(0.06, abs=0.015)
    assert _share(demandes, lambda d: d["priority"]["dalo"]) == pytest.approx(0.02, abs=0.01)
    assert _share(demandes, lambda d: d["priority"]["l441_1"]) == pytest.approx(0.20, abs=0.04)
    assert _share(demandes, lambda d: d["priority"]["acd_labelled"]) == pytest.approx(
        0.03, abs=0.012
    )
    assert _share(demandes, lambda d: d["refusals"]) == pytest.approx(0.10, abs=0.03)


def test_current_housing_and_mutations(territory):
    demandes = territory.demandes
    assert _share(demandes, lambda d: d["is_mutation"]) == pytest.approx(0.35, abs=0.04)
    assert all(
        d["is_mutation"] == (d["current_housing"]["kind"] == "locataire_hlm") for d in demandes
    )
    homeless = [d for d in demandes if d["current_housing"]["kind"] in g.HOMELESS]
    assert homeless and all("sans_logement" in d["reasons"] for d in homeless)
    for d in demandes:
        rooms = d["current_housing"]["rooms"]
        if "logement_trop_petit" in d["reasons"]:
            assert rooms is None or rooms < len(d["household"])


def test_action_logement_employers_cover_about_forty_percent_of_employees(territory):
    employees = [d for d in territory.demandes if d["employer"]["siret"]]
    assert _share(
        employees, lambda d: d["employer"]["contributes_action_logement"]
    ) == pytest.approx(0.40, abs=0.07)


def test_wishes_are_member_communes_mostly_and_typologies_fit_the_household(territory):
    members = {c["insee"] for c in territory.communes if c["is_epci_member"]}
    demandes = territory.demandes
    assert all(1 <= len(d["wishes"]["communes"]) <= 5 for d in demandes)
    outside = _share(demandes, lambda d: any(c not in members for c in d["wishes"]["communes"]))
    assert 0.02 < outside < 0.15
    for d in demandes:
        size = len(d["household"])
        smallest = min(int(t[1]) for t in d["wishes"]["typologies"])
        assert smallest <= max(size, 1) + 1 and max(
            int(t[1]) for t in d["wishes"]["typologies"]
        ) >= min(size - 1, 5)


def test_filing_spreads_over_six_years_and_old_demandes_are_renewed(territory):
    for d in territory.demandes:
        filed = date.fromisoformat(d["filed_on"])
        assert ON - timedelta(days=6 * 366) <= filed < ON
        if d["renewed_on"]:
            assert filed < date.fromisoformat(d["renewed_on"]) <= ON
        elif d["status"] == "active":
            assert (ON - filed).days <= 366
        assert all(d["filed_on"] <= r["date"] <= ON.isoformat() for r in d["refusals"])


# --------------------------------------------------------------------------- allocation history


def test_allocations_follow_filing_and_close_the_demande(territory):
    by_id = {d["id"]: d for d in territory.demandes}
    allocations = territory.allocations
    assert len({a["logement"] for a in allocations}) == len(allocations)  # no dwelling twice
    assert len({a["demande"] for a in allocations}) == len(allocations)
    for a in allocations:
        d = by_id[a["demande"]]
        assert d["filed_on"] < a["allocated_on"] <= ON.isoformat()
        assert (
            a["waiting_days"]
            == (date.fromisoformat(a["allocated_on"]) - date.fromisoformat(d["filed_on"])).days
        )
        assert d["status"] == "attribuee" and d["attribution"] == a["id"]
        assert a["lease_signed_on"] is None or a["lease_signed_on"] > a["allocated_on"]
        assert (
            a["proposals"][-1]["outcome"] == "accepte" and a["proposals"][-1]["demande"] == d["id"]
        )
        for p in a["proposals"][:-1]:
            refuser = by_id[p["demande"]]
            assert refuser["filed_on"] < a["allocated_on"]
            assert any(r["offer"] == a["offer"] for r in refuser["refusals"])
    allocated = {a["demande"] for a in allocations}
    assert all(d["status"] == "active" for d in territory.demandes if d["id"] not in allocated)
    assert len(territory.active_demandes()) == len(territory.demandes) - len(allocations)


def test_yearly_rotation_is_eight_to_twelve_percent(territory):
    rotation = len(territory.allocations) / len(territory.logements)
    assert 0.08 <= rotation <= 0.12
    kinds = Counter(a["reservataire_kind"] for a in territory.allocations)
    assert kinds["bailleur"] and kinds["etat"] and kinds["action_logement"]
    orleans_only = [a for a in territory.allocations if a["reservataire_kind"] == "commune"]
    assert all(a["commune"] == "45234" for a in orleans_only)


# --------------------------------------------------------------------------- scale


def test_generating_100000_demandes_time_is_reported():
    started = time.perf_counter()
    demandes = g.generate_demandes(random.Random(100_000), 100_000, ON)
    elapsed = time.perf_counter() - started
    print(f"\n100 000 demandes generated in {elapsed:.1f} s")
    assert len(demandes) == 100_000
