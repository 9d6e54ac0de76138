"""The requester's "Ma demande de logement social" form (create and edit).

WTForms checks each field and says what is wrong in French, next to the field; the form then
builds the exchange-format record (FORMATS.md ``demande``), which goes through
``matching.records.parse_demande`` as the final gate. Built-in WTForms messages are English
(Flask-Babel is not installed), so the fields below carry their own French messages.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace
from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, FieldList, Form, FormField, SelectField, StringField
from wtforms.fields import SelectMultipleField
from wtforms.validators import Length, Optional, Regexp, StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

try:  # WTForms 3.3 deprecates (value, label) tuples for choices
    from wtforms.fields import SelectChoice
except ImportError:  # pragma: no cover - WTForms < 3.3
    SelectChoice = None

from matching import enums
from matching.records import RecordError, parse_demande

# --------------------------------------------------------------------------- labels

ROLE_LABELS = {
    "demandeur": "Demandeur (vous-même)",
    "conjoint": "Conjoint, concubin ou partenaire de Pacs",
    "codemandeur": "Codemandeur",
    "enfant": "Enfant",
    "autre": "Autre personne",
}

CONTRACT_LABELS = {
    "cdi": "CDI (contrat à durée indéterminée)",
    "cdd": "CDD (contrat à durée déterminée)",
    "interim": "Intérim",
    "stage": "Stage",
    "apprentissage": "Apprentissage",
    "chomage": "Demandeur d'emploi (chômage)",
    "fonctionnaire": "Fonctionnaire",
    "independant": "Indépendant, artisan, profession libérale",
    "retraite": "Retraité",
    "etudiant": "Étudiant",
    "sans_activite": "Sans activité professionnelle",
    "autre": "Autre situation",
}

# CCH L.441-1 priority situations, in plain words (DOMAIN.md §4.4; lettering to verify on
# Légifrance, the values are those of FORMATS.md).
L441_1_LABELS = {
    "handicap": "Personne en situation de handicap, ou famille ayant à sa charge une personne "
                "en situation de handicap",
    "mal_loge_defavorise": "Personne mal logée ou défavorisée, ou rencontrant des difficultés "
                           "financières ou d'insertion sociale",
    "heberge_temporaire": "Personne hébergée ou logée temporairement dans un établissement ou un "
                          "logement de transition",
    "reprise_activite": "Personne reprenant une activité après une période de chômage de longue "
                        "durée",
    "logement_indigne": "Personne exposée à des situations d'habitat indigne",
    "violences": "Personne victime de violences au sein du couple ou de la famille, ou menacée "
                 "de mariage forcé",
    "mineur_suroccupation": "Personne ayant à sa charge un enfant mineur et logée dans un "
                            "logement suroccupé ou non décent",
    "sans_logement": "Personne dépourvue de logement, y compris hébergée par des tiers",
    "menace_expulsion": "Personne menacée d'expulsion sans relogement",
    "sortie_appartement_therapeutique": "Personne sortant d'un appartement de coordination "
                                        "thérapeutique",
    "sortie_prostitution": "Personne engagée dans un parcours de sortie de la prostitution",
    "traite_etres_humains": "Personne victime de la traite des êtres humains ou de proxénétisme",
    "jeune_ase": "Jeune de moins de 21 ans pris en charge par l'aide sociale à l'enfance",
}

MAX_COMMUNES = 5
MAX_MEMBERS = 30  # a bound for crafted requests, far above any real household
DATALIST_ID = "communes-connues"  # the <datalist> of known communes on the page
# Roles whose employment contract the form asks for, besides the demandeur.
PARTNER_ROLES = ("conjoint", "codemandeur")

# --------------------------------------------------------------------------- messages

MSG_HOUSEHOLD = "Le ménage doit compter au moins une personne, dont le demandeur."
MSG_TOO_MANY_MEMBERS = f"Le ménage peut compter au plus {MAX_MEMBERS} personnes."
MSG_TWO_DEMANDEURS = (
    "Une seule personne peut être « Demandeur » ; choisissez « Codemandeur » pour la seconde."
)
MSG_NEGATIVE_INCOME = "Le revenu ne peut pas être négatif."
MSG_NEGATIVE_AMOUNT = "Le montant ne peut pas être négatif."
MSG_AMOUNT = "Indiquez un montant en euros, en chiffres (par exemple 14200 ou 1350,50)."
MSG_TOO_LARGE = "Ce montant semble trop élevé : vérifiez-le."
MSG_DATE = "Date invalide : « {value} ». Indiquez une date réelle au format JJ/MM/AAAA."
MSG_FUTURE_BIRTH = "La date de naissance ne peut pas être dans le futur."
MSG_OLD_BIRTH = "La date de naissance est trop ancienne : vérifiez l'année."
MSG_SIRET = "Le numéro SIRET doit compter exactement 14 chiffres (sans lettres)."
MSG_UNKNOWN_COMMUNE = (
    "Commune inconnue : {code}. Indiquez un code INSEE à 5 chiffres d'une commune du territoire."
)
MSG_OUTSIDE_TERRITORY = (
    "La commune {name} ({code}) n'est pas sur le territoire de {epci}. "
    "Choisissez une commune de ce territoire."
)
MSG_DUPLICATE_COMMUNE = "La commune {name} ({code}) est déjà indiquée dans un choix précédent."
MSG_NO_COMMUNE = "Indiquez au moins une commune souhaitée."
MSG_TOO_MANY_COMMUNES = f"Vous pouvez indiquer au plus {MAX_COMMUNES} communes souhaitées."
MSG_CHOICE = "Choisissez une valeur dans la liste proposée."
MSG_NO_PARTNER = (
    "Le ménage ne compte ni conjoint ni codemandeur : ajoutez cette personne au ménage, "
    "ou laissez ce champ vide."
)

_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")
_FR_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def _today() -> date:
    from app.clock import platform_today  # needs the application context

    return platform_today()


# --------------------------------------------------------------------------- fields


def required(message: str) -> Callable[[Form, Field], None]:
    """Refuse an empty field, unless it already failed to parse (one message is enough)."""

    def check(form: Form, field: Field) -> None:
        if field.process_errors:
            raise StopValidation()
        if field.data is None or field.data == "":
            raise StopValidation(message)

    return check


class AmountField(Field):
    """A number typed the French way ("1 350,50", "14200 €"); None when left empty."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, *, integer: bool = False,
                 maximum: float = 100_000_000, negative_message: str = MSG_NEGATIVE_AMOUNT,
                 invalid_message: str = MSG_AMOUNT, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "numeric" if integer else "decimal"})
        super().__init__(label, validators, **kwargs)
        self.integer = integer
        self.maximum = maximum
        self.negative_message = negative_message
        self.invalid_message = invalid_message

    def process_formdata(self, valuelist):
        self.data = None
        text = (valuelist[0] if valuelist else "") or ""
        text = re.sub(r"[\s\u00a0\u202f€]", "", text)
        if not text:
            return
        if not _NUMBER.match(text):
            raise ValueError(self.invalid_message)
        value = float(text.replace(",", "."))
        if self.integer and value != int(value):
            raise ValueError(self.invalid_message)
        self.data = int(value) if self.integer else value

    def pre_validate(self, form):
        if self.data is None:
            return
        if self.data < 0:
            raise StopValidation(self.negative_message)
        if self.data > self.maximum:
            raise StopValidation(MSG_TOO_LARGE)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        if float(self.data) == int(self.data):
            return str(int(self.data))
        return f"{self.data:.2f}".replace(".", ",")


