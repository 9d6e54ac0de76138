"""Three ranked candidates for one offer, each with its explanation (``propose``).

Candidates come first from the requesters who applied to the offer, then, when fewer than
three of them are eligible (or when the policy asks for the pool), from the eligible demandes
of the pool that wish the offer's commune. The order is the policy's (``policy.py``); the
vectorised screen (``index.screen``) finds the eligible rows, and the explained engines confirm
and explain each proposed candidate (``matching.eligibility.eligibility``,
``matching.cotation.cotation``). When fewer than three candidates are found, the dossier says
so and why (counts of applications and of pool demandes set aside, by reason).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date
from types import MappingProxyType
from typing import Any

import numpy as np

from ..cotation import GridNotApplicable, cotation, french_date, french_number
from ..eligibility import REASON_LABELS, Eligibility, eligibility
from ..grid import Grid
from ..records import Logement, _date, _obj, _req, _str
from .index import CommuneView, Pool, passing, ranking_columns, screen
from .policy import RANKING_KEYS, PolicySet, RankingPolicy, as_policy_set

SOURCES = ("candidature", "vivier")
FILTER_LABELS = {**REASON_LABELS,
                 "filtre_commune": "ni résident ni actif dans la commune réservataire"}
REQUIRED_NOTE = "CCH R.441-3 : la CAL examine au moins trois demandes par logement"


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class Application:
    """A requester applied to an offer (JSON Lines ``{"demande", "offer", "applied_on"}``)."""

    demande: str
    offer: str
    applied_on: date


def parse_application(obj: Mapping[str, Any]) -> Application:
    obj = _obj(obj, "")
    return Application(
        demande=_str(_req(obj, "demande", ""), "demande"),
        offer=_str(_req(obj, "offer", ""), "offer"),
        applied_on=_date(_req(obj, "applied_on", ""), "applied_on"),
    )


@dataclass(frozen=True)
class Candidate:
    """One proposed demande: its rank, the cotation for the offer's commune, where it comes
    from, the reasons of its place (French) and the full explanation (figures)."""

    id: str
    rank: int
    score: float | None
    source: str
    reasons: tuple[str, ...]
    explanation: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    row: int = -1

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "rank": self.rank, "score": self.score, "source": self.source,
                "reasons": list(self.reasons)}


@dataclass(frozen=True)
class Dossier:
    """The proposal of one offer: up to three candidates, and why there are fewer."""

    offer: str
    candidates: tuple[Candidate, ...]
    exception: str | None
    policy: str = "defaut"
    shortfall: Mapping[str, Any] | None = None  # the figures behind ``exception``

    def to_json(self) -> dict[str, Any]:
        """One output line of ``python -m matching propose``."""
        return {"offer": self.offer, "candidates": [c.to_json() for c in self.candidates],
                "exception": self.exception}


# --------------------------------------------------------------------------- one offer


def _counts(failures: Mapping[str, np.ndarray], keep: np.ndarray | None = None) -> dict[str, int]:
    out = {}
    for code, mask in failures.items():
        n = int((mask & keep).sum()) if keep is not None else int(mask.sum())
        if n:
            out[code] = n
    return out


def _reason_list(counts: Mapping[str, int]) -> str:
    items = sorted(counts.items(), key=lambda kv: -kv[1])
    return ", ".join(f"{FILTER_LABELS.get(code, code)} {n}" for code, n in items)


def _slice(view: CommuneView, a: int, b: int) -> CommuneView:
    return CommuneView(**{f.name: (v[a:b] if isinstance(v := getattr(view, f.name), np.ndarray)
                                   else v) for f in fields(view)})


def _demandes(n: int) -> str:
    return f"{n} demande{'s' if n > 1 else ''} éligible{'s' if n > 1 else ''}"


class OfferRanking:
    """Eligible rows of one offer in policy order (prefiltered), confirmed lazily."""

    def __init__(self, offer: Logement, pool: Pool, applications: Sequence[Application],
                 policies: PolicySet, grid: Grid, on: date,
                 epci_communes: Sequence[str] | None = None):
        self.offer, self.pool, self.grid, self.on = offer, pool, grid, on
        self.epci_communes = epci_communes
        self.policy: RankingPolicy = policies.for_offer(offer)
        rp = self.policy
        kind = policies.kind_of(offer.reservataire)
        self.etat = kind == "etat"
        self.reservataire_commune = (policies.commune_of(offer.reservataire)
                                     if kind == "commune" and rp.commune_filter else None)
        self.commune_filter_unknown = kind == "commune" and rp.commune_filter \
            and self.reservataire_commune is None
        self.applicant_policy = rp.eligibility if rp.applicants_wish_checks else replace(
            rp.eligibility, check_wished_communes=False, check_wished_typologies=False,
            check_max_rent=False)
        scores = pool.scores(grid, on, epci_communes)
        code = pool.commune_code(offer.commune)

        # -- applicants
        mine = [a for a in applications if a.offer == offer.id]
        rows, dates, self.unknown_applicants = [], [], []
        seen: set[int] = set()
        for a in sorted(mine, key=lambda a: a.applied_on):
            row = pool.row_of(a.demande)
            if row is None:
                self.unknown_applicants.append(a.demande)
            elif row not in seen:
                seen.add(row)
                rows.append(row)
                dates.append(np.datetime64(a.applied_on, "D"))
        a_rows = np.array(rows, np.int64)
        self.applied_on = dict(zip(rows, dates, strict=True))
        wished = pool.table.wishes[a_rows] == code if len(a_rows) else np.zeros((0, 1), bool)
        has = wished.any(axis=1)
        slots = np.where(has, wished.argmax(axis=1), 0)
        a_scores = np.where(has, scores.by_choice[a_rows, slots], scores.score[a_rows]) \
            if len(a_rows) else np.zeros(0)
        a_view = CommuneView.gather(pool, offer.commune, a_rows, slots, a_scores, on)
        a_fail = screen(pool, a_view, offer, self.applicant_policy, on,
                        wish_checks=rp.applicants_wish_checks,
                        commune_of_reservataire=self.reservataire_commune)
        if rp.applicants_wish_checks and rp.eligibility.check_wished_communes:
            a_fail = {"hors_souhaits_geographiques": ~has, **a_fail}
        a_ok = passing(a_fail, len(a_rows))
        self.applicants_total = len(mine)
        self.applicants_counts = _counts(a_fail)
        self.applicants_eligible = int(a_ok.sum())
        a_dates = np.array(dates, "datetime64[D]")
        keys = ranking_columns(pool, a_rows, a_scores, rp.order, self.etat, a_dates)
        a_order = np.lexsort(keys) if len(a_rows) else np.zeros(0, np.int64)
        a_order = a_order[a_ok[a_order]]
        self._a = (a_rows[a_order], a_scores[a_order], np.ones(len(a_order), bool))
        self.has_wish = dict(zip(a_rows.tolist(), has.tolist(), strict=True))

        # -- pool
        self.pool_used = rp.pool == "always" or (
            rp.pool == "if_short" and self.applicants_eligible < rp.candidates)
        self.pool_wishing = 0
        self.pool_counts: Counter[str] = Counter()
        self.pool_eligible = 0
        self._a_rows = a_rows
        self._screened = 0
        self._view: CommuneView | None = None
        self._p_rows: list[np.ndarray] = []
        self._p_scores: list[np.ndarray] = []
        self.complete = not self.pool_used
        self.rows, self.scores, self.applied = self._a
        if self.pool_used:
            self._view = pool.view(offer.commune, grid, on, rp.order, self.etat, epci_communes)
            if rp.pool == "always":
                self._screen_pool(len(self._view))
                self._merge()
            else:
                self.ensure(rp.candidates)
        self._verdicts: dict[int, Eligibility] = {}
        self.rejected_on_review: Counter[str] = Counter()

    def __len__(self) -> int:
        return len(self.rows)

    _CHUNK = 2048

    def _screen_pool(self, upto: int) -> None:
        """Screen the next rows of the commune's view, in ranking order, up to ``upto``."""
        view = self._view
        assert view is not None
        start, stop = self._screened, min(len(view), upto)
        if stop <= start:
            self.complete = True
            return
        part = _slice(view, start, stop)
        fail = screen(self.pool, part, self.offer, self.policy.eligibility, self.on,
                      commune_of_reservataire=self.reservataire_commune)
        ok = passing(fail, len(part))
        not_applicant = ~np.isin(part.rows, self._a_rows) if len(self._a_rows) \
            else np.ones(len(part), bool)
        self.pool_wishing += int(not_applicant.sum())
        self.pool_counts.update(_counts(fail, not_applicant))
        ok &= not_applicant
        idx = np.flatnonzero(ok)
        self.pool_eligible += len(idx)
        self._p_rows.append(part.rows[idx])
        self._p_scores.append(part.score[idx])
        self._screened = stop
        self.complete = stop >= len(view)

    def _merge(self) -> None:
        p_rows = np.concatenate(self._p_rows) if self._p_rows else np.zeros(0, np.int64)
        p_scores = np.concatenate(self._p_scores) if self._p_scores else np.zeros(0)
        a_rows, a_scores, a_applied = self._a
        if self.policy.pool == "always" and len(a_rows) and len(p_rows):
            rows_all = np.concatenate([a_rows, p_rows])
            scores_all = np.concatenate([a_scores, p_scores])
            applied = np.concatenate([a_applied, np.zeros(len(p_rows), bool)])
            dates_all = np.array([self.applied_on.get(int(r), np.datetime64("NaT"))
                                  for r in rows_all], "datetime64[D]")
            dates_all = np.where(np.isnat(dates_all), np.datetime64("9999-12-31"), dates_all)
            order = np.lexsort(ranking_columns(self.pool, rows_all, scores_all,
                                               self.policy.order, self.etat, dates_all))
            self.rows, self.scores, self.applied = rows_all[order], scores_all[order], applied[order]
        else:  # applicants first: pool rows are only ever appended, indexes stay valid
            self.rows = np.concatenate([a_rows, p_rows])
            self.scores = np.concatenate([a_scores, p_scores])
            self.applied = np.concatenate([a_applied, np.zeros(len(p_rows), bool)])

    def ensure(self, count: int) -> None:
        """Screen the pool until ``count`` rows are listed or the commune is exhausted."""
        if self.complete or self._view is None:
            return
        chunk = self._CHUNK
        while len(self.rows) < count and not self.complete:
            self._screen_pool(self._screened + chunk)
            self._merge()
            chunk *= 4

    def indexes(self) -> Iterator[int]:
        """Every listed index in order, screening further as they are consumed."""
        i = 0
        while True:
            if i >= len(self.rows):
                if self.complete:
                    return
                self.ensure(i + 1)
                continue
            yield i
            i += 1

    def confirm(self, i: int) -> bool:
        """The explained eligibility of the i-th row agrees (it is kept for the explanation)."""
        row = int(self.rows[i])
        if row not in self._verdicts:
            policy = self.applicant_policy if self.applied[i] else self.policy.eligibility
            verdict = eligibility(self.pool.record(row), self.offer, self.on, policy,
                                  parameters=self.pool.parameters)
            self._verdicts[row] = verdict
            if not verdict.ok:
                self.rejected_on_review.update(verdict.codes)
        return self._verdicts[row].ok

    # -- the dossier
    def candidate(self, i: int, rank: int, notes: Iterable[str] = ()) -> Candidate:
        pool, offer, on = self.pool, self.offer, self.on
        row = int(self.rows[i])
        record = pool.record(row)
        verdict = self._verdicts.get(row) or eligibility(record, offer, on, self.policy.eligibility,
                                                         parameters=pool.parameters)
        score = float(self.scores[i])
        score_out = None if np.isnan(score) else score
        applied = bool(self.applied[i])
        t = pool.table
        reasons: list[str] = []
        if applied:
            reasons.append(f"a candidaté à ce logement le "
                           f"{french_date(self.applied_on[row].astype(date))}")
        else:
            slot = list(record.wishes.communes).index(offer.commune) \
                if offer.commune in record.wishes.communes else None
            reasons.append("demande du vivier qui souhaite la commune " + offer.commune
                           + (f" (choix n° {slot + 1})" if slot is not None else ""))
        dalo_etat = bool(t.dalo[row]) and self.etat
        prioritaire = bool(t.dalo[row] or t.l441_1[row] or t.acd_labelled[row])
        for key in self.policy.order:
            if key == "dalo_etat" and dalo_etat:
                reasons.append("ménage reconnu DALO désigné par le préfet, logement du contingent "
                               "de l'État : placé avant les autres")
            elif key == "menage_prioritaire" and prioritaire:
                reasons.append("ménage prioritaire (DALO, critère L.441-1 ou labellisé)")
            elif key == "cotation":
                if score_out is None:
                    reasons.append("cotation : la grille ne s'applique pas à cette demande")
                elif applied and not self.has_wish.get(row, True):
                    reasons.append(f"cotation {french_number(score_out)} (premier choix : la "
                                   f"commune {offer.commune} n'est pas dans ses souhaits)")
                else:
                    reasons.append(f"cotation {french_number(score_out)} pour la commune "
                                   f"{offer.commune}")
            elif key == "anciennete":
                filed = t.filed_on[row].astype(date)
                reasons.append(f"demande déposée le {french_date(filed)}")
        reasons.extend(notes)
        try:
            cot = cotation(record, self.grid, on, self.epci_communes).to_json()
        except GridNotApplicable as exc:
            cot = {"error": exc.reason}
        elig = verdict.to_json()
        explanation = {
            "source": "candidature" if applied else "vivier",
            "applied_on": self.applied_on[row].astype(date).isoformat() if applied else None,
            "priority": {"dalo": bool(t.dalo[row]), "dalo_etat": dalo_etat,
                         "menage_prioritaire": prioritaire},
            "eligibility": elig,
            "adequacy": {"typology": offer.typology, "persons": verdict.typology.persons,
                         "typology_min": verdict.typology.min_persons,
                         "typology_max": verdict.typology.max_persons,
                         "typology_ok": verdict.typology.ok, "surface": offer.surface,
                         "surface_min": verdict.surface_min},
            "taux_effort": elig["taux_effort"],
            "reste_a_vivre": elig["reste_a_vivre"],
            "cotation": cot,
            "score": score_out,
            "order": list(self.policy.order) + ["identifiant"],
        }
        return Candidate(pool.id_of(row), rank, score_out,
                         "candidature" if applied else "vivier", tuple(reasons),
                         MappingProxyType(explanation), row)

    def shortfall(self, found: int, *, taken_elsewhere: int = 0, blocked: int = 0,
                  excluded: int = 0) -> tuple[str | None, dict[str, Any] | None]:
        """The exception text when fewer candidates than the policy asks, with its figures."""
        need = self.policy.candidates
        if found >= need:
            return None, None
        figures: dict[str, Any] = {
            "required": need, "found": found,
            "applications": self.applicants_total,
            "applications_eligible": self.applicants_eligible,
            "applications_set_aside": self.applicants_counts,
            "unknown_applicants": list(self.unknown_applicants),
            "pool_consulted": self.pool_used, "pool_wishing": self.pool_wishing,
            "pool_eligible": self.pool_eligible, "pool_set_aside": dict(self.pool_counts),
            "rejected_on_review": dict(self.rejected_on_review),
            "taken_by_other_offers": taken_elsewhere, "engaged_elsewhere": blocked + excluded,
        }
        head = ("Aucun candidat éligible" if found == 0 else
                f"{found} candidats éligibles seulement" if found > 1 else
                "Un seul candidat éligible")
        parts = [f"{head} au lieu de {need} ({REQUIRED_NOTE}, sauf insuffisance de candidats)"]
        if self.applicants_total == 0:
            parts.append("aucune candidature reçue")
        else:
            text = (f"candidatures : {self.applicants_total} reçue"
                    f"{'s' if self.applicants_total > 1 else ''}, "
                    f"{self.applicants_eligible} éligible{'s' if self.applicants_eligible > 1 else ''}")
            if self.applicants_counts:
                text += f" (écartées : {_reason_list(self.applicants_counts)})"
            if self.unknown_applicants:
                text += f", {len(self.unknown_applicants)} d'une demande absente du vivier"
            parts.append(text)
        if not self.pool_used:
            parts.append("vivier non consulté (politique : candidatures seulement)")
        else:
            text = (f"vivier : {self.pool_eligible} demande"
                    f"{'s' if self.pool_eligible > 1 else ''} éligible"
                    f"{'s' if self.pool_eligible > 1 else ''} parmi les {self.pool_wishing} qui "
                    f"souhaitent la commune {self.offer.commune}")
            if self.pool_counts:
                text += (f" (écartées : {_reason_list(self.pool_counts)} ; une demande peut "
                         f"cumuler plusieurs motifs)")
            parts.append(text)
        if self.rejected_on_review:
            parts.append(f"écartées à l'examen détaillé : {_reason_list(self.rejected_on_review)}")
        if taken_elsewhere:
            parts.append(f"{_demandes(taken_elsewhere)} proposée{'s' if taken_elsewhere > 1 else ''}"
                         f" sur un autre logement du lot")
        if excluded:
            parts.append(f"{_demandes(excluded)} déjà sur un autre dossier ouvert")
        if blocked:
            parts.append(f"{_demandes(blocked)} déjà en tête d'un autre dossier ouvert (ne peut "
                         f"être placée en tête)")
        if self.commune_filter_unknown:
            parts.append("commune du réservataire inconnue : filtre résidents ou actifs non "
                         "appliqué")
        return " ; ".join(parts) + ".", figures


