"""Form fields shared by every space, with French messages and bounded input.

Built-in WTForms messages are English (Flask-Babel is not installed), so these fields carry
their own French messages. Every text field has a maximum length matching its database
column: a longer value is refused by the field itself (before any other check) and is never
echoed back whole (the re-displayed value and the messages quote a prefix only). Numbers go
through :mod:`app.inputs` (ASCII digits, bounded).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date

from wtforms import (
    BooleanField,
    EmailField,
    Field,
    FieldList,
    Form,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.fields import SelectMultipleField
from wtforms.validators import StopValidation
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

try:  # WTForms 3.3 deprecates (value, label) tuples for choices
    from wtforms.fields import SelectChoice
except ImportError:  # pragma: no cover - WTForms < 3.3
    SelectChoice = None

from app.inputs import parse_int, quote_prefix

MSG_NEGATIVE_AMOUNT = "Le montant ne peut pas être négatif."
MSG_AMOUNT = "Indiquez un montant en euros, en chiffres (par exemple 14200 ou 1350,50)."
MSG_TOO_LARGE = "Ce montant semble trop élevé : vérifiez-le."
MSG_DATE = "Date invalide : « {value} ». Indiquez une date réelle au format JJ/MM/AAAA."
MSG_CHOICE = "Choisissez une valeur dans la liste proposée."
MSG_TOO_LONG = "{max_length} caractères au plus."

# Longest text an amount or a date field reads (spaces included): anything longer is refused.
MAX_AMOUNT_TEXT = 32
MAX_DATE_TEXT = 32

_NUMBER = re.compile(r"-?[0-9]{1,15}(?:[.,][0-9]{1,6})?")
_FR_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def strip(value):
    """Filter: surrounding spaces removed (None and non-text left alone)."""
    return value.strip() if isinstance(value, str) else value


def required(message: str) -> Callable[[Form, Field], None]:
    """Refuse an empty field, unless it already failed to parse (one message is enough)."""

    def check(form: Form, field: Field) -> None:
        if field.process_errors:
            raise StopValidation()
        if field.data is None or field.data == "":
            raise StopValidation(message)

    return check


# --------------------------------------------------------------------------- text


class BoundedText:
    """Mixin for text fields: at most ``max_length`` characters.

    A longer value is refused before the other validators run (``too_long`` may quote the
    value with ``{value}``: a prefix only), the ``maxlength`` attribute tells the browser,
    and both ``data`` and the re-displayed value are cut to ``max_length`` characters.
    """

    def __init__(self, label=None, validators=None, *, max_length: int,
                 too_long: str | None = None, **kwargs):
        render_kw = dict(kwargs.pop("render_kw", None) or {})
        render_kw.setdefault("maxlength", str(max_length))
        super().__init__(label, validators, render_kw=render_kw, **kwargs)
        self.max_length = max_length
        self.too_long = too_long or MSG_TOO_LONG

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        # Whatever reads ``data`` (templates, other checks) sees a bounded value; the
        # refusal itself comes in pre_validate.
        self.too_long_value = isinstance(self.data, str) and len(self.data) > self.max_length
        if self.too_long_value:
            self.data = self.data[: self.max_length]

    def pre_validate(self, form):
        super().pre_validate(form)
        if getattr(self, "too_long_value", False):
            typed = self.raw_data[0] if self.raw_data else self.data
            raise StopValidation(self.too_long.format(
                max_length=self.max_length, value=quote_prefix(typed)))

    def _value(self) -> str:
        return super()._value()[: self.max_length]


class TextField(BoundedText, StringField):
    """A one-line text input of at most ``max_length`` characters."""


class EmailTextField(BoundedText, EmailField):
    """An e-mail input of at most ``max_length`` characters (254: RFC 5321)."""


class SecretField(BoundedText, PasswordField):
    """A password input of at most ``max_length`` characters (never re-displayed)."""


class CheckboxField(BooleanField):
    """A single checkbox; its ``value`` attribute is always "y" (WTForms' own echoes
    whatever was posted, however long)."""

    def _value(self) -> str:
        return "y"


# --------------------------------------------------------------------------- numbers and dates


class AmountField(Field):
    """A number typed the French way ("1 350,50", "14200 €"); None when left empty."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, *, integer: bool = False,
                 maximum: float = 100_000_000, negative_message: str = MSG_NEGATIVE_AMOUNT,
                 invalid_message: str = MSG_AMOUNT, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "numeric" if integer else "decimal",
                                        "maxlength": str(MAX_AMOUNT_TEXT)})
        super().__init__(label, validators, **kwargs)
        self.integer = integer
        self.maximum = maximum
        self.negative_message = negative_message
        self.invalid_message = invalid_message

    def process_formdata(self, valuelist):
        self.data = None
        raw = (valuelist[0] if valuelist else "") or ""
        if len(raw) > MAX_AMOUNT_TEXT:
            raise ValueError(self.invalid_message)
        text = re.sub(r"[\s\u00a0\u202f€]", "", raw)
        if not text:
            return
        if not _NUMBER.fullmatch(text):
            raise ValueError(self.invalid_message)
        if self.integer:
            # "3,0" is an integer written with a decimal part; "3,5" is not.
            whole, _, decimals = text.replace(",", ".").partition(".")
            if decimals.strip("0"):
                raise ValueError(self.invalid_message)
            self.data = parse_int(whole, minimum=-(10**15), maximum=10**15)
        else:
            self.data = float(text.replace(",", "."))

    def pre_validate(self, form):
        if self.data is None:
            return
        if self.data < 0:
            raise StopValidation(self.negative_message)
        if self.data > self.maximum:
            raise StopValidation(MSG_TOO_LARGE)

    def _value(self) -> str:
        if self.raw_data:
            return (self.raw_data[0] or "")[:MAX_AMOUNT_TEXT]
        if self.data is None:
            return ""
        if float(self.data) == int(self.data):
            return str(int(self.data))
        return f"{self.data:.2f}".replace(".", ",")


