"""Demandes of the demo: households, incomes, wishes, priorities, history of the file.

Records follow docs/formats.md, « demande », plus extension fields (``status``,
``monthly_resources``, ``_identity``…). Incomes are placed around the engine's ceilings
(``incomes``); everything else is a demo assumption.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from typing import Any

from matching import parameters as params
from matching.facts import age_on

from .draws import days
from .housing import current_housing, reasons_for_asking
from .incomes import draw_income
from .patrimoine import PARC_WEIGHT
from .people import household, identity
from .profiles import (
    ACD_LABELLERS,
    HOMELESS,
    L441_1_LABEL_RATE,
    PRIVATE_EMPLOYEE,
    REFUSAL_REASONS,
    TEMPORARY,
    WORKING,
    DemandContext,
    demand_context,
)
from .territory import DEFAULT_ON, DEPARTEMENT


def filing_date(rng: random.Random, on: date) -> date:
    """When a still-open demande was filed: half within a year, none over six years ago."""
    u = rng.random()
    if u < 0.50:
        back = rng.randint(1, 365)
    elif u < 0.75:
        back = rng.randint(366, 730)
    elif u < 0.90:
        back = rng.randint(731, 1460)
    else:
        back = rng.randint(1461, 2190)  # six years
    return on - timedelta(days=back)


def renewed_on(rng: random.Random, filed_on: date, until: date) -> date | None:
    """Last yearly renewal before ``until`` (made up to a month before the anniversary)."""
    years = until.year - filed_on.year
    for k in range(years, 0, -1):
        try:
            anniversary = filed_on.replace(year=filed_on.year + k)
        except ValueError:  # 29 February
            anniversary = date(filed_on.year + k, 2, 28)
        renewed = anniversary - days(rng, 0, 30)
        if renewed <= until:
            return renewed
    return None


def verification(rng: random.Random, p_verified: float) -> str:
    """Status of a piece of evidence: mostly verified, 2 % rejected, the rest declared."""
    u = rng.random()
    return "verified" if u < p_verified else "rejected" if u < p_verified + 0.02 else "declared"


def _demande(rng: random.Random, ctx: DemandContext, index: int) -> dict[str, Any]:
    on = ctx.on
    size = ctx.size(rng)
    members, sex, age = household(rng, on, size)
    if rng.random() < 0.06:
        members[0 if rng.random() < 0.6 else rng.randrange(len(members))]["has_disability"] = True
    disabled = any(m["has_disability"] for m in members)
    children = sum(1 for m in members if m["role"] == "enfant")
    minors = sum(
        1
        for m in members
        if m["role"] == "enfant" and age_on(date.fromisoformat(m["birth_date"]), on) < 18
    )
    kind = (ctx.housing_young if age < 26 else ctx.housing_others)(rng)
    housing = current_housing(rng, ctx, kind, size, age)

    adults = [0] + (
        [1] if len(members) > 1 and members[1]["role"] in ("conjoint", "codemandeur") else []
    )
    employment = []
    for i in adults:
        a = age_on(date.fromisoformat(members[i]["birth_date"]), on)
        table = (
            ctx.contracts_senior
            if a >= 63
            else ctx.contracts_young
            if a < 26
            else ctx.contracts_adult
        )
        employment.append({"member": i, "contract": table(rng)})
    contracts = {e["contract"] for e in employment}
    working = bool(contracts & WORKING)
    employer: dict[str, Any] = {"siret": None, "contributes_action_logement": False}
    if contracts & (PRIVATE_EMPLOYEE | {"fonctionnaire"}):
        public = "fonctionnaire" in contracts and not contracts & PRIVATE_EMPLOYEE
        while True:
            siret, contributes, is_public = ctx.employers[rng.randrange(len(ctx.employers))]
            if is_public == public:
                break
        employer = {"siret": siret, "contributes_action_logement": contributes, "public": public}

    plai, plus = ctx.ceilings(members)
    rfr, monthly = draw_income(rng, plai, plus, working, size, children)
    rfr_n1 = None
    if rng.random() < 0.3:
        rfr_n1 = round(
            rfr * (rng.uniform(0.5, 0.88) if rng.random() < 0.15 else rng.uniform(0.92, 1.15))
        )

    reasons = reasons_for_asking(rng, ctx, kind, housing, size, working, disabled)

    wishes_n = rng.choice((1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 4, 4, 5))
    wished: list[str] = []
    if housing["commune"] in PARC_WEIGHT and rng.random() < 0.6:
        wished.append(housing["commune"])
    while len(wished) < wishes_n:
        c = ctx.member_by_pop(rng)
        if c not in wished:
            wished.append(c)
    if rng.random() < 0.08:
        outside = (
            housing["commune"] if housing["commune"] not in PARC_WEIGHT else ctx.outside_by_pop(rng)
        )
        if outside not in wished:
            wished[-1:] = [outside] if len(wished) == 5 else [wished[-1], outside]
    typologies = list(ctx.typology_wishes[min(size, 7)](rng))
    max_rent = None
    if rng.random() < 0.8:
        aid = 200 if rfr < plai else 80 if rfr < plus else 0
        max_rent = float(
            min(1200, max(250, round((monthly * rng.uniform(0.28, 0.38) + aid) / 10) * 10))
        )
    needs_accessible = (
        (disabled and rng.random() < 0.55)
        or (age >= 75 and rng.random() < 0.2)
        or rng.random() < 0.005
    )

    criteria = []
    if disabled:
        criteria.append("handicap")
    if kind in HOMELESS or (kind == "heberge_tiers" and rng.random() < 0.5):
        criteria.append("sans_logement")
    if kind in TEMPORARY:
        criteria.append("heberge_temporaire")
    if "expulsion" in reasons:
        criteria.append("menace_expulsion")
    if "logement_indigne" in reasons:
        criteria.append("logement_indigne")
    if "violences_familiales" in reasons:
        criteria.append("violences")
    if minors and housing["rooms"] is not None and housing["rooms"] < size - 1:
        criteria.append("mineur_suroccupation")
    if rfr < plai and kind in (
        "locataire_prive",
        "sous_locataire",
        "heberge_tiers",
        "chez_parents_enfants",
    ):
        criteria.append("mal_loge_defavorise")
    if kind == "centre_enfance_maternel" and age < 21:
        criteria.append("jeune_ase")
    if contracts & {"cdd", "interim"} and rng.random() < 0.05:
        criteria.append("reprise_activite")
    l441_1 = criteria if criteria and rng.random() < L441_1_LABEL_RATE else []
    dalo = bool(l441_1) and rng.random() < 0.10
    acd = bool(l441_1) and rng.random() < 0.15
    filed_on = filing_date(rng, on)
    priority: dict[str, Any] = {"dalo": dalo, "l441_1": l441_1, "acd_labelled": acd}
    if acd or dalo:
        priority["labelled_by"] = "etat-loiret" if dalo else rng.choice(ACD_LABELLERS)
        priority["labelled_on"] = (
            filed_on + timedelta(days=rng.randint(0, max(0, (on - filed_on).days - 1)))
        ).isoformat()

    refusals = []
    span = (on - filed_on).days
    if span > 45 and rng.random() < 0.09:
        for _ in range(1 if rng.random() < 0.85 else 2):
            refusals.append(
                {
                    "date": (filed_on + timedelta(days=rng.randint(30, span))).isoformat(),
                    "offer": f"OFF-{rng.randint(10000, 99999)}",
                    "adapted": rng.random() < 0.6,
                    "reason": rng.choice(REFUSAL_REASONS),
                }
            )
        refusals.sort(key=lambda r: r["date"])

    verified = {
        "rfr_n2": verification(rng, 0.7),
        "household": verification(rng, 0.6),
        "current_housing": verification(rng, 0.4),
    }
    if disabled:
        verified["handicap"] = verification(rng, 0.7)
    for c in l441_1:
        verified[f"l441_1.{c}"] = verification(rng, 0.6)
    if dalo:
        verified["dalo"] = "verified"

    ident = identity(rng, ctx, index, sex, kind, housing["commune"])
    return {
        "id": None,
        "status": "active",
        "filed_on": filed_on.isoformat(),
        "renewed_on": None if (r := renewed_on(rng, filed_on, on)) is None else r.isoformat(),
        "is_mutation": kind == "locataire_hlm",
        "household": members,
        "rfr_n2": rfr,
        "rfr_n1": rfr_n1,
        "monthly_resources": monthly,
        "current_housing": housing,
        "reasons": reasons,
        "employment": employment,
        "employer": employer,
        "wishes": {
            "communes": wished,
            "typologies": typologies,
            "max_rent": max_rent,
            "needs_accessible": needs_accessible,
        },
        "priority": priority,
        "refusals": refusals,
        "verified": verified,
        "_identity": ident,
    }


def generate_demandes(
    rng: random.Random,
    n: int = 5000,
    on: date = DEFAULT_ON,
    parameters: params.Parameters | None = None,
) -> list[dict[str, Any]]:
    """n active demandes filed over the last six years, ids ``045-YYYY-NNNNNN`` in filing order.

    Income ceilings are the engine's on ``on`` (``parameters``, the shipped ones by default);
    ``ParameterMissing`` when they have none for that date.
    """
    ctx = demand_context(rng, on, parameters)
    demandes = [_demande(rng, ctx, i) for i in range(n)]
    demandes.sort(key=lambda d: d["filed_on"])  # stable: ties keep generation order
    seq: Counter[str] = Counter()
    for d in demandes:
        year = d["filed_on"][:4]
        seq[year] += 1
        d["id"] = f"0{DEPARTEMENT}-{year}-{seq[year]:06d}"
    return demandes
