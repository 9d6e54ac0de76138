"""Enumerations of the exchange format v1 (docs/formats.md).

Values are the contract: French legal values, kept exactly. The web application imports
these tuples so that database CHECK constraints, forms and the exchange format agree.
"""

from __future__ import annotations

HOUSEHOLD_ROLES = ("demandeur", "conjoint", "codemandeur", "enfant", "autre")

HOUSING_KINDS = (
    "locataire_hlm",
    "locataire_prive",
    "proprietaire",
    "chez_parents_enfants",
    "heberge_tiers",
    "sous_locataire",
    "residence_sociale",
    "foyer",
    "pension_de_famille",
    "rhvs",
    "structure_hebergement",
    "centre_enfance_maternel",
    "camping_caravane",
    "hotel",
    "sans_abri",
    "squat",
    "logement_temporaire",
    "logement_fonction",
    "autre",
)

REASONS = (
    "sans_logement",
    "heberge",
    "logement_temporaire",
    "demolition",
    "logement_indigne",
    "reprise_vente_proprietaire",
    "expulsion",
    "divorce_separation",
    "decohabitation",
    "mobilite_professionnelle",
    "rapprochement_travail",
    "rapprochement_famille",
    "logement_trop_cher",
    "logement_trop_petit",
    "logement_trop_grand",
    "handicap",
    "violences_familiales",
    "raisons_sante",
    "autre",
)

CONTRACTS = (
    "cdi",
    "cdd",
    "interim",
    "stage",
    "apprentissage",
    "chomage",
    "fonctionnaire",
    "independant",
    "retraite",
    "etudiant",
    "sans_activite",
    "autre",
)

TYPOLOGIES = ("T1", "T2", "T3", "T4", "T5", "T6")

L441_1 = (
    "handicap",
    "mal_loge_defavorise",
    "heberge_temporaire",
    "reprise_activite",
    "logement_indigne",
    "violences",
    "mineur_suroccupation",
    "sans_logement",
    "menace_expulsion",
    "sortie_appartement_therapeutique",
    "sortie_prostitution",
    "traite_etres_humains",
    "jeune_ase",
)

VERIFICATION = ("declared", "verified", "rejected")

ZONES = ("paris_limitrophes", "ile_de_france", "autres_regions")

FINANCINGS = ("PLAI", "PLUS", "PLS", "PLI")

FLUX_STATUSES = (
    "hors_flux",
    "a_orienter",
    "oriente",
    "contingent_bailleur",
    "repris_bailleur",
    "designe",
    "en_cal",
    "attribue",
    "bail_signe",
    "retire",
)

RESERVATAIRE_KINDS = (
    "etat",
    "etat_agents",
    "action_logement",
    "commune",
    "epci",
    "departement",
    "region",
    "autre",
)

CONVENTION_ORIGINS = ("garantie_emprunt", "financement", "apport_foncier", "autre")

COUNTS_ON = ("mise_a_disposition", "attribution", "bail_signe")

# French labels for the interface (plain language, see docs/regulation.md, « Exigences du terrain »).
HOUSEHOLD_ROLE_LABELS = {
    "demandeur": "Demandeur",
    "conjoint": "Conjoint, concubin ou partenaire de Pacs",
    "codemandeur": "Codemandeur",
    "enfant": "Enfant",
    "autre": "Autre personne",
}

HOUSING_KIND_LABELS = {
    "locataire_hlm": "Locataire d'un logement social",
    "locataire_prive": "Locataire du parc privé",
    "proprietaire": "Propriétaire",
    "chez_parents_enfants": "Chez ses parents ou ses enfants",
    "heberge_tiers": "Hébergé chez un tiers",
    "sous_locataire": "Sous-locataire",
    "residence_sociale": "Résidence sociale",
    "foyer": "Foyer (FJT, FTM, FPA, FPH)",
    "pension_de_famille": "Pension de famille / maison-relais",
    "rhvs": "Résidence hôtelière à vocation sociale",
    "structure_hebergement": "Structure d'hébergement (CHRS, CHU, CADA…)",
    "centre_enfance_maternel": "Centre départemental de l'enfance / centre maternel",
    "camping_caravane": "Camping, caravane",
    "hotel": "Hôtel",
    "sans_abri": "Sans abri, habitat de fortune",
    "squat": "Squat",
    "logement_temporaire": "Logement temporaire",
    "logement_fonction": "Logement de fonction",
    "autre": "Autre",
}

