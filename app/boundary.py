"""The request boundary: one commit per request by an explicit rule, rollback otherwise.

Services flush and never commit; the boundary decides once, after the view has answered
(indico's ``RH.commit`` flag, cosmicpython's unit of work). The rule belongs to the view, not
to a guess from the status code:

- ``ON_SUCCESS`` (the default): commit a 2xx/3xx answer; an error answer rolls back, so a
  business operation succeeds entirely or not at all (a refused form answers 422 and nothing
  of it is kept);
- ``ALWAYS``: commit whatever the view answered, for views whose refusal is itself a record
  that must stay (a failed sign-in feeds throttling and the audit trail);
- ``NEVER``: roll back even a successful answer (read-only views).

An unhandled exception always rolls back. Files uploaded during a request that rolls back are
deleted with it (``app.uploads``), so no file outlives the rows that would have named it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, Response, current_app, request

from app import uploads
from app.extensions import db

ON_SUCCESS = "on_success"
ALWAYS = "always"
NEVER = "never"
RULES = (ON_SUCCESS, ALWAYS, NEVER)

F = TypeVar("F", bound=Callable)


def commit_rule(rule: str) -> Callable[[F], F]:
    """Set the commit rule of a view (see the module docstring)."""
    if rule not in RULES:
        raise ValueError(f"unknown commit rule {rule!r}")

    def decorate(view: F) -> F:
        view.commit_rule = rule  # type: ignore[attr-defined]
        return view

    return decorate


def rule_of_request() -> str:
    """The commit rule of the view serving this request (ON_SUCCESS when none is set)."""
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "commit_rule", ON_SUCCESS)


def should_commit(rule: str, status: int) -> bool:
    if status >= 500:
        return False
    if rule == ALWAYS:
        return True
    if rule == NEVER:
        return False
    return status < 400


def install_boundary(app: Flask) -> None:
    @app.after_request
    def _end_unit_of_work(response: Response) -> Response:
        # Commit once, before the response leaves, so a failed commit is still a 500.
        if should_commit(rule_of_request(), response.status_code):
            db.session.commit()
            uploads.keep_committed()
        else:
            db.session.rollback()
            uploads.discard_uncommitted()
        return response

    @app.teardown_request
    def _rollback_on_exception(exc: BaseException | None) -> None:
        if exc is not None:
            db.session.rollback()
        # Files stored by a request that did not commit (an exception, an error page).
        uploads.discard_uncommitted()
