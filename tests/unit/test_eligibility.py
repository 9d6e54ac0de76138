"""Eligibility verdicts: YAML cases, invariants, and vectorised path == explained path."""

from __future__ import annotations

import copy
import random
from datetime import date
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import parameters as P
from matching.benefit import BatchHousingBenefitEstimator, HousingBenefitEstimator
from matching.eligibility import (
    REASON_CODES,
    Eligibility,
    OfferTable,
    eligibility,
    open_offers,
    reason_counts,
    surface_minimale,
)
from matching.policy import Policy
from matching.records import (
    Convention,
    CurrentHousing,
    Demande,
    Employer,
    Logement,
    Member,
    Priority,
    Wishes,
    parse_demande,
    parse_logement,
)

CASES = Path(__file__).parent / "cases" / "eligibility"


# --------------------------------------------------------------------------- YAML cases


def deep_merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for key, val in override.items():
        if isinstance(val, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], val)
        else:
            out[key] = copy.deepcopy(val)
    return out


def with_birth_dates(raw: dict, on: date) -> dict:
    raw = copy.deepcopy(raw)
    members = []
    for m in raw.get("household", []):
        m = dict(m)
        if "age" in m:
            m["birth_date"] = on.replace(year=on.year - m.pop("age")).isoformat()
        m["is_dependent"] = m.pop("dependent", m.get("is_dependent", False))
        m["has_disability"] = m.pop("disability", m.get("has_disability", False))
        members.append(m)
    raw["household"] = members
    return raw


def _load_verdict_cases() -> tuple[dict, list[dict]]:
    with (CASES / "verdicts.yaml").open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    return data["base"], data["cases"]


BASE, VERDICT_CASES = _load_verdict_cases()


def build_case(case: dict) -> tuple[Demande, Logement, date, Policy]:
    on = case.get("at", BASE["at"])
    demande = parse_demande(with_birth_dates(deep_merge(BASE["demande"], case.get("demande", {})), on))
    offre = parse_logement(deep_merge(BASE["offre"], case.get("offre", {})))
    policy = Policy.from_mapping(case.get("policy", {}))
    return demande, offre, on, policy


@pytest.mark.parametrize("case", VERDICT_CASES, ids=[c["id"] for c in VERDICT_CASES])
def test_verdict_case(case):
    demande, offre, on, policy = build_case(case)
    verdict = eligibility(demande, offre, on, policy)
    expect = case["expect"]
    assert verdict.ok is expect["eligible"]
    assert list(verdict.codes) == expect["codes"]
    for key in ("category",):
        if key in expect:
            assert verdict.category.category == expect[key]
    if "plafond" in expect:
        assert verdict.plafond is not None and verdict.plafond.amount == expect["plafond"]
    if "rfr_used" in expect:
        assert verdict.rfr.amount == expect["rfr_used"]
    if "rfr_source" in expect:
        assert verdict.rfr.source == expect["rfr_source"]
    for key in ("taux_effort", "reste_a_vivre"):
        if key in expect:
            got = getattr(verdict, key)
            assert (got is None) if expect[key] is None else got == pytest.approx(expect[key], abs=1e-4)
    for note in expect.get("notes", []):
        assert note in verdict.notes
    # The same case through the vectorised path.
    verdicts = OfferTable([offre]).evaluate(demande, on, policy)
    assert bool(verdicts.ok[0]) is verdict.ok
    assert verdicts.codes(0) == verdict.codes


def test_every_reason_has_a_french_message_and_json_figures():
    demande, offre, on, policy = build_case(
        next(c for c in VERDICT_CASES if c["id"] == "plusieurs_motifs_dans_l_ordre_des_verifications")
    )
    verdict = eligibility(demande, offre, on, policy)
    for reason in verdict.reasons:
        data = reason.to_json()
        assert data["code"] in REASON_CODES
        assert data["message"][0].isupper() and data["message"].endswith(".")
    plafond_reason = verdict.reasons[0].to_json()
    assert plafond_reason["plafond"] == 23403 and plafond_reason["rfr"] == 30000


