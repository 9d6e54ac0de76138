"""Ranking policies of proposals, as data (YAML presets in ``matching/policies/``).

A ``RankingPolicy`` says how the candidates of one offer are chosen and ordered:

- ``order``: ranking keys, most important first (``RANKING_KEYS``); a stable tie-break on the
  demande's id always comes last. The default: DALO households designated by the préfet first
  when the offer is on the État contingent, then the EPCI cotation for the offer's commune,
  then seniority;
- ``pool``: where candidates come from besides the requesters who applied to the offer
  (``if_short``: the eligible demandes of the pool complete the list when fewer than
  ``candidates`` applicants are eligible; ``always``: the réservataire asks for the pool, and
  applicants and pool are ranked together; ``never``: applicants only);
- ``exclusivity``: a demande already on another open dossier (``none``: allowed; ``first``:
  never put first on two open dossiers at once; ``all``: never on two open dossiers);
- ``eligibility``: the eligibility policy (thresholds, réservataire filters, ``matching.policy``);
- ``commune_filter``: offers oriented to a commune réservataire go to its residents or workers.

A ``PolicySet`` is what a territory configures: a default policy, then rules per bailleur,
réservataire or réservataire kind, applied in file order (a later matching rule overrides an
earlier one), and what the platform knows of each réservataire (kind, commune).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from .. import enums
from ..policy import Policy
from ..records import Logement, commune_code

POLICIES_DIR = Path(__file__).resolve().parent.parent / "policies"

RANKING_KEYS: Mapping[str, str] = MappingProxyType({
    "dalo_etat": "ménage reconnu DALO désigné par le préfet, logement du contingent de l'État",
    "menage_prioritaire": "ménage prioritaire (DALO, critère L.441-1 ou labellisé)",
    "cotation": "cotation de l'EPCI pour la commune du logement",
    "anciennete": "ancienneté de la demande",
    "candidature": "date de candidature à ce logement",
})
POOL_MODES = ("if_short", "always", "never")
EXCLUSIVITY = ("none", "first", "all")
MATCH_KEYS = ("bailleur", "reservataire", "reservataire_kind")


class PolicyError(ValueError):
    """A ranking policy or policy set that does not follow the format (path: reason)."""


@dataclass(frozen=True)
class RankingPolicy:
    """How the candidates of one offer are found and ordered (see the module docstring)."""

    id: str = "defaut"
    label: str = "Politique de proposition par défaut"
    order: tuple[str, ...] = ("dalo_etat", "cotation", "anciennete")
    candidates: int = 3
    pool: str = "if_short"
    exclusivity: str = "first"
    # Applicants chose the offer: their wishes (commune, typology, rent) are not checked again.
    applicants_wish_checks: bool = False
    commune_filter: bool = True
    eligibility: Policy = field(default_factory=Policy)

    def __post_init__(self) -> None:
        unknown = [k for k in self.order if k not in RANKING_KEYS]
        if unknown:
            raise PolicyError(f"order: clé de classement inconnue {unknown[0]!r} "
                              f"(connues : {', '.join(RANKING_KEYS)})")
        if len(set(self.order)) != len(self.order):
            raise PolicyError("order: clé de classement répétée")
        if self.pool not in POOL_MODES:
            raise PolicyError(f"pool: {self.pool!r} inconnu (attendu : {', '.join(POOL_MODES)})")
        if self.exclusivity not in EXCLUSIVITY:
            raise PolicyError(f"exclusivity: {self.exclusivity!r} inconnu "
                              f"(attendu : {', '.join(EXCLUSIVITY)})")
        if not 1 <= self.candidates <= 20:
            raise PolicyError(f"candidates: entre 1 et 20, reçu {self.candidates}")

    def updated(self, data: Mapping[str, Any], path: str = "") -> RankingPolicy:
        """A copy with the fields of ``data`` replaced (``eligibility`` is merged key by key)."""
        known = {f.name for f in fields(self)} - {"eligibility"} | {"eligibility"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise PolicyError(f"{path}{unknown[0]}: clé inconnue (connues : {', '.join(sorted(known))})")
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key == "order":
                if not isinstance(value, list | tuple):
                    raise PolicyError(f"{path}order: liste attendue")
                kwargs["order"] = tuple(str(v) for v in value)
            elif key == "eligibility":
                if not isinstance(value, Mapping):
                    raise PolicyError(f"{path}eligibility: objet attendu")
                kwargs["eligibility"] = _merge_eligibility(self.eligibility, value, path)
            elif key == "candidates":
                if isinstance(value, bool) or not isinstance(value, int):
                    raise PolicyError(f"{path}candidates: entier attendu")
                kwargs[key] = value
            elif key in ("applicants_wish_checks", "commune_filter"):
                if not isinstance(value, bool):
                    raise PolicyError(f"{path}{key}: booléen attendu")
                kwargs[key] = value
            else:
                kwargs[key] = str(value)
        try:
            return replace(self, **kwargs)
        except PolicyError as exc:
            raise PolicyError(f"{path}{exc}") from None

    def with_eligibility(self, policy: Policy) -> RankingPolicy:
        return replace(self, eligibility=policy)


def _merge_eligibility(base: Policy, data: Mapping[str, Any], path: str) -> Policy:
    current = {f.name: getattr(base, f.name) for f in fields(Policy)}
    current.update(data)
    if current.get("typology_table") is not None:
        current["typology_table"] = {k: tuple(v) if isinstance(v, list) else v
                                     for k, v in dict(current["typology_table"]).items()}
    try:
        return Policy.from_mapping(current)
    except (TypeError, ValueError) as exc:
        raise PolicyError(f"{path}eligibility: {exc}") from None


@dataclass(frozen=True)
class Rule:
    """Overrides of the default policy for offers matching every key of ``when``."""

    when: Mapping[str, str]
    set: Mapping[str, Any]

    def matches(self, offer: Logement, kind: str | None) -> bool:
        values = {"bailleur": offer.bailleur, "reservataire": offer.reservataire,
                  "reservataire_kind": kind}
        return all(values[k] == v for k, v in self.when.items())


@dataclass(frozen=True)
class PolicySet:
    """A territory's proposal policies: a default, rules per bailleur / réservataire, and
    what is known of each réservataire (``kinds``: id → kind; ``communes``: id → INSEE code of
    a commune réservataire)."""

    default: RankingPolicy = field(default_factory=RankingPolicy)
    rules: tuple[Rule, ...] = ()
    kinds: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    communes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    id: str = "defaut"

    def kind_of(self, reservataire: str | None) -> str | None:
        if reservataire is None:
            return None
        if reservataire in self.kinds:
            return self.kinds[reservataire]
        return self.default.eligibility.reservataire_kind(reservataire)

    def for_offer(self, offer: Logement) -> RankingPolicy:
        """The policy that applies to an offer: the default, then each matching rule in order."""
        kind = self.kind_of(offer.reservataire)
        policy = self.default
        for i, rule in enumerate(self.rules):
            if rule.matches(offer, kind):
                policy = policy.updated(rule.set, f"rules[{i}].set.")
        if self.kinds:
            kinds = dict(policy.eligibility.reservataire_kinds)
            for rid, k in self.kinds.items():
                kinds.setdefault(rid, k)
            policy = policy.with_eligibility(
                replace(policy.eligibility, reservataire_kinds=MappingProxyType(kinds)))
        return policy

    def commune_of(self, reservataire: str | None) -> str | None:
        """INSEE code of a commune réservataire (configured, or ``commune-NNNNN`` ids)."""
        if reservataire is None:
            return None
        if reservataire in self.communes:
            return self.communes[reservataire]
        tail = reservataire.rsplit("-", 1)[-1]
        try:
            return commune_code(tail)
        except ValueError:
            return None


def policy_set_from_mapping(data: Mapping[str, Any]) -> PolicySet:
    """Build a policy set from YAML/JSON data; errors name the path of the bad key."""
    if not isinstance(data, Mapping):
        raise PolicyError("(racine): objet attendu")
    unknown = sorted(set(data) - {"id", "label", "default", "rules", "reservataires"})
    if unknown:
        raise PolicyError(f"{unknown[0]}: clé inconnue")
    base = RankingPolicy(id=str(data.get("id", "defaut")),
                         label=str(data.get("label", RankingPolicy.label)))
    default = base.updated(data.get("default") or {}, "default.")
    rules = []
    for i, raw in enumerate(data.get("rules") or ()):
        if not isinstance(raw, Mapping) or set(raw) - {"when", "set"}:
            raise PolicyError(f"rules[{i}]: objet {{when, set}} attendu")
        when = raw.get("when") or {}
        bad = sorted(set(when) - set(MATCH_KEYS))
        if bad or not when:
            raise PolicyError(f"rules[{i}].when: clés possibles {', '.join(MATCH_KEYS)}")
        if "reservataire_kind" in when and when["reservataire_kind"] not in enums.RESERVATAIRE_KINDS:
            raise PolicyError(f"rules[{i}].when.reservataire_kind: {when['reservataire_kind']!r} inconnu")
        default.updated(raw.get("set") or {}, f"rules[{i}].set.")  # validate now
        rules.append(Rule(MappingProxyType({k: str(v) for k, v in when.items()}),
                          MappingProxyType(dict(raw.get("set") or {}))))
    kinds: dict[str, str] = {}
    communes: dict[str, str] = {}
    for rid, info in (data.get("reservataires") or {}).items():
        p = f"reservataires.{rid}."
        if not isinstance(info, Mapping):
            raise PolicyError(p.rstrip(".") + ": objet attendu")
        kind = info.get("kind")
        if kind not in enums.RESERVATAIRE_KINDS:
            raise PolicyError(f"{p}kind: {kind!r} inconnu")
        kinds[str(rid)] = kind
        if info.get("commune") is not None:
            try:
                communes[str(rid)] = commune_code(info["commune"], p + "commune")
            except ValueError as exc:
                raise PolicyError(str(exc)) from None
    return PolicySet(default=default, rules=tuple(rules), kinds=MappingProxyType(kinds),
                     communes=MappingProxyType(communes), id=base.id)


def load_policy_set(id_or_path: str | Path | None = None) -> PolicySet:
    """A preset of ``matching/policies/`` by id (default ``defaut``), or a YAML file."""
    ref = "defaut" if id_or_path is None else str(id_or_path)
    path = Path(ref)
    if not path.suffix:
        path = POLICIES_DIR / f"{ref}.yaml"
    if not path.is_file():
        raise FileNotFoundError(f"politique de proposition introuvable : {ref}")
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    try:
        return policy_set_from_mapping(data)
    except PolicyError as exc:
        raise PolicyError(f"{path.name}: {exc}") from None


@lru_cache(maxsize=1)
def _default_set() -> PolicySet:
    return load_policy_set()


def as_policy_set(policy: PolicySet | RankingPolicy | None) -> PolicySet:
    """Accept a set, a single policy (used for every offer) or None (the default preset)."""
    if policy is None:
        return _default_set()
    if isinstance(policy, RankingPolicy):
        return PolicySet(default=policy, id=policy.id)
    return policy
