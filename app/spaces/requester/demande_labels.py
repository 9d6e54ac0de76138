"""Labels, limits and French messages of the requester's demande form."""

from __future__ import annotations

from app.spaces.fields import MSG_CHOICE, MSG_DATE, MSG_NEGATIVE_AMOUNT  # noqa: F401 (re-export)

# --------------------------------------------------------------------------- labels

ROLE_LABELS = {
    "demandeur": "Demandeur (vous-même)",
    "conjoint": "Conjoint, concubin ou partenaire de Pacs",
    "codemandeur": "Codemandeur",
    "enfant": "Enfant",
    "autre": "Autre personne",
}

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

# CCH L.441-1 priority situations, in plain words (docs/regulation.md; lettering to verify on
# Légifrance, the values are those of docs/formats.md).
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

MAX_COMMUNES = 5
MAX_MEMBERS = 30  # a bound for crafted requests, far above any real household
DATALIST_ID = "communes-connues"  # the <datalist> of known communes on the page
# Roles whose employment contract the form asks for, besides the demandeur.
PARTNER_ROLES = ("conjoint", "codemandeur")

# --------------------------------------------------------------------------- messages

MSG_HOUSEHOLD = "Le ménage doit compter au moins une personne, dont le demandeur."
MSG_TOO_MANY_MEMBERS = f"Le ménage peut compter au plus {MAX_MEMBERS} personnes."
MSG_TWO_DEMANDEURS = (
    "Une seule personne peut être « Demandeur » ; choisissez « Codemandeur » pour la seconde."
)
MSG_NEGATIVE_INCOME = "Le revenu ne peut pas être négatif."
MSG_FUTURE_BIRTH = "La date de naissance ne peut pas être dans le futur."
MSG_OLD_BIRTH = "La date de naissance est trop ancienne : vérifiez l'année."
MSG_SIRET = "Le numéro SIRET doit compter exactement 14 chiffres (sans lettres)."
MSG_UNKNOWN_COMMUNE = (
    "Commune inconnue : {code}. Indiquez un code INSEE à 5 chiffres d'une commune du territoire."
)
MSG_OUTSIDE_TERRITORY = (
    "La commune {name} ({code}) n'est pas sur le territoire de {epci}. "
    "Choisissez une commune de ce territoire."
)
MSG_DUPLICATE_COMMUNE = "La commune {name} ({code}) est déjà indiquée dans un choix précédent."
MSG_NO_COMMUNE = "Indiquez au moins une commune souhaitée."
MSG_TOO_MANY_COMMUNES = f"Vous pouvez indiquer au plus {MAX_COMMUNES} communes souhaitées."
MSG_NO_PARTNER = (
    "Le ménage ne compte ni conjoint ni codemandeur : ajoutez cette personne au ménage, "
    "ou laissez ce champ vide."
)
