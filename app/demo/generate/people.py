"""The people of the demo: household composition and fictional identities.

Everybody is invented: names come from invented lists, e-mails use ``example.org``
(RFC 2606), phone numbers a range reserved for fiction and employer SIRETs fail the Luhn
check every real SIRET passes (data/SOURCES.md).
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from .draws import days
from .sources import streets

if TYPE_CHECKING:
    from .profiles import DemandContext

# Fictional mobile numbers: ARCEP range reserved for fiction (06 39 98 xx xx, to verify in the
# plan national de numérotation); never a number that may be attributed to someone.
FICTION_PHONE_PREFIX = "06 39 98"


def slug(text: str) -> str:
    """Lower-case ASCII letters and digits of a name, for e-mail addresses."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_text.lower() if ch.isalnum())


def fictional_siret(rng: random.Random) -> str:
    """14 digits failing the Luhn check that every real SIRET passes, so none is a real company."""
    digits = [rng.randint(0, 9) for _ in range(14)]
    digits[0] = rng.randint(1, 9)
    while luhn_ok(digits):
        digits[-1] = (digits[-1] + 1) % 10
    return "".join(map(str, digits))


def luhn_ok(digits: Sequence[int]) -> bool:
    """Whether digits pass the Luhn check (as every real SIREN/SIRET does)."""
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return total % 10 == 0


def birth(rng: random.Random, on: date, age: int) -> date:
    """A birth date giving ``age`` years on ``on``."""
    return date(on.year - age - 1, on.month, 1) + days(rng, 0, 364)


def household(rng: random.Random, on: date, size: int) -> tuple[list[dict[str, Any]], str, int]:
    """Members (demandeur first), the demandeur's sex and age."""
    if size == 1:
        couple, children = False, 0
    elif size == 2:
        couple = rng.random() < 0.55
        children = 0 if couple else 1
    else:
        couple = rng.random() < 0.6
        children = size - (2 if couple else 1)
    others_autre = 1 if size >= 3 and children >= 2 and rng.random() < 0.03 else 0
    children -= others_autre
    if children:
        age = rng.randint(22, 55)
    elif couple:
        u = rng.random()
        age = (
            rng.randint(20, 29)
            if u < 0.3
            else rng.randint(30, 59)
            if u < 0.75
            else rng.randint(60, 85)
        )
    else:
        u = rng.random()
        age = (
            rng.randint(18, 29)
            if u < 0.30
            else rng.randint(30, 49)
            if u < 0.65
            else rng.randint(50, 64)
            if u < 0.85
            else rng.randint(65, 90)
        )
    sex = (
        ("F" if rng.random() < 0.85 else "M")
        if children and not couple
        else ("F" if rng.random() < 0.5 else "M")
    )
    members = [
        {
            "role": "demandeur",
            "birth_date": birth(rng, on, age).isoformat(),
            "is_dependent": False,
            "has_disability": False,
        }
    ]
    if couple:
        role = "conjoint" if rng.random() < 0.85 else "codemandeur"
        partner_age = max(18, age + rng.randint(-6, 6))
        members.append(
            {
                "role": role,
                "birth_date": birth(rng, on, partner_age).isoformat(),
                "is_dependent": False,
                "has_disability": False,
            }
        )
    max_child = max(0, min(age - 17, 24))
    for _ in range(children):
        child_age = rng.randint(0, max_child)
        members.append(
            {
                "role": "enfant",
                "birth_date": birth(rng, on, child_age).isoformat(),
                "is_dependent": child_age < 21,
                "has_disability": False,
            }
        )
    for _ in range(others_autre):
        members.append(
            {
                "role": "autre",
                "birth_date": birth(rng, on, rng.randint(60, 88)).isoformat(),
                "is_dependent": False,
                "has_disability": False,
            }
        )
    return members, sex, age


def identity(
    rng: random.Random, ctx: DemandContext, index: int, sex: str, kind: str, commune: str
) -> dict[str, Any]:
    """Fictional name and contact details of the demandeur, living in ``commune``."""
    first = rng.choice(ctx.names_f if sex == "F" else ctx.names_m)
    last = rng.choice(ctx.last)
    if kind in ("sans_abri", "squat"):
        line = "Domiciliation CCAS"
    else:
        line = f"{rng.randint(1, 180)} {rng.choice(streets()[commune])}"
    return {
        "civility": "Mme" if sex == "F" else "M.",
        "first_name": first,
        "last_name": last,
        "email": f"{ctx.slugs[first]}.{ctx.slugs[last]}.{index}@example.org",
        "phone": f"{FICTION_PHONE_PREFIX} {rng.randint(0, 99):02d} {rng.randint(0, 99):02d}",
        "address": f"{line}, {ctx.postal[commune]} {ctx.commune_name[commune]}",
        "address_parts": {"line": line, "postal_code": ctx.postal[commune], "commune": commune},
    }
