"""Cotation grids as data: model, loading and validation (décret n° 2019-1378 du 17 décembre 2019).

A grid is a YAML file (``matching/grids/*.yaml`` for the presets) checked in two steps: the
JSON Schema ``matching/schemas/grid.schema.json`` for its structure, then semantic checks here
(known field and fact names, operators that fit the value kind, values in their enumeration,
effects that fit the combination mode). Every problem is reported as ``path: reason``, e.g.
``criteria[3].when.field: champ inconnu 'foo'``. A grid that does not weight the legal
priorities (DALO and CCH L.441-1) is valid but carries warnings listing the missing ones.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from . import enums
from .grid_registry import L441_1_LABELS, LEGAL_PRIORITIES, LIST_OPERATORS, Spec, lookup

PRESETS_DIR = Path(__file__).parent / "grids"
SCHEMA_PATH = Path(__file__).parent / "schemas" / "grid.schema.json"
_COMMUNE = re.compile(r"^([0-9]{5}|2[AB][0-9]{3})$")

# --------------------------------------------------------------------------- model


@dataclass(frozen=True, slots=True)
class Compare:
    """Leaf condition: a field or fact compared with a value."""

    source: str  # "field" or "fact"
    name: str
    op: str
    value: Any  # tuple for list operators


@dataclass(frozen=True, slots=True)
class AllOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class NotOf:
    item: Condition


@dataclass(frozen=True, slots=True)
class Always:
    pass


Condition = Compare | AllOf | AnyOf | NotOf | Always


@dataclass(frozen=True, slots=True)
class ValueMap:
    """An effect value that depends on an enumerated field or fact (mobility 1.8/1.3/1.0)."""

    source: str
    name: str
    values: tuple[tuple[str, float], ...]
    default: float | None = None

    def get(self, key: Any) -> float | None:
        for k, v in self.values:
            if k == key:
                return v
        return self.default


@dataclass(frozen=True, slots=True)
class Effect:
    """A coefficient (coefficients mode) or points (points mode), fixed or value-dependent."""

    kind: str  # "coefficient" or "points"
    value: float | None = None
    by: ValueMap | None = None

    @property
    def neutral(self) -> float:
        return 1.0 if self.kind == "coefficient" else 0.0

    def is_weighted(self) -> bool:
        """True when some value of the effect changes the score."""
        values = [self.value] if self.by is None else [v for _, v in self.by.values] + [self.by.default]
        return any(v is not None and v != self.neutral for v in values)


@dataclass(frozen=True, slots=True)
class Criterion:
    id: str
    label: str
    when: Condition
    effect: Effect
    group: str | None = None
    description: str | None = None
    counts_if: str = "declared"  # or "verified": only verified data counts
    verification_keys: tuple[str, ...] = ()
    covers: tuple[str, ...] = ()
    per_choice: bool = False


@dataclass(frozen=True, slots=True)
class Seniority:
    points_per_month: float = 1.0
    max_months: int | None = None
    label: str = "Ancienneté de la demande"


@dataclass(frozen=True, slots=True)
class RefusalRule:
    """What refusing a proposal does to the score (décret n° 2019-1378: fixed by the PPGDID)."""

    reset_base: bool = False
    penalty_points: float = 0.0
    max_counted: int | None = None
    only_adapted: bool = False
    window_months: int | None = None
    label: str = "Refus de proposition"

    @property
    def active(self) -> bool:
        return self.reset_base or self.penalty_points > 0


@dataclass(frozen=True, slots=True)
class VerifiedFileBonus:
    label: str
    keys: tuple[str, ...]
    effect: Effect
    include_applied_criteria: bool = False


@dataclass(frozen=True, slots=True)
class PriorityRule:
    """Which situations make the demande "prioritaire": DALO first, then CCH L.441-1."""

    dalo: bool = True
    l441_1: tuple[str, ...] = enums.L441_1
    criteria: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Territory:
    epci: str
    siren: str | None = None
    departement: str | None = None
    communes: tuple[str, ...] = ()
    communes_ref: str | None = None
    communes_note: str | None = None


@dataclass(frozen=True, slots=True)
class GridIssue:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '(grille)'}: {self.message}"


@dataclass(frozen=True, slots=True)
class Grid:
    id: str
    label: str
    territory: Territory
    version: str
    effective_on: date
    combination: str
    seniority: Seniority
    criteria: tuple[Criterion, ...]
    applies_to: str = "all"
    refusals: RefusalRule = field(default_factory=RefusalRule)
    verified_file_bonus: VerifiedFileBonus | None = None
    score_min: float | None = None
    score_max: float | None = None
    priority: PriorityRule = field(default_factory=PriorityRule)
    description: str | None = None
    is_example: bool = False
    source: Mapping[str, str] | None = None
    warnings: tuple[GridIssue, ...] = ()

    @property
    def ref(self) -> str:
        """``<id>@<version>``, stored with every score."""
        return f"{self.id}@{self.version}"

    def applies(self, is_mutation: bool) -> bool:
        """Whether the grid scores a demande (a separate grid for mutations is allowed)."""
        return (self.applies_to == "all"
                or (self.applies_to == "mutations") == bool(is_mutation))

    @property
    def uses_mobility(self) -> bool:
        return any(c.per_choice for c in self.criteria)


class GridError(ValueError):
    """An invalid grid: every problem with its path."""

    def __init__(self, issues: Iterable[GridIssue], source: str = "grille"):
        self.issues = tuple(issues)
        super().__init__(f"{source} invalide :\n" + "\n".join(f"  {i}" for i in self.issues))


@dataclass(frozen=True, slots=True)
class GridValidation:
    errors: tuple[GridIssue, ...]
    warnings: tuple[GridIssue, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


# --------------------------------------------------------------------------- schema step


@lru_cache(maxsize=1)
def _validator():
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _path(parts: Iterable[Any]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _schema_message(error) -> tuple[str, str]:
    """French message and path for a jsonschema error."""
    path = _path(error.absolute_path)
    v = error.validator
    if v == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        name = missing[0] if missing else "?"
        return _path([*error.absolute_path, name]), "champ obligatoire manquant"
    if v == "additionalProperties":
        extra = re.findall(r"'([^']+)'", error.message)
        return path, "champ inconnu " + ", ".join(repr(e) for e in extra)
    if v == "type":
        return path, f"type attendu : {error.validator_value}, reçu {error.instance!r}"
    if v in ("enum", "const"):
        allowed = error.validator_value if v == "enum" else [error.validator_value]
        return path, f"valeur inconnue {error.instance!r} (attendu : {', '.join(map(str, allowed))})"
    if v == "pattern":
        return path, f"format invalide {error.instance!r}"
    if v in ("minimum", "maximum"):
        word = "supérieur" if v == "minimum" else "inférieur"
        return path, f"doit être {word} ou égal à {error.validator_value}, reçu {error.instance!r}"
    if v in ("minItems", "minProperties"):
        return path, "ne doit pas être vide"
    if v in ("maxProperties",):
        return path, "une seule clé attendue"
    if v == "uniqueItems":
        return path, "valeurs en double"
    if v == "oneOf":
        return path, "forme invalide (nombre, ou objet {by, values, default})" if "by" in str(
            error.schema) else "forme invalide"
    return path, error.message


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k) if not isinstance(k, bool) else str(k).lower(): _jsonable(v)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


# --------------------------------------------------------------------------- semantic step

_LEAF_KEYS = ("field", "fact")
_COMBINATORS = ("all", "any", "not", "always")


class _Checker:
    def __init__(self) -> None:
        self.errors: list[GridIssue] = []

    def err(self, path: str, message: str) -> None:
        self.errors.append(GridIssue(path, message))

    # -- conditions
    def condition(self, raw: Mapping[str, Any], path: str, refs: list[Spec]) -> Condition | None:
        combinators = [k for k in _COMBINATORS if k in raw]
        leaf = [k for k in _LEAF_KEYS if k in raw]
        if len(combinators) + (1 if leaf else 0) != 1 or len(leaf) > 1:
            self.err(path, "une condition a exactement une forme : all, any, not, always, "
                           "ou field/fact avec un opérateur")
            return None
        if combinators:
            key = combinators[0]
            if key == "always":
                return Always()
            if key == "not":
                inner = self.condition(raw["not"], f"{path}.not", refs)
                return None if inner is None else NotOf(inner)
            items = [self.condition(c, f"{path}.{key}[{i}]", refs) for i, c in enumerate(raw[key])]
            if any(i is None for i in items):
                return None
            return (AllOf if key == "all" else AnyOf)(tuple(items))  # type: ignore[arg-type]
        source = leaf[0]
        name = raw[source]
        spec = lookup(source, name)
        if spec is None:
            self.err(f"{path}.{source}", f"{'champ' if source == 'field' else 'fait'} inconnu {name!r}")
            return None
        refs.append(spec)
        ops = [k for k in raw if k != source]
        if len(ops) != 1:
            self.err(path, f"exactement un opérateur attendu pour {name!r} "
                           f"(possibles : {', '.join(spec.operators)})")
            return None
        op = ops[0]
        if op not in spec.operators:
            self.err(f"{path}.{op}", f"opérateur inadapté à {name!r} ({spec.kind}) ; "
                                     f"possibles : {', '.join(spec.operators)}")
            return None
        value = self.value(spec, op, raw[op], f"{path}.{op}")
        if value is _BAD:
            return None
        return Compare(source, name, op, value)

    def value(self, spec: Spec, op: str, value: Any, path: str) -> Any:
        if op in ("empty", "is_null"):
            if not isinstance(value, bool):
                self.err(path, "true ou false attendu")
                return _BAD
            return value
        if op in LIST_OPERATORS:
            if not isinstance(value, list) or not value:
                self.err(path, "liste non vide attendue")
                return _BAD
            checked = [self.scalar(spec, v, f"{path}[{i}]") for i, v in enumerate(value)]
            return _BAD if any(c is _BAD for c in checked) else tuple(checked)
        return self.scalar(spec, value, path)

    def scalar(self, spec: Spec, value: Any, path: str) -> Any:
        kind = spec.kind
        if kind == "bool":
            if not isinstance(value, bool):
                self.err(path, f"true ou false attendu, reçu {value!r}")
                return _BAD
            return value
        if kind == "number":
            if isinstance(value, bool) or not isinstance(value, int | float):
                self.err(path, f"nombre attendu, reçu {value!r}")
                return _BAD
            return float(value)
        if kind == "commune":
            if not isinstance(value, str) or not _COMMUNE.match(value):
                self.err(path, f"code commune INSEE à 5 caractères attendu, reçu {value!r}")
                return _BAD
            return value
        # enum, enum_list: one value of the enumeration
        if not isinstance(value, str) or value not in spec.values:
            self.err(path, f"valeur inconnue {value!r} pour {spec.name!r} "
                           f"(attendu : {', '.join(spec.values)})")
            return _BAD
        return value

    # -- effects
    def effect(self, raw: Mapping[str, Any], path: str, combination: str,
               refs: list[Spec]) -> Effect | None:
        kind = next(iter(raw))
        expected = "coefficient" if combination == "coefficients" else "points"
        if kind != expected:
            self.err(f"{path}.{kind}", f"effet {kind!r} incompatible avec le mode "
                                       f"{combination!r} (attendu : {expected!r})")
            return None
        value = raw[kind]
        if isinstance(value, int | float) and not isinstance(value, bool):
            if kind == "coefficient" and value <= 0:
                self.err(f"{path}.{kind}", f"coefficient strictement positif attendu, reçu {value}")
                return None
            return Effect(kind, float(value))
        by = value["by"]
        source = next(iter(by))
        name = by[source]
        spec = lookup(source, name)
        if spec is None:
            self.err(f"{path}.{kind}.by.{source}",
                     f"{'champ' if source == 'field' else 'fait'} inconnu {name!r}")
            return None
        if spec.kind != "enum":
            self.err(f"{path}.{kind}.by.{source}",
                     f"{name!r} n'est pas une énumération ({spec.kind})")
            return None
        refs.append(spec)
        pairs = []
        for key, v in value["values"].items():
            if key not in spec.values:
                self.err(f"{path}.{kind}.values.{key}",
                         f"valeur inconnue {key!r} pour {name!r} (attendu : {', '.join(spec.values)})")
                return None
            if kind == "coefficient" and v <= 0:
                self.err(f"{path}.{kind}.values.{key}", "coefficient strictement positif attendu")
                return None
            pairs.append((key, float(v)))
        default = value.get("default")
        return Effect(kind, None, ValueMap(source, name, tuple(pairs),
                                           None if default is None else float(default)))


class _Bad:
    pass


_BAD = _Bad()


def _verification_keys(refs: Iterable[Spec]) -> tuple[str, ...]:
    keys: list[str] = []
    for spec in refs:
        for k in spec.verify:
            if k not in keys:
                keys.append(k)
    return tuple(keys)


def _covered_priorities(cond: Condition) -> set[str]:
    """Legal priorities a condition tests directly (DALO flag, L.441-1 values)."""
    if isinstance(cond, AllOf | AnyOf):
        return set().union(*(_covered_priorities(c) for c in cond.items))
    if isinstance(cond, NotOf | Always):
        return set()
    if cond.name == "priority.dalo" and cond.op == "eq" and cond.value is True:
        return {"dalo"}
    if cond.name == "priority.l441_1":
        if cond.op == "contains":
            return {cond.value}
        if cond.op in ("any_of", "all_of"):
            return set(cond.value)
        if cond.op == "empty" and cond.value is False:
            return set(enums.L441_1)
    return set()


def _build(data: Mapping[str, Any]) -> tuple[Grid | None, list[GridIssue], list[GridIssue]]:
    chk = _Checker()
    warnings: list[GridIssue] = []
    combination = data["combination"]
    criteria: list[Criterion] = []
    seen: dict[str, int] = {}
    covered: set[str] = set()
    for i, raw in enumerate(data["criteria"]):
        path = f"criteria[{i}]"
        if raw["id"] in seen:
            chk.err(f"{path}.id", f"identifiant en double {raw['id']!r} (déjà criteria[{seen[raw['id']]}])")
        seen.setdefault(raw["id"], i)
        refs: list[Spec] = []
        when = chk.condition(raw["when"], f"{path}.when", refs)
        effect = chk.effect(raw["effect"], f"{path}.effect", combination, refs)
        covers = tuple(raw.get("covers", ()))
        for j, c in enumerate(covers):
            if c not in LEGAL_PRIORITIES:
                chk.err(f"{path}.covers[{j}]", f"priorité légale inconnue {c!r} "
                                               f"(attendu : {', '.join(LEGAL_PRIORITIES)})")
        if when is None or effect is None:
            continue
        if effect.is_weighted():
            covered |= _covered_priorities(when) | set(covers)
        keys = tuple(raw.get("verification_keys") or _verification_keys(refs))
        criteria.append(Criterion(
            id=raw["id"], label=raw["label"], when=when, effect=effect, group=raw.get("group"),
            description=raw.get("description"), counts_if=raw.get("counts_if", "declared"),
            verification_keys=keys, covers=covers, per_choice=any(s.per_choice for s in refs),
        ))
        if raw.get("counts_if") == "verified" and not keys:
            warnings.append(GridIssue(f"{path}.counts_if", "aucune donnée à vérifier : "
                                      "préciser verification_keys"))

    bonus = None
    if "verified_file_bonus" in data:
        raw = data["verified_file_bonus"]
        effect = chk.effect(raw["effect"], "verified_file_bonus.effect", combination, [])
        if effect is not None:
            bonus = VerifiedFileBonus(raw["label"], tuple(raw["keys"]), effect,
                                      bool(raw.get("include_applied_criteria", False)))
            if not bonus.keys and not bonus.include_applied_criteria:
                chk.err("verified_file_bonus.keys", "au moins une clé, ou include_applied_criteria")

    pr = data.get("priority", {})
    l441 = pr.get("l441_1", "all")
    l441 = enums.L441_1 if l441 == "all" else tuple(l441)
    for j, v in enumerate(l441):
        if v not in enums.L441_1:
            chk.err(f"priority.l441_1[{j}]", f"valeur inconnue {v!r} "
                                             f"(attendu : {', '.join(enums.L441_1)})")
    for j, cid in enumerate(pr.get("criteria", ())):
        if cid not in seen:
            chk.err(f"priority.criteria[{j}]", f"critère inconnu {cid!r}")
    priority = PriorityRule(bool(pr.get("dalo", True)), l441, tuple(pr.get("criteria", ())))

    sc = data.get("score", {})
    smin, smax = sc.get("min"), sc.get("max")
    if smin is not None and smax is not None and smin > smax:
        chk.err("score", f"min ({smin}) supérieur à max ({smax})")

    te = data["territory"]
    territory = Territory(te["epci"], te.get("siren"), te.get("departement"),
                          tuple(te.get("communes", ())), te.get("communes_ref"),
                          te.get("communes_note"))
    if any(c.per_choice for c in criteria) and not territory.communes:
        warnings.append(GridIssue("territory.communes", "liste des communes de l'EPCI absente : "
                                  "elle devra être fournie au calcul (epci_communes)"))

    missing = [p for p in LEGAL_PRIORITIES if p not in covered]
    if missing and data.get("applies_to", "all") != "mutations":
        labels = ", ".join(missing)
        warnings.insert(0, GridIssue("criteria", "priorités légales non pondérées par la grille "
                                     f"(CCH L.441-1, décret n° 2019-1378) : {labels}"))

    if chk.errors:
        return None, chk.errors, warnings
    rf = data.get("refusals", {})
    sen = data["seniority"]
    grid = Grid(
        id=data["id"], label=data["label"], description=data.get("description"),
        is_example=bool(data.get("is_example", False)), source=data.get("source"),
        territory=territory, version=str(data["version"]),
        effective_on=date.fromisoformat(data["effective_on"]),
        applies_to=data.get("applies_to", "all"), combination=combination,
        seniority=Seniority(float(sen["points_per_month"]), sen.get("max_months"),
                            sen.get("label", "Ancienneté de la demande")),
        refusals=RefusalRule(bool(rf.get("reset_base", False)), float(rf.get("penalty_points", 0)),
                             rf.get("max_counted"), bool(rf.get("only_adapted", False)),
                             rf.get("window_months"), rf.get("label", "Refus de proposition")),
        criteria=tuple(criteria), verified_file_bonus=bonus, score_min=smin, score_max=smax,
        priority=priority, warnings=tuple(warnings),
    )
    return grid, [], warnings


# --------------------------------------------------------------------------- public API


def validate_grid(data: Any) -> GridValidation:
    """Check a grid (parsed YAML/JSON) against the schema and the registry; never raises."""
    data = _jsonable(data)
    if not isinstance(data, Mapping):
        return GridValidation((GridIssue("", "objet attendu"),), ())
    errors = sorted((GridIssue(*_schema_message(e)) for e in _validator().iter_errors(data)),
                    key=lambda i: i.path)
    if errors:
        return GridValidation(tuple(errors), ())
    try:
        date.fromisoformat(data["effective_on"])
    except ValueError:
        return GridValidation((GridIssue("effective_on", "date invalide"),), ())
    _, errs, warns = _build(data)
    return GridValidation(tuple(errs), tuple(warns))


def parse_grid(data: Any, source: str = "grille") -> Grid:
    """Validate a grid and build it; raise GridError listing every problem."""
    result = validate_grid(data)
    if not result.ok:
        raise GridError(result.errors, source)
    grid, _, _ = _build(_jsonable(data))
    assert grid is not None
    return grid


def read_grid_file(path: str | Path) -> Any:
    """Raw content of a YAML or JSON grid file."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise GridError([GridIssue("", f"YAML invalide : {exc}")], str(path)) from None


