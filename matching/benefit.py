"""Housing benefit (APL / AL) estimation behind an interface (docs/regulation.md, « Taux d'effort et reste à vivre »).

The platform ships no estimator: OpenFisca-France (``aide_logement``) is heavy and pins
pytest/numpy versions, so it will come as an optional extra implementing this protocol.
Without an estimator, taux d'effort and reste à vivre are computed before housing benefit
(pessimistic for low incomes), and the verdict says so.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np

    from .eligibility import OfferTable
    from .records import Demande, Logement


@runtime_checkable
class HousingBenefitEstimator(Protocol):
    """Estimates the monthly housing benefit a household would receive in a dwelling."""

    def estimate(self, demande: Demande, offre: Logement, on: date) -> float:
        """Monthly housing benefit in euros (0 when none)."""
        ...


@runtime_checkable
class BatchHousingBenefitEstimator(HousingBenefitEstimator, Protocol):
    """An estimator that can also answer for a whole table of offers at once."""

    def estimate_many(self, demande: Demande, offers: OfferTable, on: date) -> np.ndarray:
        """Monthly housing benefit for every offer of the table, in table order."""
        ...


NO_BENEFIT_NOTE = "taux d'effort calculé avant aide au logement"
