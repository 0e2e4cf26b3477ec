"""The entities each source can load, and which of them this deployment loads.

Entity names are the raw table names (`raw_infor.customer_invoices` is `infor.customer_invoices`).
dbt preparation, Dagster and `ledgerlink config` ask here what exists; the sources build
resources for the enabled entities only.
"""

from __future__ import annotations

from ledgerlink.errors import ConfigurationError
from ledgerlink.settings import Settings
from pipelines.freshbooks.settings import ENTITY_NAMES as FRESHBOOKS_ENTITIES
from pipelines.infor.settings import ENTITY_NAMES as INFOR_ENTITIES
from pipelines.infor.settings import PARENTS as INFOR_PARENTS
from pipelines.shop.settings import ENTITY_NAMES as SHOP_ENTITIES

ENTITIES: dict[str, tuple[str, ...]] = {
    "freshbooks": FRESHBOOKS_ENTITIES,
    "infor": INFOR_ENTITIES,
    "shop": SHOP_ENTITIES,
}
# entity -> the entity of the same source it is read from
PARENTS: dict[str, dict[str, str]] = {"freshbooks": {}, "infor": INFOR_PARENTS, "shop": {}}


def entity_names(system: str) -> tuple[str, ...]:
    """Every entity `system` can load, in load order."""
    return ENTITIES[system]


def enabled_entities(settings: Settings, system: str) -> tuple[str, ...]:
    """The entities of `system` that LEDGERLINK_DISABLED_ENTITIES leaves on (whether the system
    itself is connected is `settings.systems`)."""
    check_disabled_entities(settings)
    off = settings.disabled_entities
    return tuple(name for name in ENTITIES[system] if f"{system}.{name}" not in off)


def check_disabled_entities(settings: Settings) -> None:
    """Refuse, in one line, a name no source has, or an entity left on while the one it is
    read from is off."""
    valid = {f"{system}.{name}" for system, names in ENTITIES.items() for name in names}
    off = settings.disabled_entities
    unknown = sorted(off - valid)
    if unknown:
        raise ConfigurationError(
            f"LEDGERLINK_DISABLED_ENTITIES names {', '.join(unknown)}, which no source has: "
            f"use system.entity from {', '.join(sorted(valid))}"
        )
    for system, parents in PARENTS.items():
        for name in ENTITIES[system]:
            if f"{system}.{name}" in off:
                continue
            parent = parents.get(name)
            while parent is not None and f"{system}.{parent}" not in off:
                parent = parents.get(parent)
            if parent is not None:
                dependents = _dependents(system, parent, off)
                raise ConfigurationError(
                    f"LEDGERLINK_DISABLED_ENTITIES turns off {system}.{parent}, which "
                    f"{', '.join(dependents)} {'is' if len(dependents) == 1 else 'are'} read "
                    f"from: add {', '.join(dependents)} to it, or keep {system}.{parent}"
                )


def _dependents(system: str, parent: str, off: frozenset[str]) -> list[str]:
    """The entities still on that are read, directly or not, from `parent`."""
    parents = PARENTS[system]
    found = []
    for name in ENTITIES[system]:
        above = parents.get(name)
        while above is not None and above != parent:
            above = parents.get(above)
        if above == parent and f"{system}.{name}" not in off:
            found.append(f"{system}.{name}")
    return found
