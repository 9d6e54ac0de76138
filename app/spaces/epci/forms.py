"""EPCI forms."""

from __future__ import annotations

from wtforms import Form, StringField
from wtforms.validators import DataRequired, Length


class DemandeSearchForm(Form):
    """Search a demande by its NUR (a GET form: it changes nothing, so no CSRF token)."""

    nur = StringField(
        "Numéro unique (NUR)",
        validators=[DataRequired("Indiquez le numéro unique de la demande."), Length(max=32)],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )
