"""Forms of the bailleur's vacancies: declare a departure, publish the offer, add media."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import TextAreaField

from app.flux.offers import MAX_CAPTION, MAX_DESCRIPTION, MAX_QUARTIER, MEDIA_KIND_LABELS
from app.spaces.fields import (
    BoundedText,
    ChoiceField,
    FrenchDateField,
    TextField,
    choices,
    required,
    strip,
)


class LongTextField(BoundedText, TextAreaField):
    """A multi-line text of at most ``max_length`` characters. A longer text is refused and
    not re-displayed (a long value is never echoed back, even cut)."""

    def _value(self) -> str:
        if getattr(self, "too_long_value", False):
            return ""
        return super()._value()


class DeclareForm(FlaskForm):
    notice_on = FrenchDateField(
        "Date du congé donné par le locataire (JJ/MM/AAAA)",
        validators=[required("Indiquez la date du congé.")])
    available_on = FrenchDateField(
        "Date à laquelle le logement sera disponible (JJ/MM/AAAA)",
        validators=[required("Indiquez la date de disponibilité.")])


class PublishForm(FlaskForm):
    description = LongTextField("Description de l'offre", max_length=MAX_DESCRIPTION,
                                filters=[strip], render_kw={"rows": 8})
    quartier = TextField("Quartier (facultatif)", max_length=MAX_QUARTIER, filters=[strip])


class MediaForm(FlaskForm):
    kind = ChoiceField("Type de fichier", choices=choices(MEDIA_KIND_LABELS))
    caption = TextField("Texte de remplacement", max_length=MAX_CAPTION, filters=[strip])
    file = FileField("Fichier (photo : JPEG ou PNG ; plan : PDF, JPEG ou PNG)")


class ConfirmForm(FlaskForm):
    """A button that changes something (delete a media): CSRF only."""
