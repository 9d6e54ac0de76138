"""Who asks for housing in the demo: the assumed mix of households and situations.

Every table here is a demo assumption (weights, not statistics). ``DemandContext`` holds the
draws and lookups prepared once per generation and shared by every demande.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from matching import parameters as params

from .draws import Weighted
from .incomes import Ceilings
from .patrimoine import PARC_WEIGHT
from .people import fictional_siret, slug
from .sources import communes, first_names, last_names, member_communes, outside_communes

SIZE_MIX = {1: 0.40, 2: 0.22, 3: 0.16, 4: 0.12, 5: 0.06, 6: 0.025, 7: 0.01, 8: 0.005}
HOUSING_YOUNG = {  # demandeur under 26
    "chez_parents_enfants": 40,
    "locataire_prive": 20,
    "heberge_tiers": 15,
    "foyer": 6,
    "residence_sociale": 5,
    "locataire_hlm": 5,
    "structure_hebergement": 4,
    "sous_locataire": 2,
    "centre_enfance_maternel": 1,
    "sans_abri": 1,
    "hotel": 1,
}
HOUSING_OTHERS = {
    "locataire_hlm": 40,
    "locataire_prive": 23,
    "chez_parents_enfants": 9,
    "heberge_tiers": 9,
    "proprietaire": 2.5,
    "sous_locataire": 1,
    "residence_sociale": 3,
    "foyer": 1.5,
    "structure_hebergement": 3,
    "logement_temporaire": 1.5,
    "hotel": 1,
    "sans_abri": 1,
    "camping_caravane": 0.6,
    "squat": 0.3,
    "pension_de_famille": 0.8,
    "rhvs": 0.2,
    "centre_enfance_maternel": 0.2,
    "logement_fonction": 0.6,
    "autre": 1.2,
}
ORDINARY = (
    "locataire_hlm",
    "locataire_prive",
    "proprietaire",
    "sous_locataire",
    "logement_fonction",
)
TEMPORARY = (
    "residence_sociale",
    "foyer",
    "pension_de_famille",
    "rhvs",
    "logement_temporaire",
    "structure_hebergement",
    "centre_enfance_maternel",
)
HOMELESS = ("sans_abri", "squat", "camping_caravane", "hotel")
REASONS_PRIVE = {
    "logement_trop_cher": 30,
    "logement_trop_petit": 20,
    "reprise_vente_proprietaire": 10,
    "logement_indigne": 7,
    "rapprochement_travail": 8,
    "divorce_separation": 8,
    "expulsion": 5,
    "raisons_sante": 4,
    "rapprochement_famille": 5,
    "autre": 3,
}
REASONS_HLM = {
    "logement_trop_petit": 30,
    "logement_trop_grand": 10,
    "logement_trop_cher": 15,
    "raisons_sante": 10,
    "rapprochement_travail": 10,
    "rapprochement_famille": 8,
    "divorce_separation": 7,
    "handicap": 4,
    "autre": 6,
}
CONTRACTS_YOUNG = {
    "cdi": 20,
    "cdd": 18,
    "interim": 12,
    "apprentissage": 10,
    "etudiant": 15,
    "chomage": 15,
    "stage": 4,
    "sans_activite": 6,
}
CONTRACTS_ADULT = {
    "cdi": 38,
    "cdd": 12,
    "interim": 6,
    "fonctionnaire": 7,
    "chomage": 15,
    "sans_activite": 12,
    "independant": 4,
    "autre": 3,
    "stage": 1,
    "apprentissage": 2,
}
CONTRACTS_SENIOR = {"retraite": 85, "sans_activite": 10, "autre": 5}
WORKING = frozenset(
    ("cdi", "cdd", "interim", "apprentissage", "stage", "fonctionnaire", "independant")
)
PRIVATE_EMPLOYEE = frozenset(("cdi", "cdd", "interim", "apprentissage", "stage"))
TYPOLOGY_WISHES = {
    1: ((("T1", "T2"), 5), (("T2",), 4), (("T1",), 1)),
    2: ((("T2", "T3"), 5), (("T2",), 3), (("T3",), 2)),
    3: ((("T3",), 5), (("T3", "T4"), 3.5), (("T2", "T3"), 1.5)),
    4: ((("T3", "T4"), 4), (("T4",), 4.5), (("T4", "T5"), 1.5)),
    5: ((("T4", "T5"), 5), (("T4",), 3), (("T5",), 2)),
    6: ((("T5",), 4), (("T5", "T6"), 4), (("T4", "T5"), 2)),
    7: ((("T5", "T6"), 6), (("T6",), 4)),
}
REFUSAL_REASONS = (
    "quartier",
    "etage_sans_ascenseur",
    "loyer_trop_eleve",
    "logement_trop_petit",
    "eloignement_travail",
    "etat_du_logement",
    "sans_reponse",
    "situation_changee",
)
L441_1_LABEL_RATE = (
    0.50  # share of households whose situation meets a criterion that get it recorded
)
ACD_LABELLERS = ("etat-loiret", "orleans-metropole")


@dataclass(frozen=True)
class DemandContext:
    """Precomputed draws shared by every demande of one generation."""

    on: date
    ceilings: Ceilings
    size: Weighted
    housing_young: Weighted
    housing_others: Weighted
    reasons_prive: Weighted
    reasons_hlm: Weighted
    contracts_young: Weighted
    contracts_adult: Weighted
    contracts_senior: Weighted
    member_by_pop: Weighted
    parc_commune: Weighted
    outside_by_pop: Weighted
    typology_wishes: dict[int, Weighted]
    employers: list[tuple[str, bool, bool]]
    names_f: tuple[str, ...]
    names_m: tuple[str, ...]
    last: tuple[str, ...]
    slugs: dict[str, str]
    postal: dict[str, str]
    commune_name: dict[str, str]


def demand_context(
    rng: random.Random, on: date, parameters: params.Parameters | None = None
) -> DemandContext:
    """The shared draws of one generation; the engine's ceilings on ``on`` must exist."""
    ceilings = Ceilings(on, parameters)  # ParameterMissing now rather than mid-generation
    members = member_communes()
    fn, ln = first_names(), last_names()
    employers = []
    for _ in range(400):
        public = rng.random() < 0.12
        employers.append((fictional_siret(rng), (not public) and rng.random() < 0.46, public))
    return DemandContext(
        on=on,
        ceilings=ceilings,
        size=Weighted(SIZE_MIX),
        housing_young=Weighted(HOUSING_YOUNG),
        housing_others=Weighted(HOUSING_OTHERS),
        reasons_prive=Weighted(REASONS_PRIVE),
        reasons_hlm=Weighted(REASONS_HLM),
        contracts_young=Weighted(CONTRACTS_YOUNG),
        contracts_adult=Weighted(CONTRACTS_ADULT),
        contracts_senior=Weighted(CONTRACTS_SENIOR),
        member_by_pop=Weighted([(c["insee"], c["population"]) for c in members]),
        parc_commune=Weighted(PARC_WEIGHT),
        outside_by_pop=Weighted([(c["insee"], c["population"]) for c in outside_communes()]),
        typology_wishes={k: Weighted(v) for k, v in TYPOLOGY_WISHES.items()},
        employers=employers,
        names_f=fn["F"],
        names_m=fn["M"],
        last=ln,
        slugs={name: slug(name) for name in (*fn["F"], *fn["M"], *ln)},
        postal={c["insee"]: c["postal_code"] for c in communes()},
        commune_name={c["insee"]: c["name"] for c in communes()},
    )
