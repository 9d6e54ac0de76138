"""Session loading with revocable tokens, and HTTP security headers."""

from __future__ import annotations

from flask import Flask, Response, render_template, session
from flask_login import user_logged_out
from flask_wtf.csrf import CSRFError
from werkzeug.middleware.proxy_fix import ProxyFix

from app.extensions import db, login_manager

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


@login_manager.user_loader
def load_user(session_id: str):
    """Resolve ``<id>:<token>``; a token rotated by logout or password change is refused."""
    from app.accounts.models import User

    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_enabled or user.session_token != token:
        return None
    return user


def install_security(app: Flask) -> None:
    proxies = app.config.get("PROXY_FIX_X_FOR", 0)
    if proxies:
        # The client address (login throttling, audit) and the scheme come from the proxies'
        # X-Forwarded-* headers, trusting only the last ``proxies`` hops.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)

    login_manager.login_view = "auth.login"
    login_manager.login_message = "Connectez-vous pour accéder à cette page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @user_logged_out.connect_via(app)
    def _clear(sender, user, **extra):
        session.clear()

    @app.errorhandler(CSRFError)
    def _csrf_error(err: CSRFError):
        # A missing or stale token (form kept open across a logout, or a forged request):
        # a French page with a way back, never a 500. Nothing of the request is kept.
        db.session.rollback()
        app.logger.info("CSRF refused: %s", err.description)
        return render_template("auth/csrf_error.html"), 400

    @app.after_request
    def _headers(response: Response) -> Response:
        if app.config.get("SECURITY_HEADERS", True):
            response.headers.setdefault("Content-Security-Policy", CSP)
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers.setdefault("Referrer-Policy", "same-origin")
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault(
                "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
            )
            if app.config.get("SESSION_COOKIE_SECURE"):
                response.headers.setdefault(
                    "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
                )
        # Pages with personal data must not be kept by shared caches or the back button.
        response.headers.setdefault("Cache-Control", "no-store")
        return response
