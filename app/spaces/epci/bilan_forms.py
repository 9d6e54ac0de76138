"""The EPCI's entry of the yearly lowest-quartile threshold (fixed by arrêté)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms.validators import StopValidation

from app.spaces.fields import AmountField, TextField, required, strip


class ThresholdForm(FlaskForm):
    year = AmountField("Année", integer=True, maximum=2100,
                       invalid_message="Indiquez une année sur quatre chiffres.",
                       validators=[required("Indiquez l'année.")])
    threshold = AmountField("Seuil du premier quartile (revenu annuel par unité de "
                            "consommation, en euros)", maximum=1_000_000,
                            validators=[required("Indiquez le seuil fixé par l'arrêté.")])
    arrete = TextField("Référence de l'arrêté", max_length=200, filters=[strip],
                       validators=[required("Indiquez la référence de l'arrêté.")])

    def validate_year(self, field) -> None:
        if field.data is not None and not 2000 <= field.data <= 2100:
            raise StopValidation("Indiquez une année entre 2000 et 2100.")

    def validate_threshold(self, field) -> None:
        if field.data is not None and field.data <= 0:
            raise StopValidation("Le seuil est un montant positif.")
