"""Sign-in: throttling, CSRF, session end and expiry, argon2id rehash, audit trail."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import itsdangerous.timed
import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select, update

from app.accounts.models import LoginAttempt, User
from app.accounts.passwords import needs_rehash, verify_password
from app.audit.models import AuditEvent
from app.columns import utcnow
from tests.factories import DEFAULT_PASSWORD, UserFactory

COOKIE = "cotaflux_session"
TOKEN = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
THROTTLED = "Trop de tentatives de connexion échouées"



def csrf_token(client, url: str = "/connexion") -> str:
    page = client.get(url, follow_redirects=True).get_data(as_text=True)
    return TOKEN.search(page).group(1)


def post_login(client, email: str, password: str = DEFAULT_PASSWORD, **kwargs):
    token = csrf_token(client)
    return client.post(
        "/connexion", data={"email": email, "password": password, "csrf_token": token}, **kwargs
    )


def logout(client):
    token = csrf_token(client, "/")
    return client.post("/deconnexion", data={"csrf_token": token})


def audit_actions(db_session) -> list[str]:
    return list(db_session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def age_attempts(db_session, app) -> None:
    """Move every failed attempt just outside the throttling window."""
    past = utcnow() - timedelta(seconds=app.config["LOGIN_WINDOW_SECONDS"] + 1)
    db_session.execute(update(LoginAttempt).values(attempted_at=past))
    db_session.flush()


# --- throttling -------------------------------------------------------------------------


def test_sixth_attempt_is_refused_even_with_the_right_password_until_the_window_passes(
    client, app, db_session
):
    user = UserFactory(email="camille@example.org")
    assert app.config["LOGIN_MAX_ATTEMPTS"] == 5
    for _ in range(5):
        response = post_login(client, user.email, "mauvais mot de passe")
        assert response.status_code == 200
        assert "Adresse électronique ou mot de passe incorrect." in response.get_data(as_text=True)

    response = post_login(client, user.email, DEFAULT_PASSWORD)

    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert THROTTLED in page and "réessayez dans 15 minutes" in page
    assert int(response.headers["Retry-After"]) <= app.config["LOGIN_WINDOW_SECONDS"]
    # The page keeps the form, with the address typed and the message next to the field.
    assert '<form method="post"' in page and 'value="camille@example.org"' in page
    assert 'class="field-error" id="password-error"' in page and "error-summary" in page
    assert "_user_id" not in _session(client, app)
    assert "auth.login_throttled" in audit_actions(db_session)  # kept despite the 429

    age_attempts(db_session, app)
    response = post_login(client, user.email, DEFAULT_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/mon-espace").status_code == 200


def _session(client, app) -> dict:
    """The decoded session cookie of ``client``."""
    cookie = client.get_cookie(COOKIE)
    serializer = app.session_interface.get_signing_serializer(app)
    return serializer.loads(cookie.value) if cookie else {}


def test_throttling_counts_one_account_across_client_addresses(client):
    user = UserFactory()
    for n in range(5):
        post_login(client, user.email, "mauvais", environ_base={"REMOTE_ADDR": f"198.51.100.{n}"})

    response = post_login(client, user.email, environ_base={"REMOTE_ADDR": "192.0.2.77"})

    assert response.status_code == 429
    assert THROTTLED in response.get_data(as_text=True)


def test_throttling_counts_one_client_address_across_accounts(client, app, monkeypatch):
    # A "spray": one wrong password on each of many accounts, from one address.
    limit = 8
    assert limit > app.config["LOGIN_MAX_ATTEMPTS"]  # so the per-account count is not the cause
    monkeypatch.setitem(app.config, "LOGIN_MAX_ATTEMPTS_PER_CLIENT", limit)
    sprayer = {"REMOTE_ADDR": "203.0.113.9"}
    for victim in UserFactory.create_batch(limit):
        assert (
            post_login(client, victim.email, "Azerty123!", environ_base=sprayer).status_code == 200
        )
    bystander = UserFactory()

    refused = post_login(client, bystander.email, environ_base=sprayer)
    elsewhere = post_login(client, bystander.email, environ_base={"REMOTE_ADDR": "192.0.2.1"})

    assert refused.status_code == 429 and THROTTLED in refused.get_data(as_text=True)
    assert elsewhere.status_code == 302  # the account itself is not locked


def test_successful_login_resets_the_account_counter_only(client, db_session):
    user = UserFactory()
    other = UserFactory()
    post_login(client, other.email, "mauvais")
    for _ in range(4):
        post_login(client, user.email, "mauvais")
    assert post_login(client, user.email).status_code == 302
    logout(client)
    for _ in range(4):  # 8 failures in the window, but only 4 since the last success
        post_login(client, user.email, "mauvais")

    assert post_login(client, user.email).status_code == 302
    remaining = db_session.scalars(select(LoginAttempt.email_key)).all()
    assert remaining == [other.email]  # the address's failures on other accounts still count


def test_unknown_and_over_long_addresses_are_answered_like_wrong_passwords(client, db_session):
    long_email = "a" * 64 + "@" + "b" * 60 + "." + "c" * 60 + ".example.org"  # 198 characters
    for email in ("personne@example.org", long_email):
        response = post_login(client, email, "peu importe")
        assert response.status_code == 200
        assert "Adresse électronique ou mot de passe incorrect." in response.get_data(as_text=True)
    assert audit_actions(db_session).count("auth.login_failed") == 2


# --- CSRF -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, signed_in",
    [
        ("/connexion", False),  # login form posted without its token
        ("/deconnexion", False),  # logout by an anonymous visitor
        ("/deconnexion", True),  # forged logout of a signed-in user (cross-site form)
    ],
)
def test_post_without_csrf_token_gets_a_french_400_page(client, path, signed_in):
    user = UserFactory()
    if signed_in:
        post_login(client, user.email)

    response = client.post(path, data={"email": user.email, "password": DEFAULT_PASSWORD})

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Le formulaire a expiré" in page and "Rien n'a été enregistré" in page
    assert "CSRF" not in page
    if signed_in:
        assert client.get("/mon-espace").status_code == 200  # still signed in


def test_post_with_a_forged_csrf_token_is_refused(client):
    user = UserFactory()
    csrf_token(client)
    response = client.post(
        "/connexion",
        data={"email": user.email, "password": DEFAULT_PASSWORD, "csrf_token": "forged.token"},
    )
    assert response.status_code == 400
    assert "Le formulaire a expiré" in response.get_data(as_text=True)


# --- ending sessions --------------------------------------------------------------------


def test_logout_revokes_the_session_cookie_even_when_replayed(app, client):
    user = UserFactory()
    post_login(client, user.email)
    captured = client.get_cookie(COOKIE).value
    replay = app.test_client()
    replay.set_cookie(COOKIE, captured)
    assert replay.get("/mon-espace").status_code == 200  # the copy works before logout

    response = logout(client)
    assert response.status_code == 302 and response.headers["Location"] == "/connexion"

    for attacker in (replay, client):
        attacker.set_cookie(COOKIE, captured)
        response = attacker.get("/mon-espace")
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/connexion")


def test_login_starts_a_permanent_session_that_expires(app, client, monkeypatch):
    user = UserFactory()
    lifetime = app.permanent_session_lifetime
    assert lifetime == timedelta(seconds=app.config["PERMANENT_SESSION_LIFETIME"])

    response = post_login(client, user.email)

    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(COOKIE))
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1))
    assert abs(expires - (datetime.now(UTC) + lifetime)) < timedelta(minutes=1)
    assert _session(client, app)["_permanent"] is True
    assert client.get("/mon-espace").status_code == 200

    # Past the lifetime the server refuses the cookie itself (its signature carries the date),
    # whatever the browser does with Expires.
    real = itsdangerous.timed.TimestampSigner.get_timestamp
    monkeypatch.setattr(
        itsdangerous.timed.TimestampSigner,
        "get_timestamp",
        lambda self: real(self) + int(lifetime.total_seconds()) + 60,
    )
    response = client.get("/mon-espace")
    assert response.status_code == 302 and response.headers["Location"].startswith("/connexion")


def test_login_goes_back_to_the_requested_local_page_only(client):
    user = UserFactory()
    token = csrf_token(client)
    data = {"email": user.email, "password": DEFAULT_PASSWORD, "csrf_token": token}
    response = client.post("/connexion?next=/mon-espace", data=data)
    assert response.headers["Location"] == "/mon-espace"
    logout(client)
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:x"):
        data["csrf_token"] = csrf_token(client)
        response = client.post("/connexion", query_string={"next": target}, data=data)
        assert response.headers["Location"] == "/", target
        logout(client)


# --- password hashes --------------------------------------------------------------------


def test_login_rehashes_a_hash_made_with_weaker_parameters(client, db_session):
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    user = UserFactory(password_hash=weak.hash(DEFAULT_PASSWORD))
    assert needs_rehash(user.password_hash)

    assert post_login(client, user.email).status_code == 302

    stored = db_session.scalar(select(User.password_hash).where(User.id == user.id))
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert not needs_rehash(stored) and verify_password(stored, DEFAULT_PASSWORD)


def test_a_wrong_password_does_not_rehash(client, db_session):
    weak_hash = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("x" * 12)
    user = UserFactory(password_hash=weak_hash)
    post_login(client, user.email, "mauvais")
    assert db_session.scalar(select(User.password_hash).where(User.id == user.id)) == weak_hash


# --- audit trail ------------------------------------------------------------------------


def test_login_failed_login_and_logout_are_audited(client, db_session):
    user = UserFactory()
    post_login(client, user.email, "mauvais", environ_base={"REMOTE_ADDR": "192.0.2.10"})
    post_login(client, user.email, environ_base={"REMOTE_ADDR": "192.0.2.10"})
    logout(client)

    events = db_session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["auth.login_failed", "auth.login", "auth.logout"]
    failed, login, out = events
    assert failed.actor_id is None and failed.details == {"email": user.email}
    assert failed.entity_id == str(user.id) and failed.client == "192.0.2.10"
    assert login.actor_id == user.id and out.actor_id == user.id
    assert db_session.scalar(select(func.count()).select_from(LoginAttempt)) == 0
