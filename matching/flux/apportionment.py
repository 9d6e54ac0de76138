"""Orientation of each vacancy of a bailleur's flux: sequential apportionment of the shares.

Participants of a flux (one bailleur × département × year): each convention's réservataire
with its share, plus the bailleur's own share (100 % − Σ shares). After ``n`` apportioned
vacancies participant ``i`` with share ``s_i`` has received ``x_i``; its *gap* is
``x_i − s_i·n``.

Without scopes every gap stays strictly within one dwelling at every moment
(``|x_i − s_i·n| < 1`` for every prefix). That is the chairman assignment problem
(R. Tijdeman, « The chairman assignment problem », Discrete Mathematics 32, 1980), solved
here as unit-job scheduling with earliest deadline first:

* participant ``i``'s ``j``-th dwelling may go out at position ``n`` only if ``j − 1 < s_i·n``
  (release: after it, ``x_i = j < s_i·n + 1``), i.e. ``x_i < s_i·(n + 1)`` before vacancy
  ``n + 1``;
* it must go out before ``x_i`` falls a whole dwelling behind: while ``x_i = j − 1`` every
  position ``m`` must keep ``j − 1 > s_i·m − 1``, so the ``j``-th dwelling goes out at a
  position ``n`` with ``n − 1 < j/s_i`` (deadline ``j/s_i + 1``, exclusive).

At each vacancy the rule picks, among released participants, the one whose next dwelling has
the earliest deadline, i.e. the smallest ``(x_i + 1)/s_i``. Tijdeman proved that a sequence with gaps at most
``1 − 1/(2k − 2)`` exists (``k`` participants), so every window above can be met, and earliest
deadline first meets every deadline of unit jobs with integer release times whenever some
schedule does. Arithmetic is exact: shares become integers over a common denominator.

A naive "largest deficit" rule (``naive_largest_deficit``) is kept for the benchmark and for
the test that shows it breaks the bound.

With scopes (communes, typologies, QPV) the chosen participant's scope always admits the
dwelling: the same deadline rule applies among admissible released participants; when none is
released, the admissible participant whose gap stays smallest receives it. Gaps can then exceed
one dwelling; each flux reports its largest gap.

Hors flux (décret n° 2020-145, CCH R.441-5): dwellings not concerned (défense, sécurité
intérieure, to be sold, to be demolished) and dwellings taken out of the base (mutations,
relogements NPNRU / ORCOD) are not apportioned. Which mutations leave the base is a setting:
``internes`` (the bailleur's own tenants) or ``toutes``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from math import lcm
from typing import Any

from ..records import Convention, ConventionScope, Logement, RecordError, parse_logement

# Category → (kind, French label). "non_concerne": outside the flux by nature; "hors_base":
# taken out of the calculation base for the year.
HORS_FLUX_CATEGORIES: dict[str, tuple[str, str]] = {
    "defense": ("non_concerne", "logement réservé à la défense nationale"),
    "securite_interieure": ("non_concerne", "logement réservé à la sécurité intérieure"),
    "vente": ("non_concerne", "logement destiné à la vente"),
    "demolition": ("non_concerne", "logement voué à la démolition"),
    "mutation_interne": ("hors_base", "mutation d'un locataire du bailleur"),
    "mutation_externe": ("hors_base", "mutation d'un locataire d'un autre bailleur social"),
    "relogement_npnru": ("hors_base", "relogement au titre du renouvellement urbain (NPNRU)"),
    "relogement_orcod": ("hors_base", "relogement au titre d'une ORCOD (copropriété dégradée)"),
}
MUTATIONS_HORS_BASE = ("internes", "toutes")


def leaves_flux(category: str | None, mutations_hors_base: str = "internes") -> bool:
    """Whether a dwelling of this hors-flux category is kept out of the apportionment."""
    if category is None:
        return False
    if category == "mutation_externe":
        return mutations_hors_base == "toutes"
    return category in HORS_FLUX_CATEGORIES


def departement_of(commune: str) -> str:
    """Département of an INSEE commune code: 2 characters, 3 overseas (97x)."""
    return commune[:3] if commune.startswith("97") else commune[:2]


def scope_admits(scope: ConventionScope | None, logement: Logement) -> bool:
    """Whether a convention's scope (communes, typologies, QPV) admits a dwelling."""
    if scope is None:
        return True
    if scope.communes and logement.commune not in scope.communes:
        return False
    if scope.typologies and logement.typology not in scope.typologies:
        return False
    return scope.qpv is None or scope.qpv == logement.qpv


