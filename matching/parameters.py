"""Dated regulatory parameters read from ``matching/parameters/**/*.yaml`` (OpenFisca style).

Operators add a new year (or correct a value) without a release: ``COTAFLUX_PARAMETERS_DIR``
names a directory of YAML files in the same format, laid out like the shipped one
(``plafonds_ressources/plus.yaml`` …); its values are added to the shipped series, and a value
at a date the series already has replaces it (docs/parameters.md, yearly update procedure).
Pure helpers for the operator's check: ``validate_directory(path)``, ``missing_for(year)``,
``provenance(value)``.

A file is a tree of nodes; a leaf has ``values: {YYYY-MM-DD: {value, reference, url?,
derived?, derivation?, to_verify?, note?}}``. A leaf's name is its file path (without
``.yaml``) and its keys joined by dots, e.g. ``plafonds_ressources.plus.autres_regions.categorie_1``.

Lookup is "latest start date on or before the decision date". A date before the first value
is an error, and so is a date past the validity of the last value: a series marked
``yearly: true`` (income ceilings, IRL revaluations) holds one value per calendar year, so its
last value stops on 31 December of its year and asking the next year raises
``ParameterMissing`` instead of silently serving an old figure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

PARAMETERS_DIR = Path(__file__).with_name("parameters")
OVERRIDE_ENV = "COTAFLUX_PARAMETERS_DIR"

# Provenance of a value, as listed by ``python -m matching parameters``.
SOURCED, DERIVED, TO_VERIFY = "sourced", "derived", "to_verify"

# Keys describing a node, inherited by the leaves below it; any other key is a child node.
_NODE_KEYS = {"description", "unit", "yearly", "reference_rule"}
_VALUE_KEYS = {"value", "reference", "url", "derived", "derivation", "to_verify", "note", "valid_until"}


class ParameterError(LookupError):
    """Base class of parameter problems (unknown name, no value for a date, bad file)."""


class ParameterMissing(ParameterError):
    """No value of a parameter applies on the requested date."""

    def __init__(self, name: str, on: date, detail: str):
        self.name = name
        self.on = on
        super().__init__(
            f"paramètre « {name} » : aucune valeur applicable au {on.isoformat()} ({detail}) / "
            f"parameter {name!r} has no value on {on.isoformat()}"
        )


class UnknownParameter(ParameterError):
    """The parameter name does not exist in the parameter files."""


@dataclass(frozen=True, slots=True)
class ParameterValue:
    """One dated value of a parameter with its provenance."""

    name: str
    value: Any
    start: date
    reference: str
    unit: str | None = None
    url: str | None = None
    derived: bool = False
    derivation: str | None = None
    to_verify: bool = False
    note: str | None = None
    valid_until: date | None = None

    @property
    def provenance(self) -> str:
        """``derived`` (an estimate), ``to_verify`` (published, not cross-checked) or ``sourced``."""
        return provenance(self)

    @property
    def is_estimate(self) -> bool:
        """True when the value is derived or still to verify: a verdict must say so."""
        return self.derived or self.to_verify

    def to_json(self) -> dict[str, Any]:
        """JSON-ready provenance (what a verdict stores to be reproducible)."""
        out: dict[str, Any] = {
            "name": self.name,
            "value": self.value,
            "start": self.start.isoformat(),
            "reference": self.reference,
        }
        if self.url:
            out["url"] = self.url
        if self.derived:
            out["derived"] = True
            out["derivation"] = self.derivation
        if self.to_verify:
            out["to_verify"] = True
        if self.note:
            out["note"] = self.note
        return out


def provenance(value: ParameterValue) -> str:
    """``derived`` wins over ``to_verify``; a value with neither flag is ``sourced``."""
    if value.derived:
        return DERIVED
    if value.to_verify:
        return TO_VERIFY
    return SOURCED


@dataclass(frozen=True, slots=True)
class Parameter:
    """A dated series: its values sorted by start date."""

    name: str
    description: str | None
    unit: str | None
    yearly: bool
    values: tuple[ParameterValue, ...]

    def at(self, on: date) -> ParameterValue:
        """The value in force on a date (latest start ≤ on), or ParameterMissing."""
        if not self.values or on < self.values[0].start:
            first = self.values[0].start.isoformat() if self.values else "aucune"
            raise ParameterMissing(self.name, on, f"première valeur au {first}")
        current = self.values[0]
        for value in self.values:
            if value.start > on:
                break
            current = value
        if current.valid_until is not None and on > current.valid_until:
            raise ParameterMissing(
                self.name,
                on,
                f"dernière valeur au {current.start.isoformat()}, valable jusqu'au "
                f"{current.valid_until.isoformat()} ; ajouter la valeur de l'année {on.year}",
            )
        return current


def _as_date(key: Any, where: str) -> date:
    if isinstance(key, date):
        return key
    try:
        return date.fromisoformat(str(key))
    except ValueError:
        raise ParameterError(f"{where}: date de début AAAA-MM-JJ invalide : {key!r}") from None


def _build_leaf(name: str, node: Mapping[str, Any], inherited: Mapping[str, Any]) -> Parameter:
    meta = {**inherited, **{k: node[k] for k in _NODE_KEYS if k in node}}
    yearly = bool(meta.get("yearly", False))
    unit = meta.get("unit")
    raw_values = node["values"]
    if not isinstance(raw_values, Mapping) or not raw_values:
        raise ParameterError(f"{name}: « values » doit être une table non vide date → valeur")
    starts = sorted((_as_date(k, name), v) for k, v in raw_values.items())
    values = []
    for start, entry in starts:
        where = f"{name}@{start.isoformat()}"
        if not isinstance(entry, Mapping) or "value" not in entry or "reference" not in entry:
            raise ParameterError(f"{where}: chaque valeur doit avoir « value » et « reference »")
        unknown = set(entry) - _VALUE_KEYS
        if unknown:
            raise ParameterError(f"{where}: clés inconnues {sorted(unknown)}")
        if entry.get("derived") and not entry.get("derivation"):
            raise ParameterError(f"{where}: une valeur dérivée doit dire comment (« derivation »)")
        if "valid_until" in entry:
            valid_until = _as_date(entry["valid_until"], where)
        elif yearly:
            # One value per calendar year: a value stops at the end of its year.
            valid_until = date(start.year, 12, 31)
        else:
            valid_until = None
        values.append(
            ParameterValue(
                name=name,
                value=entry["value"],
                start=start,
                reference=str(entry["reference"]),
                unit=unit,
                url=entry.get("url"),
                derived=bool(entry.get("derived", False)),
                derivation=entry.get("derivation"),
                to_verify=bool(entry.get("to_verify", False)),
                note=entry.get("note"),
                valid_until=valid_until,
            )
        )
    return Parameter(name, meta.get("description"), unit, yearly, tuple(values))


def _walk(prefix: str, node: Mapping[str, Any], inherited: Mapping[str, Any]) -> Iterator[Parameter]:
    if "values" in node:
        yield _build_leaf(prefix, node, inherited)
        return
    meta = {**inherited, **{k: node[k] for k in ("unit", "yearly") if k in node}}
    for key, child in node.items():
        if key in _NODE_KEYS:
            continue
        if not isinstance(child, Mapping):
            raise ParameterError(f"{prefix}.{key}: nœud ou feuille attendu")
        yield from _walk(f"{prefix}.{key}", child, meta)


class Parameters:
    """All parameters of a directory of YAML files, looked up by name and date."""

    def __init__(self, parameters: Mapping[str, Parameter]):
        self._parameters = dict(parameters)

    @classmethod
    def load(cls, directory: Path | str = PARAMETERS_DIR,
             overrides: Path | str | None = None) -> Parameters:
        """Read every ``*.yaml`` under a directory, then merge an override directory if any."""
        found = _read_directory(Path(directory))
        if overrides is not None:
            found = merge(found, _read_directory(Path(overrides)), Path(overrides))
        return cls(found)

    def names(self) -> list[str]:
        """Sorted names of every parameter."""
        return sorted(self._parameters)

    def parameter(self, name: str) -> Parameter:
        """The whole dated series of a parameter."""
        try:
            return self._parameters[name]
        except KeyError:
            raise UnknownParameter(f"paramètre inconnu : {name!r}") from None

    def get(self, name: str, on: date) -> ParameterValue:
        """The value of a parameter in force on a date (ParameterMissing if none)."""
        return self.parameter(name).at(on)

    def missing_for(self, year: int) -> list[str]:
        """Names of the parameters with no value in force on 1 January of ``year``."""
        on = date(year, 1, 1)
        missing = []
        for name in self.names():
            try:
                self._parameters[name].at(on)
            except ParameterMissing:
                missing.append(name)
        return missing


def _read_file(path: Path, prefix: str) -> list[Parameter]:
    try:
        with path.open(encoding="utf-8") as fh:
            tree = yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        raise ParameterError(f"{path}: YAML illisible ({exc})") from None
    if not isinstance(tree, Mapping):
        raise ParameterError(f"{path}: table YAML attendue")
    try:
        return list(_walk(prefix, tree, {}))
    except ParameterError as exc:
        # Every message names the file, then the parameter path and date inside it.
        raise ParameterError(f"{path}: {exc}") from None


def _read_directory(directory: Path) -> dict[str, Parameter]:
    if not directory.is_dir():
        raise ParameterError(f"{directory}: répertoire de paramètres introuvable")
    found: dict[str, Parameter] = {}
    for path in sorted(directory.rglob("*.yaml")):
        prefix = ".".join(path.relative_to(directory).with_suffix("").parts)
        for parameter in _read_file(path, prefix):
            found[parameter.name] = parameter
    return found


def merge(shipped: Mapping[str, Parameter], extra: Mapping[str, Parameter],
          where: Path | str = "surcharge") -> dict[str, Parameter]:
    """Add the override values to the shipped series; same start date replaces the value.

    An override naming a parameter the package does not ship is refused (a typo would
    otherwise be silently ignored by every lookup).
    """
    out = dict(shipped)
    for name, override in extra.items():
        base = shipped.get(name)
        if base is None:
            raise ParameterError(
                f"{where}: paramètre inconnu {name!r} (une surcharge complète une série livrée)"
            )
        by_start = {v.start: v for v in base.values}
        for value in override.values:
            by_start[value.start] = value if value.unit == base.unit else _with_unit(value, base.unit)
        out[name] = Parameter(
            name, base.description, base.unit, base.yearly,
            tuple(_revalidate(by_start[d], base.yearly) for d in sorted(by_start)),
        )
    return out


def _with_unit(value: ParameterValue, unit: str | None) -> ParameterValue:
    return ParameterValue(**{**_fields(value), "unit": unit})


def _revalidate(value: ParameterValue, yearly: bool) -> ParameterValue:
    # A value read from a file without the shipped tree's ``yearly: true`` still stops at the
    # end of its year once merged into a yearly series.
    if yearly and value.valid_until is None:
        return ParameterValue(**{**_fields(value), "valid_until": date(value.start.year, 12, 31)})
    return value


def _fields(value: ParameterValue) -> dict[str, Any]:
    return {f: getattr(value, f) for f in ParameterValue.__slots__}


def validate_directory(directory: Path | str, base: Path | str = PARAMETERS_DIR) -> list[str]:
    """Problems of an override directory (empty list: valid), each naming its file and path.

    Pure: reads the files, changes nothing. Every file is checked even when an earlier one fails.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return [f"{directory}: répertoire de paramètres introuvable"]
    shipped = _read_directory(Path(base))
    problems: list[str] = []
    for path in sorted(directory.rglob("*.yaml")):
        prefix = ".".join(path.relative_to(directory).with_suffix("").parts)
        try:
            merge(shipped, {p.name: p for p in _read_file(path, prefix)}, path)
        except ParameterError as exc:
            problems.append(str(exc))
    return problems