def test_verdict_json_carries_the_cli_fields():
    demande, offre, on, policy = build_case(VERDICT_CASES[0])
    data = eligibility(demande, offre, on, policy).to_json()
    for key in ("id", "eligible", "category", "plafond", "rfr_used", "taux_effort", "reste_a_vivre",
                "reasons"):
        assert key in data
    assert data["plafond"] == 23403 and data["reasons"] == []


def test_a_verdict_with_reasons_cannot_be_ok():
    demande, offre, on, policy = build_case(VERDICT_CASES[0])
    verdict = eligibility(demande, offre, on, policy)
    bad = {name: getattr(verdict, name) for name in verdict.__dataclass_fields__}
    bad["ok"] = False
    with pytest.raises(ValueError):
        Eligibility(**bad)


def test_eligibility_refuses_a_year_without_ceilings():
    demande, offre, _, policy = build_case(VERDICT_CASES[0])
    with pytest.raises(P.ParameterMissing):
        eligibility(demande, offre, date(2027, 3, 1), policy)
    with pytest.raises(P.ParameterMissing):
        OfferTable([offre]).evaluate(demande, date(2027, 3, 1), policy)


def test_surface_minimale_follows_the_caf_norm():
    on = date(2026, 1, 1)
    assert [surface_minimale(n, on) for n in range(1, 10)] == [9, 16, 25, 34, 43, 52, 61, 70, 70]


class RentShareBenefit:
    """Test double: the housing benefit is 40 % of the rent."""

    def estimate(self, demande, offre, on):
        return 0.4 * offre.rent


class BatchRentShareBenefit(RentShareBenefit):
    def estimate_many(self, demande, offers, on):
        return 0.4 * offers.rent


def test_an_estimator_lowers_the_taux_effort_and_removes_the_note():
    case = next(c for c in VERDICT_CASES if c["id"] == "taux_effort_excessif")
    demande, offre, on, policy = build_case(case)
    assert isinstance(RentShareBenefit(), HousingBenefitEstimator)
    assert isinstance(BatchRentShareBenefit(), BatchHousingBenefitEstimator)
    verdict = eligibility(demande, offre, on, policy, RentShareBenefit())
    assert verdict.ok
    assert verdict.housing_benefit == pytest.approx(160)
    assert verdict.taux_effort == pytest.approx((450 - 160) / 1350)
    assert "taux d'effort calculé avant aide au logement" not in verdict.notes


def test_policy_rejects_unknown_keys_and_filters():
    with pytest.raises(ValueError, match="inconnues"):
        Policy.from_mapping({"max_taux_effrot": 0.3})
    with pytest.raises(ValueError, match="filtre réservataire inconnu"):
        Policy(reservataire_filters={"etat": ("nope",)})
    with pytest.raises(ValueError, match="typologie inconnue"):
        Policy(typology_table={"T9": (1, 2)})


def test_policy_learns_reservataire_kinds_from_conventions():
    conv = Convention(id="C", bailleur="b", reservataire="prefet-45", reservataire_kind="etat",
                      departement="45", year=2026, share_percent=25)
    policy = Policy().with_conventions([conv])
    assert policy.reservataire_kind("prefet-45") == "etat"
    assert [f.id for f in policy.filters_for("prefet-45")] == ["menage_prioritaire"]
    assert policy.filters_for("bailleur-only") == ()


# --------------------------------------------------------------------------- open offers


def test_open_offers_splits_and_summarises():
    demande, offre, on, policy = build_case(VERDICT_CASES[0])
    offers = [
        offre,
        parse_logement({**BASE["offre"], "id": "O-2", "commune": "45169"}),
        parse_logement({**BASE["offre"], "id": "O-3", "commune": "45169", "typology": "T5",
                        "surface": 90}),
        parse_logement({**BASE["offre"], "id": "O-4"}),
    ]
    result = open_offers(demande, offers, on, policy)
    opened, closed = result
    assert [o.id for o in opened] == ["O-1", "O-4"]
    assert [o.id for o, _ in closed] == ["O-2", "O-3"]
    assert dict(result.counts) == {"hors_souhaits_geographiques": 2, "typologie_inadaptee": 1}
    assert dict(reason_counts(closed)) == dict(result.counts)
    assert result.summary() == (
        "2 offres ne vous sont pas ouvertes : 2 commune hors de vos souhaits, "
        "1 typologie inadaptée à la taille du ménage. Une offre peut cumuler plusieurs motifs."
    )


