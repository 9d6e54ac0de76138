"""API v1 (JSON, problem+json errors). Token authentication comes with the API issue."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from app.accounts.access import public
from app.extensions import db

bp = Blueprint("api", __name__)


@bp.route("/health")
@public
def health():
    db.session.execute(text("SELECT 1"))
    return jsonify({"status": "ok"})
