"""Imports flow one way: faces (the CLI, the console, Dagster, bench) call services (pipelines,
reverse_etl, ledgerlink/dbt.py), which call the core. Nothing imports a face; the core never
imports a stage, the scheduler or the sandbox; the two stages never import each other; and the
sandbox shares no code with the product, so each checks the other honestly."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("ledgerlink", "pipelines", "reverse_etl", "orchestration", "sandbox", "bench")
FACES = ("ledgerlink.cli", "ledgerlink.console", "orchestration", "bench")
STAGES = ("pipelines", "reverse_etl")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module `path` imports, at any depth (imports inside functions count too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


MODULES = {
    module_name(path): imports(path)
    for package in PACKAGES
    for path in (ROOT / package).rglob("*.py")
}


def test_nothing_but_the_cli_imports_the_cli():
    found = sorted(
        f"{module} imports {target}"
        for module, targets in MODULES.items()
        if not within(module, ("ledgerlink.cli",))
        for target in targets
        if within(target, ("ledgerlink.cli",))
    )
    assert found == []


@pytest.mark.parametrize("face", FACES)
def test_no_service_or_core_module_imports_a_face(face: str):
    found = sorted(
        f"{module} imports {target}"
        for module, targets in MODULES.items()
        if within(module, ("ledgerlink", "pipelines", "reverse_etl")) and not within(module, FACES)
        for target in targets
        if within(target, (face,))
    )
    assert found == []


def test_the_core_imports_no_stage_no_scheduler_and_no_sandbox():
    core = [m for m in MODULES if within(m, ("ledgerlink",)) and not within(m, FACES)]
    found = sorted(
        f"{module} imports {target}"
        for module in core
        for target in MODULES[module]
        if within(target, (*STAGES, "orchestration", "sandbox", "dagster"))
    )
    assert found == []


def test_the_two_stages_never_import_each_other():
    found = sorted(
        f"{module} imports {target}"
        for module, targets in MODULES.items()
        for target in targets
        if (within(module, ("pipelines",)) and within(target, ("reverse_etl",)))
        or (within(module, ("reverse_etl",)) and within(target, ("pipelines",)))
    )
    assert found == []


def test_the_sandbox_shares_no_code_with_the_product():
    found = sorted(
        f"{module} imports {target}"
        for module, targets in MODULES.items()
        if within(module, ("sandbox",))
        for target in targets
        if within(target, ("ledgerlink", "pipelines", "reverse_etl", "orchestration"))
    )
    assert found == []
