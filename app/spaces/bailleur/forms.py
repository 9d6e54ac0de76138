"""Forms of the bailleur's flux screens: conventions, vacancies, orientation, import."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import TextAreaField
from wtforms.validators import StopValidation

from app.spaces.fields import (
    AmountField,
    CheckboxesField,
    CheckboxField,
    ChoiceField,
    FrenchDateField,
    TextField,
    choices,
    required,
    strip,
)
from matching import enums

ORIGIN_LABELS = {
    "financement": "Financement de l'opération",
    "garantie_emprunt": "Garantie d'emprunt (collectivité)",
    "apport_foncier": "Apport de terrain",
    "autre": "Autre",
}
COUNTS_ON_LABELS = {
    "mise_a_disposition": "Mise à disposition (logement orienté)",
    "attribution": "Attribution (décision de la CAL)",
    "bail_signe": "Bail signé",
}
QPV_LABELS = {"": "Dans et hors QPV", "oui": "En QPV seulement", "non": "Hors QPV seulement"}
EXCLUSION_LABELS = {
    "": "Non : le logement entre dans le flux",
    "mutation": "Mutation d'un locataire du bailleur (hors assiette)",
    "relogement_npnru": "Relogement NPNRU (hors assiette)",
    "relogement_orcod": "Relogement ORCOD (hors assiette)",
}
MAX_NOTE = 2000


class BoundedTextArea(TextAreaField):
    """A text area of at most ``max_length`` characters (never echoed back longer)."""

    def __init__(self, label=None, validators=None, *, max_length: int, **kwargs):
        kwargs.setdefault("render_kw", {"maxlength": str(max_length), "rows": "3"})
        super().__init__(label, validators, **kwargs)
        self.max_length = max_length

    def pre_validate(self, form):
        if isinstance(self.data, str) and len(self.data) > self.max_length:
            self.data = self.data[: self.max_length]
            raise StopValidation(f"{self.max_length} caractères au plus.")

    def _value(self) -> str:
        return (super()._value() or "")[: self.max_length]


def _communes(text: str | None) -> list[str]:
    return [c for c in (text or "").replace(";", ",").replace(" ", ",").split(",") if c]


class ConventionTermsForm(FlaskForm):
    """The terms a version of a convention may change."""

    share_percent = AmountField(
        "Part du flux annuel (%)", maximum=100,
        invalid_message="Indiquez un pourcentage en chiffres, par exemple 22,5.",
        validators=[required("Indiquez la part du flux réservée.")])
    origin = ChoiceField("Origine de la réservation", choices=choices(ORIGIN_LABELS))
    designation_delay_days = AmountField(
        "Délai de désignation (jours)", integer=True, maximum=365,
        invalid_message="Indiquez un nombre entier de jours, par exemple 30.",
        validators=[required("Indiquez le délai laissé au réservataire pour désigner.")])
    counts_on = ChoiceField("Ce qui compte dans la part", choices=choices(COUNTS_ON_LABELS))
    counts_after_takeback = CheckboxField(
        "Un logement repris à l'échéance reste compté pour le réservataire")
    scope_communes = TextField(
        "Périmètre : communes (codes INSEE séparés par des virgules ; vide = toutes)",
        max_length=600, filters=[strip])
    scope_typologies = CheckboxesField("Périmètre : typologies (aucune cochée = toutes)",
                                       choices=choices({t: t for t in enums.TYPOLOGIES}))
    scope_qpv = ChoiceField("Périmètre : quartiers prioritaires", choices=choices(QPV_LABELS))
    signed_on = FrenchDateField("Date de signature (JJ/MM/AAAA, facultative)")

    def validate_designation_delay_days(self, field):
        if field.data is not None and field.data < 1:
            raise StopValidation("Le délai compte au moins un jour.")

    def values(self) -> dict:
        qpv = {"": None, "oui": True, "non": False}[self.scope_qpv.data or ""]
        return {
            "share_percent": self.share_percent.data, "origin": self.origin.data,
            "designation_delay_days": self.designation_delay_days.data,
            "counts_on": self.counts_on.data,
            "counts_after_takeback": bool(self.counts_after_takeback.data),
            "scope_communes": _communes(self.scope_communes.data),
            "scope_typologies": list(self.scope_typologies.data or ()),
            "scope_qpv": qpv, "signed_on": self.signed_on.data,
        }

    def fill(self, convention) -> None:
        self.share_percent.data = convention.share_percent
        self.origin.data = convention.origin
        self.designation_delay_days.data = convention.designation_delay_days
        self.counts_on.data = convention.counts_on
        self.counts_after_takeback.data = convention.counts_after_takeback
        self.scope_communes.data = ", ".join(convention.scope_communes or ())
        self.scope_typologies.data = list(convention.scope_typologies or ())
        self.scope_qpv.data = {None: "", True: "oui", False: "non"}[convention.scope_qpv]
        self.signed_on.data = convention.signed_on


class ConventionCreateForm(ConventionTermsForm):
    reservataire = ChoiceField("Réservataire")
    departement = TextField("Département", max_length=3, filters=[strip],
                            validators=[required("Indiquez le département (par exemple 45).")])
    year = AmountField("Année", integer=True, maximum=2100,
                       invalid_message="Indiquez une année sur quatre chiffres.",
                       validators=[required("Indiquez l'année de la convention.")])

    def validate_year(self, field):
        if field.data is not None and field.data < 2000:
            raise StopValidation("Indiquez une année à partir de 2000.")

    def values(self) -> dict:
        return {**super().values(), "departement": self.departement.data, "year": self.year.data}


class ConventionEditForm(ConventionTermsForm):
    change_note = BoundedTextArea("Motif de la modification (facultatif)", max_length=MAX_NOTE)


class ConventionImportForm(FlaskForm):
    file = FileField("Fichier de conventions (CSV ou JSON Lines)")
    fmt = ChoiceField("Format", choices=choices({"csv": "CSV", "jsonl": "JSON Lines"}))


class VacancyForm(FlaskForm):
    logement = TextField("Référence du logement", max_length=64, filters=[strip],
                         validators=[required("Indiquez la référence du logement.")])
    declared_on = FrenchDateField("Date du congé (JJ/MM/AAAA)",
                                  validators=[required("Indiquez la date du congé.")])
    available_on = FrenchDateField("Date de disponibilité (JJ/MM/AAAA)",
                                   validators=[required("Indiquez la date de disponibilité.")])
    excluded_from_base = ChoiceField("Retiré de l'assiette du flux ?",
                                     choices=choices(EXCLUSION_LABELS))


class OrientationForm(FlaskForm):
    """Confirm the proposal, or choose another participant with a written reason."""

    chosen = ChoiceField("Orienter vers")
    override_reason = BoundedTextArea(
        "Motif si vous ne suivez pas la proposition (obligatoire dans ce cas)",
        max_length=MAX_NOTE)


class BatchForm(FlaskForm):
    """Confirm the proposals of the offers ticked (or take back every overdue dwelling)."""

    offres = CheckboxesField("Offres")


class ActionForm(FlaskForm):
    """A button that changes something (CSRF only)."""
