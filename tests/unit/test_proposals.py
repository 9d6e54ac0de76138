"""Proposals: three ranked, explained candidates per offer (matching.proposals)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.cotation import cotation
from matching.eligibility import eligibility
from matching.grid import load_grid
from matching.proposals import (
    Application,
    PolicyError,
    PolicySet,
    Pool,
    RankingPolicy,
    load_policy_set,
    policy_set_from_mapping,
    propose,
    propose_batch,
)
from matching.records import parse_demande, parse_logement

ON = date(2026, 3, 1)
GRID = load_grid("eurometropole-strasbourg")
X, Y = "67482", "67043"  # two communes of the Strasbourg grid's territory


def dem(ident: str, *, communes=(X,), filed="2022-01-01", size=1, rfr=15000, resources=1600,
        dalo=False, l441_1=(), al=False, lives_in=X, typologies=(), **extra):
    household = [{"role": "demandeur", "birth_date": "1985-05-01"}] + [
        {"role": "enfant", "birth_date": "2016-05-01", "is_dependent": True}] * (size - 1)
    return parse_demande({
        "id": ident, "filed_on": filed, "household": household, "rfr_n2": rfr,
        "monthly_resources": resources,
        "current_housing": {"kind": "locataire_prive", "commune": lives_in},
        "wishes": {"communes": list(communes), "typologies": list(typologies)},
        "priority": {"dalo": dalo, "l441_1": list(l441_1)},
        "employer": {"contributes_action_logement": al}, **extra,
    })


def offer(ident="L1", *, commune=X, typology="T2", rent=350.0, reservataire=None, bailleur="b1",
          **extra):
    return parse_logement({"id": ident, "commune": commune, "zone": "autres_regions",
                           "typology": typology, "financing": "PLUS", "rent": rent,
                           "charges": 50, "reservataire": reservataire, "bailleur": bailleur,
                           **extra})


def ids(dossier):
    return [c.id for c in dossier.candidates]


def run(demandes, the_offer, applications=(), policy=None, **kw):
    return propose(the_offer, Pool.from_demandes(demandes), list(applications), policy, GRID, ON,
                   **kw)


# --------------------------------------------------------------------------- ranking


def test_dalo_households_come_first_on_the_etat_contingent_only():
    demandes = [dem("OLD", filed="2018-01-01"), dem("DALO", filed="2025-06-01", dalo=True),
                dem("MID", filed="2020-01-01", l441_1=["handicap"])]
    etat = run(demandes, offer(reservataire="etat"))
    assert ids(etat)[0] == "DALO"
    assert any("DALO" in r for r in etat.candidates[0].reasons)
    bailleur = run(demandes, offer(reservataire=None))
    assert ids(bailleur)[0] != "DALO"  # the cotation decides outside the État contingent
    scores = [c.score for c in bailleur.candidates]
    assert scores == sorted(scores, reverse=True)


def test_score_is_the_cotation_for_the_offers_commune_not_the_first_choice():
    # B wishes X second only; its score for X is its per-choice score, which the explained
    # cotation gives too.
    a, b = dem("A", communes=(X,), filed="2023-01-01"), dem("B", communes=(Y, X), filed="2021-01-01")
    dossier = run([a, b], offer(commune=X))
    by_id = {c.id: c for c in dossier.candidates}
    expected = {c.commune: c.score for c in cotation(b, GRID, ON).by_choice}[X]
    assert by_id["B"].score == expected
    assert "choix n° 2" in by_id["B"].reasons[0]
    assert by_id["B"].explanation["cotation"]["by_choice"][1] == {"commune": X, "score": expected}


def test_equal_scores_go_by_seniority_then_by_id():
    # Same filing date and household: same score; seniority equal → id decides.
    same = [dem(i, filed="2021-03-01") for i in ("C", "A", "B")]
    assert ids(run(same, offer())) == ["A", "B", "C"]
    # A grid where seniority does not score: the policy's seniority key orders them.
    flat = RankingPolicy(order=("anciennete",))
    older = [dem("Z", filed="2019-01-01"), dem("Y", filed="2020-01-01"), dem("X", filed="2021-01-01")]
    assert ids(run(older, offer(), policy=flat)) == ["Z", "Y", "X"]


# --------------------------------------------------------------------------- filters


def test_action_logement_offers_go_to_employees_of_contributing_companies():
    demandes = [dem("AL1", al=True), dem("NO1"), dem("AL2", al=True, filed="2024-01-01")]
    dossier = run(demandes, offer(reservataire="action-logement"))
    assert ids(dossier) == ["AL1", "AL2"]
    assert "réservé par le réservataire à d'autres publics 1" in dossier.exception


def test_etat_offers_go_to_priority_households():
    demandes = [dem("P1", l441_1=["handicap"]), dem("NO"), dem("P2", dalo=True)]
    assert set(ids(run(demandes, offer(reservataire="etat")))) == {"P1", "P2"}


def test_commune_offers_go_to_residents_of_the_commune():
    policies = policy_set_from_mapping({"reservataires": {"ville-x": {"kind": "commune",
                                                                       "commune": X}}})
    demandes = [dem("HERE", lives_in=X), dem("THERE", lives_in=Y), dem("ALSO", lives_in=X)]
    dossier = run(demandes, offer(reservataire="ville-x"), policy=policies)
    assert set(ids(dossier)) == {"HERE", "ALSO"}
    assert "ni résident ni actif dans la commune réservataire 1" in dossier.exception


def test_every_candidate_is_eligible_and_explained():
    demandes = [dem("RICH", rfr=95000), dem("BIG", size=5), dem("OK1"), dem("OK2"), dem("OK3")]
    dossier = run(demandes, offer(typology="T2"))
    assert ids(dossier) == ["OK1", "OK2", "OK3"] or set(ids(dossier)) == {"OK1", "OK2", "OK3"}
    assert dossier.exception is None
    c = dossier.candidates[0]
    assert c.explanation["eligibility"]["eligible"] is True
    assert c.explanation["adequacy"]["typology_ok"] is True
    assert c.explanation["taux_effort"] == pytest.approx(400 / 1600, abs=1e-4)
    assert c.explanation["cotation"]["score"] == c.score
    assert c.explanation["source"] == "vivier"


# --------------------------------------------------------------------------- sources


def test_applicants_come_first_then_the_pool_completes():
    demandes = [dem("POOL1", filed="2015-01-01"), dem("POOL2", filed="2016-01-01"),
                dem("APP", filed="2025-01-01", communes=(Y,))]  # applied: its wishes are not rechecked
    dossier = run(demandes, offer(), [Application("APP", "L1", date(2026, 2, 1))])
    assert ids(dossier) == ["APP", "POOL1", "POOL2"]
    assert [c.source for c in dossier.candidates] == ["candidature", "vivier", "vivier"]
    assert [c.rank for c in dossier.candidates] == [1, 2, 3]


def test_three_eligible_applicants_leave_the_pool_alone_unless_the_policy_asks():
    demandes = [dem("A1", filed="2024-01-01"), dem("A2", filed="2024-02-01"),
                dem("A3", filed="2024-03-01"), dem("OLDEST", filed="2010-01-01")]
    apps = [Application(i, "L1", date(2026, 2, 1)) for i in ("A1", "A2", "A3")]
    assert ids(run(demandes, offer(), apps)) == ["A1", "A2", "A3"]
    merged = run(demandes, offer(), apps, policy=RankingPolicy(pool="always"))
    assert ids(merged)[0] == "OLDEST"
    assert merged.candidates[0].source == "vivier"
    never = run(demandes[:1] + demandes[3:], offer(), apps[:1], policy=RankingPolicy(pool="never"))
    assert ids(never) == ["A1"]
    assert "vivier non consulté" in never.exception


# --------------------------------------------------------------------------- fewer than three


def test_fewer_than_three_says_how_many_and_why():
    demandes = [dem("OK"), dem("RICH", rfr=95000), dem("BIG", size=5), dem("ELSEWHERE", communes=(Y,))]
    apps = [Application("RICH", "L1", date(2026, 2, 1)), Application("GHOST", "L1", date(2026, 2, 2))]
    dossier = run(demandes, offer(typology="T2"), apps)
    assert ids(dossier) == ["OK"]
    text = dossier.exception
    assert text.startswith("Un seul candidat éligible au lieu de 3 (CCH R.441-3")
    assert "candidatures : 2 reçues, 0 éligible (écartées : plafond de ressources dépassé 1)" in text
    assert "1 d'une demande absente du vivier" in text
    assert "vivier : 1 demande éligible parmi les 2 qui souhaitent la commune 67482" in text
    assert "typologie inadaptée à la taille du ménage 1" in text
    assert dossier.shortfall["pool_set_aside"] == {"typologie_inadaptee": 1}
    full = run([dem("A"), dem("B"), dem("C")], offer())
    assert full.exception is None and full.to_json()["exception"] is None


def test_no_eligible_candidate_at_all():
    dossier = run([dem("RICH", rfr=95000)], offer())
    assert dossier.candidates == ()
    assert dossier.exception.startswith("Aucun candidat éligible au lieu de 3")


# --------------------------------------------------------------------------- open dossiers


def test_a_demande_first_on_another_open_dossier_is_not_put_first_again():
    demandes = [dem("BEST", filed="2015-01-01"), dem("NEXT", filed="2018-01-01"),
                dem("THIRD", filed="2019-01-01")]
    assert ids(run(demandes, offer())) == ["BEST", "NEXT", "THIRD"]
    first = run(demandes, offer(), engaged={"BEST": 1})
    assert ids(first) == ["NEXT", "BEST", "THIRD"]
    assert "déjà en tête d'un autre dossier" in first.candidates[0].reasons[-1]
    second_elsewhere = run(demandes, offer(), engaged={"BEST": 2})
    assert ids(second_elsewhere)[0] == "BEST"
    strict = run(demandes, offer(), engaged={"BEST": 2}, policy=RankingPolicy(exclusivity="all"))
    assert ids(strict) == ["NEXT", "THIRD"]
    assert "1 demande éligible déjà sur un autre dossier ouvert" in strict.exception
    free = run(demandes, offer(), engaged={"BEST": 1}, policy=RankingPolicy(exclusivity="none"))
    assert ids(free)[0] == "BEST"


# --------------------------------------------------------------------------- batch


def test_batch_never_proposes_a_demande_twice():
    demandes = [dem(f"D{i}", filed=f"20{10 + i}-01-01") for i in range(7)]
    offers = [offer("L1"), offer("L2"), offer("L3")]
    dossiers = propose_batch(offers, Pool.from_demandes(demandes), [], None, GRID, ON)
    chosen = [c.id for d in dossiers for c in d.candidates]
    assert len(chosen) == len(set(chosen)) == 7
    assert [d.offer for d in dossiers] == ["L1", "L2", "L3"]
    assert dossiers[2].exception is not None and "autre logement du lot" in dossiers[2].exception


def test_batch_does_not_starve_an_offer_that_few_demandes_can_take():
    # Offer A (first in file order, commune X) can take D1–D4; offer B (commune Y) only D1–D3,
    # the best ranked. Greedy in file order gives A the three best and B nothing.
    demandes = [dem("D1", communes=(X, Y), filed="2015-01-01"),
                dem("D2", communes=(X, Y), filed="2016-01-01"),
                dem("D3", communes=(X, Y), filed="2017-01-01"),
                dem("D4", communes=(X,), filed="2024-01-01")]
    a, b = offer("A", commune=X), offer("B", commune=Y)
    pool = Pool.from_demandes(demandes)
    greedy_a = propose(a, pool, [], RankingPolicy(exclusivity="all"), GRID, ON)
    greedy_b = propose(b, pool, [], RankingPolicy(exclusivity="all"), GRID, ON,
                       engaged={c.id: c.rank for c in greedy_a.candidates})
    assert ids(greedy_a) == ["D1", "D2", "D3"] and ids(greedy_b) == []  # starved
    batch_a, batch_b = propose_batch([a, b], pool, [], None, GRID, ON)
    assert len(batch_a.candidates) == 2 and len(batch_b.candidates) == 2
    assert "D4" in ids(batch_a)
    assert set(ids(batch_b)) <= {"D1", "D2", "D3"}
    assert set(ids(batch_a)) | set(ids(batch_b)) == {"D1", "D2", "D3", "D4"}


@st.composite
def pools(draw):
    n = draw(st.integers(1, 14))
    demandes = []
    for i in range(n):
        demandes.append(dem(
            f"D{i:02d}",
            communes=tuple(draw(st.lists(st.sampled_from((X, Y)), min_size=1, max_size=2,
                                         unique=True))),
            filed=draw(st.sampled_from(("2016-05-01", "2019-02-01", "2023-09-01"))),
            size=draw(st.integers(1, 4)), rfr=draw(st.sampled_from((9000, 20000, 60000))),
            resources=draw(st.sampled_from((700, 1500, 3000))), dalo=draw(st.booleans()),
            al=draw(st.booleans()), lives_in=draw(st.sampled_from((X, Y))),
        ))
    offers = [offer(f"L{j}", commune=draw(st.sampled_from((X, Y))),
                    typology=draw(st.sampled_from(("T1", "T2", "T3"))),
                    rent=float(draw(st.sampled_from((250, 450, 700)))),
                    reservataire=draw(st.sampled_from((None, "etat", "action-logement"))))
              for j in range(draw(st.integers(1, 5)))]
    applications = [Application(f"D{draw(st.integers(0, n - 1)):02d}", o.id, date(2026, 2, 1))
                    for o in offers if draw(st.booleans())]
    return demandes, offers, applications


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(pools())
def test_batch_never_assigns_twice_and_every_candidate_is_eligible(case):
    demandes, offers, applications = case
    pool = Pool.from_demandes(demandes)
    dossiers = propose_batch(offers, pool, applications, None, GRID, ON)
    chosen = [c.id for d in dossiers for c in d.candidates]
    assert len(chosen) == len(set(chosen))
    by_id = {d.id: d for d in demandes}
    policies = load_policy_set()
    for the_offer, dossier in zip(offers, dossiers, strict=True):
        rp = policies.for_offer(the_offer)
        assert [c.rank for c in dossier.candidates] == list(range(1, len(dossier.candidates) + 1))
        assert (dossier.exception is None) == (len(dossier.candidates) == 3)
        for c in dossier.candidates:
            applied = any(a.demande == c.id and a.offer == the_offer.id for a in applications)
            elig = rp.eligibility if not applied else rp.eligibility.__class__(
                **{**rp.eligibility.__dict__, "check_wished_communes": False,
                   "check_wished_typologies": False, "check_max_rent": False})
            assert eligibility(by_id[c.id], the_offer, ON, elig).ok
            assert c.source == ("candidature" if applied else "vivier")
        # An offer left short while an eligible demande of the pool stayed free is a bug.
        if len(dossier.candidates) < 3:
            free = set(by_id) - set(chosen)
            assert not [i for i in free if the_offer.commune in by_id[i].wishes.communes
                        and eligibility(by_id[i], the_offer, ON, rp.eligibility).ok]


# --------------------------------------------------------------------------- policies as data


def test_the_default_preset_and_rules_per_reservataire_kind_and_bailleur():
    policies = load_policy_set()
    assert policies.for_offer(offer()).order == ("dalo_etat", "cotation", "anciennete")
    assert policies.for_offer(offer(reservataire="etat")).order[:2] == ("dalo_etat",
                                                                       "menage_prioritaire")
    custom = policy_set_from_mapping({
        "default": {"pool": "if_short"},
        "rules": [{"when": {"bailleur": "b2"}, "set": {"pool": "always", "candidates": 4}},
                  {"when": {"reservataire": "action-logement"},
                   "set": {"eligibility": {"max_taux_effort": 0.3}}}],
    })
    assert custom.for_offer(offer(bailleur="b2")).pool == "always"
    assert custom.for_offer(offer(bailleur="b2")).candidates == 4
    assert custom.for_offer(offer(reservataire="action-logement")).eligibility.max_taux_effort == 0.3
    assert custom.for_offer(offer()).eligibility.max_taux_effort == 0.33


@pytest.mark.parametrize(("data", "message"), [
    ({"default": {"order": ["cotation", "hasard"]}}, "default.order: clé de classement inconnue"),
    ({"default": {"pool": "parfois"}}, "default.pool: 'parfois' inconnu"),
    ({"rules": [{"when": {"ville": "x"}, "set": {}}]}, "rules[0].when: clés possibles"),
    ({"rules": [{"when": {"bailleur": "b"}, "set": {"couleur": 1}}]}, "rules[0].set.couleur: clé inconnue"),
    ({"default": {"eligibility": {"seuil": 1}}}, "default.eligibility: clés de politique inconnues"),
])
def test_bad_policy_data_names_the_path(data, message):
    with pytest.raises(PolicyError, match=message.replace("[", r"\[").replace("]", r"\]")):
        policy_set_from_mapping(data)


def test_a_single_ranking_policy_applies_to_every_offer():
    policies = PolicySet(default=RankingPolicy(candidates=2))
    assert len(run([dem("A"), dem("B"), dem("C")], offer(), policy=policies).candidates) == 2
