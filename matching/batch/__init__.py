"""The vectorised cotation engine: columns of demandes in, scores of every row out.

- ``table``: ``DemandeTable``, the columnar demandes, built from records;
- ``facts``: dates, ages and consumption units over columns;
- ``score``: a grid compiled into column operations (``cotation_batch``).
"""

from .facts import ages_on, consumption_units_table, months_between
from .score import BatchResult, TableNeeds, cotation_batch, verification_keys
from .table import NAT, VERIFICATION_CODES, DemandeTable, bits, unbits

__all__ = [
    "NAT", "VERIFICATION_CODES", "BatchResult", "DemandeTable", "TableNeeds", "ages_on", "bits",
    "consumption_units_table", "cotation_batch", "months_between", "unbits", "verification_keys",
]
