"""The layers read from the bottom up, as the import graph drawn from the code shows:
core imports nothing else of the hub, contracts nothing outside contracts, and the
connectors (plain Python) no Dagster."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "penal_hub"


def imports_of(layer: str) -> dict[str, set[str]]:
    """Each module of penal_hub/<layer> -> the modules it imports (absolute names, also
    those imported inside functions)."""
    found = {}
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        module = ".".join(("penal_hub", *path.relative_to(PACKAGE).with_suffix("").parts))
        names = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: resolved against this module's package
                    parent = module.split(".")[: -node.level]
                    base = ".".join([*parent, base] if base else parent)
                names.update([base] if node.module else [f"{base}.{a.name}" for a in node.names])
        found[module] = names
    return found


@pytest.mark.parametrize(("layer", "may_import"), [
    ("core", ("penal_hub.core",)),
    ("contracts", ("penal_hub.contracts",)),
    ("connectors", ("penal_hub.core", "penal_hub.contracts", "penal_hub.connectors")),
    ("simulator", ("penal_hub.contracts", "penal_hub.simulator")),
])
def test_a_layer_imports_only_what_is_below_it(layer, may_import):
    above = {module: sorted(n for n in names if n.split(".")[0] == "penal_hub"
                            and not n.startswith(may_import))
             for module, names in imports_of(layer).items()}
    assert {m: names for m, names in above.items() if names} == {}


@pytest.mark.parametrize("layer", ["core", "contracts", "connectors", "simulator"])
def test_only_orchestration_and_the_cli_import_dagster(layer):
    dagster = {module: sorted(n for n in names if n.split(".")[0].startswith("dagster"))
               for module, names in imports_of(layer).items()}
    assert {m: names for m, names in dagster.items() if names} == {}


def test_the_graph_is_read_from_the_code():
    """The checks above would pass on nothing: the graph has the edges it should."""
    connectors = imports_of("connectors")
    assert "penal_hub.contracts.feeds" in connectors["penal_hub.connectors.delivery"]
    assert any(n.startswith("dagster") for n in imports_of("orchestration")
               ["penal_hub.orchestration.definitions"])
