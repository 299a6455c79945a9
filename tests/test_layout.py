"""The package layout the README's module map promises: one concept per module, imports downwards.

Every module of ``soskulib`` opens with a docstring whose first line names its one concept (one
sentence, as the module map's "concept" column), and the modules' import-time imports form no
cycle (an import inside a function, made when it runs, may point anywhere).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "soskulib"
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "templates" not in p.parts)


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_time_imports(path: Path) -> set[str]:
    """soskulib modules imported by the module's own statements, not those inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("soskulib")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "soskulib":
                found |= {f"soskulib.{a.name}" for a in node.names}
            elif node.module.startswith("soskulib."):
                found.add(node.module)
        stack.extend(ast.iter_child_nodes(node))
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_docstring_first_line_names_its_concept(path):
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")), clean=False)
    assert doc, f"{path.name}: add a module docstring whose first line names its one concept"
    lines = doc.lstrip("\n").splitlines()
    first = lines[0].strip()
    assert 15 <= len(first) <= 100, f"{path.name}: first docstring line {first!r}"
    assert first.endswith(".") and (len(lines) == 1 or not lines[1].strip()), (
        f"{path.name}: the docstring should open with one line, a sentence naming the "
        f"module's one concept, then a blank line; got {first!r}")


def test_import_time_imports_form_no_cycle():
    names = {_name(p): p for p in MODULES}
    graph = {n: sorted(m for m in _import_time_imports(p) if m in names and m != n)
             for n, p in names.items()}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt]
                pytest.fail("import cycle at import time: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_cycle_check_sees_import_time_imports_only(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("from soskulib import meta\n\n\ndef f():\n    from soskulib import plots\n",
                      encoding="utf-8")
    assert _import_time_imports(module) == {"soskulib.meta"}


#: Modules over about 1,000 lines, each reviewed as holding one concept (issue 12). A module
#: that grows past the limit is either added here after the same review, or split.
LARGE_MODULES = {
    "audit": "the disclosure attack on a built site",
    "demo": "the synthetic raw export with a known truth",
    "development": "development work in depth (levels, experiments, roles, continuity)",
    "disclosure": "disclosure control of tables that count people",
    "io": "reading raw exports and the processed tables",
    "outofcore": "the DuckDB path for data larger than memory",
    "plots": "figures drawn from published tables",
    "process": "development-work tables: how the service was delivered",
    "simulation": "the truth-coverage simulation: replicates, their cache, the summary and its report",
    "validation": "validation of raw exports against the schema",
}
LINE_LIMIT = 1_050


def test_large_modules_are_reviewed_single_concepts():
    sizes = {_name(p).removeprefix("soskulib."): len(p.read_text(encoding="utf-8").splitlines())
             for p in MODULES}
    unreviewed = sorted(n for n, size in sizes.items() if size > LINE_LIMIT and n not in LARGE_MODULES)
    assert not unreviewed, (f"modules over {LINE_LIMIT} lines: {unreviewed}; split them by concept "
                            "or review and list them in LARGE_MODULES")
    # meta's three concepts (model, fitting engine, moderators) stay in three modules
    assert sizes["meta"] <= LINE_LIMIT and {"meta_fit", "meta_regression"} <= set(sizes)