def test_open_offers_when_everything_is_open():
    demande, offre, on, policy = build_case(VERDICT_CASES[0])
    result = open_offers(demande, OfferTable([offre]), on, policy)
    assert result.summary() == "Toutes les offres (1) vous sont ouvertes."
    assert result.closed == ()


# --------------------------------------------------------------------------- invariants

ON = date(2026, 6, 1)
COMMUNES = ("45234", "45284", "45169", "75056", "92012")
RESERVATAIRES = (None, "action-logement", "prefet-45", "ville-orleans", "etat")
POLICIES = (
    Policy(),
    Policy(reservataire_kinds={"prefet-45": "etat", "ville-orleans": "commune"}),
    Policy(max_taux_effort=None, min_reste_a_vivre=None, check_overcrowding=False),
    Policy(max_taux_effort=0.3, min_reste_a_vivre=12.5, typology_table={"T1": (1, 2), "T4": (2, None)}),
    Policy(check_plafond=False, check_typology=False, check_wished_communes=False,
           check_wished_typologies=False, check_max_rent=False, check_accessibility=False,
           reservataire_filters={"ville-orleans": ("agent_public", "menage_prioritaire")}),
)
ESTIMATORS = (None, RentShareBenefit(), BatchRentShareBenefit())

money = st.one_of(st.integers(0, 3000).map(float), st.floats(0, 3000, allow_nan=False).map(lambda x: round(x, 2)))

offers_strategy = st.builds(
    Logement,
    id=st.text("abcdef0123", min_size=1, max_size=6),
    commune=st.sampled_from(COMMUNES),
    zone=st.sampled_from(("paris_limitrophes", "ile_de_france", "autres_regions")),
    typology=st.sampled_from(("T1", "T2", "T3", "T4", "T5", "T6")),
    financing=st.sampled_from(("PLAI", "PLUS", "PLS", "PLI")),
    zone_abc=st.one_of(st.none(), st.sampled_from(("A_bis", "A", "B1", "B2", "C"))),
    rent=money,
    charges=st.integers(0, 300).map(float),
    surface=st.one_of(st.none(), st.integers(8, 150).map(float), st.just(34.0), st.just(16.0)),
    accessible=st.booleans(),
    reservataire=st.sampled_from(RESERVATAIRES),
)

member_strategy = st.builds(
    Member,
    role=st.sampled_from(("conjoint", "enfant", "autre", "codemandeur")),
    birth_date=st.one_of(st.none(), st.dates(date(1940, 1, 1), date(2026, 5, 1))),
    is_dependent=st.booleans(),
    has_disability=st.booleans(),
)

