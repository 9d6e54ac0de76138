"""Bilan annuel aggregation on plain records: counts by participant and dimension, the 25 %
priority obligation and the quartile ratios, computed by hand."""

from __future__ import annotations

from datetime import date

import pytest

from matching.flux import bilan
from matching.flux.bilan import BilanEvent, Dwelling, Household

OBLIGATIONS = bilan.Obligations(0.25, 0.25, 0.5)
OUT = Dwelling("L1", "45234", "T3", "PLUS", False, 1972, "metro")
IN = Dwelling("L2", "45234", "T2", "PLAI", True, 2016, "metro")
ELSEWHERE = Dwelling("L3", "41018", "T4", "PLUS", False, None, None)


def _lease(dwelling, participant, income, **household):
    return BilanEvent("bail_signe", "O", date(2025, 6, 1), dwelling, participant,
                      household=Household(income_per_uc=income, **household))


def _alloc(participant, **household):
    return BilanEvent("attribution", "O", date(2025, 5, 1), OUT, participant,
                      household=Household(**household))


def test_priority_share_counts_dalo_then_priority_households():
    events = [_alloc("al", dalo=True), _alloc("al", priority=True), _alloc("al"),
              _alloc("al"), _alloc("al"), _alloc(None), _alloc(None, dalo=True, priority=True)]
    b = bilan.aggregate(events, bailleur="hlm", year=2025, obligations=OBLIGATIONS,
                        thresholds={})
    al = b.ratios_for("al")
    # 2 of 5 = 40 % ≥ 25 %.
    assert (al.allocations, al.dalo, al.priority, al.ratio, al.status) == (
        5, 1, 1, 0.4, bilan.CONFORME)
    own = b.ratios_for(None)
    assert (own.allocations, own.dalo, own.priority, own.ratio) == (2, 1, 0, 0.5)
    assert b.ratios_for("nobody").status == bilan.SANS_OBJET


def test_quartile_ratios_outside_and_inside_qpv():
    events = [_lease(OUT, "al", 7_000), _lease(OUT, "al", 12_000), _lease(OUT, None, 15_000),
              _lease(OUT, None, None, relogement_npnru=True), _lease(OUT, None, 9_999.99),
              _lease(IN, "al", 7_000), _lease(IN, "al", 8_000), _lease(IN, None, 10_000.01),
              _lease(ELSEWHERE, None, 1_000)]
    b = bilan.aggregate(events, bailleur="hlm", year=2025, obligations=OBLIGATIONS,
                        thresholds={"metro": 10_000})
    metro, outside_epci = b.quartiles
    # Outside QPV: 5 leases; lowest quartile 7 000 and 9 999,99, plus the NPNRU relocation.
    assert (metro.outside_leases, metro.outside_low, metro.outside_unknown) == (5, 3, 1)
    assert metro.outside_ratio == pytest.approx(0.6) and metro.outside_status == bilan.CONFORME
    # In QPV: 3 leases, one above the threshold: 1/3 < 50 %.
    assert (metro.inside_leases, metro.inside_others) == (3, 1)
    assert metro.inside_status == bilan.NON_CONFORME
    # A dwelling outside any EPCI with a threshold: to be entered, never guessed.
    assert outside_epci.epci is None and outside_epci.outside_status == bilan.A_RENSEIGNER
    assert outside_epci.outside_ratio is None


def test_a_takeback_that_no_longer_counts_cancels_the_orientation_in_every_dimension():
    events = [BilanEvent("mise_a_disposition", "O1", date(2025, 2, 1), OUT, "al"),
              BilanEvent("mise_a_disposition", "O2", date(2025, 2, 2), IN, "al"),
              BilanEvent("reprise", "O2", date(2025, 3, 1), IN, "al", cancels=True),
              BilanEvent("reprise", "O1", date(2025, 3, 1), OUT, "al", cancels=False),
              BilanEvent("mise_a_disposition", "O9", date(2024, 12, 31), OUT, "al")]
    b = bilan.aggregate(events, bailleur="hlm", year=2025, obligations=OBLIGATIONS,
                        thresholds={}, reservataires=["prefet"])
    al = b.totals["al"]
    assert (al.made_available, al.taken_back, al.taken_back_cancelled) == (1, 2, 1)
    assert {v: c.made_available for v, c in b.breakdown("qpv", "al")} == {
        "hors QPV": 1, "en QPV": 0}
    assert {v: c.made_available for v, c in b.breakdown("period")} == {
        "1949 à 1974": 1, "2015 et après": 0}
    assert b.participants == ("al", "prefet", None)
    assert b.totals["prefet"].made_available == 0


def test_construction_periods():
    assert [bilan.period_of(y) for y in (None, 1948, 1949, 1974, 1975, 2014, 2015, 2030)] == [
        "inconnue", "avant 1949", "1949 à 1974", "1949 à 1974", "1975 à 1989", "2005 à 2014",
        "2015 et après", "2015 et après"]


def test_the_obligations_are_dated_parameters():
    o = bilan.obligations_for_year(2025)
    assert (o.priority, o.low_quartile_outside_qpv, o.other_quartiles_in_qpv) == (
        0.25, 0.25, 0.5)
    assert all("L.441-1" in v.reference for v in o.references)
