"""Proposals: three ranked, explained candidates per vacant dwelling (docs/formats.md, propose).

Entry points (pure; the application builds the ``Pool`` from the database):

- ``Pool(table, records=…)`` / ``Pool.from_demandes(demandes)``: the demandes, indexed;
- ``propose(offer, pool, applications, policy, grid, on, engaged=…) -> Dossier``;
- ``propose_batch(offers, pool, applications, policy, grid, on, engaged=…) -> list[Dossier]``;
- ``load_policy_set(id_or_path)`` / ``RankingPolicy``: ranking policies as data.
"""

from .batch import assign, propose_batch
from .index import Pool, retained_income
from .policy import (
    PolicyError,
    PolicySet,
    RankingPolicy,
    Rule,
    load_policy_set,
    policy_set_from_mapping,
)
from .rank import Application, Candidate, Dossier, parse_application, propose

__all__ = [
    "Application", "Candidate", "Dossier", "PolicyError", "PolicySet", "Pool", "RankingPolicy",
    "Rule", "assign", "load_policy_set", "parse_application", "policy_set_from_mapping",
    "propose", "propose_batch", "retained_income",
]