def _is_unrestricted(scope: ConventionScope | None) -> bool:
    return scope is None or (not scope.communes and not scope.typologies and scope.qpv is None)


# --------------------------------------------------------------------------- formatting


def fr_number(value: Fraction | float | int, digits: int = 2) -> str:
    """French decimal: ``13,5``; ``12``; ``0,33``."""
    text = f"{float(value):.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text.replace(".", ",")


def _logements(n: int) -> str:
    return f"{n} logement{'s' if n > 1 else ''}"


# --------------------------------------------------------------------------- participants


@dataclass(frozen=True, slots=True)
class Participant:
    """A réservataire (through its convention) or the bailleur for its own share."""

    id: str
    share: Fraction  # of the whole flux, 0..1
    kind: str  # reservataire_kind, or "bailleur"
    convention: str | None = None
    scope: ConventionScope | None = None

    @property
    def label(self) -> str:
        return f"contingent propre du bailleur {self.id}" if self.kind == "bailleur" else self.id


def _exact_percent(value: float) -> Fraction:
    return Fraction(str(value))  # 22.5 → 45/2 exactly, not the binary float


def participants_for(bailleur: str, conventions: Sequence[Convention]) -> list[Participant]:
    """Réservataires sorted by id, then the bailleur's own share (what the conventions leave)."""
    seen: set[str] = set()
    out: list[Participant] = []
    for c in sorted(conventions, key=lambda c: (c.reservataire, c.id)):
        if c.reservataire in seen:
            raise ValueError(
                f"deux conventions pour le réservataire {c.reservataire} chez {bailleur} "
                f"({c.departement}, {c.year}) : une seule convention par réservataire"
            )
        if c.reservataire == bailleur:
            raise ValueError(f"le bailleur {bailleur} ne peut pas être son propre réservataire")
        seen.add(c.reservataire)
        out.append(Participant(c.reservataire, _exact_percent(c.share_percent) / 100,
                               c.reservataire_kind, c.id, c.scope))
    own = 1 - sum((p.share for p in out), Fraction(0))
    if own < 0:
        raise ValueError(
            f"la somme des parts des conventions de {bailleur} dépasse 100 % "
            f"({fr_number(100 * (1 - own))} %)"
        )
    out.append(Participant(bailleur, own, "bailleur"))
    return out


# --------------------------------------------------------------------------- decisions


@dataclass(frozen=True, slots=True)
class Decision:
    """The orientation of one vacancy, with its reason and the gaps after it."""

    logement: str
    to: str | None
    flux_status: str  # "oriente" or "hors_flux"
    reason: str
    hors_flux: str | None = None
    forced: bool = False  # no admissible participant was under its share
    # gaps = numerators over `denominator`, in participant order (kept as integers: cheap)
    participants: tuple[str, ...] = ()
    gap_numerators: tuple[int, ...] = ()
    denominator: int = 1

    def gaps(self) -> dict[str, Fraction]:
        """Every participant's realised − share × count after this step."""
        return {p: Fraction(g, self.denominator)
                for p, g in zip(self.participants, self.gap_numerators, strict=True)}

    def to_json(self, digits: int = 4) -> dict[str, Any]:
        d = self.denominator
        out: dict[str, Any] = {
            "id": self.logement, "to": self.to, "flux_status": self.flux_status,
            "reason": self.reason,
            "gaps": {p: round(g / d, digits)
                     for p, g in zip(self.participants, self.gap_numerators, strict=True)},
        }
        if self.hors_flux is not None:
            out["hors_flux"] = self.hors_flux
        if self.forced:
            out["forced"] = True
        return out


