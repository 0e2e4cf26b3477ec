"""Derive `freshbooks_payloads.json` (the shape of every FreshBooks reference payload).

Run from the project root:

    python -m ledgerlink.contracts.derive_freshbooks --reference ../shared/reference

For each JSON fixture under `<reference>/freshbooks/` it records the envelope path (the keys from
the document root to the principal record or list) and the document's compact shape: an object is
a dict of key -> shape, a list is `[]` (empty) or `[<merged element shape>]`, a scalar is its JSON
type name, and values that differ between list elements are merged into a union (`"null|string"`
for scalars, `{"$anyOf": [...]}` otherwise; keys missing from some elements are listed under
`"$optional"`). Only structure is kept, never values, so the file carries no test data.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

CONTRACT_NAME = "freshbooks_payloads"
OUTPUT = Path(__file__).resolve().parent / f"{CONTRACT_NAME}.json"
PAGING_KEYS = frozenset({"page", "pages", "per_page", "total"})
ANY_OF = "$anyOf"
OPTIONAL = "$optional"

Shape = str | list | dict


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):  # before int: bool is an int subclass
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    raise TypeError(f"not a JSON scalar: {value!r}")


def shape_of(value: Any) -> Shape:
    """The compact shape of one JSON value."""
    if isinstance(value, dict):
        return {key: shape_of(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        if not value:
            return []
        merged = shape_of(value[0])
        for item in value[1:]:
            merged = merge(merged, shape_of(item))
        return [merged]
    return json_type(value)


def _alternatives(shape: Shape) -> list[Shape]:
    if isinstance(shape, dict) and ANY_OF in shape:
        return list(shape[ANY_OF])
    if isinstance(shape, str):
        return list(shape.split("|"))
    return [shape]


def merge(left: Shape, right: Shape) -> Shape:
    """One shape that describes values of both shapes (list elements that differ)."""
    if left == right:
        return left
    if (
        isinstance(left, dict)
        and isinstance(right, dict)
        and ANY_OF not in left
        and ANY_OF not in right
    ):
        keys = sorted((set(left) | set(right)) - {OPTIONAL})
        optional = set(left.get(OPTIONAL, [])) | set(right.get(OPTIONAL, []))
        optional |= set(left).symmetric_difference(set(right)) - {OPTIONAL}
        merged: dict[str, Shape] = {}
        for key in keys:
            if key in left and key in right:
                merged[key] = merge(left[key], right[key])
            else:
                merged[key] = left[key] if key in left else right[key]
        if optional:
            merged[OPTIONAL] = sorted(optional)
        return merged
    if isinstance(left, list) and isinstance(right, list):
        if not left or not right:
            return left or right
        return [merge(left[0], right[0])]
    scalars: set[str] = set()
    others: list[Shape] = []
    for alternative in [*_alternatives(left), *_alternatives(right)]:
        if isinstance(alternative, str):
            scalars.add(alternative)
        elif alternative not in others:
            others.append(alternative)
    if not others:
        return "|".join(sorted(scalars))
    return {ANY_OF: (["|".join(sorted(scalars))] if scalars else []) + others}


def envelope_of(document: Any) -> list[str]:
    """Keys from the root to the principal record: through single-key wrappers, into a list
    that sits beside paging keys (`page`, ...) or a `meta` object."""
    path: list[str] = []
    node = document
    while isinstance(node, dict) and node:
        list_keys = [key for key, value in node.items() if isinstance(value, list)]
        if len(node) == 1 and isinstance(next(iter(node.values())), dict | list):
            key = next(iter(node))
        elif len(list_keys) == 1 and (set(node) >= PAGING_KEYS or "meta" in node):
            key = list_keys[0]
        else:
            break
        path.append(key)
        node = node[key]
        if isinstance(node, list):
            break
    return path


def derive(reference: Path) -> dict[str, Any]:
    """The contract document for every fixture under `<reference>/freshbooks/`."""
    folder = reference / "freshbooks"
    if not folder.is_dir():
        raise FileNotFoundError(f"no FreshBooks reference folder at {folder}")
    payloads: dict[str, Any] = {}
    for path in sorted(folder.rglob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        payloads[path.relative_to(folder).as_posix()] = {
            "envelope": envelope_of(document),
            "shape": shape_of(document),
        }
    return {
        "about": (
            "Shapes of the FreshBooks reference payloads (SDK test fixtures): envelope path and "
            "key -> JSON type. Generated by `python -m ledgerlink.contracts.derive_freshbooks "
            "--reference <shared/reference>`; do not edit by hand."
        ),
        "notation": {
            "scalar": "JSON type name; unions joined with '|'",
            "object": "key -> shape",
            "list": "[] when empty, else [merged element shape]",
            ANY_OF: "alternatives that are not all scalars",
            OPTIONAL: "keys missing from some list elements",
        },
        "payloads": payloads,
    }


def render(contract: dict[str, Any]) -> str:
    return json.dumps(contract, indent=1, sort_keys=False, ensure_ascii=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, required=True, help="the shared reference folder")
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"default: {OUTPUT.name} here")
    args = parser.parse_args(argv)
    try:
        contract = derive(args.reference)
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    args.output.write_text(render(contract), encoding="utf-8")
    print(f"wrote {args.output} ({len(contract['payloads'])} payloads)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
