"""Columnar demandes: one numpy array per field of the exchange format, lists padded.

``DemandeTable`` is what the vectorised engine (``matching.batch.score``) reads. It is built
from parsed records here (``from_demandes``), or straight from a database by the application
(one query per child table, no object per demande).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from .. import enums
from ..records import (
    CurrentHousing,
    Demande,
    Employer,
    Employment,
    Member,
    Priority,
    Refusal,
    Wishes,
)

NAT = np.datetime64("NaT", "D")
VERIFICATION_CODES = {"declared": 0, "verified": 1, "rejected": 2}  # absent key = declared


def bits(values: Iterable[str], vocabulary: Sequence[str]) -> int:
    return sum(1 << vocabulary.index(v) for v in set(values))


def unbits(mask: int, vocabulary: Sequence[str]) -> tuple[str, ...]:
    return tuple(v for i, v in enumerate(vocabulary) if mask >> i & 1)


# --------------------------------------------------------------------------- table


@dataclass(frozen=True, eq=False)
class DemandeTable:
    """Columnar demandes: one numpy array per field, lists padded to a fixed width."""

    ids: np.ndarray  # record ids (str), or database keys (int64) when loaded from a database
    filed_on: np.ndarray  # datetime64[D]
    is_mutation: np.ndarray  # bool
    kind: np.ndarray  # int16, index in enums.HOUSING_KINDS
    current_commune: np.ndarray  # int32, index in communes, -1 unknown
    rooms: np.ndarray  # float64, NaN unknown
    surface: np.ndarray
    rent: np.ndarray
    charges: np.ndarray
    monthly_resources: np.ndarray
    rfr_n2: np.ndarray
    reasons: np.ndarray  # int64 bitmask over enums.REASONS
    typologies: np.ndarray  # int64 bitmask over enums.TYPOLOGIES
    needs_accessible: np.ndarray
    contributes_al: np.ndarray
    dalo: np.ndarray
    acd_labelled: np.ndarray
    l441_1: np.ndarray  # int64 bitmask over enums.L441_1
    contracts_adults: np.ndarray  # int64 bitmask over enums.CONTRACTS
    n_members: np.ndarray  # int64
    member_birth: np.ndarray  # (n, M) datetime64[D], NaT unknown or padding
    member_dependent: np.ndarray  # (n, M) bool
    member_disability: np.ndarray  # (n, M) bool
    demandeur_birth: np.ndarray  # datetime64[D]
    refusal_dates: np.ndarray  # (n, R) datetime64[D], NaT padding
    refusal_adapted: np.ndarray  # (n, R) bool
    wishes: np.ndarray  # (n, K) int32 commune index, -1 padding
    communes: tuple[str, ...]  # vocabulary of commune codes
    verified: dict[str, np.ndarray] = field(default_factory=dict)  # key -> int8 codes

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def n_wishes(self) -> np.ndarray:
        return (self.wishes >= 0).sum(axis=1)

    def commune_code(self, commune: str) -> int:
        """Index of a commune in the vocabulary, -2 when absent (matches no row)."""
        try:
            return self.communes.index(commune)
        except ValueError:
            return -2

    def first_choice(self) -> np.ndarray:
        """Commune codes of the first wished commune."""
        return self.wishes[:, 0]

    def min_typology(self) -> np.ndarray:
        """Index of the smallest wished typology (T1 = 0), -1 when none."""
        t = self.typologies
        out = np.full(len(t), -1, dtype=np.int64)
        for i in reversed(range(len(enums.TYPOLOGIES))):
            out = np.where((t >> i) & 1 == 1, i, out)
        return out

    # -- building
    @classmethod
    def from_demandes(cls, demandes: Sequence[Demande]) -> DemandeTable:
        """Build the columns from parsed records."""
        n = len(demandes)
        M = max((d.size for d in demandes), default=1)
        R = max((len(d.refusals) for d in demandes), default=0) or 1
        K = max((len(d.wishes.communes) for d in demandes), default=1)
        vocab: dict[str, int] = {}

        def code(c: str | None) -> int:
            return -1 if c is None else vocab.setdefault(c, len(vocab))

        birth = np.full((n, M), NAT)
        dep = np.zeros((n, M), bool)
        dis = np.zeros((n, M), bool)
        rdates = np.full((n, R), NAT)
        radapt = np.zeros((n, R), bool)
        wishes = np.full((n, K), -1, np.int32)
        keys = sorted({k for d in demandes for k in d.verified})
        verified = {k: np.zeros(n, np.int8) for k in keys}
        dem_birth = np.full(n, NAT)
        cols: dict[str, list[Any]] = {k: [] for k in (
            "ids", "filed_on", "is_mutation", "kind", "current_commune", "rooms", "surface", "rent",
            "charges", "monthly_resources", "rfr_n2", "reasons", "typologies", "needs_accessible",
            "contributes_al", "dalo", "acd_labelled", "l441_1", "contracts_adults", "n_members")}
        nan = float("nan")
        for i, d in enumerate(demandes):
            ch = d.current_housing
            for j, m in enumerate(d.household):
                if m.birth_date is not None:
                    birth[i, j] = np.datetime64(m.birth_date, "D")
                dep[i, j] = m.is_dependent
                dis[i, j] = m.has_disability
            first = next(m for m in d.household if m.role == "demandeur")
            if first.birth_date is not None:
                dem_birth[i] = np.datetime64(first.birth_date, "D")
            for j, r in enumerate(d.refusals):
                rdates[i, j] = np.datetime64(r.date, "D")
                radapt[i, j] = r.adapted
            for j, c in enumerate(d.wishes.communes):
                wishes[i, j] = code(c)
            for k, v in d.verified.items():
                verified[k][i] = VERIFICATION_CODES[v]
            cols["ids"].append(d.id)
            cols["filed_on"].append(np.datetime64(d.filed_on, "D"))
            cols["is_mutation"].append(d.is_mutation)
            cols["kind"].append(enums.HOUSING_KINDS.index(ch.kind))
            cols["current_commune"].append(code(ch.commune))
            for name in ("rooms", "surface", "rent", "charges"):
                v = getattr(ch, name)
                cols[name].append(nan if v is None else float(v))
            cols["monthly_resources"].append(nan if d.monthly_resources is None else d.monthly_resources)
            cols["rfr_n2"].append(d.rfr_n2)
            cols["reasons"].append(bits(d.reasons, enums.REASONS))
            cols["typologies"].append(bits(d.wishes.typologies, enums.TYPOLOGIES))
            cols["needs_accessible"].append(d.wishes.needs_accessible)
            cols["contributes_al"].append(d.employer.contributes_action_logement)
            cols["dalo"].append(d.priority.dalo)
            cols["acd_labelled"].append(d.priority.acd_labelled)
            cols["l441_1"].append(bits(d.priority.l441_1, enums.L441_1))
            cols["contracts_adults"].append(bits(
                (e.contract for e in d.employment if not d.household[e.member].is_dependent),
                enums.CONTRACTS))
            cols["n_members"].append(d.size)
        f64 = lambda k: np.array(cols[k], dtype=np.float64)  # noqa: E731
        b = lambda k: np.array(cols[k], dtype=bool)  # noqa: E731
        i64 = lambda k: np.array(cols[k], dtype=np.int64)  # noqa: E731
        return cls(
            ids=np.array(cols["ids"], dtype=object), filed_on=np.array(cols["filed_on"], "datetime64[D]"),
            is_mutation=b("is_mutation"), kind=np.array(cols["kind"], np.int16),
            current_commune=np.array(cols["current_commune"], np.int32),
            rooms=f64("rooms"), surface=f64("surface"), rent=f64("rent"), charges=f64("charges"),
            monthly_resources=f64("monthly_resources"), rfr_n2=f64("rfr_n2"),
            reasons=i64("reasons"), typologies=i64("typologies"), needs_accessible=b("needs_accessible"),
            contributes_al=b("contributes_al"), dalo=b("dalo"), acd_labelled=b("acd_labelled"),
            l441_1=i64("l441_1"), contracts_adults=i64("contracts_adults"), n_members=i64("n_members"),
            member_birth=birth, member_dependent=dep, member_disability=dis, demandeur_birth=dem_birth,
            refusal_dates=rdates, refusal_adapted=radapt, wishes=wishes,
            communes=tuple(sorted(vocab, key=vocab.get)), verified=verified,
        )

    def to_demandes(self, rows: Iterable[int] | None = None) -> list[Demande]:
        """Rebuild records from rows (for tests and the explained path on synthetic data)."""
        out = []
        rows = range(len(self)) if rows is None else rows
        for i in rows:
            i = int(i)
            members = []
            for j in range(int(self.n_members[i])):
                bd = self.member_birth[i, j]
                role = "demandeur" if j == 0 else ("enfant" if self.member_dependent[i, j] else "conjoint")
                members.append(Member(role, None if np.isnat(bd) else bd.astype(date),
                                      bool(self.member_dependent[i, j]), bool(self.member_disability[i, j])))

            def num(a: np.ndarray, i: int = i) -> float | None:
                return None if np.isnan(a[i]) else float(a[i])

            cc = int(self.current_commune[i])
            rooms = num(self.rooms)
            out.append(Demande(
                id=str(self.ids[i]), filed_on=self.filed_on[i].astype(date), household=tuple(members),
                rfr_n2=float(self.rfr_n2[i]),
                current_housing=CurrentHousing(
                    enums.HOUSING_KINDS[int(self.kind[i])], None if cc < 0 else self.communes[cc],
                    None if rooms is None else int(rooms), num(self.surface), num(self.rent),
                    num(self.charges)),
                wishes=Wishes(tuple(self.communes[c] for c in self.wishes[i] if c >= 0),
                              unbits(int(self.typologies[i]), enums.TYPOLOGIES),
                              None, bool(self.needs_accessible[i])),
                is_mutation=bool(self.is_mutation[i]), monthly_resources=num(self.monthly_resources),
                reasons=unbits(int(self.reasons[i]), enums.REASONS),
                employment=tuple(Employment(0, c) for c in
                                 unbits(int(self.contracts_adults[i]), enums.CONTRACTS)),
                employer=Employer(None, bool(self.contributes_al[i])),
                priority=Priority(bool(self.dalo[i]), unbits(int(self.l441_1[i]), enums.L441_1),
                                  bool(self.acd_labelled[i])),
                refusals=tuple(Refusal(r.astype(date), None, bool(a))
                               for r, a in zip(self.refusal_dates[i], self.refusal_adapted[i], strict=False)
                               if not np.isnat(r)),
                verified={k: ("declared", "verified", "rejected")[int(v[i])]
                          for k, v in self.verified.items() if v[i] != 0},
            ))
        return out

