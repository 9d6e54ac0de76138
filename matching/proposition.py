"""Proposals of a dwelling to an applicant: the answer delay (CCH R.441-10).

The delay is a dated parameter (parameters/proposition.yaml), never a constant of the code:
see docs/regulation.md, « Délai de réponse et refus ».
"""

from __future__ import annotations

from datetime import date, timedelta

from . import parameters


def answer_delay_days(on: date) -> int:
    """Days the applicant has to answer a proposal made on ``on`` (at least ten, R.441-10)."""
    return int(parameters.get("proposition.delai_reponse_jours", on).value)


def answer_due_on(proposed_on: date) -> date:
    """The last day to answer a proposal made on ``proposed_on``."""
    return proposed_on + timedelta(days=answer_delay_days(proposed_on))
