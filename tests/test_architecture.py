"""The house rules, checked: import contracts (and that they bite), no import hidden in a
function to dodge a cycle, modules of one concern and a readable size."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.settings import REPO_ROOT

PACKAGES = ("core", "store", "ingest", "assistant", "eval", "ui", "cli")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
MAX_LINES = 350
LONG_REASON = "Why one long module:"


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_import_contracts_are_kept():
    result = lint_imports(REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.fixture(scope="module")
def copy_of_tree(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tree")
    for pkg in PACKAGES:
        shutil.copytree(REPO_ROOT / pkg, root / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO_ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        # the cycle this layering removed: the answerer reaching into the writer
        ("assistant/query.py", "import ingest.pipeline", "Only the CLI starts an ingest"),
        ("core/textnorm.py", "import assistant.chat", "Layers"),
        # a front end reaching past the public API
        ("ui/chat.py", "from assistant.retrieval import Retriever", "public API"),
        ("eval/runner.py", "import store.index", "public API"),
        ("assistant/present.py", "import streamlit", "streamlit"),
    ],
)
def test_each_contract_bites(copy_of_tree, module, line, contract):
    path = copy_of_tree / module
    original = path.read_text(encoding="utf-8")
    try:
        path.write_text(original + f"\n{line}  # noqa\n", encoding="utf-8")
        result = lint_imports(copy_of_tree)
    finally:
        path.write_text(original, encoding="utf-8")
    assert result.returncode != 0, f"{line!r} in {module} was not caught"
    # the summary wraps long contract names: read it as "<name> KEPT|BROKEN" runs
    summary = " ".join(result.stdout.split())
    broken = re.findall(r"(?:^|(?:KEPT|BROKEN|ignored imports\)))\s*(.+?) BROKEN", summary)
    assert any(contract in name for name in broken), result.stdout


def _modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (REPO_ROOT / pkg).rglob("*.py"))


def _in_type_checking(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def test_no_project_import_inside_a_function():
    """Project modules are imported at the top: an import inside a function hides a cycle.
    (Heavy third-party libraries may still load lazily.)"""
    found = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom) or _in_type_checking(node, parents):
                continue
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if not any(n.split(".")[0] in PACKAGES for n in names):
                continue
            p = parents.get(node)
            while p is not None and not isinstance(p, ast.FunctionDef | ast.AsyncFunctionDef):
                p = parents.get(p)
            if p is not None:
                found.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno} {ast.unparse(node)}")
    assert not found, "imports inside functions:\n" + "\n".join(found)


def test_modules_stay_readable():
    """No module over ~350 lines unless its docstring says why it is one module."""
    long = []
    for path in _modules():
        text = path.read_text(encoding="utf-8")
        n = text.count("\n")
        doc = ast.get_docstring(ast.parse(text)) or ""
        if n > MAX_LINES and LONG_REASON not in doc:
            long.append(f"{path.relative_to(REPO_ROOT)}: {n} lines")
    assert not long, (
        f"modules over {MAX_LINES} lines without '{LONG_REASON}' in their docstring:\n" + "\n".join(long)
    )