class FrenchDateField(Field):
    """A date typed JJ/MM/AAAA (ISO AAAA-MM-JJ accepted too); None when left empty."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = dict(kwargs.pop("render_kw", None) or {})
        render_kw.setdefault("maxlength", str(MAX_DATE_TEXT))
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        text = ((valuelist[0] if valuelist else "") or "").strip()
        if not text:
            return
        try:
            match = _FR_DATE.fullmatch(text)
            if match:
                day, month, year = (int(g) for g in match.groups())
                self.data = date(year, month, day)
            elif _ISO_DATE.fullmatch(text):
                self.data = date.fromisoformat(text)
            else:
                raise ValueError(text)
        except ValueError:
            raise ValueError(MSG_DATE.format(value=quote_prefix(text))) from None

    def _value(self) -> str:
        if self.raw_data:
            return (self.raw_data[0] or "")[:MAX_DATE_TEXT]
        return self.data.strftime("%d/%m/%Y") if self.data else ""


# --------------------------------------------------------------------------- choices


def choice(value: str, label: str):
    """One option of a select or a group of checkboxes."""
    return SelectChoice(value=value, label=label) if SelectChoice else (value, label)


def choices(labels: Mapping[str, str], placeholder: str | None = None) -> list:
    """Options from a value → label mapping, after an optional empty placeholder."""
    head = [choice("", placeholder)] if placeholder is not None else []
    return head + [choice(value, label) for value, label in labels.items()]


def choice_values(options) -> set[str]:
    return {str(c.value if SelectChoice else c[0]) for c in options or ()}


class ChoiceField(SelectField):
    """A select whose refusal of an unknown value is in French."""

    def pre_validate(self, form):
        if self.data not in choice_values(self.choices):
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
        values = choice_values(self.choices)
        if any(v not in values for v in self.data or ()):
            raise StopValidation(MSG_CHOICE)


# --------------------------------------------------------------------------- lists


class BoundedFieldList(FieldList):
    """A FieldList that reads at most ``max_entries`` rows, numbered in ASCII digits.

    WTForms' own reading of the row numbers calls ``int()`` on anything ``isdigit()``
    accepts ("household-²-role" would raise) and creates one row per distinct number posted.
    """

    def __init__(self, unbound_field, label=None, validators=None, *, max_entries: int,
                 **kwargs):
        super().__init__(unbound_field, label, validators, max_entries=max_entries, **kwargs)

    def _extract_indices(self, prefix, formdata):
        offset = len(prefix) + 1
        for key in formdata:
            if key.startswith(prefix):
                index = parse_int(key[offset:].split(self._field_separator, 1)[0],
                                  minimum=0, maximum=10_000)
                if index is not None and key[offset:offset + 1].isdigit():
                    yield index


IMPORT_MAX_BYTES = 10 * 1024 * 1024  # an import file (CSV / JSON Lines), below MAX_CONTENT_LENGTH


def read_import_text(field: Field, max_bytes: int = IMPORT_MAX_BYTES) -> str | None:
    """The text of an uploaded import file (UTF-8, a BOM allowed), or None with the French
    reason set on the field: no file, too large, not UTF-8 text."""
    upload = field.data
    raw = upload.read(max_bytes + 1) if upload is not None and getattr(upload, "filename", "") \
        else b""
    if not raw:
        field.errors = ["Choisissez un fichier à importer."]
        return None
    if len(raw) > max_bytes:
        field.errors = [f"Le fichier dépasse {max_bytes // (1024 * 1024)} Mo."]
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        field.errors = ["Ce fichier n'est pas un texte UTF-8 : enregistrez-le en « CSV UTF-8 » "
                        "et envoyez-le à nouveau."]
        return None
