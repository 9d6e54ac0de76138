"""Past allocations (attributions), read from the exchange format to compute waiting times.

An allocation record keeps what the waiting-time statistics need: when the allocated demande
was filed, when the dwelling was allocated, the dwelling's commune and typology, and when
known the allocated demande's first-choice commune.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from . import enums
from .records import (
    RecordError,
    _commune,
    _date,
    _enum,
    _missing,
    _obj,
    _opt_bool,
    _opt_str,
    _req,
)


@dataclass(frozen=True, slots=True)
class Allocation:
    demande_filed_on: date
    allocated_on: date
    commune: str
    typology: str
    first_choice_commune: str | None = None
    demande_id: str | None = None
    logement_id: str | None = None
    is_mutation: bool = False

    @property
    def similarity_commune(self) -> str:
        """The commune that makes demandes "similar": first choice when known, else the dwelling's."""
        return self.first_choice_commune or self.commune


def parse_allocation(obj: Mapping[str, Any]) -> Allocation:
    """Validate one allocation record: ``demande_filed_on``, ``allocated_on``, ``commune``, ``typology``."""
    obj = _obj(obj, "")
    filed = _date(_req(obj, "demande_filed_on", ""), "demande_filed_on")
    allocated = _date(_req(obj, "allocated_on", ""), "allocated_on")
    if allocated < filed:
        raise RecordError("allocated_on", f"attribution ({allocated}) antérieure au dépôt ({filed})")
    return Allocation(
        demande_filed_on=filed,
        allocated_on=allocated,
        commune=_commune(_req(obj, "commune", ""), "commune"),
        typology=_enum(_req(obj, "typology", ""), enums.TYPOLOGIES, "typology"),
        first_choice_commune=None if _missing(obj, "first_choice_commune")
        else _commune(obj["first_choice_commune"], "first_choice_commune"),
        demande_id=_opt_str(obj, "demande_id", ""),
        logement_id=_opt_str(obj, "logement_id", ""),
        is_mutation=_opt_bool(obj, "is_mutation", ""),
    )
