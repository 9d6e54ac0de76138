"""Domain records of the exchange format v1 and their validating parsers.

Records are frozen dataclasses; every parser reports the field path and the reason of the
first problem it meets in a record (``RecordError``), so the command line and the imports can
say ``line N: field.path: reason`` and go on with the other records.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from . import enums


class RecordError(ValueError):
    """A record that does not follow the exchange format: field path and reason."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class Member:
    role: str
    birth_date: date | None = None
    is_dependent: bool = False
    has_disability: bool = False


@dataclass(frozen=True, slots=True)
class CurrentHousing:
    kind: str
    commune: str | None = None
    rooms: int | None = None
    surface: float | None = None
    rent: float | None = None
    charges: float | None = None


@dataclass(frozen=True, slots=True)
class Employment:
    member: int
    contract: str


@dataclass(frozen=True, slots=True)
class Employer:
    siret: str | None = None
    contributes_action_logement: bool = False


@dataclass(frozen=True, slots=True)
class Wishes:
    communes: tuple[str, ...]
    typologies: tuple[str, ...] = ()
    max_rent: float | None = None
    needs_accessible: bool = False


@dataclass(frozen=True, slots=True)
class Priority:
    dalo: bool = False
    l441_1: tuple[str, ...] = ()
    acd_labelled: bool = False
    labelled_by: str | None = None
    labelled_on: date | None = None


@dataclass(frozen=True, slots=True)
class Refusal:
    date: date
    offer: str | None = None
    adapted: bool = False
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Demande:
    id: str
    filed_on: date
    household: tuple[Member, ...]
    rfr_n2: float
    current_housing: CurrentHousing
    wishes: Wishes
    renewed_on: date | None = None
    is_mutation: bool = False
    rfr_n1: float | None = None
    # Income of the last 12 months (docs/regulation.md, « Revenu retenu »); optional extension field.
    resources_last_12_months: float | None = None
    monthly_resources: float | None = None
    reasons: tuple[str, ...] = ()
    employment: tuple[Employment, ...] = ()
    employer: Employer = field(default_factory=Employer)
    priority: Priority = field(default_factory=Priority)
    refusals: tuple[Refusal, ...] = ()
    verified: Mapping[str, str] = field(default_factory=dict)

    @property
    def size(self) -> int:
        """Number of persons in the household."""
        return len(self.household)


# Zone A/B/C of the logement (zonage A bis, A, B1, B2, C), which chooses the column of the
# PLI / logement intermédiaire ceilings; optional for the other financings.
ZONES_ABC = ("A_bis", "A", "B1", "B2", "C")


@dataclass(frozen=True, slots=True)
class Logement:
    """A dwelling, and when published an offer (réservataire, flux status, deadline)."""

    id: str
    commune: str
    zone: str
    typology: str
    financing: str
    rent: float
    bailleur: str | None = None
    programme: str | None = None
    qpv: bool = False
    rooms: int | None = None
    surface: float | None = None
    floor: int | None = None
    lift: bool = False
    accessible: bool = False
    charges: float = 0.0
    construction_year: int | None = None
    available_on: date | None = None
    reservataire: str | None = None
    flux_status: str | None = None
    designation_deadline: date | None = None
    zone_abc: str | None = None


@dataclass(frozen=True, slots=True)
class ConventionScope:
    communes: tuple[str, ...] = ()
    typologies: tuple[str, ...] = ()
    qpv: bool | None = None


@dataclass(frozen=True, slots=True)
class Convention:
    id: str
    bailleur: str
    reservataire: str
    reservataire_kind: str
    departement: str
    year: int
    share_percent: float
    origin: str = "autre"
    designation_delay_days: int = 30
    counts_on: str = "mise_a_disposition"
    counts_after_takeback: bool = True
    scope: ConventionScope = field(default_factory=ConventionScope)


# --------------------------------------------------------------------------- field readers


def _missing(obj: Mapping[str, Any], key: str) -> bool:
    return key not in obj or obj[key] is None or obj[key] == ""


