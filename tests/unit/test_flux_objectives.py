"""Yearly objectives of a flux: forecast base from rotation, new buildings, withdrawals."""

from __future__ import annotations

from fractions import Fraction

import pytest

from matching.flux.objectives import (
    NoRotation,
    Withdrawals,
    parse_patrimoine,
    yearly_objectives,
)
from matching.records import Convention, RecordError

YEAR = 2026


def dwelling(i: int, *, commune="45234", typology="T3", qpv=False, vacancies=None, **extra):
    record = {"id": f"L{i}", "bailleur": "logem", "commune": commune, "zone": "autres_regions",
              "typology": typology, "qpv": qpv, "financing": "PLUS", "rent": 400,
              "vacancies_by_year": vacancies or {}, **extra}
    return parse_patrimoine(record)


def conventions():
    return [
        Convention(id="C-AL", bailleur="logem", reservataire="action-logement",
                   reservataire_kind="action_logement", departement="45", year=YEAR,
                   share_percent=22.5),
        Convention(id="C-ETAT", bailleur="logem", reservataire="prefet-45",
                   reservataire_kind="etat", departement="45", year=YEAR, share_percent=25),
        Convention(id="C-OLD", bailleur="logem", reservataire="ancien", reservataire_kind="autre",
                   departement="45", year=YEAR - 1, share_percent=50),  # another year: ignored
    ]


def patrimoine():
    # 20 T3 in Orléans, observed 2023-2025: 6 vacancies in 60 dwelling-years → rotation 10 %.
    t3 = [dwelling(i, vacancies={"2023": 1 if i < 2 else 0, "2024": 1 if 2 <= i < 4 else 0,
                                 "2025": 1 if 4 <= i < 6 else 0}) for i in range(20)]
    # 10 T2 in QPV with 2 years observed each: 8 vacancies in 20 dwelling-years → 40 %.
    t2 = [dwelling(100 + i, typology="T2", qpv=True,
                   vacancies={"2024": 1 if i < 4 else 0, "2025": 1 if 4 <= i < 8 else 0})
          for i in range(10)]
    # 5 T4 never observed: they take the bailleur's average (14 / 80).
    t4 = [dwelling(200 + i, typology="T4") for i in range(5)]
    # A new programme delivered this year: 6 first allocations; one delivered next year.
    new = [dwelling(300 + i, mise_en_service=f"{YEAR}-06-01") for i in range(6)]
    later = [dwelling(400, construction_year=YEAR + 1)]
    # Not concerned by the flux: a dwelling to be demolished.
    demolished = [dwelling(500, hors_flux="demolition", vacancies={"2025": 1})]
    return t3 + t2 + t4 + new + later + demolished


def test_base_is_rotation_forecast_plus_first_allocations_minus_withdrawals():
    [flux] = yearly_objectives(
        conventions(), patrimoine(), YEAR,
        withdrawals=[Withdrawals("logem", "45", mutations_internes=2, mutations_externes=3,
                                 relogements_npnru=1)],
    )
    segments = {(s.typology, s.qpv): s for s in flux.segments}
    assert segments[("T3", False)].rotation == Fraction(1, 10)
    assert segments[("T2", True)].rotation == Fraction(2, 5)
    assert (segments[("T4", False)].rotation, segments[("T4", False)].source) == (
        Fraction(14, 80), "moyenne_bailleur")
    forecast = 2 + 4 + Fraction(5 * 14, 80)
    assert flux.forecast_vacancies == forecast
    assert flux.first_allocations == 6
    assert flux.not_concerned == 1
    assert flux.withdrawals == {"mutations_internes": 2, "relogements_npnru": 1,
                                "relogements_orcod": 0}  # external mutations stay in the base
    assert flux.base == forecast + 6 - 3
    objectives = {o.participant: o.objective for o in flux.objectives}
    assert objectives == {"action-logement": flux.base * Fraction(225, 1000),
                          "prefet-45": flux.base / 4, "logem": flux.base * Fraction(525, 1000)}


def test_all_mutations_leave_the_base_when_the_setting_says_so():
    withdrawals = [Withdrawals("logem", "45", mutations_internes=2, mutations_externes=3)]
    [internes] = yearly_objectives(conventions(), patrimoine(), YEAR, withdrawals=withdrawals)
    [toutes] = yearly_objectives(conventions(), patrimoine(), YEAR, withdrawals=withdrawals,
                                 mutations_hors_base="toutes")
    assert internes.base - toutes.base == 3


def test_a_rate_set_by_the_bailleur_replaces_the_observed_rotation():
    [flux] = yearly_objectives(conventions(), patrimoine(), YEAR, rate=Fraction(8, 100))
    assert {s.source for s in flux.segments} == {"taux_bailleur"}
    assert flux.forecast_vacancies == Fraction(8, 100) * 35
    assert flux.base == flux.forecast_vacancies + 6


def test_without_observation_or_rate_the_flux_cannot_be_forecast():
    [result] = yearly_objectives(conventions(), [dwelling(1), dwelling(2)], YEAR)
    assert isinstance(result, NoRotation)
    assert "--rate" in str(result)


def test_base_never_goes_below_zero():
    [flux] = yearly_objectives(conventions(), patrimoine(), YEAR,
                               withdrawals=[Withdrawals("logem", "45", relogements_orcod=500)])
    assert flux.base == 0 and all(o.objective == 0 for o in flux.objectives)


@pytest.mark.parametrize("extra, path", [
    ({"vacancies_by_year": {"deux-mille": 1}}, "vacancies_by_year.deux-mille"),
    ({"vacancies_by_year": {"2024": -1}}, "vacancies_by_year.2024"),
    ({"hors_flux": "mutation_interne"}, "hors_flux"),  # a vacancy's category, not a dwelling's
    ({"mise_en_service": "bientôt"}, "mise_en_service"),
])
def test_bad_patrimoine_fields_name_their_path(extra, path):
    with pytest.raises(RecordError) as info:
        dwelling(1, **extra) if "vacancies_by_year" not in extra else dwelling(
            1, vacancies=extra["vacancies_by_year"])
    assert info.value.path == path
