"""The packages stand alone: the mock KashFlow needs nothing of our client (it has its own copy
of the WSDL), and the client needs neither the mock nor Tryton."""

import ast
from importlib import resources
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "mock_kashflow": {"kashflow"},
    "kashflow": {"mock_kashflow", "trytond", "dext_kashflow"},
}


def modules_named(source: str) -> set[str]:
    """The top-level modules a file imports, or names as a string as in
    importlib.resources.files("kashflow") or importlib.import_module("kashflow.client")."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names.add(node.value)
    return {name.split(".")[0] for name in names if name.replace(".", "").isidentifier()}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_package_does_not_use_the_ones_it_must_not_need(package):
    files = sorted((ROOT / package).rglob("*.py"))
    assert files
    used = {str(f.relative_to(ROOT)): modules_named(f.read_text()) & FORBIDDEN[package]
            for f in files}
    assert {name: sorted(found) for name, found in used.items() if found} == {}


def test_the_check_sees_a_module_named_as_a_string():
    assert modules_named('resources.files("kashflow").joinpath("wsdl")') >= {"kashflow"}
    assert modules_named("from kashflow.models import Document") == {"kashflow"}
    assert "kashflow" not in modules_named("from .schema import kashflow_schema")


def test_the_client_and_the_mock_have_the_same_wsdl():
    copies = [resources.files(package).joinpath("wsdl/kashflow.wsdl").read_bytes()
              for package in ("kashflow", "mock_kashflow")]
    assert copies[0] == copies[1], "run scripts/make_wsdl.py, which writes both"