demande_strategy = st.builds(
    Demande,
    id=st.just("D"),
    filed_on=st.just(date(2025, 1, 1)),
    household=st.tuples(
        st.builds(Member, role=st.just("demandeur"),
                  birth_date=st.dates(date(1940, 1, 1), date(2006, 1, 1)),
                  has_disability=st.booleans()),
    ).flatmap(lambda first: st.lists(member_strategy, max_size=7).map(lambda rest: (*first, *rest))),
    rfr_n2=st.integers(0, 90000).map(float),
    rfr_n1=st.one_of(st.none(), st.integers(0, 90000).map(float)),
    resources_last_12_months=st.one_of(st.none(), st.integers(0, 90000).map(float)),
    monthly_resources=st.one_of(st.none(), st.just(0.0), money.map(lambda x: x * 2)),
    current_housing=st.just(CurrentHousing(kind="heberge_tiers")),
    wishes=st.builds(
        Wishes,
        communes=st.lists(st.sampled_from(COMMUNES), min_size=1, max_size=3, unique=True).map(tuple),
        typologies=st.lists(st.sampled_from(("T1", "T2", "T3", "T4", "T5", "T6")), max_size=3,
                            unique=True).map(tuple),
        max_rent=st.one_of(st.none(), money),
        needs_accessible=st.booleans(),
    ),
    employer=st.builds(Employer, contributes_action_logement=st.booleans()),
    priority=st.builds(Priority, dalo=st.booleans(), acd_labelled=st.booleans(),
                       l441_1=st.sampled_from(((), ("violences",)))),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(demande_strategy, st.lists(offers_strategy, min_size=1, max_size=12),
       st.sampled_from(POLICIES), st.sampled_from(ESTIMATORS))
def test_vectorised_verdicts_equal_explained_verdicts(demande, offers, policy, estimator):
    verdicts = OfferTable(offers).evaluate(demande, ON, policy, estimator)
    for i, offre in enumerate(offers):
        explained = eligibility(demande, offre, ON, policy, estimator)
        assert bool(verdicts.ok[i]) is explained.ok
        assert verdicts.codes(i) == explained.codes
        assert verdicts.explain(i) == explained


@settings(max_examples=200, deadline=None)
@given(demande_strategy, offers_strategy, st.sampled_from(POLICIES), st.sampled_from(ESTIMATORS))
def test_reasons_are_empty_exactly_when_eligible(demande, offre, policy, estimator):
    verdict = eligibility(demande, offre, ON, policy, estimator)
    assert verdict.ok == (len(verdict.reasons) == 0)
    assert all(r.code in REASON_CODES and r.message for r in verdict.reasons)


def _random_offers(rng: random.Random, n: int) -> list[Logement]:
    return [
        Logement(
            id=f"O{i}", commune=rng.choice(COMMUNES),
            zone=rng.choice(("paris_limitrophes", "ile_de_france", "autres_regions")),
            typology=rng.choice(("T1", "T2", "T3", "T4", "T5", "T6")),
            financing=rng.choice(("PLAI", "PLUS", "PLUS", "PLS", "PLI")),
            rent=round(rng.uniform(150, 1200), 2), charges=round(rng.uniform(0, 200), 2),
            surface=rng.choice((None, rng.uniform(12, 120))), accessible=rng.random() < 0.3,
            reservataire=rng.choice(RESERVATAIRES),
            zone_abc=rng.choice((None, "A_bis", "A", "B1", "B2", "C")),
        )
        for i in range(n)
    ]


def _random_demande(rng: random.Random, k: int) -> Demande:
    size = rng.randint(1, 8)
    members = [Member("demandeur", date(rng.randint(1950, 2004), rng.randint(1, 12), 1),
                      has_disability=rng.random() < 0.1)]
    for _ in range(size - 1):
        members.append(Member(rng.choice(("conjoint", "enfant")),
                              date(rng.randint(1960, 2025), rng.randint(1, 12), 1),
                              is_dependent=rng.random() < 0.7, has_disability=rng.random() < 0.05))
    return Demande(
        id=f"D{k}", filed_on=date(2025, 1, 1), household=tuple(members),
        rfr_n2=float(rng.randint(5000, 70000)),
        rfr_n1=rng.choice((None, float(rng.randint(5000, 70000)))),
        monthly_resources=rng.choice((None, round(rng.uniform(300, 5000), 2))),
        current_housing=CurrentHousing(kind="heberge_tiers"),
        wishes=Wishes(communes=tuple(rng.sample(COMMUNES, rng.randint(1, 4))),
                      typologies=tuple(rng.sample(("T1", "T2", "T3", "T4", "T5"), rng.randint(0, 3))),
                      max_rent=rng.choice((None, rng.uniform(300, 1200))),
                      needs_accessible=rng.random() < 0.1),
        employer=Employer(contributes_action_logement=rng.random() < 0.5),
        priority=Priority(dalo=rng.random() < 0.1),
    )


def test_vectorised_equals_explained_on_a_seeded_random_population():
    rng = random.Random(20261128)
    offers = _random_offers(rng, 1500)
    table = OfferTable(offers)
    policy = POLICIES[1]
    seen_ok = seen_closed = 0
    for k in range(30):
        demande = _random_demande(rng, k)
        verdicts = table.evaluate(demande, ON, policy)
        for i, offre in enumerate(offers):
            explained = eligibility(demande, offre, ON, policy)
            assert verdicts.codes(i) == explained.codes, (k, i)
        seen_ok += int(verdicts.ok.sum())
        seen_closed += int((~verdicts.ok).sum())
    assert seen_ok and seen_closed  # the population exercises both outcomes
    assert isinstance(verdicts.ok, np.ndarray)
