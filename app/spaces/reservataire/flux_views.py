"""Gestion en flux in the réservataire's space: its share with every bailleur (realised vs
objective, from the ledger) and the dwellings oriented to it with the days left before the
bailleur takes them back."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.accounts.access import roles_required
from app.boundary import NEVER, commit_rule
from app.clock import platform_today
from app.extensions import db
from app.flux.models import Convention
from app.flux.queries import days_left, offers_oriented_to, progress_of
from app.spaces.reservataire.views import bp


@bp.route("/flux")
@roles_required("reservataire")
@commit_rule(NEVER)
def flux():
    today = platform_today()
    conventions = list(db.session.scalars(
        select(Convention).options(joinedload(Convention.bailleur))
        .where(Convention.reservataire_id == current_user.organisation_id)
        .order_by(Convention.year.desc(), Convention.departement, Convention.id)
    ))
    offres = offers_oriented_to(current_user.organisation_id)
    return render_template("reservataire/flux.html", today=today,
                           progress=progress_of(conventions, today),
                           rows=[(o, days_left(o, today)) for o in offres])
