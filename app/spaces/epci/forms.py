"""EPCI forms."""

from __future__ import annotations

from wtforms import Form
from wtforms.validators import DataRequired

from app.spaces.fields import TextField, strip


class DemandeSearchForm(Form):
    """Search a demande by its NUR (a GET form: it changes nothing, so no CSRF token)."""

    nur = TextField(
        "Numéro unique (NUR)",
        max_length=32,  # the demandes.nur column
        too_long="Un numéro unique compte au plus 32 caractères.",
        validators=[DataRequired("Indiquez le numéro unique de la demande.")],
        filters=[strip],
    )
