"""The package's import structure: layers, no cycles, no project imports hidden in functions.

The layer order is written once here and once in docs/architecture.rst (a test checks
that the two agree). A module may import modules of its own layer or of lower layers;
imports among the modules of one layer must not form a cycle.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "mentormatch"

#: Lowest first. A module belongs to the first layer with a prefix that names it.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("base", ("mentormatch.exceptions", "mentormatch._validation", "mentormatch._scores",
              "mentormatch._select")),
    ("survey", ("mentormatch.survey",)),
    ("scoring", ("mentormatch.scoring",)),
    ("problem", ("mentormatch.problem",)),
    ("matching", ("mentormatch.matching", "mentormatch._io")),
    ("solvers", ("mentormatch.solvers",)),
    ("analysis", ("mentormatch.analysis",)),
    ("rematching", ("mentormatch.rematching",)),
    ("groups", ("mentormatch.groups",)),
    ("tuning", ("mentormatch.tuning", "mentormatch.engagement")),
    ("top", ("mentormatch._match", "mentormatch._output", "mentormatch._warmup", "mentormatch.report", "mentormatch.cli",
             "mentormatch.datasets", "mentormatch", "mentormatch.groups._report")),
]

#: Project modules that may be imported inside a function: numba kernels (compiling
#: them costs seconds, so they load on first use).
LAZY_PROJECT_MODULES = ("mentormatch.scoring._compiled", "mentormatch.solvers._store_kernels",
                        "mentormatch.groups._kernels")
#: Modules whose function-level imports are all allowed: the command line loads what a
#: command needs when it runs, so that ``mentormatch --help`` starts fast.
LAZY_IMPORTERS = ("mentormatch.cli",)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    name = ".".join(parts)
    return name.removesuffix(".__init__")


def layer_of(module: str) -> int:
    best, best_len = None, -1
    for k, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > best_len:
                best, best_len = k, len(p)
    assert best is not None, f"{module} belongs to no layer: add it to LAYERS"
    return best


def resolve(module: str, node: ast.ImportFrom | ast.Import, is_package: bool,
            known: set[str]) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        parts = module.split(".")
        if not is_package:
            parts = parts[:-1]
        parts = parts[: len(parts) - (node.level - 1)]
        base = ".".join([*parts, base]) if base else ".".join(parts)
    # ``from pkg import sub`` imports the submodule when ``sub`` is one, else a name
    # defined by ``pkg``
    out = []
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        out.append(sub if sub in known else base)
    return out


def collect() -> dict[str, dict[str, list[tuple[str, int, bool]]]]:
    """module -> {"imports": [(target, line, in_function)]} for project targets."""
    modules = {}
    known = {module_name(p) for p in PACKAGE.rglob("*.py")}
    for path in sorted(PACKAGE.rglob("*.py")):
        mod = module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        nested: set[int] = set()
        typing_only: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for sub in ast.walk(node):
                    if isinstance(sub, ast.Import | ast.ImportFrom):
                        nested.add(id(sub))
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                for sub in ast.walk(node):
                    if isinstance(sub, ast.Import | ast.ImportFrom):
                        typing_only.add(id(sub))  # never run: annotations only
        found = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                    continue
                if id(node) in typing_only and mod != "mentormatch":
                    continue
                for target in resolve(mod, node, path.name == "__init__.py", known):
                    found.append((target, node.lineno, id(node) in nested))
        modules[mod] = {"imports": found}
    return modules


MODULES = collect()


def project_targets(mod: str) -> list[tuple[str, int, bool]]:
    known = set(MODULES)
    out = []
    for target, line, nested in MODULES[mod]["imports"]:
        if target in known and target != mod:
            out.append((target, line, nested))
    return out


def test_every_module_has_a_layer():
    for mod in MODULES:
        layer_of(mod)


@pytest.mark.parametrize("mod", sorted(MODULES))
def test_imports_go_down_the_layers(mod):
    mine = layer_of(mod)
    for target, line, _ in project_targets(mod):
        if target == "mentormatch" and mod.startswith("mentormatch."):
            pytest.fail(f"{mod} line {line} imports the top-level package")
        theirs = layer_of(target)
        assert theirs <= mine, (
            f"{mod} (layer {LAYERS[mine][0]!r}) imports {target} "
            f"(layer {LAYERS[theirs][0]!r}) at line {line}: imports only go down"
        )


@pytest.mark.parametrize("mod", sorted(MODULES))
def test_no_project_import_hidden_in_a_function(mod):
    if mod in LAZY_IMPORTERS:
        return
    for target, line, nested in project_targets(mod):
        if nested and not any(target == p or target.startswith(p + ".")
                              for p in LAZY_PROJECT_MODULES):
            pytest.fail(f"{mod} line {line} imports {target} inside a function")


def test_no_import_cycles():
    graph = {mod: {t for t, _, nested in project_targets(mod) if not nested}
             for mod in MODULES}
    # a package's __init__ re-exports its submodules; edges from a submodule to its own
    # package's __init__ are not allowed, so a cycle through __init__ is a real cycle
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt):], nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if state.get(nxt) is None:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for mod in sorted(graph):
        if state.get(mod) is None:
            visit(mod)


def test_architecture_page_lists_the_same_layers():
    page = (ROOT / "docs" / "architecture.rst").read_text(encoding="utf-8")
    block = page.split(".. layers-start", 1)[1].split(".. layers-end", 1)[0]
    names = re.findall(r"^\s+(\w+)\s+\|", block, flags=re.MULTILINE)
    assert names == [name for name, _ in LAYERS][::-1], names


def test_flat_namespace_is_lazy_and_complete():
    """``import mentormatch`` loads no heavy module; every public name resolves."""
    import subprocess
    import sys

    code = ("import sys, mentormatch as mm; heavy = [m for m in ('numpy', 'pandas', 'scipy', "
            "'sklearn', 'numba', 'ortools', 'highspy', 'pulp', 'matplotlib') if m in "
            "sys.modules]; print(heavy); missing = [n for n in mm.__all__ if getattr(mm, n, "
            "None) is None]; print(missing)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out == ["[]", "[]"], out
    import mentormatch

    assert sorted(mentormatch._WHERE) == sorted(mentormatch.__all__)
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        _ = mentormatch.nope


def test_cli_help_loads_no_numerical_library():
    """``mentormatch --help`` starts fast: typer and rich only."""
    import subprocess
    import sys

    code = ("import sys; from mentormatch.cli import main; rc = main(['--help']); "
            "heavy = [m for m in ('numpy', 'pandas', 'scipy', 'sklearn', 'numba', 'ortools') "
            "if m in sys.modules]; print('HEAVY', heavy, rc)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "HEAVY [] 0" in out, out[-300:]
