"""Forms of the requester's space besides the demande: renewal, NUR, supporting documents."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms.validators import ValidationError

from app.demandes.documents import DOCUMENT_CRITERIA
from app.demandes.linking import MSG_FORMAT, NUR_PATTERN, normalise_nur
from app.spaces.fields import (
    AmountField,
    CheckboxField,
    ChoiceField,
    FrenchDateField,
    TextField,
    choices,
    required,
    strip,
)
from app.spaces.requester.demande_labels import MSG_FUTURE_BIRTH, MSG_NEGATIVE_INCOME
from app.spaces.requester.demande_sections import MAX_MONTHLY_INCOME, MAX_YEARLY_INCOME


class RenewalForm(FlaskForm):
    """« Renouveler ma demande »: the resources confirmed or updated, and a confirmation."""

    rfr_n2 = AmountField(
        "Revenu fiscal de référence de l'année N-2",
        validators=[required("Indiquez le revenu fiscal de référence N-2 (0 si aucun revenu).")],
        negative_message=MSG_NEGATIVE_INCOME, maximum=MAX_YEARLY_INCOME)
    rfr_n1 = AmountField("Revenu fiscal de référence de l'année N-1 (facultatif)",
                         negative_message=MSG_NEGATIVE_INCOME, maximum=MAX_YEARLY_INCOME)
    monthly_resources = AmountField(
        "Ressources mensuelles du ménage",
        validators=[required("Indiquez les ressources mensuelles du ménage (0 si aucune).")],
        negative_message=MSG_NEGATIVE_INCOME, maximum=MAX_MONTHLY_INCOME)
    confirm = CheckboxField(
        "Je confirme que les informations de ma demande sont à jour (ménage, logement actuel, "
        "souhaits) ou que je les ai modifiées.")

    def validate_confirm(self, field):
        if not field.data:
            raise ValidationError("Cochez la case pour confirmer que votre demande est à jour.")


class LinkForm(FlaskForm):
    """« J'ai déjà un numéro de demande »: NUR, last name and birth date of the demandeur."""

    nur = TextField(
        "Numéro unique de la demande (NUR)", max_length=32, too_long=MSG_FORMAT,
        filters=[lambda v: normalise_nur(v) if isinstance(v, str) else v],
        validators=[required("Indiquez le numéro de votre demande.")],
        render_kw={"autocomplete": "off", "spellcheck": "false"})
    last_name = TextField(
        "Nom de famille du demandeur", max_length=100,
        too_long="Le nom ne peut pas dépasser 100 caractères.", filters=[strip],
        validators=[required("Indiquez le nom de famille inscrit sur la demande.")],
        render_kw={"autocomplete": "family-name"})
    birth_date = FrenchDateField(
        "Date de naissance du demandeur",
        validators=[required("Indiquez la date de naissance du demandeur (JJ/MM/AAAA).")],
        render_kw={"autocomplete": "bday"})

    def validate_nur(self, field):
        if field.data and not NUR_PATTERN.match(field.data):
            raise ValidationError(MSG_FORMAT)

    def validate_birth_date(self, field):
        from app.clock import platform_today

        if field.data and field.data > platform_today():
            raise ValidationError(MSG_FUTURE_BIRTH)


class DocumentForm(FlaskForm):
    """One file for one criterion."""

    criterion = ChoiceField(
        "Type de justificatif",
        choices=choices({k: label for k, (label, _help) in DOCUMENT_CRITERIA.items()},
                        "— Choisir —"),
        validators=[required("Choisissez le type de justificatif.")])
    file = FileField("Fichier (PDF, JPEG ou PNG)")


class DeleteForm(FlaskForm):
    """A CSRF-protected button (delete a document)."""
