"""Session loading with revocable tokens, cross-site refusal, and HTTP security headers."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, current_app, jsonify, render_template, request, session
from flask_login import user_logged_out
from flask_wtf.csrf import CSRFError
from werkzeug.middleware.proxy_fix import ProxyFix

from app.extensions import db, login_manager
from app.inputs import parse_id, quote_prefix

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


@login_manager.user_loader
def load_user(session_id: str):
    """Resolve ``<id>:<token>``; a token rotated by logout or password change is refused."""
    from app.accounts.models import User

    user_id, _, token = session_id.partition(":")
    user_key = parse_id(user_id)
    if user_key is None or not token:
        return None
    user = db.session.get(User, user_key)
    if user is None or not user.is_enabled or user.session_token != token:
        return None
    return user


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CROSS_SITE_DETAIL = (
    "Cette action a été envoyée depuis un autre site : elle est refusée par sécurité."
)


def cross_site_request() -> bool:
    """Does a browser say this state-changing request comes from another site?

    ``Sec-Fetch-Site: cross-site``, or an ``Origin`` other than this site's (``null``
    included: sandboxed or opaque origins). Absent headers pass: non-browser clients and
    older browsers send neither, and the CSRF token still protects the forms.
    Behind a reverse proxy, the proxy must pass the public ``Host`` header through (nginx:
    ``proxy_set_header Host $host``), or every browser POST looks cross-origin.
    """
    if request.method in SAFE_METHODS:
        return False
    if request.headers.get("Sec-Fetch-Site", "").strip().lower() == "cross-site":
        return True
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    parts = urlsplit(origin.strip())
    if not parts.scheme or not parts.netloc:
        return True  # "null" or malformed
    return _origin(parts.scheme, parts.netloc) != _origin(request.scheme, request.host)


def _origin(scheme: str, host: str) -> tuple[str, str]:
    """(scheme, host) compared case-insensitively, the scheme's default port left out."""
    scheme, host = scheme.lower(), host.lower()
    default = {"http": ":80", "https": ":443"}.get(scheme)
    if default and host.endswith(default):
        host = host.removesuffix(default)
    return scheme, host


def _refuse_cross_site():
    if not cross_site_request():
        return None
    current_app.logger.info("cross-site %s %s refused (Origin %r, Sec-Fetch-Site %r)",
                            request.method, quote_prefix(request.path, 100),
                            quote_prefix(request.headers.get("Origin"), 100),
                            quote_prefix(request.headers.get("Sec-Fetch-Site"), 40))
    if request.path.startswith("/api/"):
        response = jsonify({"type": "about:blank", "title": "Forbidden", "status": 403,
                            "detail": CROSS_SITE_DETAIL})
        response.status_code = 403
        response.mimetype = "application/problem+json"
        return response
    return render_template("auth/cross_site.html"), 403


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

    # First of all before_request hooks, ahead of the CSRF check (registered by
    # csrf.init_app): a cross-site request is a 403 whatever its token.
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_cross_site)

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
