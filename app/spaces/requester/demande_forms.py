"""The requester's "Ma demande de logement social" form (create and edit).

WTForms checks each field and says what is wrong in French, next to the field; the form then
builds the exchange-format record (docs/formats.md ``demande``), which goes through
``matching.records.parse_demande`` as the final gate.

The form is split by concern: reusable fields in app/spaces/fields.py, labels and messages
in demande_labels.py, the page's sections and their checks in demande_sections.py, the
record mapping in demande_record.py; this module assembles ``DemandeForm`` and its display.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import SimpleNamespace
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, FieldList, FormField

from app.inputs import parse_id
from app.spaces.fields import choice, choice_values
from app.spaces.requester.demande_labels import DATALIST_ID, MAX_COMMUNES, MAX_MEMBERS
from app.spaces.requester.demande_record import RecordMapping, initial_data
from app.spaces.requester.demande_sections import (
    CommuneInfo,
    EmploymentSection,
    HouseholdSection,
    HousingSection,
    IdentitySection,
    MemberForm,
    PrioritySection,
    ReasonsSection,
    ResourcesSection,
    TerritorySection,
    WishesSection,
    refresh_list_errors,
)
from matching.records import RecordError, parse_demande

__all__ = ["DATALIST_ID", "CommuneInfo", "DemandeForm", "ErrorSummary", "MemberForm",
           "initial_data"]


class DemandeForm(TerritorySection, IdentitySection, HouseholdSection, ResourcesSection,
                  HousingSection, ReasonsSection, EmploymentSection, WishesSection,
                  PrioritySection, RecordMapping, FlaskForm):
    """Ma demande de logement social: every part of the docs/formats.md ``demande`` record."""

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

    def identity(self) -> dict[str, str | None]:
        """The requester's contact details (not part of the exchange-format record)."""
        return {
            "civility": self.civility.data or None,
            "last_name": self.last_name.data or None,
            "phone": self.phone.data or None,
            "address": self.address.data or None,
        }

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

    # ------------------------------------------------------------------ territory

    def selected_epci_id(self) -> int | None:
        """The chosen territory's id: one of the offered choices, else None."""
        if self.fixed_epci is not None:
            return self.fixed_epci[0]
        value = self.epci.data
        if not value or value not in choice_values(self.epci.choices):
            return None
        return parse_id(value)

    def selected_epci_name(self) -> str:
        if self.fixed_epci is not None:
            return self.fixed_epci[1]
        return self.epci.label_of(self.epci.data) or "ce territoire"

    # ------------------------------------------------------------------ the final gate

    def gate(self, **kwargs: Any):
        """Build the record and run it through parse_demande; None (and a field error) if refused."""
        record, first_names = self.build_record(**kwargs)
        try:
            return parse_demande(record), first_names
        except RecordError as err:
            self.add_error(self.field_for_path(err.path), f"Donnée refusée : {err.reason}.")
            return None

    def add_error(self, field: Field | None, message: str) -> None:
        """Attach a message to a field (or to the form) after validation."""
        if field is None:
            self.form_errors.append(message)
        else:
            field.errors = [*field.errors, message]
        refresh_list_errors(self.household)
        refresh_list_errors(self.communes)

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
