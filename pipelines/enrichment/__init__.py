"""Enrichment sources: CSV exports of a third system (a CRM's accounts), declared in
`enrichment.yml`, each loaded by dlt into its own dataset `raw_<name>`.

The file is the whole truth at each load (an export, not a change feed), so each table is
replaced; rows keep their declared match keys and fields under the names the declaration gives,
as text (staging casts). A declared file that does not exist yet loads nothing and says so.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
import yaml
from pydantic import BaseModel, Field

from ledgerlink.errors import ConfigurationError
from ledgerlink.settings import Settings

DECLARATIONS = Path(__file__).resolve().parents[2] / "enrichment.yml"
FILE_VARIABLE = "LEDGERLINK_ENRICHMENT_FILE"


class MatchKey(BaseModel):
    column: str  # as the CSV names it
    as_: str = Field(alias="as")  # the canonical entity's key it compares with


class Enrichment(BaseModel):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str = ""
    file: Path
    table: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    enriches: str
    match: list[MatchKey] = Field(min_length=1)
    fields: dict[str, str]

    @property
    def dataset(self) -> str:
        return f"raw_{self.name}"

    def path(self, settings: Settings) -> Path:
        return self.file if self.file.is_absolute() else settings.home / "enrichment" / self.file


def declarations_file() -> Path:
    configured = os.environ.get(FILE_VARIABLE, "").strip()
    return Path(configured).expanduser() if configured else DECLARATIONS


def load_enrichments(path: Path | None = None) -> list[Enrichment]:
    path = path or declarations_file()
    if not path.exists():
        return []
    try:
        entries = (yaml.safe_load(path.read_text()) or {}).get("enrichments", [])
        return [Enrichment(**entry) for entry in entries]
    except (yaml.YAMLError, ValueError) as exc:
        raise ConfigurationError(f"{path} is not a valid enrichment declaration: {exc}") from None


def read_rows(enrichment: Enrichment, path: Path) -> Iterator[dict[str, Any]]:
    """The CSV's rows under their declared names; a declared column the file lacks is an error
    naming the file and the column."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = set(reader.fieldnames or [])
        wanted = [key.column for key in enrichment.match] + list(enrichment.fields)
        missing = [column for column in wanted if column not in header]
        if missing:
            raise ConfigurationError(
                f"{path} has no column {', '.join(repr(c) for c in missing)} that "
                f"enrichment {enrichment.name} declares: rename it in the file or in "
                f"{declarations_file()}"
            )
        for number, row in enumerate(reader, start=2):  # line 1 is the header
            record: dict[str, Any] = {"source_line": number}
            for key in enrichment.match:
                record[key.as_] = (row.get(key.column) or "").strip() or None
            for column, name in enrichment.fields.items():
                record[name] = (row.get(column) or "").strip() or None
            yield record


def make_source(enrichment: Enrichment, path: Path) -> Any:
    @dlt.source(name=enrichment.name)
    def enrichment_source() -> Any:
        @dlt.resource(
            name=enrichment.table,
            write_disposition="replace",
            primary_key="source_line",
            columns={
                name: {"data_type": "text"}
                for name in [k.as_ for k in enrichment.match] + list(enrichment.fields.values())
            },
        )
        def rows() -> Iterator[dict[str, Any]]:
            """One row per line of the export, keyed by its line number."""
            yield from read_rows(enrichment, path)

        return rows

    return enrichment_source()
