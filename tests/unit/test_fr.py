"""French formatting: the one source used by the engine, the pages and the PDFs."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from matching import fr

NB = "\u00a0"


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (23403, 0, f"23{NB}403"),
        (1234.5, 2, f"1{NB}234,50"),
        (-1500, 0, f"-1{NB}500"),
        (0.0, 1, "0,0"),
    ],
)
def test_number_uses_a_non_breaking_space_and_a_decimal_comma(value, decimals, expected):
    assert fr.number(value, decimals) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(22.5, "22,5"), (22.50, "22,5"), (30.0, "30"), (1234.567, f"1{NB}234,57"), (0.004, "0")],
)
def test_decimal_drops_trailing_zeros(value, expected):
    assert fr.decimal(value, 2) == expected


def test_amounts_in_euros():
    assert fr.eur(1234.5, 2) == f"1{NB}234,50{NB}€"
    assert fr.eur(23403) == f"23{NB}403{NB}€"  # no cents when there are none


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("long", "28 novembre 2026"),
        ("medium", "28 nov. 2026"),
        ("short", "28/11/2026"),
        ("full", "samedi 28 novembre 2026"),
    ],
)
def test_dates_in_french(style, expected):
    assert fr.day(date(2026, 11, 28), style) == expected


def test_a_datetime_is_shown_as_its_date_and_an_unknown_style_is_refused():
    assert fr.day(datetime(2026, 2, 1, 23, 59)) == "1 février 2026"
    with pytest.raises(ValueError):
        fr.day(date(2026, 2, 1), "iso")


@pytest.mark.parametrize(("name", "expected"), [
    ("Orléans Métropole", "d’Orléans Métropole"), ("Angers Loire Métropole", "d’Angers Loire Métropole"),
    ("Tours Métropole", "de Tours Métropole"), ("Eurométropole de Strasbourg", "d’Eurométropole de Strasbourg"),
])
def test_de_is_elided_before_a_vowel(name, expected):
    assert fr.de(name) == expected
