"""Route classification: every endpoint declares who may use it, and nothing else passes.

``@public`` for pages anyone may see, ``@roles_required("bailleur", ...)`` for the rest.
A request to an endpoint that was never classified is refused (deny by default), and a test
walks ``app.url_map`` so that such a route cannot be merged.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from flask import Flask, abort, request
from flask_login import current_user

from app.accounts.models import ROLES

F = TypeVar("F", bound=Callable)

PUBLIC = "public"
AUTHENTICATED = "authenticated"
ACCESS_ATTR = "cotaflux_access"


def public(view: F) -> F:
    """Mark a view as open to anonymous visitors."""
    setattr(view, ACCESS_ATTR, frozenset({PUBLIC}))
    return view


def login_required(view: F) -> F:
    """Any signed-in user, whatever the role (home, logout, password change)."""
    setattr(view, ACCESS_ATTR, frozenset({AUTHENTICATED}))
    return view


def roles_required(*roles: str) -> Callable[[F], F]:
    """Restrict a view to users holding one of these roles."""
    unknown = set(roles) - set(ROLES)
    if unknown or not roles:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    def decorate(view: F) -> F:
        setattr(view, ACCESS_ATTR, frozenset(roles))
        return view

    return decorate


def access_of(view: Callable | None) -> frozenset[str] | None:
    """The access classification of a view function, or None if unclassified."""
    if view is None:
        return None
    # Unwrap decorators that used functools.wraps.
    while view is not None and not hasattr(view, ACCESS_ATTR) and hasattr(view, "__wrapped__"):
        view = view.__wrapped__
    return getattr(view, ACCESS_ATTR, None)


def install_access_control(app: Flask) -> None:
    """Enforce the classification on every request (deny by default)."""

    @app.before_request
    def _enforce_access():
        if request.endpoint is None:  # 404/405: let Flask answer
            return None
        if request.endpoint == "static":
            return None
        access = access_of(app.view_functions.get(request.endpoint))
        if access is None:
            app.logger.error("unclassified endpoint %s refused", request.endpoint)
            abort(403)
        if PUBLIC in access:
            return None
        if not current_user.is_authenticated:
            return app.login_manager.unauthorized()
        if AUTHENTICATED in access or current_user.role in access:
            return None
        abort(403)


def wraps_access(view: F) -> Callable[[F], F]:
    """functools.wraps that keeps the access classification (for further decorators)."""

    def deco(wrapper: F) -> F:
        wrapper = wraps(view)(wrapper)
        if hasattr(view, ACCESS_ATTR):
            setattr(wrapper, ACCESS_ATTR, getattr(view, ACCESS_ATTR))
        return wrapper

    return deco
