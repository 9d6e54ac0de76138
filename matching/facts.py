"""Facts derived from a demande, shared by eligibility and cotation.

Each function is small and documented with the rule it applies, so an explanation can quote
it. Thresholds are never here: they come from policies, parameters or grids.
"""

from __future__ import annotations

from datetime import date

from .records import Demande

# Consumption units, modified OECD scale (INSEE definition "unité de consommation"):
# 1 for the first adult, 0.5 for each other person aged 14 or more, 0.3 for each child under 14.
UC_FIRST_ADULT = 1.0
UC_OTHER_ADULT = 0.5
UC_CHILD = 0.3
UC_CHILD_AGE = 14


def age_on(birth: date, on: date) -> int:
    """Age in whole years on a date."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def consumption_units(demande: Demande, on: date) -> float:
    """INSEE consumption units of the household (a member without birth date counts as adult)."""
    units = 0.0
    first = True
    for member in demande.household:
        is_child = member.birth_date is not None and age_on(member.birth_date, on) < UC_CHILD_AGE
        if first and not is_child:
            units += UC_FIRST_ADULT
            first = False
        else:
            units += UC_CHILD if is_child else UC_OTHER_ADULT
    if first:  # only children listed: the first person still counts as the reference adult
        units += UC_FIRST_ADULT - UC_CHILD
    return units


def housing_cost(rent: float | None, charges: float | None, benefit: float = 0.0) -> float:
    """Monthly housing cost net of housing benefit."""
    return (rent or 0.0) + (charges or 0.0) - benefit


def taux_effort(monthly_resources: float | None, rent: float | None, charges: float | None,
                benefit: float = 0.0) -> float | None:
    """(loyer + charges − aide au logement) / ressources mensuelles; None without resources."""
    if not monthly_resources or monthly_resources <= 0:
        return None
    return housing_cost(rent, charges, benefit) / monthly_resources


def reste_a_vivre(monthly_resources: float | None, rent: float | None, charges: float | None,
                  units: float, benefit: float = 0.0) -> float | None:
    """(ressources − loyer − charges + aide) / unités de consommation / 30 jours, en €/jour."""
    if monthly_resources is None or units <= 0:
        return None
    return (monthly_resources - housing_cost(rent, charges, benefit)) / units / 30.0


def seniority_months(start: date, on: date) -> int:
    """Whole months elapsed from start to on (a month counts once its day is reached)."""
    months = (on.year - start.year) * 12 + (on.month - start.month)
    if on.day < start.day:
        months -= 1
    return max(months, 0)
