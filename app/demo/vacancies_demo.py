"""Demo vacancies of the bailleurs: declared, hors flux, published with a text and a plan.

Called by ``app/demo/loader.py`` after the current offers are loaded. Deterministic (seeded)
and small: a few dozen vacancies through the same services as the bailleur's screens
(``app/flux/offers.py``), plans drawn as PNG in pure Python (zlib and PNG chunks).
"""

from __future__ import annotations

import io
import random
import struct
import zlib
from datetime import date, timedelta

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.flux.models import OPEN_FLUX_STATUSES, Offre
from app.flux.offers import add_media, declare_vacancy, publish
from app.patrimoine.models import Logement

QUARTIERS = ("Centre-ville", "La Source", "Les Blossières", "Saint-Marceau", "Bourgogne",
             "Dunois", "Madeleine", "Argonne", "Gare", "Bords de Loire")
FEATURES = ("séjour lumineux", "cuisine séparée", "balcon", "cave", "place de parking",
            "double vitrage", "chauffage collectif", "proche tram", "proche écoles",
            "parc à 5 minutes")
VACANCIES_PER_BAILLEUR = 12


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def png_plan(width: int = 240, height: int = 160, *, rooms: int = 3, seed: int = 0) -> bytes:
    """A grayscale PNG floor plan: outer walls, ``rooms`` rooms side by side, a door each."""
    rng = random.Random(seed)
    pixels = [bytearray([255]) * width for _ in range(height)]

    def wall(x0, y0, x1, y1):
        for y in range(max(0, y0), min(height, y1)):
            for x in range(max(0, x0), min(width, x1)):
                pixels[y][x] = 0

    t = 3
    wall(4, 4, width - 4, 4 + t)
    wall(4, height - 4 - t, width - 4, height - 4)
    wall(4, 4, 4 + t, height - 4)
    wall(width - 4 - t, 4, width - 4, height - 4)
    corridor = height * 2 // 3
    wall(4, corridor, width - 4, corridor + t)
    cuts = sorted(rng.sample(range(30, width - 30), max(0, rooms - 1))) if rooms > 1 else []
    for x in cuts:
        wall(x, 4, x + t, corridor)
    for left, right in zip([4, *cuts], [*cuts, width - 4], strict=True):
        door = (left + right) // 2
        for y in range(corridor, corridor + t):
            for x in range(door - 8, door + 8):
                pixels[y][x] = 255
    raw = b"".join(b"\x00" + bytes(row) for row in pixels)
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b""))


def _description(rng: random.Random, lg: Logement) -> str:
    features = ", ".join(rng.sample(FEATURES, 3))
    surface = f"{lg.surface:.0f} m², " if lg.surface else ""
    floor = ("rez-de-chaussée" if lg.floor == 0 else f"{lg.floor}e étage") \
        if lg.floor is not None else "étage non précisé"
    return (f"{lg.typology} de {surface}{floor}{' avec ascenseur' if lg.lift else ''} : "
            f"{features}.")


def _publish_with_plan(rng: random.Random, offre: Offre, n: int) -> None:
    lg = offre.logement
    publish(offre, description=_description(rng, lg), quartier=rng.choice(QUARTIERS))
    rooms = {"T1": 1, "T2": 2, "T3": 3, "T4": 4, "T5": 5, "T6": 5}[lg.typology]
    upload = FileStorage(io.BytesIO(png_plan(rooms=rooms, seed=n)), filename=f"plan-{lg.ref}.png")
    add_media(offre, upload, kind="plan", caption=f"Plan du {lg.typology} : {rooms} pièce(s) "
                                                  "donnant sur un couloir")


def load_vacancies_demo(on: date, *, seed: int = 2026) -> dict[str, int]:
    """Vacancies at each stage for every bailleur: declared (to orient), hors flux, published
    with a plan; and text and plan on some offers already oriented. Returns the counts."""
    rng = random.Random(seed)
    counts = {"declarees": 0, "hors_flux": 0, "publiees": 0, "plans": 0}
    busy = select(Offre.logement_id)
    free = list(db.session.scalars(
        select(Logement).where(Logement.id.not_in(busy), Logement.retired_on.is_(None))
        .order_by(Logement.bailleur_id, Logement.id)))
    by_bailleur: dict[int, list[Logement]] = {}
    for lg in free:
        by_bailleur.setdefault(lg.bailleur_id, []).append(lg)
    n = 0
    for logements in by_bailleur.values():
        for i, lg in enumerate(logements[:VACANCIES_PER_BAILLEUR]):
            n += 1
            if i % 6 == 5:  # destined to be sold: its vacancy is hors flux
                lg.hors_flux_reason = "vente"
                db.session.flush()
            notice = on - timedelta(days=rng.randint(1, 40))
            offre = declare_vacancy(lg, notice_on=notice,
                                    available_on=notice + timedelta(days=rng.choice((30, 60, 90))),
                                    today=on)
            counts["declarees"] += 1
            if offre.flux_status == "hors_flux":
                counts["hors_flux"] += 1
            elif i % 2 == 0:
                _publish_with_plan(rng, offre, n)
                counts["publiees"] += 1
                counts["plans"] += 1
    # Offers already oriented by the loader: a text and a plan for a few of them.
    oriented = db.session.scalars(
        select(Offre).where(Offre.flux_status.in_(OPEN_FLUX_STATUSES),
                            Offre.flux_status != "a_orienter", Offre.description.is_(None))
        .order_by(Offre.id).limit(12)).all()
    for offre in oriented:
        n += 1
        _publish_with_plan(rng, offre, n)
        counts["publiees"] += 1
        counts["plans"] += 1
    db.session.flush()
    return counts
