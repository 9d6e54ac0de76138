"""Commission d'attribution: sessions, agenda, decisions per candidate, minutes (CCH R.441-3).

Routes on the cal blueprint: GET/POST /cal/sessions, GET /cal/sessions/<id>,
POST …/<id>/dossiers (agenda), POST …/<id>/decisions (one candidate's decision),
POST …/<id>/cloture (close; proposals go out), GET …/<id>/pv.pdf (procès-verbal).
A session of another bailleur answers 404.
"""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, url_for
from flask_login import current_user

from app.accounts.access import roles_required
from app.attribution import cal, conditions
from app.attribution.designation import designations
from app.attribution.queries import attributions_of, bailleur_offre, cal_session, cal_sessions
from app.attribution.services import AttributionError
from app.boundary import NEVER, commit_rule
from app.clock import platform_today
from app.demandes.models import Demande
from app.extensions import db
from app.pdf import render_pdf
from app.spaces.cal.views import bp
from app.spaces.dossier_forms import AgendaForm, DecisionForm, SessionForm, VersionedForm
from app.web import or_404


@bp.route("/sessions", methods=["GET", "POST"])
@roles_required("cal")
def sessions():
    form = SessionForm()
    if form.is_submitted():
        if form.validate():
            session = cal.create_session(current_user.organisation_id, form.held_on.data,
                                         form.location.data)
            flash("Séance créée.", "success")
            return redirect(url_for("cal.session", session_id=session.id))
        return render_template("cal/sessions.html", form=form,
                               sessions=cal_sessions(current_user)), 422
    return render_template("cal/sessions.html", form=form, sessions=cal_sessions(current_user))


def _dossiers(session):
    out = []
    for dossier in session.dossiers:
        offre = dossier.offre
        decisions = cal.current_decisions(session, offre)
        out.append({"dossier": dossier, "offre": offre, "designations": designations(offre),
                    "decisions": decisions, "history": cal.decision_history(session, offre),
                    "conditions": conditions.outcomes_for(d.id for d in decisions.values()),
                    "attributions": attributions_of(offre),
                    "view": cal.dossier_view(offre)})
    return out


def _page(session, *, agenda: AgendaForm | None = None, decision: DecisionForm | None = None,
          close: VersionedForm | None = None, status: int = 200):
    return render_template(
        "cal/session.html", session=session, dossiers=_dossiers(session),
        schedulable=cal.schedulable_offres(session.bailleur_id),
        agenda=agenda or AgendaForm(), decision=decision, close=close or VersionedForm(),
        blank=DecisionForm(formdata=None), today=platform_today(),
    ), status


@bp.route("/sessions/<int:session_id>")
@roles_required("cal")
def session(session_id: int):
    return _page(or_404(cal_session(current_user, session_id)))


@bp.route("/sessions/<int:session_id>/dossiers", methods=["POST"])
@roles_required("cal")
def session_agenda(session_id: int):
    session = or_404(cal_session(current_user, session_id))
    form = AgendaForm()
    if form.validate():
        offre = bailleur_offre(current_user, form.offre.data)
        if offre is None:
            form.offre.errors.append("Aucun logement de votre parc ne porte cette référence.")
            return _page(session, agenda=form, status=422)
        try:
            cal.add_dossier(session, offre, actor=current_user)
        except AttributionError as err:
            form.offre.errors.append(err.message)
            return _page(session, agenda=form, status=err.status_code)
        flash(f"Logement {offre.ref} inscrit à l'ordre du jour.", "success")
        return redirect(url_for("cal.session", session_id=session.id))
    return _page(session, agenda=form, status=422)


@bp.route("/sessions/<int:session_id>/decisions/<ref>", methods=["POST"])
@roles_required("cal")
def session_decision(session_id: int, ref: str):
    session = or_404(cal_session(current_user, session_id))
    offre = or_404(bailleur_offre(current_user, ref))
    form = DecisionForm()
    if form.validate():
        demande = db.session.query(Demande).filter_by(nur=(form.demande.data or "")[:32]) \
            .one_or_none()
        data = cal.DecisionInput(
            decision=form.decision.data, rank=form.rank_value(), reasons=form.reasons.data,
            condition=form.condition.data, condition_deadline=form.condition_deadline.data)
        errors = cal.validate(data, on=platform_today())
        for name, message in errors.items():
            getattr(form, name).errors.append(message)
        if not errors:
            if demande is None:
                form.form_errors.append("Ce candidat n'est pas désigné sur ce logement.")
                return _page(session, decision=form, status=422)
            try:
                cal.record_decision(session, offre, demande, data, supersedes=form.supersedes(),
                                    actor=current_user, on=platform_today())
            except AttributionError as err:
                form.attach(err)
                return _page(session, decision=form, status=err.status_code)
            flash(f"Décision enregistrée pour la demande {demande.nur}.", "success")
            return redirect(url_for("cal.session", session_id=session.id) + f"#dossier-{ref}")
    return _page(session, decision=form, status=422)


@bp.route("/sessions/<int:session_id>/cloture", methods=["POST"])
@roles_required("cal")
def session_close(session_id: int):
    session = or_404(cal_session(current_user, session_id))
    form = VersionedForm()
    if form.validate():
        try:
            made = cal.close_session(session, actor=current_user, on=platform_today())
        except AttributionError as err:
            form.attach(err)
            return _page(session, close=form, status=err.status_code)
        flash(f"Séance close : {len(made)} proposition(s) envoyée(s) aux demandeurs.", "success")
        return redirect(url_for("cal.session", session_id=session.id))
    return _page(session, close=form, status=422)


@bp.route("/sessions/<int:session_id>/pv.pdf")
@roles_required("cal")
@commit_rule(NEVER)
def session_pv(session_id: int):
    session = or_404(cal_session(current_user, session_id))
    pdf = render_pdf("pdf/proces_verbal_cal.html", session=session,
                     dossiers=cal.minutes(session), today=platform_today())
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="pv-cal-{session.id}.pdf"'})