def preset_ids() -> list[str]:
    """Identifiers of the shipped presets."""
    return sorted(p.stem for p in PRESETS_DIR.glob("*.yaml"))


@lru_cache(maxsize=32)
def _load_preset(grid_id: str) -> Grid:
    path = PRESETS_DIR / f"{grid_id}.yaml"
    return parse_grid(read_grid_file(path), str(path))


def load_grid(id_or_path: str | Path) -> Grid:
    """A preset by id, or a grid file by path; raise GridError or FileNotFoundError."""
    text = str(id_or_path)
    if text in preset_ids():
        return _load_preset(text)
    path = Path(text)
    if path.suffix.lower() in (".yaml", ".yml", ".json") or path.exists():
        if not path.exists():
            raise FileNotFoundError(f"fichier de grille introuvable : {text}")
        return parse_grid(read_grid_file(path), text)
    raise FileNotFoundError(f"grille inconnue {text!r} (préréglages : {', '.join(preset_ids())})")


def list_presets() -> list[Grid]:
    """Every shipped preset grid, by id."""
    return [_load_preset(i) for i in preset_ids()]


def priority_label(code: str) -> str:
    """French label of a legal priority (DALO or a CCH L.441-1 criterion)."""
    if code == "dalo":
        return "Ménage reconnu prioritaire DALO"
    return "L.441-1 : " + L441_1_LABELS[code]
