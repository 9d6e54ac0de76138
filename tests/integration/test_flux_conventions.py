"""Conventions: legal caps (one rule source), versions, import extended to scopes, export that
round-trips through the import."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from app.adapters.records import convention_record
from app.extensions import db
from app.flux.conventions import (
    ConventionRefused,
    create_convention,
    export_csv,
    export_jsonl,
    own_share,
    update_convention,
    versions,
)
from app.flux.imports import import_conventions
from app.flux.models import Convention, ConventionVersion
from app.flux.orientation import confirm
from tests.factories import OrganisationFactory, UserFactory
from tests.support.flux import TODAY, make_flux


def _values(**overrides):
    values = {"departement": "45", "year": 2026, "share_percent": 5.0, "origin": "financement",
              "designation_delay_days": 30, "counts_on": "mise_a_disposition",
              "counts_after_takeback": True, "scope_communes": [], "scope_typologies": [],
              "scope_qpv": None, "signed_on": None}
    return {**values, **overrides}


@pytest.mark.parametrize("kind, origin, share, words", [
    ("etat", "financement", 6.0, "l'État dépassent 30 %"),  # 25 % stored + 6 %
    ("etat_agents", "financement", 5.5, "agents de l'État dépassent 5 %"),
    ("commune", "garantie_emprunt", 10.5, "garanties d'emprunt dépassent 20 %"),  # 10 + 10,5
    ("action_logement", "financement", 46.0, "somme des parts dépasse 100 %"),
])
def test_each_legal_cap_refuses_the_share_with_a_french_message(db_session, kind, origin, share,
                                                                 words):
    f = make_flux()
    other = OrganisationFactory(reservataire=True, reservataire_kind=kind)
    with pytest.raises(ConventionRefused) as refused:
        create_convention(f.bailleur, other, _values(share_percent=share, origin=origin))
    messages = refused.value.errors["share_percent"]
    assert any(words in m for m in messages)  # agents: the État's 30 % is exceeded too
    assert all(m.startswith("Refusé") for m in messages)


def test_a_share_within_the_caps_is_created_and_the_own_share_is_the_remainder(db_session):
    f = make_flux()
    assert own_share(f.bailleur.id, "45", 2026) == 45.0
    other = OrganisationFactory(reservataire=True, reservataire_kind="etat_agents")
    c = create_convention(f.bailleur, other, _values(share_percent=5.0, scope_typologies=["T2"]))
    assert (c.version, c.scope_typologies) == (1, ["T2"])
    assert own_share(f.bailleur.id, "45", 2026) == 40.0


def test_an_edit_keeps_the_terms_in_force_as_an_earlier_version(db_session):
    f = make_flux()
    convention = f.conventions["etat"]
    offre = f.vacancy()
    event = confirm(offre, TODAY, chosen=f.etat.slug, override_reason="avant la modification")
    actor = UserFactory(role="bailleur", organisation=f.bailleur)
    changed = update_convention(convention, _values(share_percent=28.0, designation_delay_days=20),
                                actor=actor, note="avenant n° 1")
    assert changed and convention.version == 2
    [current, earlier] = versions(convention)
    assert (current.version, current.share_percent) == (2, 28.0)
    assert (earlier.version, earlier.share_percent, earlier.designation_delay_days) == (1, 25.0, 30)
    assert earlier.change_note == "avenant n° 1"
    # The orientation still names the version it applied.
    assert event.details["convention_version"] == 1
    assert update_convention(convention, _values(share_percent=28.0, designation_delay_days=20)) \
        is False
    assert db.session.scalar(select(ConventionVersion.version)
                             .where(ConventionVersion.convention_id == convention.id)) == 1


def test_an_edit_that_breaks_a_cap_changes_nothing(db_session):
    f = make_flux()
    convention = f.conventions["etat"]
    with pytest.raises(ConventionRefused):
        update_convention(convention, _values(share_percent=31.0))
    assert (convention.version, convention.share_percent) == (1, 25.0)


@pytest.mark.parametrize("fmt, export", [("csv", export_csv), ("jsonl", export_jsonl)])
def test_the_export_round_trips_through_the_import(db_session, fmt, export):
    f = make_flux(scoped=True)
    f.conventions["al"].scope_typologies = ["T2", "T3"]
    f.conventions["al"].scope_qpv = False
    db.session.flush()
    stored = sorted(Convention.query.filter_by(bailleur_id=f.bailleur.id), key=lambda c: c.ref)
    before = [convention_record(c) for c in stored]
    text = export(stored)
    for c in stored:
        db.session.delete(c)
    db.session.flush()
    report = import_conventions(io.StringIO(text, newline=""), fmt, bailleur=f.bailleur)
    assert report.ok, report.errors
    again = sorted(Convention.query.filter_by(bailleur_id=f.bailleur.id), key=lambda c: c.ref)
    assert [convention_record(c) for c in again] == before
    assert any(r.scope.typologies == ("T2", "T3") and r.scope.qpv is False for r in before)
    assert any(r.scope.communes for r in before)


def test_the_import_reports_caps_scopes_duplicates_and_other_bailleurs_by_line(db_session):
    f = make_flux()
    other_bailleur = OrganisationFactory()
    agents = OrganisationFactory(reservataire=True, reservataire_kind="etat_agents")
    lines = [
        # line 1: the État's share would reach 25 + 6 = 31 % with the agents' one
        {"id": "N-1", "bailleur": f.bailleur.slug, "reservataire": agents.slug,
         "reservataire_kind": "etat_agents", "departement": "45", "year": 2026,
         "share_percent": 6},
        {"id": "N-2", "bailleur": f.bailleur.slug, "reservataire": f.etat.slug,
         "reservataire_kind": "etat", "departement": "45", "year": 2026, "share_percent": 1},
        {"id": "N-3", "bailleur": other_bailleur.slug, "reservataire": agents.slug,
         "reservataire_kind": "etat_agents", "departement": "45", "year": 2026,
         "share_percent": 1, "scope": {"communes": ["99999"]}},
    ]
    text = "".join(json.dumps(line) + "\n" for line in lines)
    report = import_conventions(io.StringIO(text), "jsonl", bailleur=f.bailleur)
    assert not report.ok
    assert [(e.line, e.path) for e in report.errors] == [(3, "bailleur")]
    report = import_conventions(io.StringIO(text), "jsonl")
    paths = {(e.line, e.path) for e in report.errors}
    assert (2, "reservataire") in paths  # a convention État × bailleur exists for 2026
    assert (3, "scope.communes[0]") in paths
    report = import_conventions(io.StringIO(json.dumps(lines[0]) + "\n"), "jsonl")
    assert {(e.line, e.path) for e in report.errors} == {(1, "share_percent")}
    assert any("30 %" in e.reason for e in report.errors)
    assert Convention.query.filter_by(ref="N-1").first() is None
