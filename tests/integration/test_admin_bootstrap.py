"""A real deployment starts from the command line: organisations, staff accounts, communes."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from app.accounts.bootstrap import AdminError, create_organisation, create_user
from app.accounts.models import User
from app.accounts.passwords import verify_password
from app.extensions import db
from app.territoire.models import Commune
from app.territoire.services import import_communes
from tests.factories import CommuneFactory, OrganisationFactory

GOOD_PASSWORD = "lune verte sur la Loire 2026"


def test_staff_account_joins_an_organisation_of_its_kind(db_session):
    create_organisation("habitat-loiret", "Habitat Loiret", "bailleur", siren="123456789")
    user = create_user("Agent@Example.org", "Agent Un", "bailleur", GOOD_PASSWORD,
                       organisation_slug="habitat-loiret")
    assert user.email == "agent@example.org"
    assert user.organisation.slug == "habitat-loiret"
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password(user.password_hash, GOOD_PASSWORD)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"role": "bailleur", "organisation_slug": "metropole"}, "organisation de type bailleur"),
        ({"role": "bailleur", "organisation_slug": None}, "Organisation inconnue"),
        ({"role": "demandeur", "organisation_slug": "metropole"}, "aucune organisation"),
        ({"role": "epci", "organisation_slug": "metropole", "password": "azertyuiop12"},
         "plus courants"),
        ({"role": "chef", "organisation_slug": "metropole"}, "Rôle inconnu"),
    ],
)
def test_refused_accounts_say_why_and_create_nothing(db_session, kwargs, message):
    OrganisationFactory(slug="metropole", kind="epci")
    password = kwargs.pop("password", GOOD_PASSWORD)
    with pytest.raises(AdminError, match=message):
        create_user("x@example.org", "X", password=password, **kwargs)
    assert db.session.scalar(select(User).where(User.email == "x@example.org")) is None


def test_duplicate_organisation_and_account_are_refused(db_session):
    create_organisation("etat-45", "Préfecture du Loiret", "reservataire", reservataire_kind="etat")
    with pytest.raises(AdminError, match="déjà"):
        create_organisation("etat-45", "Autre", "reservataire", reservataire_kind="etat")
    with pytest.raises(AdminError, match="type de réservataire"):
        create_organisation("al", "Action Logement", "reservataire")
    create_user("a@example.org", "A", "reservataire", GOOD_PASSWORD, organisation_slug="etat-45")
    with pytest.raises(AdminError, match="existe déjà"):
        create_user("A@example.org", "A", "reservataire", GOOD_PASSWORD, organisation_slug="etat-45")


def test_communes_import_all_or_nothing(db_session):
    OrganisationFactory(slug="orleans-metropole", kind="epci")
    CommuneFactory(insee="45234", name="Orléans (ancien nom)")
    bad = ("insee,name,departement,zone,epci\n"
           "45234,Orléans,45,autres_regions,orleans-metropole\n"
           "4528,Saint-Jean-de-Braye,45,autres_regions,orleans-metropole\n"
           "45284,Saint-Jean-de-Braye,45,lune,orleans-metropole\n")
    report = import_communes(io.StringIO(bad))
    assert [(e.line, e.path) for e in report.errors] == [(3, "insee"), (4, "zone")]
    assert db.session.get(Commune, "45234").name == "Orléans (ancien nom)"  # nothing written
    good = ("insee,name,departement,zone,epci\n"
            "45234,Orléans,45,autres_regions,orleans-metropole\n"
            "45284,Saint-Jean-de-Braye,45,autres_regions,orleans-metropole\n")
    report = import_communes(io.StringIO(good))
    assert (report.created, report.updated, report.errors) == (1, 1, [])
    assert db.session.get(Commune, "45234").name == "Orléans"
    assert db.session.get(Commune, "45284").epci.slug == "orleans-metropole"


def test_bootstrap_commands_end_to_end(app, db_session, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["organisations", "create", "--slug", "cotaflux", "--name",
                                 "Opérateur", "--kind", "operateur"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "create", "--email", "admin@example.org", "--name",
                                 "Admin", "--role", "admin", "--organisation", "cotaflux",
                                 "--password-stdin"], input=GOOD_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "Compte créé : admin@example.org" in result.output
    weak = runner.invoke(args=["users", "create", "--email", "b@example.org", "--name", "B",
                               "--role", "admin", "--organisation", "cotaflux", "--password-stdin"],
                         input="court\n")
    assert weak.exit_code == 1 and "au moins 12 caractères" in weak.output
    communes = tmp_path / "communes.csv"
    communes.write_text("insee,name,departement,zone,epci\n45234,Orléans,45,autres_regions,\n",
                        encoding="utf-8")
    result = runner.invoke(args=["import", "communes", str(communes)])
    assert result.exit_code == 0 and "1 commune(s) créée(s)" in result.output