def _req(obj: Mapping[str, Any], key: str, path: str) -> Any:
    if _missing(obj, key):
        raise RecordError(path + key, "champ obligatoire manquant")
    return obj[key]


def _str(value: Any, path: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RecordError(path, f"texte attendu, reçu {value!r}")
    text = str(value).strip()
    if not text:
        raise RecordError(path, "texte vide")
    if "\x00" in text:
        raise RecordError(path, "caractère NUL interdit dans un texte")
    return text


def _opt_str(obj: Mapping[str, Any], key: str, path: str) -> str | None:
    return None if _missing(obj, key) else _str(obj[key], path + key)


def _date(value: Any, path: str) -> date:
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise RecordError(path, f"date AAAA-MM-JJ attendue, reçu {value!r}")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise RecordError(path, f"date AAAA-MM-JJ invalide : {value!r}") from None


def _opt_date(obj: Mapping[str, Any], key: str, path: str) -> date | None:
    return None if _missing(obj, key) else _date(obj[key], path + key)


_TRUE = {"true", "1", "oui", "yes", "vrai"}
_FALSE = {"false", "0", "non", "no", "faux"}


def _bool(value: Any, path: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        low = value.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
    raise RecordError(path, f"booléen attendu (true/false), reçu {value!r}")


def _opt_bool(obj: Mapping[str, Any], key: str, path: str, default: bool = False) -> bool:
    return default if _missing(obj, key) else _bool(obj[key], path + key)


def _number(value: Any, path: str, *, minimum: float | None = 0) -> float:
    if isinstance(value, bool):
        raise RecordError(path, f"nombre attendu, reçu {value!r}")
    if isinstance(value, str):
        try:
            value = float(value.strip().replace(",", "."))
        except ValueError:
            raise RecordError(path, f"nombre attendu, reçu {value!r}") from None
    if not isinstance(value, int | float) or value != value:  # NaN
        raise RecordError(path, f"nombre attendu, reçu {value!r}")
    if minimum is not None and value < minimum:
        raise RecordError(path, f"doit être supérieur ou égal à {minimum:g}, reçu {value:g}")
    return float(value)


def _opt_number(obj: Mapping[str, Any], key: str, path: str) -> float | None:
    return None if _missing(obj, key) else _number(obj[key], path + key)


def _int(value: Any, path: str, *, minimum: int | None = 0) -> int:
    number = _number(value, path, minimum=minimum)
    if number != int(number):
        raise RecordError(path, f"nombre entier attendu, reçu {value!r}")
    return int(number)


def _opt_int(obj: Mapping[str, Any], key: str, path: str, minimum: int | None = 0) -> int | None:
    return None if _missing(obj, key) else _int(obj[key], path + key, minimum=minimum)


def _enum(value: Any, allowed: tuple[str, ...], path: str) -> str:
    text = _str(value, path)
    if text not in allowed:
        raise RecordError(path, f"valeur inconnue {text!r} (attendu : {', '.join(allowed)})")
    return text


def _commune(value: Any, path: str) -> str:
    text = _str(value, path)
    if isinstance(value, int):
        text = f"{value:05d}"
    # INSEE codes: 5 characters, digits except Corsica's 2A/2B.
    if len(text) != 5 or not (text.isdigit() or (text[:2] in ("2A", "2B") and text[2:].isdigit())):
        raise RecordError(path, f"code commune INSEE à 5 caractères attendu, reçu {text!r}")
    return text


def commune_code(value: Any, path: str = "commune") -> str:
    """Validate an INSEE commune code (5 characters; digits, or 2A/2B for Corsica)."""
    return _commune(value, path)


def _obj(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise RecordError(path.rstrip("."), "objet attendu")
    return value


def _list(value: Any, path: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise RecordError(path, "liste attendue")
    return list(value)


# --------------------------------------------------------------------------- parsers


def parse_demande(obj: Mapping[str, Any]) -> Demande:
    """Validate one demande record (docs/formats.md) and build the domain object."""
    obj = _obj(obj, "")
    ident = _str(_req(obj, "id", ""), "id")
    filed_on = _date(_req(obj, "filed_on", ""), "filed_on")

    members_raw = _list(_req(obj, "household", ""), "household")
    if not members_raw:
        raise RecordError("household", "le ménage doit compter au moins une personne")
    members = []
    for i, raw in enumerate(members_raw):
        p = f"household[{i}]."
        raw = _obj(raw, p)
        members.append(
            Member(
                role=_enum(_req(raw, "role", p), enums.HOUSEHOLD_ROLES, p + "role"),
                birth_date=_opt_date(raw, "birth_date", p),
                is_dependent=_opt_bool(raw, "is_dependent", p),
                has_disability=_opt_bool(raw, "has_disability", p),
            )
        )
    if not any(m.role == "demandeur" for m in members):
        raise RecordError("household", "aucun membre avec le rôle « demandeur »")

    rfr_n2 = _number(_req(obj, "rfr_n2", ""), "rfr_n2")

    ch = _obj(_req(obj, "current_housing", ""), "current_housing.")
    p = "current_housing."
    current = CurrentHousing(
        kind=_enum(_req(ch, "kind", p), enums.HOUSING_KINDS, p + "kind"),
        commune=None if _missing(ch, "commune") else _commune(ch["commune"], p + "commune"),
        rooms=_opt_int(ch, "rooms", p),
        surface=_opt_number(ch, "surface", p),
        rent=_opt_number(ch, "rent", p),
        charges=_opt_number(ch, "charges", p),
    )

    wi = _obj(_req(obj, "wishes", ""), "wishes.")
    communes_raw = _list(_req(wi, "communes", "wishes."), "wishes.communes")
    if not communes_raw:
        raise RecordError("wishes.communes", "au moins une commune souhaitée")
    wishes = Wishes(
        communes=tuple(_commune(c, f"wishes.communes[{i}]") for i, c in enumerate(communes_raw)),
        typologies=tuple(
            _enum(t, enums.TYPOLOGIES, f"wishes.typologies[{i}]")
            for i, t in enumerate(_list(wi.get("typologies"), "wishes.typologies"))
        ),
        max_rent=_opt_number(wi, "max_rent", "wishes."),
        needs_accessible=_opt_bool(wi, "needs_accessible", "wishes."),
    )

    employment = []
    for i, raw in enumerate(_list(obj.get("employment"), "employment")):
        p = f"employment[{i}]."
        raw = _obj(raw, p)
        member = _int(_req(raw, "member", p), p + "member")
        if member >= len(members):
            raise RecordError(p + "member", f"aucun membre d'indice {member} dans le ménage")
        employment.append(
            Employment(member=member, contract=_enum(_req(raw, "contract", p), enums.CONTRACTS, p + "contract"))
        )

    em = obj.get("employer") or {}
    em = _obj(em, "employer.")
    employer = Employer(
        siret=_opt_str(em, "siret", "employer."),
        contributes_action_logement=_opt_bool(em, "contributes_action_logement", "employer."),
    )
    if employer.siret is not None and not (employer.siret.isdigit() and len(employer.siret) == 14):
        raise RecordError("employer.siret", f"SIRET à 14 chiffres attendu, reçu {employer.siret!r}")

    pr = _obj(obj.get("priority") or {}, "priority.")
    priority = Priority(
        dalo=_opt_bool(pr, "dalo", "priority."),
        l441_1=tuple(
            _enum(v, enums.L441_1, f"priority.l441_1[{i}]")
            for i, v in enumerate(_list(pr.get("l441_1"), "priority.l441_1"))
        ),
        acd_labelled=_opt_bool(pr, "acd_labelled", "priority."),
        labelled_by=_opt_str(pr, "labelled_by", "priority."),
        labelled_on=_opt_date(pr, "labelled_on", "priority."),
    )

    refusals = []
    for i, raw in enumerate(_list(obj.get("refusals"), "refusals")):
        p = f"refusals[{i}]."
        raw = _obj(raw, p)
        refusals.append(
            Refusal(
                date=_date(_req(raw, "date", p), p + "date"),
                offer=_opt_str(raw, "offer", p),
                adapted=_opt_bool(raw, "adapted", p),
                reason=_opt_str(raw, "reason", p),
            )
        )

    verified_raw = _obj(obj.get("verified") or {}, "verified.")
    verified = {
        str(k): _enum(v, enums.VERIFICATION, f"verified.{k}") for k, v in verified_raw.items()
    }

    return Demande(
        id=ident,
        filed_on=filed_on,
        renewed_on=_opt_date(obj, "renewed_on", ""),
        is_mutation=_opt_bool(obj, "is_mutation", ""),
        household=tuple(members),
        rfr_n2=rfr_n2,
        rfr_n1=_opt_number(obj, "rfr_n1", ""),
        resources_last_12_months=_opt_number(obj, "resources_last_12_months", ""),
        monthly_resources=_opt_number(obj, "monthly_resources", ""),
        current_housing=current,
        reasons=tuple(
            _enum(r, enums.REASONS, f"reasons[{i}]")
            for i, r in enumerate(_list(obj.get("reasons"), "reasons"))
        ),
        employment=tuple(employment),
        employer=employer,
        wishes=wishes,
        priority=priority,
        refusals=tuple(sorted(refusals, key=lambda r: r.date)),
        verified=verified,
    )


def parse_logement(obj: Mapping[str, Any]) -> Logement:
    """Validate one logement / offre record (docs/formats.md)."""
    obj = _obj(obj, "")
    typology = _enum(_req(obj, "typology", ""), enums.TYPOLOGIES, "typology")
    flux_status = (
        None if _missing(obj, "flux_status") else _enum(obj["flux_status"], enums.FLUX_STATUSES, "flux_status")
    )
    construction_year = _opt_int(obj, "construction_year", "")
    if construction_year is not None and not 1800 <= construction_year <= 2100:
        raise RecordError("construction_year", f"année invalide : {construction_year}")
    return Logement(
        id=_str(_req(obj, "id", ""), "id"),
        bailleur=_opt_str(obj, "bailleur", ""),
        programme=_opt_str(obj, "programme", ""),
        commune=_commune(_req(obj, "commune", ""), "commune"),
        zone=_enum(_req(obj, "zone", ""), enums.ZONES, "zone"),
        qpv=_opt_bool(obj, "qpv", ""),
        typology=typology,
        rooms=_opt_int(obj, "rooms", ""),
        surface=_opt_number(obj, "surface", ""),
        floor=_opt_int(obj, "floor", "", minimum=-5),
        lift=_opt_bool(obj, "lift", ""),
        accessible=_opt_bool(obj, "accessible", ""),
        financing=_enum(_req(obj, "financing", ""), enums.FINANCINGS, "financing"),
        rent=_number(_req(obj, "rent", ""), "rent"),
        charges=_opt_number(obj, "charges", "") or 0.0,
        construction_year=construction_year,
        available_on=_opt_date(obj, "available_on", ""),
        reservataire=_opt_str(obj, "reservataire", ""),
        flux_status=flux_status,
        designation_deadline=_opt_date(obj, "designation_deadline", ""),
        zone_abc=None if _missing(obj, "zone_abc") else _enum(obj["zone_abc"], ZONES_ABC, "zone_abc"),
    )


def parse_convention(obj: Mapping[str, Any]) -> Convention:
    """Validate one convention record (docs/formats.md)."""
    obj = _obj(obj, "")
    share = _number(_req(obj, "share_percent", ""), "share_percent")
    if share > 100:
        raise RecordError("share_percent", f"pourcentage entre 0 et 100 attendu, reçu {share:g}")
    sc = _obj(obj.get("scope") or {}, "scope.")
    scope = ConventionScope(
        communes=tuple(
            _commune(c, f"scope.communes[{i}]") for i, c in enumerate(_list(sc.get("communes"), "scope.communes"))
        ),
        typologies=tuple(
            _enum(t, enums.TYPOLOGIES, f"scope.typologies[{i}]")
            for i, t in enumerate(_list(sc.get("typologies"), "scope.typologies"))
        ),
        qpv=None if _missing(sc, "qpv") else _bool(sc["qpv"], "scope.qpv"),
    )
    return Convention(
        id=_str(_req(obj, "id", ""), "id"),
        bailleur=_str(_req(obj, "bailleur", ""), "bailleur"),
        reservataire=_str(_req(obj, "reservataire", ""), "reservataire"),
        reservataire_kind=_enum(
            _req(obj, "reservataire_kind", ""), enums.RESERVATAIRE_KINDS, "reservataire_kind"
        ),
        departement=_str(_req(obj, "departement", ""), "departement"),
        year=_int(_req(obj, "year", ""), "year", minimum=2000),
        share_percent=share,
        origin="autre" if _missing(obj, "origin") else _enum(obj["origin"], enums.CONVENTION_ORIGINS, "origin"),
        designation_delay_days=_opt_int(obj, "designation_delay_days", "") or 30,
        counts_on=(
            "mise_a_disposition"
            if _missing(obj, "counts_on")
            else _enum(obj["counts_on"], enums.COUNTS_ON, "counts_on")
        ),
        counts_after_takeback=_opt_bool(obj, "counts_after_takeback", "", default=True),
        scope=scope,
    )


# --------------------------------------------------------------------------- serialisation


def to_jsonable(value: Any) -> Any:
    """Turn a record (dataclasses, tuples, dates) back into exchange-format JSON values."""
    if hasattr(value, "__dataclass_fields__"):
        return {name: to_jsonable(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    return value


# --------------------------------------------------------------------------- reading files

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class LineError:
    line: int
    path: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.path or '(record)'}: {self.reason}"


def _unflatten(row: Mapping[str, str]) -> dict[str, Any]:
    """CSV columns use dotted paths (``current_housing.kind``); list and object cells hold JSON."""
    out: dict[str, Any] = {}
    for key, cell in row.items():
        if key is None:
            raise RecordError("(csv)", "plus de cellules que de colonnes")
        cell = (cell or "").strip()
        if cell == "":
            continue
        if cell[:1] in "[{":
            try:
                value: Any = json.loads(cell)
            except json.JSONDecodeError as exc:
                raise RecordError(key, f"JSON invalide dans la cellule : {exc.msg}") from None
        else:
            value = cell
        target = out
        parts = key.strip().split(".")
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return out


def iter_raw(stream: Iterable[str], fmt: str = "jsonl") -> Iterator[tuple[int, Any]]:
    """Yield (line number, raw object or RecordError) from JSON Lines or CSV text."""
    if fmt == "csv":
        reader = csv.DictReader(stream if not isinstance(stream, str) else io.StringIO(stream))
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # e.g. a NUL byte: report the line, read on
                yield reader.line_num, RecordError("(csv)", f"CSV invalide : {exc}")
                continue
            try:
                yield reader.line_num, _unflatten(row)
            except RecordError as exc:
                yield reader.line_num, exc
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, RecordError("(json)", f"JSON invalide : {exc.msg} (colonne {exc.colno})")


def read_records(
    stream: Iterable[str], parser: Callable[[Mapping[str, Any]], T], fmt: str = "jsonl"
) -> tuple[list[tuple[int, T]], list[LineError]]:
    """Parse every record; return the good ones with their line numbers and every error."""
    good: list[tuple[int, T]] = []
    errors: list[LineError] = []
    for number, raw in iter_raw(stream, fmt):
        if isinstance(raw, RecordError):
            errors.append(LineError(number, raw.path, raw.reason))
            continue
        try:
            good.append((number, parser(raw)))
        except RecordError as exc:
            errors.append(LineError(number, exc.path, exc.reason))
    return good, errors
