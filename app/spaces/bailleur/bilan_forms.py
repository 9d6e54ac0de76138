"""Forms of the bailleur's état des lieux and objectives screens."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField

from app.spaces.fields import AmountField, ChoiceField, choices

MUTATIONS_LABELS = {
    "internes": "Seules les mutations de vos locataires sortent de l'assiette",
    "toutes": "Toutes les mutations de locataires du parc social sortent de l'assiette",
}
MAX_WITHDRAWALS = 1_000_000


class StockImportForm(FlaskForm):
    file = FileField("Fichier de l'état des lieux (CSV : logement, reservataire, convention, "
                     "date_fin)")


def _count(label: str) -> AmountField:
    return AmountField(label, integer=True, maximum=MAX_WITHDRAWALS,
                       negative_message="Indiquez un nombre positif ou nul.",
                       invalid_message="Indiquez un nombre entier de logements.")


class ForecastForm(FlaskForm):
    """The bailleur's settings of a flux's yearly forecast."""

    rotation_percent = AmountField(
        "Taux de rotation fixé par le bailleur (%, laisser vide pour la rotation observée)",
        maximum=100, negative_message="Le taux est compris entre 0 et 100 %.",
        invalid_message="Indiquez un pourcentage, par exemple 8,5.")
    mutations_internes = _count("Mutations de vos locataires prévues")
    mutations_externes = _count("Mutations de locataires d'autres bailleurs prévues")
    relogements_npnru = _count("Relogements NPNRU prévus")
    relogements_orcod = _count("Relogements ORCOD prévus")
    mutations_hors_base = ChoiceField("Mutations retirées de l'assiette",
                                      choices=choices(MUTATIONS_LABELS))

    def fill(self, row) -> None:
        if row is None:
            return
        self.rotation_percent.data = (None if row.rotation_rate is None
                                      else round(float(row.rotation_rate) * 100, 2))
        for name in ("mutations_internes", "mutations_externes", "relogements_npnru",
                     "relogements_orcod", "mutations_hors_base"):
            getattr(self, name).data = getattr(row, name)

    def values(self) -> dict:
        rate = self.rotation_percent.data
        return {"rotation_rate": None if rate is None else round(rate / 100, 4),
                **{name: getattr(self, name).data or 0 for name in (
                    "mutations_internes", "mutations_externes", "relogements_npnru",
                    "relogements_orcod")},
                "mutations_hors_base": self.mutations_hors_base.data or "internes"}
