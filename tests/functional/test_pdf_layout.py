"""The summary PDF keeps long unbroken words on the page: a 100-character name wraps and the
household table keeps all its columns."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

from tests.factories import DemandeFactory, UserFactory
from tests.functional.sessions import login
from tests.support.system import require, weasyprint_missing

require(weasyprint_missing())  # skips the module, saying why, where Pango or HarfBuzz is absent

# 100 characters without a space or a hyphen: nothing to break a line on.
LONG_NAME = ("Marie" + "abcdefghijklmnopqrstuvwxyz" * 4)[:100]


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def _fragments(pdf: bytes) -> list[tuple[str, float, float]]:
    """(text, x where it starts, width of its page) of every text fragment, in points."""
    found = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        width = float(page.mediabox.width)

        def visit(text, cm, tm, font, size, width=width):
            if text.strip():
                found.append((text, tm[4] * cm[0] + cm[4], width))

        page.extract_text(visitor_text=visit)
    return found


def _without_spaces(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_a_100_character_name_wraps_and_the_household_table_keeps_its_columns(
    client, db_session
):
    requester = UserFactory(role="demandeur")
    demande = DemandeFactory(requester_id=requester.id, first_name=LONG_NAME,
                             last_name=LONG_NAME.upper())
    demande.members[0].first_name = LONG_NAME
    db_session.commit()
    login(client, requester)

    response = client.get(f"/mon-espace/demandes/{demande.nur}/recapitulatif.pdf")

    assert response.status_code == 200
    text = _text(response.data)
    flat = _without_spaces(text)  # a wrapped word comes back in pieces, one per line
    assert flat.count(LONG_NAME) >= 2  # the requester's name and the household row, whole
    assert LONG_NAME.upper() in flat
    for header in ("Personne", "Rôle", "Date de naissance", "À charge"):
        assert _without_spaces(header) in flat, header  # down to the last column
    assert "Oui" in text or "Non" in text  # the last column's cell too
    assert "2 avril 1990" in text  # the birth date column of the long-named row
    # On the page, not past its right edge: the name wraps, the last column starts inside.
    assert not any(LONG_NAME in line for line in text.splitlines())
    fragments = _fragments(response.data)
    assert all(x < width for _, x, width in fragments), [
        (t[:20], round(x)) for t, x, width in fragments if x >= width]
    [(_, cells_x, width)] = [f for f in fragments if "2 avril 1990" in f[0]]
    assert cells_x < width / 2  # the row's other cells start in the left half of the page
