"""Compact API contract files derived from public reference material by the scripts beside them.

The JSON files here are the project's own copy of the facts it needs (field names, types,
lengths, mandatory inputs, envelope keys), so nothing at run time needs the reference folder.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

CONTRACTS_DIR = Path(__file__).resolve().parent


@cache
def load_contract(name: str) -> dict:
    """Load `<name>.json` from this folder."""
    return json.loads((CONTRACTS_DIR / f"{name}.json").read_text(encoding="utf-8"))
