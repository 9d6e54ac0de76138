"""Password change (/compte/mot-de-passe) and requester self-registration (/inscription)."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from app import mail
from app.accounts import services
from app.accounts.models import User
from app.accounts.passwords import password_problems, verify_password
from app.audit.models import AuditEvent
from tests.factories import DEFAULT_PASSWORD, UserFactory

COOKIE = "cotaflux_session"
TOKEN = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
NEW_PASSWORD = "trois pommes vertes sur la table"



def csrf_token(client, url: str) -> str:
    page = client.get(url, follow_redirects=True).get_data(as_text=True)
    return TOKEN.search(page).group(1)


def sign_in(client, email: str, password: str = DEFAULT_PASSWORD):
    data = {"email": email, "password": password, "csrf_token": csrf_token(client, "/connexion")}
    return client.post("/connexion", data=data)


def change_password(
    client,
    current: str = DEFAULT_PASSWORD,
    new: str = NEW_PASSWORD,
    confirmation: str | None = None,
):
    data = {
        "current_password": current,
        "new_password": new,
        "confirmation": new if confirmation is None else confirmation,
        "csrf_token": csrf_token(client, "/compte/mot-de-passe"),
    }
    return client.post("/compte/mot-de-passe", data=data)


def register(client, **fields):
    data = {
        "full_name": "Camille Martin",
        "email": "camille.martin@example.org",
        "new_password": NEW_PASSWORD,
        "confirmation": fields.get("new_password", NEW_PASSWORD),
        "accept_terms": "y",
        "csrf_token": csrf_token(client, "/inscription"),
    }
    data.update(fields)
    return client.post("/inscription", data={k: v for k, v in data.items() if v is not None})


def field_errors(page: str, field_id: str) -> list[str]:
    """The messages shown next to one field (the _form.html field macro)."""
    found = re.findall(rf'<p class="field-error" id="{field_id}-error[^"]*">(.*?)</p>', page, re.S)
    return [
        html.unescape(re.sub(r"<[^>]+>", "", text))
        .replace("Erreur : ", "")
        .replace("⚠", "")
        .strip()
        for text in found
    ]


def summary(page: str) -> str:
    match = re.search(r'<div class="error-summary".*?</div>', page, re.S)
    return html.unescape(match.group(0)) if match else ""


def users_count(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(User))


def actions(db_session) -> list[str]:
    return list(db_session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


# --- password policy (unit level, no HTTP) ----------------------------------------------


@pytest.mark.parametrize(
    "password, email, reason",
    [
        ("court", None, "au moins 12 caractères"),
        ("motdepasse123", None, "les plus courants"),  # common French password + digits
        ("Azertyuiop!!", None, "les plus courants"),  # common, whatever the case and symbols
        ("123456789012", None, "les plus courants"),  # digits in a row
        ("password1234", None, "les plus courants"),
        ("abcabcabcabcabc", None, "répétition"),  # one short pattern repeated
        ("camille.martin 2026 !", "Camille.Martin@example.org", "adresse électronique"),
    ],
)
def test_password_policy_refuses(password, email, reason):
    problems = password_problems(password, email=email)
    assert any(reason in problem for problem in problems), problems


@pytest.mark.parametrize(
    "password",
    [
        NEW_PASSWORD,  # a passphrase
        "Lq8#vT2!mZ9@",  # 12 random characters
        "le chat de camille dort",  # a first name inside is fine when it is not the e-mail's
    ],
)
def test_password_policy_accepts(password):
    assert password_problems(password, email="agent.dupont@example.org") == []


# --- password change --------------------------------------------------------------------


def test_password_change_requires_sign_in(client):
    response = client.get("/compte/mot-de-passe")
    assert response.status_code == 302 and response.headers["Location"].startswith("/connexion")


def test_password_change_ends_the_other_sessions_and_keeps_this_one(app, client, db_session):
    user = UserFactory(email="agent@example.org", role="demandeur")
    elsewhere = app.test_client()  # the same user on another device
    sign_in(client, user.email)
    sign_in(elsewhere, user.email)
    captured = client.get_cookie(COOKIE).value
    assert elsewhere.get("/mon-espace").status_code == 200

    response = change_password(client)

    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "Votre mot de passe a été modifié" in page  # this session goes on, with a message
    assert client.get("/mon-espace").status_code == 200
    refused = elsewhere.get("/mon-espace")  # the other session is over
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/connexion")
    replay = app.test_client()  # and so is a copy of this session's cookie from before
    replay.set_cookie(COOKIE, captured)
    assert replay.get("/mon-espace").status_code == 302

    stored = db_session.get(User, user.id)
    db_session.refresh(stored)
    assert stored.password_hash.startswith("$argon2id$")
    assert verify_password(stored.password_hash, NEW_PASSWORD)
    assert stored.password_changed_at is not None
    assert actions(db_session)[-1] == "auth.password_changed"
    fresh = app.test_client()
    assert sign_in(fresh, user.email, DEFAULT_PASSWORD).status_code == 200  # old one refused
    assert sign_in(fresh, user.email, NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    "form, field, message",
    [
        ({"new": "trop court"}, "new_password", "au moins 12 caractères"),
        ({"new": "motdepasse123"}, "new_password", "mots de passe les plus courants"),
        ({"new": "azertyuiop2026"}, "new_password", "mots de passe les plus courants"),
        ({"new": "agent.dupont est là"}, "new_password", "votre adresse électronique"),
        ({"confirmation": "autre chose encore"}, "confirmation", "ne sont pas identiques"),
        ({"new": DEFAULT_PASSWORD}, "new_password", "différent de l'actuel"),
        ({"current": "pas le bon mot de passe"}, "current_password", "actuel est incorrect"),
        ({"current": ""}, "current_password", "Indiquez votre mot de passe actuel"),
    ],
)
def test_password_change_errors_are_next_to_the_field_and_summarised(
    client, db_session, form, field, message
):
    user = UserFactory(email="agent.dupont@example.org")
    sign_in(client, user.email)
    before = user.password_hash

    response = change_password(client, **form)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert any(message in error for error in field_errors(page, field)), field_errors(page, field)
    assert message in summary(page) and f'href="#{field}"' in summary(page)
    db_session.refresh(user)
    assert user.password_hash == before
    assert client.get("/mon-espace").status_code == 200  # a refusal does not sign out


def test_wrong_current_passwords_are_throttled_like_sign_in(client, db_session):
    user = UserFactory()
    sign_in(client, user.email)
    for _ in range(5):
        assert change_password(client, current="pas le bon").status_code == 422

    response = change_password(client)  # right current password, but too many failures

    assert response.status_code == 429
    assert "Trop de tentatives" in response.get_data(as_text=True)
    assert actions(db_session).count("auth.password_change_failed") == 5
    db_session.refresh(user)
    assert not verify_password(user.password_hash, NEW_PASSWORD)


# --- registration -----------------------------------------------------------------------


CONFIRMATION = "Si cette adresse peut être utilisée, un message vous a été envoyé."


@pytest.fixture
def mail_outbox(app):
    """The messages the "log" mail backend of the test configuration sent during the test."""
    assert app.config["MAIL_BACKEND"] == "log"
    mail.clear_outbox()
    yield mail.outbox()
    mail.clear_outbox()


def test_registration_creates_a_requester_with_an_argon2id_hash_who_can_sign_in(
    client, db_session, mail_outbox
):
    response = register(client, email="  Camille.Martin@Example.ORG ")

    assert response.status_code == 200
    assert CONFIRMATION in response.get_data(as_text=True)
    user = db_session.scalar(select(User).where(User.email == "camille.martin@example.org"))
    assert user.role == "demandeur" and user.full_name == "Camille Martin"
    assert user.membership is None
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password(user.password_hash, NEW_PASSWORD)
    assert actions(db_session) == ["auth.register"]
    event = db_session.scalar(select(AuditEvent))
    assert event.actor_id == user.id and event.entity_id == str(user.id)
    [welcome] = mail_outbox
    assert welcome.to == "camille.martin@example.org"
    assert "Votre compte demandeur est créé" in welcome.body
    assert "http://localhost/connexion" in welcome.body
    # Not signed in by the registration (see test_registration_answers_the_same_...);
    # the account works with the chosen password.
    assert client.get("/mon-espace").status_code == 302
    assert sign_in(client, "camille.martin@example.org", NEW_PASSWORD).status_code == 302
    assert "Camille Martin" in client.get("/mon-espace").get_data(as_text=True)


@pytest.mark.parametrize("typed", ["agent@example.org", "AGENT@Example.org"])  # any case
def test_an_address_in_use_gets_no_account_and_its_owner_is_told_by_mail(
    client, db_session, mail_outbox, typed
):
    owner = UserFactory(email="agent@example.org", role="bailleur")
    before = users_count(db_session)

    response = register(client, email=typed)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert CONFIRMATION in page and "existe déjà" not in page
    assert users_count(db_session) == before
    assert actions(db_session) == ["auth.register_existing"]
    assert db_session.scalar(select(AuditEvent)).entity_id == str(owner.id)
    [notice] = mail_outbox
    assert notice.to == "agent@example.org"
    assert "Un compte existe déjà avec cette adresse" in notice.body
    assert "votre compte n'a pas été modifié" in notice.body
    db_session.refresh(owner)
    assert verify_password(owner.password_hash, DEFAULT_PASSWORD)  # the password is unchanged
    assert client.get("/mon-espace").status_code == 302  # not signed in


def test_registration_answers_the_same_bytes_for_a_new_and_a_used_address(
    app, db_session, mail_outbox
):
    UserFactory(email="agent@example.org", role="bailleur")

    answers = []
    for email in ("nouvelle.personne@example.org", "agent@example.org"):
        client = app.test_client()  # a fresh visitor each time
        response = register(client, email=email)
        answers.append((response.status_code, TOKEN.sub("", response.get_data(as_text=True)),
                        response.headers.get("Location")))

    assert answers[0] == answers[1]
    assert answers[0][0] == 200 and CONFIRMATION in answers[0][1]
    assert [m.to for m in mail_outbox] == ["nouvelle.personne@example.org", "agent@example.org"]


def test_a_mail_server_failure_changes_neither_the_answer_nor_the_account(
    client, db_session, monkeypatch, app, caplog
):
    # A real SMTP attempt to a port where nothing listens: refused at once.
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", 1)

    response = register(client)

    assert response.status_code == 200
    assert CONFIRMATION in response.get_data(as_text=True)
    assert users_count(db_session) == 1
    assert "registration mail not sent" in caplog.text


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"new_password": "motdepasse123"}, "new_password", "mots de passe les plus courants"),
        ({"new_password": "court"}, "new_password", "au moins 12 caractères"),
        ({"new_password": "camille.martin!!"}, "new_password", "votre adresse électronique"),
        ({"confirmation": "une autre phrase"}, "confirmation", "ne sont pas identiques"),
        ({"accept_terms": None}, "accept_terms", "accepter les conditions"),
        ({"full_name": "   "}, "full_name", "Indiquez votre nom"),
        ({"email": "pas-une-adresse"}, "email", "Adresse électronique invalide"),
    ],
)
def test_registration_errors_are_clear_and_nothing_is_saved(
    client, db_session, fields, field, message
):
    response = register(client, **fields)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert any(message in error for error in field_errors(page, field)), field_errors(page, field)
    assert message in summary(page)
    assert users_count(db_session) == 0 and actions(db_session) == []


def test_registration_saves_nothing_when_it_fails_after_the_insert(client, db_session, monkeypatch):
    def broken_audit(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(services, "record", broken_audit)
    with pytest.raises(RuntimeError, match="audit store unavailable"):
        register(client)

    assert users_count(db_session) == 0


def test_simultaneous_registration_is_decided_by_the_unique_index(app, db_session, monkeypatch):
    # Both requests passed the duplicate check; the second insert hits the unique index.
    UserFactory(email="camille.martin@example.org")
    monkeypatch.setattr(services, "existing_account", lambda email: None)

    with app.test_request_context(), pytest.raises(services.EmailTaken):
        services.register_requester("Camille Martin", "camille.martin@example.org", NEW_PASSWORD)

    assert users_count(db_session) == 1  # and the session is still usable afterwards


def test_signed_in_users_are_sent_home_from_the_registration_page(client):
    user = UserFactory()
    sign_in(client, user.email)
    response = client.get("/inscription")
    assert response.status_code == 302 and response.headers["Location"] == "/"
