"""The answer delay of a proposal comes from the dated parameters (CCH R.441-10)."""

from __future__ import annotations

from datetime import date

import pytest

from matching import parameters
from matching.proposition import answer_delay_days, answer_due_on


def test_the_applicant_has_ten_days_to_answer():
    assert answer_delay_days(date(2026, 12, 2)) == 10
    assert answer_due_on(date(2026, 12, 25)) == date(2027, 1, 4)


def test_the_delay_follows_an_override_of_the_parameter(tmp_path, monkeypatch):
    (tmp_path / "proposition.yaml").write_text(
        "delai_reponse_jours:\n"
        "  values:\n"
        "    2027-01-01:\n"
        "      value: 15\n"
        "      reference: \"Texte fictif pour le test\"\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("COTAFLUX_PARAMETERS_DIR", str(tmp_path))
    parameters.default.cache_clear()
    try:
        assert answer_delay_days(date(2026, 12, 31)) == 10
        assert answer_delay_days(date(2027, 1, 1)) == 15
    finally:
        monkeypatch.delenv("COTAFLUX_PARAMETERS_DIR")
        parameters.default.cache_clear()


def test_a_date_before_any_value_is_an_error_not_a_default():
    with pytest.raises(parameters.ParameterMissing):
        answer_delay_days(date(1999, 12, 31))
