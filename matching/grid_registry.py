"""Registry of what a cotation grid may test: demande fields and derived facts.

A grid condition names either a ``field`` (read from the demande as filed) or a ``fact``
(derived from it on the computation date: taux d'effort, reste à vivre, occupation…). This
module is the single list of allowed names, with their type, allowed values and the
``verified`` keys that vouch for them, so that grid validation can reject unknown names and
the explained and vectorised engines agree on meaning. Getters live in ``cotation.py`` (one
demande) and ``batch/`` (columns); a test checks that both cover this registry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import enums

# Value kinds and the comparison operators each accepts.
OPERATORS: dict[str, tuple[str, ...]] = {
    "bool": ("eq", "ne"),
    "number": ("eq", "ne", "gt", "ge", "lt", "le", "is_null"),
    "enum": ("eq", "ne", "in", "not_in"),
    "commune": ("eq", "ne", "in", "not_in", "is_null"),
    "enum_list": ("contains", "any_of", "all_of", "none_of", "empty"),
}
ALL_OPERATORS = tuple(sorted({op for ops in OPERATORS.values() for op in ops}))
LIST_OPERATORS = ("in", "not_in", "any_of", "all_of", "none_of")

# Scope of a wished commune relative to the current one (docs/regulation.md, « Grille de Strasbourg », mobilité
# professionnelle): same commune, another commune inside the EPCI, outside the EPCI.
PORTEE_MOBILITE = ("meme_commune", "epci", "hors_epci", "inconnue")

L441_1_LABELS = enums.L441_1_LABELS  # one source: matching/enums.py
# Legal priorities a grid must weight (décret n° 2019-1378: the grid includes CCH L.441-1).
LEGAL_PRIORITIES = ("dalo",) + enums.L441_1


@dataclass(frozen=True, slots=True)
class Spec:
    """One name a condition may test: its kind, allowed values and verification keys."""

    name: str
    kind: str
    label: str
    values: tuple[str, ...] = ()
    verify: tuple[str, ...] = ()
    per_choice: bool = False

    @property
    def operators(self) -> tuple[str, ...]:
        return OPERATORS[self.kind]


def _s(name: str, kind: str, label: str, values: tuple[str, ...] = (), verify: tuple[str, ...] = (),
       per_choice: bool = False) -> tuple[str, Spec]:
    return name, Spec(name, kind, label, values, verify, per_choice)


FIELDS: dict[str, Spec] = dict([
    _s("is_mutation", "bool", "Demande de mutation"),
    _s("current_housing.kind", "enum", "Logement actuel", enums.HOUSING_KINDS, ("current_housing",)),
    _s("current_housing.commune", "commune", "Commune du logement actuel", (), ("current_housing",)),
    _s("current_housing.rooms", "number", "Pièces du logement actuel", (), ("current_housing",)),
    _s("current_housing.surface", "number", "Surface du logement actuel", (), ("current_housing",)),
    _s("monthly_resources", "number", "Ressources mensuelles", (), ("monthly_resources",)),
    _s("rfr_n2", "number", "Revenu fiscal de référence N-2", (), ("rfr_n2",)),
    _s("reasons", "enum_list", "Motifs de la demande", enums.REASONS, ("reasons",)),
    _s("wishes.typologies", "enum_list", "Typologies souhaitées", enums.TYPOLOGIES),
    _s("wishes.needs_accessible", "bool", "Logement adapté au handicap demandé", (), ("handicap",)),
    _s("employer.contributes_action_logement", "bool",
       "Employeur cotisant à Action Logement", (), ("employer",)),
    _s("priority.dalo", "bool", "Reconnu prioritaire DALO", (), ("priority",)),
    _s("priority.acd_labelled", "bool", "Labellisé accord collectif (ACD/ACI)", (), ("priority",)),
    _s("priority.l441_1", "enum_list", "Critères de priorité L.441-1", enums.L441_1, ("priority",)),
])

FACTS: dict[str, Spec] = dict([
    _s("taux_effort_logement_actuel", "number", "Taux d'effort dans le logement actuel", (),
       ("monthly_resources", "current_housing")),
    _s("reste_a_vivre_logement_actuel", "number",
       "Reste à vivre dans le logement actuel (€/jour/UC)", (),
       ("monthly_resources", "current_housing", "household")),
    _s("ecart_occupants_pieces", "number",
       "Occupants moins pièces du logement actuel", (), ("household", "current_housing")),
    _s("anciennete_mois", "number", "Ancienneté de la demande (mois)"),
    _s("taille_menage", "number", "Nombre de personnes du ménage", (), ("household",)),
    _s("nombre_adultes", "number", "Nombre d'adultes (non à charge)", (), ("household",)),
    _s("nombre_personnes_a_charge", "number", "Nombre de personnes à charge", (), ("household",)),
    _s("nombre_enfants_mineurs", "number", "Nombre d'enfants mineurs", (), ("household",)),
    _s("menage_avec_handicap", "bool", "Membre du ménage en situation de handicap", (),
       ("household",)),
    _s("famille_monoparentale", "bool", "Adulte seul avec personne(s) à charge", (), ("household",)),
    _s("age_demandeur", "number", "Âge du demandeur", (), ("household",)),
    _s("contrats_adultes", "enum_list", "Contrats de travail des adultes", enums.CONTRACTS,
       ("employment",)),
    _s("refus_comptes", "number", "Refus comptés par la grille", (), ("refusals",)),
    _s("portee_mobilite", "enum", "Commune souhaitée par rapport au logement actuel",
       PORTEE_MOBILITE, ("current_housing",), per_choice=True),
    _s("commune_souhaitee", "commune", "Commune souhaitée", (), (), per_choice=True),
    _s("rang_choix", "number", "Rang du choix géographique", (), (), per_choice=True),
])

# ``verified.<key>`` fields read the verification status of any key of the demande.
VERIFIED_PREFIX = "verified."
_VERIFIED_KEY = re.compile(r"^[a-z][a-z0-9_.]*$")


def lookup(kind: str, name: str) -> Spec | None:
    """The spec of a field or fact name, or None when the name is unknown."""
    if kind == "fact":
        return FACTS.get(name)
    if name.startswith(VERIFIED_PREFIX) and _VERIFIED_KEY.match(name[len(VERIFIED_PREFIX):]):
        key = name[len(VERIFIED_PREFIX):]
        return Spec(name, "enum", f"Statut de vérification : {key}", enums.VERIFICATION, ())
    return FIELDS.get(name)
