"""Gestion en flux (décret n° 2020-145 du 20 février 2020, CCH R.441-5 and following).

* ``caps``: legal caps on the shares of conventions, read from the dated parameters;
* ``apportionment``: orientation of each vacancy to a réservataire or to the bailleur;
* ``objectives``: yearly forecast of the flux and objectives per réservataire.
"""

from __future__ import annotations

from .apportionment import (
    HORS_FLUX_CATEGORIES,
    MUTATIONS_HORS_BASE,
    Apportionment,
    Decision,
    FluxEngine,
    FluxEvent,
    Participant,
    Vacancy,
    departement_of,
    parse_event,
    parse_vacancy,
    participants_for,
)
from .caps import (
    COLLECTIVITE_KINDS,
    Caps,
    CapsUnavailable,
    CapViolation,
    caps_for_year,
    check_caps,
)

__all__ = [
    "COLLECTIVITE_KINDS", "HORS_FLUX_CATEGORIES", "MUTATIONS_HORS_BASE", "Apportionment",
    "CapViolation", "Caps", "CapsUnavailable", "Decision", "FluxEngine", "FluxEvent",
    "Participant", "Vacancy", "caps_for_year", "check_caps", "departement_of", "parse_event",
    "parse_vacancy", "participants_for",
]

