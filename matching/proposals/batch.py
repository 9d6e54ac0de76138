"""Proposals for many vacancies at once, no demande proposed twice: an assignment.

Each offer has as many *slots* as its policy asks candidates (three); each slot may take any
demande on the offer's ordered list of eligible candidates. A minimum-cost full matching of the
sparse bipartite graph slots × demandes (``scipy.sparse.csgraph.min_weight_full_bipartite_
matching``), with one private "empty" column per slot, decides every list at once:

- leaving a slot empty costs far more than any rank, and the first slot of an offer more than
  the second, the second more than the third (lexicographic weights): the assignment first
  gives as many offers as possible one candidate, then a second, then a third, so an offer
  that only a few demandes can take is never starved by an earlier offer that took them
  (a greedy loop in file order would be);
- among those, it minimises the sum of the candidates' positions in their offer's order: each
  offer gets the best-ranked demandes it can without taking them from another offer that has
  no alternative.

Lists are long enough, not complete: an offer starts with ``3 × (offers of its commune and
typology + 1)`` candidates; after each solution, the lists of the offers reachable from an
offer with an empty slot by alternating paths (its candidates → the offers holding them → their
candidates …) are doubled when truncated, until none is, so a longer list could not fill the
empty slot. Every assigned demande is confirmed by the explained eligibility; one that fails
is removed and the assignment solved again.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from ..grid import Grid
from ..records import Logement
from .index import Pool
from .policy import PolicySet, RankingPolicy, as_policy_set
from .rank import Application, Dossier, OfferRanking, _engaged_rows, dossier_of

_EXACT = 2.0**50  # costs stay integers exactly represented, with room for the solver's sums


def _level_costs(levels: int, slots: int, worst: int) -> list[float]:
    """Cost of an empty slot per level (first slot first): each dominates all lower costs."""
    total_rank = float(slots) * worst  # the largest possible sum of ranks
    costs = [total_rank + 1.0]
    for _ in range(levels - 1):
        costs.insert(0, costs[0] * (slots + 1) + total_rank + 1.0)
    if costs[0] > _EXACT:  # too wide: fill as many slots as possible, levels merged
        return [total_rank + 1.0] * levels
    return costs


def assign(lists: Sequence[np.ndarray], needs: Sequence[int]) -> list[np.ndarray]:
    """Positions chosen in each list (demande ids per list, in order of preference), no id
    twice, as many slots filled as possible level by level, then the smallest sum of positions.
    """
    slot_offer = np.repeat(np.arange(len(lists)), needs)
    slot_level = np.concatenate([np.arange(n) for n in needs]) if len(needs) else np.zeros(0, int)
    S = len(slot_offer)
    if S == 0:
        return [np.zeros(0, np.int64) for _ in lists]
    ids = np.concatenate([np.asarray(x, np.int64) for x in lists]) if lists else np.zeros(0)
    uniq, inverse = np.unique(ids, return_inverse=True)
    D = len(uniq)
    worst = max((len(x) for x in lists), default=0)
    level_cost = _level_costs(max(needs, default=1), S, max(worst, 1))
    rows, cols, costs = [], [], []
    first_slot = np.concatenate([[0], np.cumsum(needs)[:-1]]) if len(needs) else np.zeros(0, int)
    start = 0
    for o, x in enumerate(lists):
        k, need = len(x), needs[o]
        col = inverse[start: start + k]
        start += k
        if k == 0 or need == 0:
            continue
        rows.append(np.repeat(first_slot[o] + np.arange(need), k))
        cols.append(np.tile(col, need))
        costs.append(np.tile(np.arange(1, k + 1, dtype=np.float64), need))
    rows.append(np.arange(S))
    cols.append(D + np.arange(S))
    costs.append(np.array([level_cost[lv] for lv in slot_level]))
    matrix = coo_matrix((np.concatenate(costs), (np.concatenate(rows), np.concatenate(cols))),
                        shape=(S, D + S)).tocsr()
    _, col_of_slot = min_weight_full_bipartite_matching(matrix)
    out: list[list[int]] = [[] for _ in lists]
    for s, c in enumerate(col_of_slot):
        if c < D:
            out[slot_offer[s]].append(int(uniq[c]))
    result = []
    for o, x in enumerate(lists):
        pos = {int(v): i for i, v in enumerate(x)}
        result.append(np.array(sorted(pos[v] for v in out[o]), np.int64))
    return result


def propose_batch(offers: Sequence[Logement], pool: Pool, applications: Sequence[Application] = (),
                  policy: PolicySet | RankingPolicy | None = None, grid: Grid | None = None,
                  on: date | None = None, *, engaged: Mapping[str, int] | None = None,
                  epci_communes: Sequence[str] | None = None) -> list[Dossier]:
    """One dossier per offer, in input order; no demande appears in two dossiers.

    ``engaged`` (demande id → best rank on open dossiers outside the batch) is honoured as in
    ``propose`` according to each offer's ``exclusivity``."""
    if grid is None or on is None:
        raise TypeError("propose_batch: grid et on sont obligatoires")
    policies = as_policy_set(policy)
    rankings = [OfferRanking(o, pool, applications, policies, grid, on, epci_communes)
                for o in offers]
    _, any_rows = _engaged_rows(pool, engaged)
    needs = [r.policy.candidates for r in rankings]
    excluded = np.fromiter(any_rows, np.int64)
    rejected: list[set[int]] = [set() for _ in rankings]

    def usable(o: int) -> np.ndarray:
        """Listed indexes of offer o that may be assigned (exclusivity "all" removes demandes
        on open dossiers; the explained eligibility removes the rejected ones)."""
        r = rankings[o]
        idx = np.arange(len(r))
        if r.policy.exclusivity == "all" and len(excluded):
            idx = idx[~np.isin(r.rows, excluded)]
        if rejected[o]:
            idx = idx[~np.isin(idx, np.fromiter(rejected[o], np.int64))]
        return idx

    def truncated(o: int) -> bool:
        return k[o] < len(usable(o)) or not rankings[o].complete

    group = Counter((o.commune, o.typology) for o in offers)
    k = [n * (group[(o.commune, o.typology)] + 1) for n, o in zip(needs, offers, strict=True)]
    for o, r in enumerate(rankings):
        r.ensure(k[o])

    while True:
        lists_idx = []
        for o in range(len(rankings)):
            u = usable(o)
            while len(u) < k[o] and not rankings[o].complete:
                rankings[o].ensure(len(rankings[o]) + k[o] - len(u))
                u = usable(o)
            lists_idx.append(u[: k[o]])
        lists = [rankings[o].rows[ix] for o, ix in enumerate(lists_idx)]
        chosen = assign(lists, needs)
        # Confirm the assigned demandes with the explained eligibility.
        changed = False
        for o, pos in enumerate(chosen):
            for p in pos:
                i = int(lists_idx[o][p])
                if not rankings[o].confirm(i):
                    rejected[o].add(i)
                    changed = True
        if changed:
            continue
        # Grow the truncated lists reachable from an offer with an empty slot.
        holder = {}
        for o, pos in enumerate(chosen):
            for p in pos:
                holder[int(lists[o][p])] = o
        queue = deque(o for o, pos in enumerate(chosen) if len(pos) < needs[o])
        seen = set(queue)
        grew = False
        while queue:
            o = queue.popleft()
            if truncated(o):
                k[o] = max(2 * k[o], needs[o])
                grew = True
            for row in lists[o].tolist():
                h = holder.get(row)
                if h is not None and h not in seen:
                    seen.add(h)
                    queue.append(h)
        if not grew:
            break

    assigned_rows = {int(lists[o][p]) for o, pos in enumerate(chosen) for p in pos}
    dossiers = []
    for o, r in enumerate(rankings):
        mine = lists_idx[o][chosen[o]]
        mine_rows = set(r.rows[mine].tolist())
        taken = len((set(r.rows[usable(o)].tolist()) & assigned_rows) - mine_rows)
        dossier = dossier_of(r, engaged if r.policy.exclusivity == "first" else None, pool,
                             allowed=np.sort(mine), taken_elsewhere=taken)
        dossiers.append(dossier)
    return dossiers