REASON_LABELS = {
    "sans_logement": "Sans logement",
    "heberge": "Hébergé",
    "logement_temporaire": "Logement temporaire",
    "demolition": "Démolition",
    "logement_indigne": "Logement indigne, insalubre ou dangereux",
    "reprise_vente_proprietaire": "Logement repris ou vendu par le propriétaire",
    "expulsion": "Procédure d'expulsion",
    "divorce_separation": "Divorce, séparation",
    "decohabitation": "Décohabitation",
    "mobilite_professionnelle": "Mobilité professionnelle",
    "rapprochement_travail": "Rapprochement du lieu de travail",
    "rapprochement_famille": "Rapprochement familial",
    "logement_trop_cher": "Logement trop cher",
    "logement_trop_petit": "Logement trop petit",
    "logement_trop_grand": "Logement trop grand",
    "handicap": "Handicap",
    "violences_familiales": "Violences familiales",
    "raisons_sante": "Raisons de santé",
    "autre": "Autre motif",
}

RESERVATAIRE_KIND_LABELS = {
    "etat": "État (préfet)",
    "etat_agents": "État (agents publics)",
    "action_logement": "Action Logement",
    "commune": "Commune",
    "epci": "EPCI",
    "departement": "Département",
    "region": "Région",
    "autre": "Autre réservataire",
}

FLUX_STATUS_LABELS = {
    "hors_flux": "Hors flux",
    "a_orienter": "À orienter",
    "oriente": "Orienté",
    "contingent_bailleur": "Contingent du bailleur",
    "repris_bailleur": "Repris par le bailleur",
    "designe": "Candidats désignés",
    "en_cal": "En CAL",
    "attribue": "Attribué",
    "bail_signe": "Bail signé",
    "retire": "Retiré",
}

# Employment contracts, in plain words.
CONTRACT_LABELS = {
    "cdi": "CDI (contrat à durée indéterminée)",
    "cdd": "CDD (contrat à durée déterminée)",
    "interim": "Intérim",
    "stage": "Stage",
    "apprentissage": "Apprentissage",
    "chomage": "Demandeur d'emploi (chômage)",
    "fonctionnaire": "Fonctionnaire",
    "independant": "Indépendant, artisan, profession libérale",
    "retraite": "Retraité",
    "etudiant": "Étudiant",
    "sans_activite": "Sans activité professionnelle",
    "autre": "Autre situation",
}

# CCH L.441-1 priority situations in plain words, in the order of the enumeration
# (docs/regulation.md, « Priorités légales »; lettering still to verify).
L441_1_LABELS = {
    "handicap": "Personne en situation de handicap, ou famille ayant à sa charge une personne "
                "en situation de handicap",
    "mal_loge_defavorise": "Personne mal logée ou défavorisée, ou rencontrant des difficultés "
                           "financières ou d'insertion sociale",
    "heberge_temporaire": "Personne hébergée ou logée temporairement dans un établissement ou un "
                          "logement de transition",
    "reprise_activite": "Personne reprenant une activité après une période de chômage de longue "
                        "durée",
    "logement_indigne": "Personne exposée à des situations d'habitat indigne",
    "violences": "Personne victime de violences au sein du couple ou de la famille, ou menacée "
                 "de mariage forcé",
    "mineur_suroccupation": "Personne ayant à sa charge un enfant mineur et logée dans un "
                            "logement suroccupé ou non décent",
    "sans_logement": "Personne dépourvue de logement, y compris hébergée par des tiers",
    "menace_expulsion": "Personne menacée d'expulsion sans relogement",
    "sortie_appartement_therapeutique": "Personne sortant d'un appartement de coordination "
                                        "thérapeutique",
    "sortie_prostitution": "Personne engagée dans un parcours de sortie de la prostitution",
    "traite_etres_humains": "Personne victime de la traite des êtres humains ou de proxénétisme",
    "jeune_ase": "Jeune de moins de 21 ans pris en charge par l'aide sociale à l'enfance",
}