def overrides_dir() -> Path | None:
    """The operator's override directory named by ``COTAFLUX_PARAMETERS_DIR``, if set."""
    value = os.environ.get(OVERRIDE_ENV, "").strip()
    return Path(value) if value else None


def missing_for(year: int, parameters: Parameters | None = None) -> list[str]:
    """Parameters with no value in force on 1 January of ``year`` (shipped + overrides)."""
    return (parameters or default()).missing_for(year)


@lru_cache(maxsize=1)
def default() -> Parameters:
    """The shipped parameters plus ``COTAFLUX_PARAMETERS_DIR`` if set (loaded once per process;
    ``default.cache_clear()`` after changing the variable)."""
    return Parameters.load(PARAMETERS_DIR, overrides_dir())


def get(name: str, on: date) -> ParameterValue:
    """Look a shipped parameter up on a date: ``get("menage.jeune_menage_somme_ages_max", on)``."""
    return default().get(name, on)


def round_euro(amount: Decimal | float | int) -> int:
    """Round to the euro, half up (the rounding used for revalued ceilings)."""
    return int(Decimal(str(amount)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def revalue(amount: int, rate: float | str) -> int:
    """Apply one yearly revaluation rate and round to the euro: ``revalue(21878, 0.0349) == 22642``."""
    return round_euro(Decimal(amount) * (1 + Decimal(str(rate))))
