"""État des lieux: each réservataire's share = reserved / the bailleur's dwellings of the
département concerned by the flux, computed by hand on small parcs."""

from __future__ import annotations

import io
from datetime import date

import pytest

from matching.flux.etat_des_lieux import (
    StockDwelling,
    StockReservation,
    compare_with_conventions,
    parse_stock_line,
    stock_shares,
)
from matching.records import Convention, read_records


def _parc():
    # 10 dwellings in 45 (one for defence, one to be demolished), 2 in 41.
    dwellings = [StockDwelling(f"L{i}", "45234") for i in range(8)]
    dwellings += [StockDwelling("D1", "45234", "defense"), StockDwelling("D2", "45001",
                                                                         "demolition")]
    dwellings += [StockDwelling("B1", "41018"), StockDwelling("B2", "41018")]
    return dwellings


def test_shares_leave_out_the_dwellings_not_concerned():
    reservations = [StockReservation("L0", "al"), StockReservation("L1", "al"),
                    StockReservation("L2", "prefet"), StockReservation("D1", "prefet"),
                    StockReservation("B1", "al")]
    d41, d45 = stock_shares(_parc(), reservations)
    # 45: 10 dwellings − 2 not concerned = 8; al 2/8 = 25 %, prefet 1/8 = 12,5 % (D1 left out).
    assert (d45.dwellings, d45.base, d45.left_out_reserved) == (10, 8, 1)
    assert d45.not_concerned == {"defense": 1, "demolition": 1}
    assert [(s.reservataire, s.reserved, s.share_percent) for s in d45.shares] == [
        ("al", 2, 25.0), ("prefet", 1, 12.5)]
    assert d45.bailleur_share_percent == 62.5
    # 41: 1 of 2.
    assert [(s.reservataire, s.share_percent) for s in d41.shares] == [("al", 50.0)]


def test_a_reservation_ended_before_the_reference_date_no_longer_counts():
    reservations = [StockReservation("L0", "al", ends_on=date(2025, 12, 31)),
                    StockReservation("L1", "al", ends_on=date(2026, 1, 1))]
    _, d45 = stock_shares(_parc(), reservations, on=date(2026, 1, 1))
    assert (d45.expired, d45.shares[0].reserved) == (1, 1)


def test_comparison_with_the_conventions_of_the_year():
    _, d45 = stock_shares(_parc(), [StockReservation("L0", "al"), StockReservation("L1", "al")])
    conventions = [Convention("C1", "hlm", "al", "action_logement", "45", 2026, 20.0),
                   Convention("C2", "hlm", "prefet", "etat", "45", 2026, 25.0),
                   Convention("C3", "hlm", "al", "action_logement", "45", 2025, 99.0)]
    rows = compare_with_conventions([d45], conventions, "hlm", 2026)
    assert [(r.reservataire, r.stock_percent, r.convention_percent, r.gap) for r in rows] == [
        ("al", 25.0, 20.0, -5.0), ("prefet", None, 25.0, None)]


def test_csv_lines_are_read_with_their_errors():
    text = ("logement,reservataire,convention,date_fin\n"
            "L1,al,STOCK-7,2030-06-30\n"
            ",al,,\n"
            "L3,al,,30/06/2030\n")
    good, errors = read_records(io.StringIO(text), parse_stock_line, "csv")
    assert [r for _, r in good] == [StockReservation("L1", "al", "STOCK-7", date(2030, 6, 30))]
    assert [(e.line, e.path) for e in errors] == [(3, "logement"), (4, "date_fin")]


def test_an_unknown_column_is_refused():
    with pytest.raises(Exception, match="colonne inconnue"):
        parse_stock_line({"logement": "L1", "reservataire": "al", "part": "20"})
