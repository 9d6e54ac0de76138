"""Forms of the dossier screens (designation, CAL, visits, lease, the requester's answer).

Every form carries the version of what the person saw (a hidden field): a stale one is
refused as a conflict by the services. Refusals from the services land next to their field
(``attach``), or in the summary on top when they concern the whole form.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField

from app.attribution.cal import MAX_TEXT
from app.attribution.conditions import MAX_NOTE as CONDITION_NOTE
from app.attribution.designation import FEWER_EXCEPTIONS, MAX_REASON
from app.attribution.leases import VISIT_OUTCOMES
from app.attribution.models import CAL_DECISION_LABELS, MAX_CANDIDATES
from app.attribution.services import AttributionError
from app.inputs import parse_id, parse_int
from app.spaces.fields import (
    AmountField,
    BoundedText,
    ChoiceField,
    FrenchDateField,
    TextField,
    choices,
    required,
    strip,
)

MSG_REQUIRED = "Ce champ est obligatoire."
CHANGE_ACTIONS = {"monter": "Monter", "descendre": "Descendre", "retirer": "Retirer",
                  "ajouter": "Ajouter"}


class LongText(BoundedText, TextAreaField):
    """A multi-line text of at most ``max_length`` characters."""


class VersionedForm(FlaskForm):
    version = HiddenField()

    def expected_version(self) -> int:
        # A malformed version is a stale one: the services refuse it as a conflict.
        return parse_int(self.version.data, minimum=0, maximum=2**31 - 1) or 0

    def attach(self, err: AttributionError) -> None:
        """Show a service refusal next to its field, or on the whole form."""
        target = getattr(self, err.field, None) if err.field else None
        if target is not None and hasattr(target, "errors"):
            target.errors = [*list(target.errors or ()), err.message]
        else:
            self.form_errors.append(err.message)


class ListChangeForm(VersionedForm):
    """One change of the réservataire's list: move, remove or add a candidate."""

    action = ChoiceField("Changement", choices=choices(CHANGE_ACTIONS))
    demande = TextField("Numéro unique (NUR)", max_length=32, filters=[strip],
                        validators=[required("Indiquez la demande concernée.")])
    reason = LongText("Raison du changement (conservée)", max_length=MAX_REASON,
                      filters=[strip], validators=[required(
                          "Indiquez la raison de ce changement : elle est conservée.")])


class DesignateForm(VersionedForm):
    exception = ChoiceField(
        f"Motif de l'exception (moins de {MAX_CANDIDATES} candidats)",
        choices=choices(FEWER_EXCEPTIONS, placeholder="— Aucune : trois candidats —"),
        default="")
    exception_detail = TextField("Précision (facultatif)", max_length=500, filters=[strip])


class SessionForm(FlaskForm):
    held_on = FrenchDateField("Date de la séance (JJ/MM/AAAA)",
                              validators=[required("Indiquez la date de la séance.")])
    location = TextField("Lieu (facultatif)", max_length=200, filters=[strip])


class AgendaForm(FlaskForm):
    offre = TextField("Logement à inscrire (référence de l'offre)", max_length=64,
                      filters=[strip], validators=[required("Choisissez le logement.")])


class DecisionForm(VersionedForm):
    """The CAL's decision for one candidate; ``version`` is the decision it corrects (0: none)."""

    demande = HiddenField()
    decision = ChoiceField("Décision", choices=choices(CAL_DECISION_LABELS, placeholder="—"),
                           validators=[required("Choisissez la décision.")])
    rank = ChoiceField("Rang (attribution par rang)",
                       choices=choices({str(i): str(i) for i in range(1, MAX_CANDIDATES + 1)},
                                       placeholder="—"), default="")
    reasons = LongText("Motifs (non-attribution, irrecevabilité)", max_length=MAX_TEXT,
                       filters=[strip])
    condition = TextField("Pièce manquante (condition suspensive)", max_length=500,
                          filters=[strip])
    condition_deadline = FrenchDateField("Date limite de la condition (JJ/MM/AAAA)")

    def supersedes(self) -> int | None:
        return parse_id(self.version.data)

    def rank_value(self) -> int | None:
        return parse_int(self.rank.data, minimum=1, maximum=MAX_CANDIDATES)


class VisitForm(VersionedForm):
    demande = TextField("Candidat (NUR)", max_length=32, filters=[strip],
                        validators=[required("Indiquez le candidat.")])
    visited_on = FrenchDateField("Date de la visite (JJ/MM/AAAA)",
                                 validators=[required("Indiquez la date de la visite.")])
    outcome = ChoiceField("Issue", choices=choices(VISIT_OUTCOMES, placeholder="—"),
                          validators=[required("Choisissez l'issue de la visite.")])
    note = LongText("Note (facultatif)", max_length=1000, filters=[strip])


class LeaseForm(VersionedForm):
    signed_on = FrenchDateField("Date de signature (JJ/MM/AAAA)",
                                validators=[required("Indiquez la date de signature.")])
    starts_on = FrenchDateField("Prise d'effet (JJ/MM/AAAA)",
                                validators=[required("Indiquez la date de prise d'effet.")])
    rent = AmountField("Loyer mensuel hors charges (€)", maximum=100_000,
                       validators=[required("Indiquez le loyer.")])
    charges = AmountField("Charges mensuelles (€)", maximum=100_000,
                          validators=[required("Indiquez les charges.")])


class LiftConditionForm(VersionedForm):
    """The bailleur records the receipt of the document a decision (c) was waiting for; the
    view fills the choices (the dossier's pending conditions, its candidates' documents)."""

    decision = ChoiceField("Attribution sous condition",
                           validators=[required("Choisissez la condition à lever.")])
    received_on = FrenchDateField("Date de réception de la pièce (JJ/MM/AAAA)",
                                  validators=[required("Indiquez la date de réception de la "
                                                       "pièce.")])
    document = ChoiceField("Document de la demande reçu (facultatif)", default="")
    note = LongText("Note (facultatif)", max_length=CONDITION_NOTE, filters=[strip])

    def decision_id(self) -> int | None:
        return parse_id(self.decision.data)

    def document_id(self) -> int | None:
        return parse_id(self.document.data)


class AnswerForm(VersionedForm):
    reason = LongText("Raison de votre refus", max_length=2000, filters=[strip])
    confirm = HiddenField()
