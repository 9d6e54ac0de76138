"""The sections of the demande form: their fields, in page order, and their own checks.

Each section is a mixin of fields; ``DemandeForm`` (demande_forms.py) combines them. WTForms
orders fields by creation, so the sections are declared here in the order of the page
(the error summary follows it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date

from wtforms import FieldList, Form, FormField
from wtforms.validators import Optional, Regexp, ValidationError

from app.inputs import quote_prefix
from app.spaces.fields import (
    AmountField,
    BoundedFieldList,
    CheckboxesField,
    CheckboxField,
    ChoiceField,
    FrenchDateField,
    TextField,
    choices,
    required,
    strip,
)
from app.spaces.requester.demande_labels import (
    CONTRACT_LABELS,
    DATALIST_ID,
    L441_1_LABELS,
    MAX_COMMUNES,
    MAX_MEMBERS,
    MSG_DUPLICATE_COMMUNE,
    MSG_FUTURE_BIRTH,
    MSG_HOUSEHOLD,
    MSG_NEGATIVE_INCOME,
    MSG_NO_ADULT,
    MSG_NO_COMMUNE,
    MSG_NO_PARTNER,
    MSG_OLD_BIRTH,
    MSG_OUTSIDE_TERRITORY,
    MSG_SIRET,
    MSG_TOO_MANY_COMMUNES,
    MSG_TOO_MANY_MEMBERS,
    MSG_TWO_DEMANDEURS,
    MSG_UNKNOWN_COMMUNE,
    PARTNER_ROLES,
    ROLE_LABELS,
)
from app.territoire.queries import CommuneInfo
from matching import enums, fr

# Far above any household eligible to social housing: a larger figure is a typing mistake.
MAX_YEARLY_INCOME = 1_000_000
MAX_MONTHLY_INCOME = 100_000
# Column sizes (app/demandes/models.py) bound the text fields.
INSEE_LENGTH = 5
SIRET_LENGTH = 14
MSG_COMMUNE_TOO_LONG = MSG_UNKNOWN_COMMUNE.replace("{code}", "{value}")


def _today() -> date:
    from app.clock import platform_today  # needs the application context

    return platform_today()


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def commune_code_field(label: str) -> TextField:
    return TextField(
        label, max_length=INSEE_LENGTH, too_long=MSG_COMMUNE_TOO_LONG,
        filters=[lambda v: v.strip().upper() if isinstance(v, str) else v],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "list": DATALIST_ID},
    )


def refresh_list_errors(field: FieldList) -> None:
    """Keep a FieldList's errors in step with its entries' (messages added after validate)."""
    own = [e for e in (field.errors or ()) if isinstance(e, str)]
    entries = [entry.errors for entry in field.entries]
    field.errors = ([*entries] if any(entries) else []) + own


# --------------------------------------------------------------------------- territory, identity


class TerritorySection:
    epci = ChoiceField("Territoire (intercommunalité)", choices=[],
                       validators=[required("Choisissez le territoire de votre demande.")])


class IdentitySection:
    """Coordonnées (personal data: audited when staff read it, purged after retention)."""

    civility = ChoiceField("Civilité (facultatif)",
                           choices=choices({"Mme": "Madame", "M.": "Monsieur"}, "— Non précisée —"))
    last_name = TextField(
        "Nom de famille du demandeur", max_length=100,
        too_long="Le nom ne peut pas dépasser 100 caractères.",
        filters=[strip],
        validators=[required("Indiquez votre nom de famille.")],
        render_kw={"autocomplete": "family-name"},
    )
    phone = TextField(
        "Téléphone (facultatif)", max_length=32,
        too_long="Numéro de téléphone invalide : 10 chiffres, par exemple 06 12 34 56 78.",
        filters=[strip],
        validators=[Optional(), Regexp(
            r"^\+?[0-9][0-9 .-]{8,18}[0-9]$",
            message="Numéro de téléphone invalide : 10 chiffres, par exemple 06 12 34 56 78.")],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    address = TextField(
        "Adresse actuelle (facultatif)", max_length=300,
        too_long="L'adresse ne peut pas dépasser 300 caractères.",
        filters=[strip],
        render_kw={"autocomplete": "street-address"},
    )


# --------------------------------------------------------------------------- household


class MemberForm(Form):
    """One person of the household. A row left entirely empty is ignored."""

    role = ChoiceField(
        "Lien avec le demandeur",
        choices=choices(ROLE_LABELS, "— Choisir —"),
        validators=[required("Indiquez qui est cette personne pour le demandeur.")],
    )
    first_name = TextField(
        "Prénom", max_length=100,
        validators=[required("Indiquez le prénom de cette personne.")],
        filters=[strip],
    )
    birth_date = FrenchDateField(
        "Date de naissance",
        validators=[required("Indiquez la date de naissance.")],
        render_kw={"inputmode": "numeric", "placeholder": "JJ/MM/AAAA"},
    )
    is_dependent = CheckboxField("Personne à charge")
    has_disability = CheckboxField("En situation de handicap")

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


class HouseholdSection:
    # One row more than allowed is read, so that too many persons get their message.
    household = BoundedFieldList(FormField(MemberForm), min_entries=1,
                                 max_entries=MAX_MEMBERS + 1)

    def member_rows(self) -> list[MemberForm]:
        """The household rows that are filled in (empty rows are ignored)."""
        return [entry.form for entry in self.household.entries if not entry.form.is_blank()]

    def validate_household(self, field):
        rows = self.member_rows()
        if not any(row.role.data == "demandeur" for row in rows):
            raise ValidationError(MSG_HOUSEHOLD)
        if sum(1 for row in rows if row.role.data == "demandeur") > 1:
            raise ValidationError(MSG_TWO_DEMANDEURS)
        if len(rows) > MAX_MEMBERS:
            raise ValidationError(MSG_TOO_MANY_MEMBERS)
        # A member without birth date counts as an adult (docs/formats.md).
        today = _today()
        if rows and not any(row.birth_date.data is None or _age(row.birth_date.data, today) >= 18
                            for row in rows):
            raise ValidationError(MSG_NO_ADULT)


# --------------------------------------------------------------------------- resources, housing


class ResourcesSection:
    rfr_n2 = AmountField(
        "Revenu fiscal de référence de l'année N-2",
        validators=[required("Indiquez le revenu fiscal de référence N-2 (0 si aucun revenu).")],
        negative_message=MSG_NEGATIVE_INCOME, maximum=MAX_YEARLY_INCOME,
    )
    rfr_n1 = AmountField("Revenu fiscal de référence de l'année N-1 (facultatif)",
                         negative_message=MSG_NEGATIVE_INCOME, maximum=MAX_YEARLY_INCOME)
    resources_last_12_months = AmountField("Revenus des 12 derniers mois (facultatif)",
                                           negative_message=MSG_NEGATIVE_INCOME,
                                           maximum=MAX_YEARLY_INCOME)
    monthly_resources = AmountField(
        "Ressources mensuelles du ménage",
        validators=[required("Indiquez les ressources mensuelles du ménage (0 si aucune).")],
        negative_message=MSG_NEGATIVE_INCOME, maximum=MAX_MONTHLY_INCOME,
    )


class HousingSection:
    _commune_lookup: Callable[[Iterable[str]], Mapping[str, CommuneInfo]]

    housing_kind = ChoiceField(
        "Type de logement actuel",
        choices=choices(enums.HOUSING_KIND_LABELS, "— Choisir —"),
        validators=[required("Indiquez votre situation de logement actuelle.")],
    )
    housing_commune = commune_code_field("Commune du logement actuel, code INSEE (facultatif)")
    housing_rooms = AmountField("Nombre de pièces principales (facultatif)", integer=True, maximum=50,
                                invalid_message="Indiquez un nombre entier de pièces.")
    housing_surface = AmountField("Surface habitable en m² (facultatif)", maximum=10_000,
                                  invalid_message="Indiquez une surface en m², en chiffres.")
    housing_rent = AmountField("Loyer mensuel hors charges en € (facultatif)", maximum=100_000)
    housing_charges = AmountField("Charges mensuelles en € (facultatif)", maximum=100_000)

    def validate_housing_commune(self, field):
        if not field.data:
            return
        if field.data not in self._commune_lookup([field.data]):
            raise ValidationError(MSG_UNKNOWN_COMMUNE.format(code=quote_prefix(field.data)))


# --------------------------------------------------------------------------- reasons, employment


class ReasonsSection:
    reasons = CheckboxesField("Motifs de la demande", choices=choices(enums.REASON_LABELS))


class EmploymentSection:
    contract_demandeur = ChoiceField(
        "Situation professionnelle du demandeur (facultatif)",
        choices=choices(CONTRACT_LABELS, "— Non renseignée —"),
    )
    contract_partner = ChoiceField(
        "Situation professionnelle du conjoint ou du codemandeur (facultatif)",
        choices=choices(CONTRACT_LABELS, "— Non renseignée ou sans objet —"),
    )
    employer_siret = TextField(
        "Numéro SIRET de l'employeur (facultatif)", max_length=SIRET_LENGTH, too_long=MSG_SIRET,
        filters=[lambda v: re.sub(r"[\s\u00a0]", "", v) if isinstance(v, str) else v],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    contributes_action_logement = CheckboxField(
        "L'employeur cotise à Action Logement (entreprise privée non agricole de 50 salariés "
        "ou plus)"
    )

    def validate_employer_siret(self, field):
        if field.data and not re.fullmatch(r"[0-9]{14}", field.data):
            raise ValidationError(MSG_SIRET)

    def validate_contract_partner(self, field):
        if field.data and not any(row.role.data in PARTNER_ROLES for row in self.member_rows()):
            raise ValidationError(MSG_NO_PARTNER)


# --------------------------------------------------------------------------- wishes, priority


class WishesSection:
    # Twice the allowed number is read, so that too many communes get their message.
    communes = BoundedFieldList(commune_code_field("Commune"), min_entries=MAX_COMMUNES,
                                max_entries=2 * MAX_COMMUNES)
    typologies = CheckboxesField("Typologies souhaitées", choices=choices(
        {t: f"{t}{' ou plus' if t == 'T6' else ''} ({t[1]} pièce{'s' if t != 'T1' else ''} "
            f"principale{'s' if t != 'T1' else ''})" for t in enums.TYPOLOGIES}))
    max_rent = AmountField("Loyer maximum souhaité, charges comprises (€ par mois, facultatif)",
                           maximum=100_000)
    needs_accessible = CheckboxField(
        "J'ai besoin d'un logement adapté à une personne à mobilité réduite"
    )

    def validate_communes(self, field):
        # Per-choice messages go next to each input; count messages next to the group.
        # A choice already refused by its field (too long) gets no second message.
        filled = [entry for entry in field.entries if entry.data]
        checked = [entry for entry in filled if not entry.errors]
        known = self._commune_lookup([entry.data for entry in checked])
        epci_id = self.selected_epci_id()
        restricted = epci_id is not None and self._territory_of(epci_id)
        seen: set[str] = set()
        for entry in checked:
            code = entry.data
            commune = known.get(code)
            if commune is None:
                message = MSG_UNKNOWN_COMMUNE.format(code=quote_prefix(code))
            elif code in seen:
                message = MSG_DUPLICATE_COMMUNE.format(name=commune.name, code=code)
            elif restricted and commune.epci_id != epci_id:
                message = MSG_OUTSIDE_TERRITORY.format(
                    name=commune.name, code=code, de_epci=fr.de(self.selected_epci_name())
                )
            else:
                message = None
            seen.add(code)
            if message:
                entry.errors = [*entry.errors, message]
        refresh_list_errors(field)
        if not filled:
            raise ValidationError(MSG_NO_COMMUNE)
        if len(filled) > MAX_COMMUNES:
            raise ValidationError(MSG_TOO_MANY_COMMUNES)


class PrioritySection:
    dalo = CheckboxField("Le ménage est reconnu prioritaire au titre du droit au logement "
                        "opposable (DALO)")
    l441_1 = CheckboxesField("Situations prioritaires (article L.441-1 du code de la construction "
                             "et de l'habitation)", choices=choices(L441_1_LABELS))
