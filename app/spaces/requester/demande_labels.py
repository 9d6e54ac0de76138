"""Labels, limits and French messages of the requester's demande form."""

from __future__ import annotations

from app.spaces.fields import MSG_CHOICE, MSG_DATE, MSG_NEGATIVE_AMOUNT  # noqa: F401 (re-export)
from matching import enums

# --------------------------------------------------------------------------- labels

# One source for labels (matching.enums); the form only says who "demandeur" is.
ROLE_LABELS = {**enums.HOUSEHOLD_ROLE_LABELS, "demandeur": "Demandeur (vous-même)"}
CONTRACT_LABELS = enums.CONTRACT_LABELS
L441_1_LABELS = enums.L441_1_LABELS

MAX_COMMUNES = 5
MAX_MEMBERS = 30  # a bound for crafted requests, far above any real household
DATALIST_ID = "communes-connues"  # the <datalist> of known communes on the page
# Roles whose employment contract the form asks for, besides the demandeur.
PARTNER_ROLES = ("conjoint", "codemandeur")

# --------------------------------------------------------------------------- messages

MSG_HOUSEHOLD = "Le ménage doit compter au moins une personne, dont le demandeur."
MSG_TOO_MANY_MEMBERS = f"Le ménage peut compter au plus {MAX_MEMBERS} personnes."
MSG_NO_ADULT = (
    "Le ménage doit compter au moins un adulte (18 ans ou plus) : vérifiez les dates de "
    "naissance."
)
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
    "La commune {name} ({code}) n'est pas sur le territoire {de_epci}. "
    "Choisissez une commune de ce territoire."
)
MSG_DUPLICATE_COMMUNE = "La commune {name} ({code}) est déjà indiquée dans un choix précédent."
MSG_NO_COMMUNE = "Indiquez au moins une commune souhaitée."
MSG_TOO_MANY_COMMUNES = f"Vous pouvez indiquer au plus {MAX_COMMUNES} communes souhaitées."
MSG_NO_PARTNER = (
    "Le ménage ne compte ni conjoint ni codemandeur : ajoutez cette personne au ménage, "
    "ou laissez ce champ vide."
)