class Apportionment:
    """The running apportionment of one flux (bailleur × département × year)."""

    def __init__(self, participants: Sequence[Participant], *, bailleur: str = "",
                 departement: str = "", year: int = 0):
        if not participants:
            raise ValueError("au moins un participant")
        self.participants = tuple(participants)
        self.ids = tuple(p.id for p in participants)
        self.index = {p: i for i, p in enumerate(self.ids)}
        self.bailleur, self.departement, self.year = bailleur, departement, year
        total = sum((p.share for p in participants), Fraction(0))
        if total != 1:
            raise ValueError(f"les parts doivent faire 100 %, pas {fr_number(100 * total)} %")
        self.D = lcm(*(p.share.denominator for p in participants))
        self.a = tuple(int(p.share * self.D) for p in participants)  # shares over D, Σ = D
        self.counts = [0] * len(participants)
        self.n = 0  # vacancies apportioned so far
        self.max_gap_numerator = 0  # largest |x_i·D − a_i·n| over every prefix
        self.unrestricted = all(_is_unrestricted(p.scope) for p in participants)

    # ---------------------------------------------------------------- state

    def gap_numerators(self) -> tuple[int, ...]:
        D, n = self.D, self.n
        return tuple(x * D - a * n for x, a in zip(self.counts, self.a, strict=True))

    def gaps(self) -> dict[str, Fraction]:
        return {p: Fraction(g, self.D)
                for p, g in zip(self.ids, self.gap_numerators(), strict=True)}

    @property
    def max_gap(self) -> Fraction:
        """Largest |realised − share × count| seen after any step (history included)."""
        return Fraction(self.max_gap_numerator, self.D)

    def record(self, to: str) -> None:
        """Count one earlier orientation (history) to participant ``to``."""
        if to not in self.index:
            raise KeyError(to)
        self._give(self.index[to])

    def _give(self, i: int) -> None:
        self.counts[i] += 1
        self.n += 1
        D, n = self.D, self.n
        worst = max(abs(x * D - a * n) for x, a in zip(self.counts, self.a, strict=True))
        if worst > self.max_gap_numerator:
            self.max_gap_numerator = worst

    # ---------------------------------------------------------------- choice

    def choose(self, logement: Logement | None = None) -> tuple[int, bool]:
        """Index of the participant receiving the next vacancy, and whether it was forced.

        Earliest deadline first among released participants whose scope admits the dwelling.
        """
        counts, a, D = self.counts, self.a, self.D
        next_n = self.n + 1
        check_scope = logement is not None and not self.unrestricted
        best = -1
        best_num = best_den = 0  # deadline key (x + 1)/a as a fraction num/den
        for i, ai in enumerate(a):
            if ai == 0:
                continue
            x = counts[i]
            if x * D >= ai * next_n:  # not released: it would go a whole dwelling ahead
                continue
            if check_scope and not scope_admits(self.participants[i].scope, logement):
                continue
            num = x + 1
            if best < 0 or num * best_den < best_num * ai:
                best, best_num, best_den = i, num, ai
        if best >= 0:
            return best, False
        # No admissible participant under its share (scopes only): smallest overshoot.
        best_over = None
        for i, ai in enumerate(a):
            if check_scope and not scope_admits(self.participants[i].scope, logement):
                continue
            over = (counts[i] + 1) * D - ai * next_n
            if best_over is None or over < best_over:
                best, best_over = i, over
        if best < 0:  # unreachable: the bailleur's own share admits everything
            raise RuntimeError("aucun participant n'admet ce logement")
        return best, True

    # ---------------------------------------------------------------- orientation

    def orient(self, logement: Logement, hors_flux: str | None = None,
               mutations_hors_base: str = "internes") -> Decision:
        """Orient one vacancy (or set it aside when hors flux) and say why."""
        if leaves_flux(hors_flux, mutations_hors_base):
            kind, label = HORS_FLUX_CATEGORIES[hors_flux]  # type: ignore[index]
            why = ("non concerné par la gestion en flux" if kind == "non_concerne"
                   else "retiré de l'assiette du flux")
            return Decision(logement.id, None, "hors_flux", f"Hors flux : {label} — {why}",
                            hors_flux=hors_flux, participants=self.ids,
                            gap_numerators=self.gap_numerators(), denominator=self.D)
        i, forced = self.choose(logement)
        reason = self._reason(i, forced, logement)
        self._give(i)
        return Decision(logement.id, self.ids[i], "oriente", reason, forced=forced,
                        participants=self.ids, gap_numerators=self.gap_numerators(),
                        denominator=self.D)

    def _reason(self, i: int, forced: bool, logement: Logement) -> str:
        p = self.participants[i]
        x, ai, D = self.counts[i], self.a[i], self.D
        n1 = self.n + 1
        target = Fraction(ai * n1, D)
        head = (f"{p.label} : {_logements(x)} reçu{'s' if x > 1 else ''} pour un objectif de "
                f"{fr_number(target)} à ce jour ({fr_number(100 * p.share)} % de {n1})")
        excluded = 0
        if not self.unrestricted:
            excluded = sum(1 for q in self.participants
                           if q.share and not scope_admits(q.scope, logement))
        where = " dont le périmètre admet ce logement" if excluded else ""
        if forced:
            over = Fraction((x + 1) * D - ai * n1, D)
            return (f"{head} — aucun participant{where} n'était sous sa part ; écart le plus "
                    f"faible après attribution (+{fr_number(over)})")
        due = -(-(x + 1) * D // ai)  # latest position for its next dwelling: < (x+1)/s + 1
        tail = (f" — le plus urgent parmi les participants sous leur part{where} : son "
                f"{x + 1}{'er' if x == 0 else 'e'} logement est dû au plus tard au {due}e "
                "logement du flux")
        if excluded == 1:
            tail += " (1 participant écarté par son périmètre)"
        elif excluded:
            tail += f" ({excluded} participants écartés par leur périmètre)"
        return head + tail


def naive_largest_deficit(shares: Sequence[Fraction], length: int) -> Fraction:
    """Largest |gap| of the naive rule "give to the largest deficit s_i·(n+1) − x_i".

    For comparison only (the benchmark baseline, and the test showing it breaks the bound).
    """
    D = lcm(*(s.denominator for s in shares))
    a = [int(s * D) for s in shares]
    counts = [0] * len(a)
    worst = 0
    for n in range(1, length + 1):
        best = max(range(len(a)), key=lambda i: a[i] * n - counts[i] * D)
        counts[best] += 1
        worst = max(worst, max(abs(x * D - ai * n) for x, ai in zip(counts, a, strict=True)))
    return Fraction(worst, D)


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class Vacancy:
    """A logement / offre record to orient, with its year and hors-flux category."""

    logement: Logement
    year: int
    hors_flux: str | None = None

    @property
    def bailleur(self) -> str:
        return self.logement.bailleur or ""

    @property
    def departement(self) -> str:
        return departement_of(self.logement.commune)


def _hors_flux_category(obj: Mapping[str, Any]) -> str | None:
    value = obj.get("hors_flux")
    if value in (None, ""):
        if obj.get("flux_status") == "hors_flux":
            raise RecordError("hors_flux", "catégorie requise pour un logement hors flux ("
                              + ", ".join(HORS_FLUX_CATEGORIES) + ")")
        return None
    if value not in HORS_FLUX_CATEGORIES:
        raise RecordError("hors_flux", f"valeur inconnue {value!r} (attendu : "
                          + ", ".join(HORS_FLUX_CATEGORIES) + ")")
    return str(value)


def parse_vacancy(obj: Mapping[str, Any]) -> Vacancy:
    """A logement / offre record plus ``hors_flux`` (category); needs bailleur and available_on."""
    logement = parse_logement(obj)
    category = _hors_flux_category(obj)
    if not logement.bailleur:
        raise RecordError("bailleur", "requis pour rattacher le logement au flux d'un bailleur")
    if logement.available_on is None:
        raise RecordError("available_on", "date requise pour rattacher la vacance à une année")
    return Vacancy(logement, logement.available_on.year, category)


@dataclass(frozen=True, slots=True)
class FluxEvent:
    """An earlier orientation of the year (``--history``): ``to`` null means hors flux."""

    logement: str
    bailleur: str
    departement: str
    to: str | None
    on: date


def _text(obj: Mapping[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RecordError(key, "texte requis")
    return value.strip()


def parse_event(obj: Mapping[str, Any]) -> FluxEvent:
    """``{"logement", "bailleur", "departement", "to", "on"}``; ``to`` null when hors flux."""
    if not isinstance(obj, Mapping):
        raise RecordError("", "objet JSON attendu")
    to = obj.get("to")
    if to is not None and (not isinstance(to, str) or not to.strip()):
        raise RecordError("to", "identifiant du réservataire ou du bailleur, ou null")
    raw_on = obj.get("on")
    try:
        on = date.fromisoformat(str(raw_on)) if raw_on not in (None, "") else None
    except ValueError:
        on = None
    if on is None:
        raise RecordError("on", f"date AAAA-MM-JJ attendue, reçu {raw_on!r}")
    return FluxEvent(_text(obj, "logement"), _text(obj, "bailleur"), _text(obj, "departement"),
                     to.strip() if to else None, on)


# --------------------------------------------------------------------------- engine


@dataclass
class FluxEngine:
    """Every flux of a set of conventions, keyed by bailleur × département × year."""

    conventions: Iterable[Convention]
    mutations_hors_base: str = "internes"
    _by_group: dict[tuple[str, str, int], list[Convention]] = field(init=False)
    _fluxes: dict[tuple[str, str, int], Apportionment] = field(init=False)

    def __post_init__(self) -> None:
        if self.mutations_hors_base not in MUTATIONS_HORS_BASE:
            raise ValueError(f"mutations_hors_base : {self.mutations_hors_base!r} "
                             f"(attendu : {', '.join(MUTATIONS_HORS_BASE)})")
        self._by_group = {}
        for c in self.conventions:
            self._by_group.setdefault((c.bailleur, c.departement, c.year), []).append(c)
        self._fluxes = {}

    def flux(self, bailleur: str, departement: str, year: int) -> Apportionment:
        key = (bailleur, departement, year)
        if key not in self._fluxes:
            participants = participants_for(bailleur, self._by_group.get(key, []))
            self._fluxes[key] = Apportionment(participants, bailleur=bailleur,
                                              departement=departement, year=year)
        return self._fluxes[key]

    def fluxes(self) -> dict[tuple[str, str, int], Apportionment]:
        return dict(self._fluxes)

    def replay(self, event: FluxEvent) -> None:
        """Count an earlier orientation; ValueError if ``to`` is no participant of its flux."""
        if event.to is None:
            return
        flux = self.flux(event.bailleur, event.departement, event.on.year)
        if event.to not in flux.index:
            raise ValueError(f"{event.to} n'est pas un participant du flux de {event.bailleur} "
                             f"({event.departement}, {event.on.year})")
        flux.record(event.to)

    def orient(self, vacancy: Vacancy) -> Decision:
        flux = self.flux(vacancy.bailleur, vacancy.departement, vacancy.year)
        return flux.orient(vacancy.logement, vacancy.hors_flux, self.mutations_hors_base)