class FrenchDateField(Field):
    """A date typed JJ/MM/AAAA (ISO AAAA-MM-JJ accepted too); None when left empty."""

    widget = TextInput()

    def process_formdata(self, valuelist):
        self.data = None
        text = ((valuelist[0] if valuelist else "") or "").strip()
        if not text:
            return
        try:
            match = _FR_DATE.match(text)
            if match:
                day, month, year = (int(g) for g in match.groups())
                self.data = date(year, month, day)
            else:
                self.data = date.fromisoformat(text)
        except ValueError:
            raise ValueError(MSG_DATE.format(value=text)) from None

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%d/%m/%Y") if self.data else ""


def choice(value: str, label: str):
    """One option of a select or a group of checkboxes."""
    return SelectChoice(value=value, label=label) if SelectChoice else (value, label)


def _values(choices) -> set[str]:
    return {str(c.value if SelectChoice else c[0]) for c in choices or ()}


class ChoiceField(SelectField):
    """A select whose refusal of an unknown value is in French."""

    def pre_validate(self, form):
        if self.data not in _values(self.choices):
            raise StopValidation(MSG_CHOICE)

    def label_of(self, value: str) -> str | None:
        for c in self.choices or ():
            c_value, c_label = (c.value, c.label) if SelectChoice else c
            if c_value == value:
                return c_label
        return None


