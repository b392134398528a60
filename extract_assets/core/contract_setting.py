"""The `schema_contract` setting: its choices, its default and its help text.

Apart from `contract.py`, which applies it with pyarrow, so that specs and sections declare it
without loading pyarrow when Dagster loads the definitions.
"""

from __future__ import annotations

from typing import Literal

SchemaContract = Literal["variant", "evolve", "freeze", "discard_value", "discard_row"]
DEFAULT_CONTRACT: SchemaContract = "variant"
CONTRACT_HELP = (
    "What a value the column's type cannot hold does: variant (default: kept in a "
    "{column}__v_{kind} column), evolve (widen the column), freeze (fail, write nothing), "
    "discard_value or discard_row."
)
