"""At a published ceiling a household is eligible; one euro above, it is not (every financing)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from matching.eligibility import OfferTable, eligibility
from matching.records import CurrentHousing, Demande, Logement, Member, Wishes

CASES = yaml.safe_load(
    (Path(__file__).parent / "cases" / "eligibility" / "boundaries.yaml").read_text("utf-8")
)

ADULT, CHILD = date(1985, 5, 1), date(2018, 5, 1)
HOUSEHOLDS = {
    "seul": [Member("demandeur", ADULT)],
    "couple": [Member("demandeur", ADULT), Member("conjoint", ADULT)],
    "couple_deux_enfants": [Member("demandeur", ADULT), Member("conjoint", ADULT)]
    + [Member("enfant", CHILD, is_dependent=True)] * 2,
    "couple_cinq_enfants": [Member("demandeur", ADULT), Member("conjoint", ADULT)]
    + [Member("enfant", CHILD, is_dependent=True)] * 5,
}


def household(case: dict, rfr: int) -> Demande:
    return Demande(id="D", filed_on=date(2023, 1, 1), household=tuple(HOUSEHOLDS[case["household"]]),
                   rfr_n2=rfr, current_housing=CurrentHousing("heberge_tiers"),
                   wishes=Wishes(communes=("45234",)))


def offer(case: dict) -> Logement:
    return Logement(id="O", commune="45234", zone=case.get("zone", "autres_regions"),
                    zone_abc=case.get("zone_abc"), typology="T6", financing=case["financing"],
                    rent=0.0)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_exactly_at_the_ceiling_is_eligible_one_euro_above_is_not(case):
    at, ceiling = case["at"], case["plafond"]
    at_ceiling = eligibility(household(case, ceiling), offer(case), at)
    assert at_ceiling.plafond.amount == ceiling
    assert "plafond_depasse" not in at_ceiling.codes
    above = eligibility(household(case, ceiling + 1), offer(case), at)
    assert above.codes[0] == "plafond_depasse"
    assert above.reasons[0].figures["plafond"] == ceiling


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_the_vectorised_path_draws_the_same_line(case):
    table = OfferTable([offer(case)])
    for rfr, fails in ((case["plafond"], False), (case["plafond"] + 1, True)):
        verdicts = table.evaluate(household(case, rfr), case["at"])
        assert bool(verdicts.failures["plafond_depasse"][0]) is fails