def arrange(ranking: OfferRanking, usable: Iterable[int], need: int,
            first_blocked: Collection[int]) -> tuple[list[int], int]:
    """Indexes of the chosen rows in rank order: the best that may lead (not first on another
    open dossier), then the next best in order; and how many better ones it was put before."""
    leader: int | None = None
    others: list[int] = []  # usable indexes other than the leader, in increasing order
    for i in usable:
        if leader is None and int(ranking.rows[i]) not in first_blocked:
            leader = i
        else:
            others.append(i)
        if leader is not None and len(others) >= need - 1:
            break
    if leader is None:
        return [], len(others)
    return [leader, *others[: need - 1]], sum(1 for i in others if i < leader)


def _engaged_rows(pool: Pool, engaged: Mapping[str, int] | None) -> tuple[set[int], set[int]]:
    """Rows first on another open dossier, rows on any other open dossier."""
    first: set[int] = set()
    anywhere: set[int] = set()
    for demande_id, rank in (engaged or {}).items():
        row = pool.row_of(demande_id)
        if row is not None:
            anywhere.add(row)
            if rank == 1:
                first.add(row)
    return first, anywhere


def propose(offer: Logement, pool: Pool, applications: Sequence[Application] = (),
            policy: PolicySet | RankingPolicy | None = None, grid: Grid | None = None,
            on: date | None = None, *, engaged: Mapping[str, int] | None = None,
            epci_communes: Sequence[str] | None = None) -> Dossier:
    """Up to three ranked candidates for one offer, explained (see the module docstring).

    ``engaged``: demande id → its best rank on the other open dossiers; with the policy's
    ``exclusivity`` ``first`` a demande ranked first elsewhere is not put first here, with
    ``all`` a demande on another open dossier is not proposed."""
    if grid is None or on is None:
        raise TypeError("propose: grid et on sont obligatoires")
    policies = as_policy_set(policy)
    ranking = OfferRanking(offer, pool, applications, policies, grid, on, epci_communes)
    return dossier_of(ranking, engaged, pool)


