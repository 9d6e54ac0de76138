"""The request boundary commits by each view's explicit rule, and rolls back otherwise."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.accounts.models import LoginAttempt, User
from app.boundary import ALWAYS, NEVER, ON_SUCCESS, commit_rule, should_commit
from tests.factories import UserFactory
from tests.functional.sessions import CSRF, login


@pytest.mark.parametrize(
    ("rule", "status", "commits"),
    [
        (ON_SUCCESS, 200, True),   # a page or a saved form
        (ON_SUCCESS, 302, True),   # post/redirect/get
        (ON_SUCCESS, 422, False),  # a refused form keeps nothing
        (ON_SUCCESS, 404, False),
        (ALWAYS, 401, True),       # a refused sign-in keeps its bookkeeping
        (ALWAYS, 429, True),
        (ALWAYS, 500, False),      # never commit a server error
        (NEVER, 200, False),       # read-only views
    ],
)
def test_commit_follows_the_rule_and_the_status(rule, status, commits):
    assert should_commit(rule, status) is commits


def test_an_unknown_rule_is_refused_when_the_view_is_declared():
    with pytest.raises(ValueError):
        commit_rule("sometimes")


def test_sign_in_declares_that_its_refusals_are_kept(app):
    assert app.view_functions["auth.login"].commit_rule == ALWAYS
    assert app.view_functions["auth.change_password"].commit_rule == ALWAYS


def test_a_refused_password_change_keeps_its_failed_attempt(client, db_session):
    # The wrong current password answers 422, yet the failure must stay on record: it counts
    # towards throttling. The view says so with its rule; it does not commit by itself.
    user = UserFactory()
    login(client, user)
    page = client.get("/compte/mot-de-passe").get_data(as_text=True)
    response = client.post("/compte/mot-de-passe", data={
        "csrf_token": CSRF.search(page).group(1), "current_password": "not the password at all",
        "new_password": "Une phrase de passe assez longue 42", "confirmation":
        "Une phrase de passe assez longue 42",
    })
    assert response.status_code == 422
    assert db_session.scalar(select(func.count(LoginAttempt.id))) == 1


def test_a_refused_form_keeps_nothing(client, db_session):
    # Registration refuses a weak password with 422: no account is half-created.
    page = client.get("/inscription").get_data(as_text=True)
    response = client.post("/inscription", data={
        "csrf_token": CSRF.search(page).group(1), "full_name": "Camille Test",
        "email": "camille@example.org", "new_password": "short", "confirmation": "short",
        "accept_terms": "y",
    })
    assert response.status_code == 422
    assert db_session.scalar(select(User).where(User.email == "camille@example.org")) is None
