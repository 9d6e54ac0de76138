"""Forms of the bailleur's parc: edit a logement, retire it, exclude it, import a file."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField
from wtforms.validators import StopValidation

from app.inputs import parse_int
from app.labels import FINANCING_LABELS
from app.patrimoine.models import HORS_FLUX_REASON_LABELS, RETIRED_REASON_LABELS, Logement
from app.patrimoine.services import EDITABLE_FIELDS
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
from matching import enums

MSG_REQUIRED = "Ce champ est obligatoire."


class VersionForm(FlaskForm):
    """A form acting on one logement carries the version the person saw."""

    version = HiddenField()

    def expected_version(self) -> int:
        # A malformed version is a stale one: the edit is refused as a conflict.
        return parse_int(self.version.data, minimum=1, maximum=2**31 - 1) or 0


class LogementForm(VersionForm):
    address = TextField("Adresse", max_length=300, filters=[strip])
    typology = ChoiceField("Typologie", choices=choices({t: t for t in enums.TYPOLOGIES}))
    rooms = AmountField("Nombre de pièces (facultatif)", integer=True, maximum=1000)
    surface = AmountField("Surface habitable en m² (facultatif)", maximum=99_999)
    floor = TextField("Étage (facultatif)", max_length=4, filters=[strip],
                      render_kw={"inputmode": "numeric"})
    lift = CheckboxField("Ascenseur")
    accessible = CheckboxField("Accessible aux personnes à mobilité réduite")
    qpv = CheckboxField("Situé en quartier prioritaire de la ville (QPV)")
    qpv_name = TextField("Nom du quartier prioritaire (facultatif)", max_length=120,
                         filters=[strip])
    financing = ChoiceField("Financement", choices=choices(FINANCING_LABELS))
    rent = AmountField("Loyer mensuel hors charges (€)", maximum=9_999_999,
                       validators=[required(MSG_REQUIRED)])
    charges = AmountField("Charges mensuelles (€)", maximum=9_999_999)
    construction_year = AmountField("Année de construction (facultatif)", integer=True,
                                    maximum=2100)

    def validate_floor(self, field) -> None:
        try:
            self.floor_value()
        except ValueError as exc:
            raise StopValidation(str(exc)) from None

    def floor_value(self) -> int | None:
        """The floor as an integer (−5 and up), None when empty; ValueError when malformed."""
        text = self.floor.data or ""
        if not text:
            return None
        value = parse_int(text, minimum=-5, maximum=1000)
        if value is None:
            raise ValueError("Indiquez un étage en chiffres (0 pour le rez-de-chaussée, -1 "
                             "pour un sous-sol, jusqu'à -5).")
        return value

    def values(self) -> dict:
        """The edited characteristics (EDITABLE_FIELDS), as the service takes them."""
        values = {
            "address": self.address.data or None, "typology": self.typology.data,
            "rooms": self.rooms.data, "surface": self.surface.data,
            "floor": self.floor_value(), "lift": bool(self.lift.data),
            "accessible": bool(self.accessible.data), "qpv": bool(self.qpv.data),
            "qpv_name": self.qpv_name.data or None, "financing": self.financing.data,
            "rent": self.rent.data, "charges": self.charges.data or 0.0,
            "construction_year": self.construction_year.data,
        }
        assert set(values) == set(EDITABLE_FIELDS)
        return values


def logement_data(logement: Logement) -> dict:
    """The form's initial values from the stored logement."""
    data = {name: getattr(logement, name) for name in EDITABLE_FIELDS}
    data["floor"] = "" if logement.floor is None else str(logement.floor)
    data["version"] = str(logement.version)
    return data


class RetireForm(VersionForm):
    reason = ChoiceField("Motif de sortie du patrimoine",
                         choices=choices(RETIRED_REASON_LABELS, "Choisissez un motif"))
    retired_on = FrenchDateField("Date de sortie (JJ/MM/AAAA)",
                                 validators=[required("Indiquez la date de sortie.")])


class ExcludeForm(VersionForm):
    reason = ChoiceField(
        "Motif d'exclusion du flux",
        choices=choices(HORS_FLUX_REASON_LABELS, "Aucun : le logement est dans le flux"),
    )


class ImportForm(FlaskForm):
    file = FileField("Fichier CSV des logements")