def dossier_of(ranking: OfferRanking, engaged: Mapping[str, int] | None, pool: Pool,
               allowed: np.ndarray | None = None, taken_elsewhere: int = 0) -> Dossier:
    """Choose, confirm and explain; ``allowed``: indexes the batch assigned (already ordered)."""
    rp = ranking.policy
    need = rp.candidates
    first_rows, any_rows = _engaged_rows(pool, engaged)
    if rp.exclusivity == "none":
        first_rows, any_rows = set(), set()
    elif rp.exclusivity == "first":
        any_rows = set()
    excluded = 0

    def usable() -> Iterable[int]:
        nonlocal excluded
        candidates = ranking.indexes() if allowed is None else allowed
        for i in candidates:
            if int(ranking.rows[i]) in any_rows:
                excluded += 1
                continue
            if ranking.confirm(int(i)):
                yield int(i)

    chosen, blocked = arrange(ranking, usable(), need, first_rows)
    notes: dict[int, list[str]] = {}
    if chosen and blocked:
        notes[chosen[0]] = ["placé en tête : les demandes mieux classées sont déjà en tête d'un "
                            "autre dossier ouvert"]
    candidates = tuple(ranking.candidate(i, k + 1, notes.get(i, ()))
                       for k, i in enumerate(chosen))
    exception, figures = ranking.shortfall(len(candidates), taken_elsewhere=taken_elsewhere,
                                           blocked=blocked if len(candidates) < need else 0,
                                           excluded=excluded)
    return Dossier(ranking.offer.id, candidates, exception, rp.id, figures)


__all__ = ["RANKING_KEYS", "SOURCES", "Application", "Candidate", "Dossier", "OfferRanking",
           "parse_application", "propose"]