class CheckboxesField(SelectMultipleField):
    """A group of checkboxes (rendered one by one in the template)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        values = _values(self.choices)
        if any(v not in values for v in self.data or ()):
            raise StopValidation(MSG_CHOICE)


def _choices(labels: Mapping[str, str], placeholder: str | None = None) -> list:
    head = [choice("", placeholder)] if placeholder is not None else []
    return head + [choice(value, label) for value, label in labels.items()]


def _optional_text(max_length: int) -> list:
    return [Length(max=max_length, message=f"{max_length} caractères au plus.")]


# --------------------------------------------------------------------------- forms


class MemberForm(Form):
    """One person of the household. A row left entirely empty is ignored."""

    role = ChoiceField(
        "Lien avec le demandeur",
        choices=_choices(ROLE_LABELS, "— Choisir —"),
        validators=[required("Indiquez qui est cette personne pour le demandeur.")],
    )
    first_name = StringField(
        "Prénom",
        validators=[required("Indiquez le prénom de cette personne."), *_optional_text(100)],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )
    birth_date = FrenchDateField(
        "Date de naissance",
        validators=[required("Indiquez la date de naissance.")],
        render_kw={"inputmode": "numeric", "placeholder": "JJ/MM/AAAA"},
    )
    is_dependent = BooleanField("Personne à charge")
    has_disability = BooleanField("En situation de handicap")

    def is_blank(self) -> bool:
        return (
            not self.role.data
            and not (self.first_name.data or "").strip()
            and not (self.birth_date.raw_data and self.birth_date.raw_data[0].strip())
            and self.birth_date.data is None
            and not self.is_dependent.data
            and not self.has_disability.data
        )

    def validate(self, extra_validators=None):
        if self.is_blank():
            return True
        return super().validate(extra_validators)

    def validate_birth_date(self, field):
        if field.data is None:
            return
        if field.data > _today():
            raise ValidationError(MSG_FUTURE_BIRTH)
        if field.data.year < 1900:
            raise ValidationError(MSG_OLD_BIRTH)


@dataclass(frozen=True)
class CommuneInfo:
    """What the form needs to know about a commune."""

    insee: str
    name: str
    epci_id: int | None


class DemandeForm(FlaskForm):
    """Ma demande de logement social: every part of the FORMATS.md ``demande`` record."""

    def identity(self) -> dict[str, str | None]:
        """The requester's contact details (not part of the exchange-format record)."""
        return {
            "civility": self.civility.data or None,
            "last_name": self.last_name.data or None,
            "phone": self.phone.data or None,
            "address": self.address.data or None,
        }

    epci = ChoiceField("Territoire (intercommunalité)", choices=[],
                       validators=[required("Choisissez le territoire de votre demande.")])

    # Coordonnées (personal data: audited when staff read it, purged after retention)
    civility = ChoiceField("Civilité (facultatif)",
                           choices=_choices({"Mme": "Madame", "M.": "Monsieur"}, "— Non précisée —"))
    last_name = StringField(
        "Nom de famille du demandeur",
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        validators=[required("Indiquez votre nom de famille."),
                    Length(max=100, message="Le nom ne peut pas dépasser 100 caractères.")],
        render_kw={"autocomplete": "family-name"},
    )
    phone = StringField(
        "Téléphone (facultatif)",
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        validators=[Optional(), Regexp(r"^\+?[0-9][0-9 .-]{8,18}[0-9]$",
                                       message="Numéro de téléphone invalide : 10 chiffres, par exemple 06 12 34 56 78.")],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    address = StringField(
        "Adresse actuelle (facultatif)",
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        validators=[Length(max=300, message="L'adresse ne peut pas dépasser 300 caractères.")],
        render_kw={"autocomplete": "street-address"},
    )

    # Ménage
    household = FieldList(FormField(MemberForm), min_entries=1)

    # Ressources
    rfr_n2 = AmountField(
        "Revenu fiscal de référence de l'année N-2",
        validators=[required("Indiquez le revenu fiscal de référence N-2 (0 si aucun revenu).")],
        negative_message=MSG_NEGATIVE_INCOME,
    )
    rfr_n1 = AmountField("Revenu fiscal de référence de l'année N-1 (facultatif)",
                         negative_message=MSG_NEGATIVE_INCOME)
    resources_last_12_months = AmountField("Revenus des 12 derniers mois (facultatif)",
                                           negative_message=MSG_NEGATIVE_INCOME)
    monthly_resources = AmountField(
        "Ressources mensuelles du ménage",
        validators=[required("Indiquez les ressources mensuelles du ménage (0 si aucune).")],
        negative_message=MSG_NEGATIVE_INCOME,
    )

    # Logement actuel
    housing_kind = ChoiceField(
        "Type de logement actuel",
        choices=_choices(enums.HOUSING_KIND_LABELS, "— Choisir —"),
        validators=[required("Indiquez votre situation de logement actuelle.")],
    )
    housing_commune = StringField(
        "Commune du logement actuel, code INSEE (facultatif)",
        filters=[lambda v: v.strip().upper() if isinstance(v, str) else v],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": "5",
                   "list": DATALIST_ID},
    )
    housing_rooms = AmountField("Nombre de pièces principales (facultatif)", integer=True, maximum=50,
                                invalid_message="Indiquez un nombre entier de pièces.")
    housing_surface = AmountField("Surface habitable en m² (facultatif)", maximum=10_000,
                                  invalid_message="Indiquez une surface en m², en chiffres.")
    housing_rent = AmountField("Loyer mensuel hors charges en € (facultatif)", maximum=100_000)
    housing_charges = AmountField("Charges mensuelles en € (facultatif)", maximum=100_000)

    # Motifs
    reasons = CheckboxesField("Motifs de la demande", choices=_choices(enums.REASON_LABELS))

    # Emploi
    contract_demandeur = ChoiceField(
        "Situation professionnelle du demandeur (facultatif)",
        choices=_choices(CONTRACT_LABELS, "— Non renseignée —"),
    )
    contract_partner = ChoiceField(
        "Situation professionnelle du conjoint ou du codemandeur (facultatif)",
        choices=_choices(CONTRACT_LABELS, "— Non renseignée ou sans objet —"),
    )
    employer_siret = StringField(
        "Numéro SIRET de l'employeur (facultatif)",
        filters=[lambda v: re.sub(r"[\s\u00a0]", "", v) if isinstance(v, str) else v],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    contributes_action_logement = BooleanField(
        "L'employeur cotise à Action Logement (entreprise privée non agricole de 50 salariés "
        "ou plus)"
    )

    # Souhaits
    communes = FieldList(
        StringField("Commune", filters=[lambda v: v.strip().upper() if isinstance(v, str) else v],
                    render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": "5",
                               "list": DATALIST_ID}),
        min_entries=MAX_COMMUNES,
    )
    typologies = CheckboxesField("Typologies souhaitées", choices=_choices(
        {t: f"{t}{' ou plus' if t == 'T6' else ''} ({t[1]} pièce{'s' if t != 'T1' else ''} "
            f"principale{'s' if t != 'T1' else ''})" for t in enums.TYPOLOGIES}))
    max_rent = AmountField("Loyer maximum souhaité, charges comprises (€ par mois, facultatif)",
                           maximum=100_000)
    needs_accessible = BooleanField(
        "J'ai besoin d'un logement adapté à une personne à mobilité réduite"
    )

    # Situation prioritaire
    dalo = BooleanField("Le ménage est reconnu prioritaire au titre du droit au logement "
                        "opposable (DALO)")
    l441_1 = CheckboxesField("Situations prioritaires (article L.441-1 du code de la construction "
                             "et de l'habitation)", choices=_choices(L441_1_LABELS))

    def __init__(self, *args, epci_choices: Iterable[tuple[str, str]] = (),
                 commune_lookup: Callable[[Iterable[str]], Mapping[str, CommuneInfo]] = dict,
                 territory_of: Callable[[int], bool] = lambda epci_id: False,
                 fixed_epci: tuple[int, str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._commune_lookup = commune_lookup
        self._territory_of = territory_of  # does this EPCI have communes attached?
        self.fixed_epci = fixed_epci  # editing: the territory is not changed here
        if fixed_epci is not None:
            del self.epci
        else:
            self.epci.choices = [choice("", "— Choisir —"),
                                 *(choice(v, label) for v, label in epci_choices)]
        self._label_commune_entries()

    # ------------------------------------------------------------------ row buttons

    def _label_commune_entries(self) -> None:
        while len(self.communes.entries) < MAX_COMMUNES:
            self.communes.append_entry()
        for number, entry in enumerate(self.communes.entries, start=1):
            entry.label.text = "1er choix" if number == 1 else f"{number}e choix"

    def add_member(self) -> None:
        """"Ajouter une personne": one more empty row."""
        if len(self.household.entries) < MAX_MEMBERS:
            self.household.append_entry()

    def remove_member(self, index: int) -> None:
        """"Retirer": drop a row (there is always at least one row on the page)."""
        if 0 <= index < len(self.household.entries):
            self.household.pop_entry(index)
        if not self.household.entries:
            self.household.append_entry()

    # ------------------------------------------------------------------ checks

    def member_rows(self) -> list[MemberForm]:
        """The household rows that are filled in (empty rows are ignored)."""
        return [entry.form for entry in self.household.entries if not entry.form.is_blank()]

    def selected_epci_id(self) -> int | None:
        if self.fixed_epci is not None:
            return self.fixed_epci[0]
        value = self.epci.data
        return int(value) if value and str(value).isdigit() else None

    def selected_epci_name(self) -> str:
        if self.fixed_epci is not None:
            return self.fixed_epci[1]
        return self.epci.label_of(self.epci.data) or "ce territoire"

    def validate_household(self, field):
        rows = self.member_rows()
        if not any(row.role.data == "demandeur" for row in rows):
            raise ValidationError(MSG_HOUSEHOLD)
        if sum(1 for row in rows if row.role.data == "demandeur") > 1:
            raise ValidationError(MSG_TWO_DEMANDEURS)
        if len(rows) > MAX_MEMBERS:
            raise ValidationError(MSG_TOO_MANY_MEMBERS)

    def validate_employer_siret(self, field):
        if field.data and not (field.data.isdigit() and len(field.data) == 14):
            raise ValidationError(MSG_SIRET)

    def validate_contract_partner(self, field):
        if field.data and not any(row.role.data in PARTNER_ROLES for row in self.member_rows()):
            raise ValidationError(MSG_NO_PARTNER)

    def validate_housing_commune(self, field):
        if not field.data:
            return
        if field.data not in self._commune_lookup([field.data]):
            raise ValidationError(MSG_UNKNOWN_COMMUNE.format(code=field.data))

    def validate_communes(self, field):
        # Per-choice messages go next to each input; count messages next to the group.
        filled = [entry for entry in field.entries if entry.data]
        known = self._commune_lookup([entry.data for entry in filled])
        epci_id = self.selected_epci_id()
        restricted = epci_id is not None and self._territory_of(epci_id)
        seen: set[str] = set()
        for entry in filled:
            code = entry.data
            commune = known.get(code)
            if commune is None:
                message = MSG_UNKNOWN_COMMUNE.format(code=code)
            elif code in seen:
                message = MSG_DUPLICATE_COMMUNE.format(name=commune.name, code=code)
            elif restricted and commune.epci_id != epci_id:
                message = MSG_OUTSIDE_TERRITORY.format(
                    name=commune.name, code=code, epci=self.selected_epci_name()
                )
            else:
                message = None
            seen.add(code)
            if message:
                entry.errors = [*entry.errors, message]
        _refresh_list_errors(field)
        if not filled:
            raise ValidationError(MSG_NO_COMMUNE)
        if len(filled) > MAX_COMMUNES:
            raise ValidationError(MSG_TOO_MANY_COMMUNES)

    # ------------------------------------------------------------------ the record

    def build_record(self, *, nur: str, filed_on: date, renewed_on: date | None = None,
                     acd: Mapping[str, Any] | None = None) -> tuple[dict, list[str | None]]:
        """The FORMATS.md ``demande`` record of the form, and the members' first names."""
        rows = self.member_rows()
        household = [
            {
                "role": row.role.data,
                "birth_date": row.birth_date.data.isoformat() if row.birth_date.data else None,
                "is_dependent": bool(row.is_dependent.data),
                "has_disability": bool(row.has_disability.data),
            }
            for row in rows
        ]
        first_names = [row.first_name.data or None for row in rows]
        employment = []
        roles = [row.role.data for row in rows]
        if self.contract_demandeur.data and "demandeur" in roles:
            employment.append({"member": roles.index("demandeur"),
                               "contract": self.contract_demandeur.data})
        partner = next((i for i, role in enumerate(roles) if role in PARTNER_ROLES), None)
        if self.contract_partner.data and partner is not None:
            employment.append({"member": partner, "contract": self.contract_partner.data})
        acd = acd or {}
        record = {
            "id": nur,
            "filed_on": filed_on.isoformat(),
            "renewed_on": renewed_on.isoformat() if renewed_on else None,
            # DOMAIN.md §2: a mutation is a demande from a household already in social housing.
            "is_mutation": self.housing_kind.data == "locataire_hlm",
            "household": household,
            "rfr_n2": self.rfr_n2.data,
            "rfr_n1": self.rfr_n1.data,
            "resources_last_12_months": self.resources_last_12_months.data,
            "monthly_resources": self.monthly_resources.data,
            "current_housing": {
                "kind": self.housing_kind.data,
                "commune": self.housing_commune.data or None,
                "rooms": self.housing_rooms.data,
                "surface": self.housing_surface.data,
                "rent": self.housing_rent.data,
                "charges": self.housing_charges.data,
            },
            "reasons": list(self.reasons.data or ()),
            "employment": employment,
            "employer": {
                "siret": self.employer_siret.data or None,
                "contributes_action_logement": bool(self.contributes_action_logement.data),
            },
            "wishes": {
                "communes": [entry.data for entry in self.communes.entries if entry.data],
                "typologies": list(self.typologies.data or ()),
                "max_rent": self.max_rent.data,
                "needs_accessible": bool(self.needs_accessible.data),
            },
            "priority": {
                "dalo": bool(self.dalo.data),
                "l441_1": list(self.l441_1.data or ()),
                "acd_labelled": bool(acd.get("acd_labelled")),
                "labelled_by": acd.get("labelled_by"),
                "labelled_on": acd["labelled_on"].isoformat() if acd.get("labelled_on") else None,
            },
        }
        return record, first_names

    def gate(self, **kwargs: Any):
        """Build the record and run it through parse_demande; None (and a field error) if refused."""
        record, first_names = self.build_record(**kwargs)
        try:
            return parse_demande(record), first_names
        except RecordError as err:
            self.add_error(self.field_for_path(err.path), f"Donnée refusée : {err.reason}.")
            return None

    def field_for_path(self, path: str) -> Field | None:
        """The form field a RecordError path designates (None: the form as a whole)."""
        simple = {
            "rfr_n2": self.rfr_n2, "rfr_n1": self.rfr_n1,
            "resources_last_12_months": self.resources_last_12_months,
            "monthly_resources": self.monthly_resources,
            "current_housing": self.housing_kind,
            "current_housing.kind": self.housing_kind,
            "current_housing.commune": self.housing_commune,
            "current_housing.rooms": self.housing_rooms,
            "current_housing.surface": self.housing_surface,
            "current_housing.rent": self.housing_rent,
            "current_housing.charges": self.housing_charges,
            "employer": self.employer_siret, "employer.siret": self.employer_siret,
            "employer.contributes_action_logement": self.contributes_action_logement,
            "wishes": self.communes, "wishes.communes": self.communes,
            "wishes.max_rent": self.max_rent, "wishes.needs_accessible": self.needs_accessible,
            "priority.dalo": self.dalo, "household": self.household,
        }
        if path in simple:
            return simple[path]
        match = re.match(r"^household\[(\d+)\]\.?(\w*)", path)
        if match:
            rows = self.member_rows()
            index, name = int(match.group(1)), match.group(2)
            if index < len(rows) and name in rows[index]:
                return rows[index][name]
            return self.household
        match = re.match(r"^wishes\.communes\[(\d+)\]", path)
        if match:
            filled = [entry for entry in self.communes.entries if entry.data]
            index = int(match.group(1))
            return filled[index] if index < len(filled) else self.communes
        match = re.match(r"^employment\[(\d+)\]", path)
        if match:
            return self.contract_demandeur if match.group(1) == "0" else self.contract_partner
        for prefix, target in (("wishes.typologies", self.typologies), ("reasons", self.reasons),
                               ("priority.l441_1", self.l441_1)):
            if path.startswith(prefix):
                return target
        return None

    def add_error(self, field: Field | None, message: str) -> None:
        """Attach a message to a field (or to the form) after validation."""
        if field is None:
            self.form_errors.append(message)
        else:
            field.errors = [*field.errors, message]
        _refresh_list_errors(self.household)
        _refresh_list_errors(self.communes)

    # ------------------------------------------------------------------ display

    def error_list(self) -> list[tuple[str, str]]:
        """(anchor id, message) of every error, in the order of the page."""
        out: list[tuple[str, str]] = []

        def add(anchor: str, errors: Iterable[Any]) -> None:
            out.extend((anchor, e) for e in errors if isinstance(e, str))

        for name, field in self._fields.items():
            if name == "csrf_token":
                continue
            if isinstance(field, FieldList):
                add(field.id, field.errors)
                for entry in field.entries:
                    if isinstance(entry, FormField):
                        for sub in entry.form:
                            add(sub.id, sub.errors if isinstance(sub.errors, list | tuple) else ())
                    else:
                        add(entry.id, entry.errors)
            else:
                add(field.id, field.errors)
        add("demande-form", self.form_errors)
        return out


def _refresh_list_errors(field: FieldList) -> None:
    """Keep a FieldList's errors in step with its entries' (messages added after validate)."""
    own = [e for e in (field.errors or ()) if isinstance(e, str)]
    entries = [entry.errors for entry in field.entries]
    field.errors = ([*entries] if any(entries) else []) + own


class ErrorSummary:
    """The form's errors flattened for the ``error_summary`` macro of _form.html.

    The macro reads ``form.errors`` (name → messages) and ``form[name].id``: nested rows
    (household members, wished communes) become one entry per input, keyed by its id.
    """

    def __init__(self, form: DemandeForm):
        self.errors: dict[str, list[str]] = {}
        for anchor, message in form.error_list():
            self.errors.setdefault(anchor, []).append(message)

    def __contains__(self, name: str) -> bool:
        return name in self.errors

    def __getitem__(self, name: str) -> SimpleNamespace:
        return SimpleNamespace(id=name)


def initial_data(demande) -> dict[str, Any]:
    """The form's values for an existing demande (editing)."""
    contracts = {e.member_position: e.contract for e in demande.employments}
    demandeur = next((m.position for m in demande.members if m.role == "demandeur"), None)
    partner = next((m.position for m in demande.members if m.role in PARTNER_ROLES), None)
    return {
        "civility": demande.civility or "",
        "last_name": demande.last_name,
        "phone": demande.phone,
        "address": demande.address,
        "household": [
            {"role": m.role,
             "first_name": m.first_name or (demande.first_name if m.role == "demandeur" else None),
             "birth_date": m.birth_date,
             "is_dependent": m.is_dependent, "has_disability": m.has_disability}
            for m in demande.members
        ],
        "rfr_n2": demande.rfr_n2,
        "rfr_n1": demande.rfr_n1,
        "resources_last_12_months": demande.resources_last_12_months,
        "monthly_resources": demande.monthly_resources,
        "housing_kind": demande.current_housing_kind,
        "housing_commune": demande.current_commune_insee,
        "housing_rooms": demande.current_rooms,
        "housing_surface": demande.current_surface,
        "housing_rent": demande.current_rent,
        "housing_charges": demande.current_charges,
        "reasons": [r.reason for r in demande.reasons],
        "contract_demandeur": contracts.get(demandeur, "") if demandeur is not None else "",
        "contract_partner": contracts.get(partner, "") if partner is not None else "",
        "employer_siret": demande.employer_siret,
        "contributes_action_logement": demande.employer_contributes_action_logement,
        "communes": [w.commune_insee for w in demande.wished_communes],
        "typologies": [t.typology for t in demande.wished_typologies],
        "max_rent": demande.max_rent,
        "needs_accessible": demande.needs_accessible,
        "dalo": demande.is_dalo,
        "l441_1": [p.criterion for p in demande.priority_criteria],
    }
