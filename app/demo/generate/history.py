"""The demo's past: twelve months of allocations, proposals, refusals and leases.

A plausible CAL ranking, not the matcher; rotation rates per bailleur are demo assumptions.
Allocated demandes are closed (``attribuee``) and lose what would postdate the allocation.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from .demandes import renewed_on
from .draws import Weighted, days
from .profiles import REFUSAL_REASONS
from .territory import DEFAULT_ON

ROTATION_BY_BAILLEUR = {
    "toits-de-la-bionne": 0.095,
    "habitat-val-des-mauves": 0.11,
    "loire-canal-logement": 0.085,
}


def generate_allocation_history(
    rng: random.Random,
    demandes: list[dict[str, Any]],
    logements: Sequence[Mapping[str, Any]],
    on: date = DEFAULT_ON,
    months: int = 12,
    conventions: Sequence[Mapping[str, Any]] = (),
) -> list[dict[str, Any]]:
    """Past allocations (≈8–12 % yearly rotation); the allocated demandes become ``attribuee``."""
    start = on - timedelta(days=round(months * 30.44))
    by_typology: dict[str, list[int]] = defaultdict(list)
    for i, d in enumerate(demandes):
        if d.get("status", "active") == "active":
            for t in d["wishes"]["typologies"]:
                by_typology[t].append(i)
    conv_by: dict[tuple[str, int], list[Mapping[str, Any]]] = defaultdict(list)
    for c in conventions:
        conv_by[(c["bailleur"], int(c["year"]))].append(c)

    occupied = [lg for lg in logements if not lg.get("available_on")]
    by_bailleur: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for lg in occupied:
        by_bailleur[lg["bailleur"]].append(lg)
    chosen: list[tuple[date, Mapping[str, Any]]] = []
    for bailleur, parc in sorted(by_bailleur.items()):
        rate = ROTATION_BY_BAILLEUR.get(bailleur, 0.10) * months / 12
        for lg in rng.sample(parc, min(len(parc), round(len(parc) * rate))):
            chosen.append((start + days(rng, 0, max(0, (on - start).days - 10)), lg))
    chosen.sort(key=lambda x: (x[0], x[1]["id"]))

    allocated: set[int] = set()
    busy_until: dict[int, str] = {}  # a household answering a proposal gets no other one meanwhile
    allocations = []
    for cal_on, lg in chosen:
        res_id, res_kind = _pick_reservataire(
            rng, lg, conv_by.get((lg["bailleur"], cal_on.year), [])
        )
        ranked = _candidates(
            rng,
            demandes,
            by_typology.get(lg["typology"], []),
            allocated,
            busy_until,
            lg,
            res_kind,
            cal_on,
        )
        if not ranked:
            continue
        offer = f"OFF-{lg['id']}-{cal_on:%Y%m}"
        proposals = []
        answered = cal_on
        refusers = ranked[1:3] if rng.random() < 0.2 else []
        for rank, i in enumerate([*refusers, ranked[0]], start=1):
            proposed = answered + days(rng, 1, 3)
            answered = min(proposed + days(rng, 1, 10), on)
            accepted = i == ranked[0]
            proposals.append(
                {
                    "demande": demandes[i]["id"],
                    "rank": rank,
                    "proposed_on": proposed.isoformat(),
                    "answered_on": answered.isoformat(),
                    "outcome": "accepte" if accepted else "refuse",
                }
            )
            busy_until[i] = answered.isoformat()
            if not accepted:
                reason = rng.choice(REFUSAL_REASONS)
                proposals[-1]["reason"] = reason
                demandes[i]["refusals"].append(
                    {
                        "date": answered.isoformat(),
                        "offer": offer,
                        "adapted": rng.random() < 0.5,
                        "reason": reason,
                    }
                )
                demandes[i]["refusals"].sort(key=lambda r: r["date"])
        winner = ranked[0]
        allocated.add(winner)
        lease = answered + days(rng, 7, 30)
        d = demandes[winner]
        filed_on = date.fromisoformat(d["filed_on"])
        allocation = {
            "id": f"ATT-{cal_on.year}-{len(allocations) + 1:05d}",
            "logement": lg["id"],
            "bailleur": lg["bailleur"],
            "commune": lg["commune"],
            "typology": lg["typology"],
            "financing": lg["financing"],
            "qpv": lg["qpv"],
            "reservataire": res_id,
            "reservataire_kind": res_kind,
            "offer": offer,
            "demande": d["id"],
            "filed_on": d["filed_on"],
            "allocated_on": cal_on.isoformat(),
            "lease_signed_on": lease.isoformat() if lease <= on else None,
            "waiting_days": (cal_on - filed_on).days,
            "proposals": proposals,
        }
        allocations.append(allocation)
        _close(rng, d, allocation, cal_on)
    return allocations


def _pick_reservataire(
    rng: random.Random, lg: Mapping[str, Any], convs: Sequence[Mapping[str, Any]]
) -> tuple[str, str]:
    """A réservataire drawn by convention shares; the bailleur keeps the rest."""
    options = []
    for c in convs:
        scope = c.get("scope") or {}
        if scope.get("communes") and lg["commune"] not in scope["communes"]:
            continue
        options.append(((c["reservataire"], c["reservataire_kind"]), float(c["share_percent"])))
    own = 100.0 - sum(float(c["share_percent"]) for c in convs)
    options.append(((lg["bailleur"], "bailleur"), max(own, 0.0)))
    return Weighted(options)(rng)


def _fits_reservataire(d: Mapping[str, Any], kind: str) -> bool:
    if kind == "etat":
        return bool(d["priority"]["dalo"] or d["priority"]["l441_1"])
    if kind == "etat_agents":
        return any(e["contract"] == "fonctionnaire" for e in d["employment"])
    if kind == "action_logement":
        return bool(d["employer"].get("contributes_action_logement"))
    return True


def _candidates(
    rng: random.Random,
    demandes: Sequence[Mapping[str, Any]],
    pool: Sequence[int],
    allocated: set[int],
    busy_until: Mapping[int, str],
    lg: Mapping[str, Any],
    res_kind: str,
    cal_on: date,
) -> list[int]:
    """Up to three candidates for one dwelling, best first (a plausible CAL ranking only)."""
    if not pool:
        return []
    latest = (cal_on - timedelta(days=30)).isoformat()
    cal_iso = cal_on.isoformat()
    scored = []
    for i in {pool[rng.randrange(len(pool))] for _ in range(80)}:
        d = demandes[i]
        if i in allocated or d["filed_on"] > latest or busy_until.get(i, "") >= cal_iso:
            continue
        score = (
            _fits_reservataire(d, res_kind),
            lg["commune"] in d["wishes"]["communes"],
            d["priority"]["dalo"],
            not d["wishes"]["needs_accessible"] or lg["accessible"],
            # Seniority helps without deciding alone (CAL weigh many things).
            rng.random()
            + 0.6 * min((cal_on - date.fromisoformat(d["filed_on"])).days, 1800) / 1800,
            d["id"],
        )
        scored.append((score, i))
    scored.sort(reverse=True)
    return [i for _, i in scored[:3]]


def _close(
    rng: random.Random, d: dict[str, Any], allocation: Mapping[str, Any], cal_on: date
) -> None:
    """Mark a demande allocated and drop what would postdate the allocation."""
    d["status"] = "attribuee"
    d["closed_on"] = cal_on.isoformat()
    d["attribution"] = allocation["id"]
    d["refusals"] = [r for r in d["refusals"] if r["date"] <= cal_on.isoformat()]
    if d["renewed_on"] and d["renewed_on"] > cal_on.isoformat():
        renewed = renewed_on(rng, date.fromisoformat(d["filed_on"]), cal_on)
        d["renewed_on"] = renewed.isoformat() if renewed else None
    labelled_on = d["priority"].get("labelled_on")
    if labelled_on and labelled_on > cal_on.isoformat():
        d["priority"]["labelled_on"] = d["filed_on"]
