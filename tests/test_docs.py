"""The documentation's examples run, and its API signatures match the code.

Every fenced block that opens with exactly ```` ```python ```` in ``README.md`` and in each
``docs/*.md`` file is an executable example. The blocks of one file run in order in one fresh
namespace, so a later block may use names defined by an earlier one; the test of that file fails
as soon as one of its blocks raises, naming the file and the line where the block starts.
Examples that need data outside the repository or long runs are written as ```` ```bash ```` or
```` ```text ```` blocks, which are never run.

Blocks run in a temporary working directory (files they write land there), with matplotlib on
the non-interactive Agg backend. A block that imports matplotlib is skipped, alone, when
matplotlib is not installed (it is an optional dependency); no other block may depend on it.

The estimators' class docstrings in ``sklearn_dsrsd/_dsrsd.py`` and ``sklearn_dsrsd/baselines.py``
are literal numpydoc text (none assembled at import time, no ``__doc__`` assignment), and each
documents exactly its ``__init__`` parameters under ``Parameters``.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import re
import traceback
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXPECTED_PAGES = ("index.md", "user_guide.md", "design.md", "api.md", "benchmarks.md")

# An opening fence ```python at the start of a line, the block, and the closing fence.
PYTHON_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


def python_blocks(path: Path) -> list[tuple[int, str]]:
    """``(line number of the block's first code line, source)`` of each ```python block."""
    text = path.read_text(encoding="utf-8")
    return [
        (text.count("\n", 0, match.start(1)) + 1, match.group(1))
        for match in PYTHON_BLOCK.finditer(text)
    ]


# The Markdown files that hold at least one ```python block, README first.
DOC_FILES = [
    path for path in [ROOT / "README.md", *sorted(DOCS.glob("*.md"))] if python_blocks(path)
]


def _has_matplotlib() -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
    except ImportError:
        return False
    return True


def test_documentation_pages_exist():
    missing = [name for name in EXPECTED_PAGES if not (DOCS / name).is_file()]
    assert not missing, f"docs/ lacks {missing}"
    assert python_blocks(ROOT / "README.md"), "README.md has no ```python block"


@pytest.mark.parametrize(
    "path", DOC_FILES, ids=[path.relative_to(ROOT).as_posix() for path in DOC_FILES]
)
def test_python_blocks_run(path, tmp_path, monkeypatch):
    blocks = python_blocks(path)
    monkeypatch.chdir(tmp_path)
    # A block may start a Dask cluster, which sets thread variables in os.environ for the
    # processes it starts; later tests must not inherit them.
    environment = dict(os.environ)
    try:
        _run_blocks(path, blocks)
    finally:
        os.environ.clear()
        os.environ.update(environment)


def _run_blocks(path, blocks):
    has_matplotlib = _has_matplotlib()
    name = path.relative_to(ROOT).as_posix()
    namespace: dict = {"__name__": f"__docs_{path.stem}__"}
    for line, source in blocks:
        if "matplotlib" in source and not has_matplotlib:
            warnings.warn(
                f"{name}:{line}: matplotlib is not installed; block skipped", stacklevel=1
            )
            continue
        error = None
        try:
            exec(compile(source, f"{name}:{line}", "exec"), namespace)
        except Exception:
            error = traceback.format_exc()
        finally:
            if has_matplotlib:
                import matplotlib.pyplot as plt

                plt.close("all")
        if error is not None:
            pytest.fail(
                f"the ```python block of {name} starting at line {line} raised:\n{error}",
                pytrace=False,
            )


# -- docs/design.md: its formula checks run, and they can fail --------------------------------

# ``print(np.isclose(...))`` and the like: a comparison whose result is shown, never checked.
PRINTED_COMPARISON = re.compile(
    r"print\(.*\b(?:np|numpy|torch)\.(?:isclose|allclose|array_equal|equal)\("
)


def test_design_formula_checks_assert():
    """docs/design.md recomputes the losses with NumPy; those checks run and are assertions.

    ``test_python_blocks_run`` executes them only while the page has ```python blocks, and a
    check that prints ``np.isclose(...)`` passes whatever the formula, so both are guarded here.
    """
    design = DOCS / "design.md"
    assert design in DOC_FILES, "docs/design.md has no ```python block, so its checks never run"
    blocks = python_blocks(design)
    assert any("assert np.isclose(" in source for _, source in blocks), (
        "docs/design.md checks no formula with assert np.isclose(...)"
    )
    for line, source in blocks:
        printed = PRINTED_COMPARISON.search(source)
        assert printed is None, (
            f"the block of docs/design.md starting at line {line} prints a comparison, "
            f"{printed.group(0)!r}..., which cannot fail; assert it instead"
        )


# -- docs/api.md: every public name, with its signature as the code has it ---------------------

PUBLIC_MODULES = (
    "sklearn_dsrsd",
    "sklearn_dsrsd.baselines",
    "sklearn_dsrsd.datasets",
    "sklearn_dsrsd.inspection",
    "sklearn_dsrsd.preprocessing",
)


def _public_names() -> list[tuple[str, str]]:
    return [
        (module, name)
        for module in PUBLIC_MODULES
        for name in importlib.import_module(module).__all__
    ]


def render_signature(name: str, obj) -> str:
    """``name(p1, *, p2=default, ...)`` without type annotations, as docs/api.md shows it."""
    parts, keyword_only_marked = [], False
    for parameter in inspect.signature(obj).parameters.values():
        if parameter.kind is parameter.VAR_POSITIONAL:
            keyword_only_marked = True
        if parameter.kind is parameter.KEYWORD_ONLY and not keyword_only_marked:
            parts.append("*")
            keyword_only_marked = True
        parts.append(str(parameter.replace(annotation=inspect.Parameter.empty)))
    return f"{name}({', '.join(parts)})"


def _compact(text: str) -> str:
    """Whitespace removed and trailing commas dropped, so line breaks do not matter."""
    return re.sub(r"\s+", "", text).replace(",)", ")")


@pytest.mark.parametrize(
    "module, name", _public_names(), ids=[f"{m}.{n}" for m, n in _public_names()]
)
def test_api_reference_signature(module, name):
    api = DOCS / "api.md"
    if not api.is_file():
        pytest.fail("docs/api.md is missing")
    signature = render_signature(name, getattr(importlib.import_module(module), name))
    assert _compact(signature) in _compact(api.read_text(encoding="utf-8")), (
        f"docs/api.md does not show the current signature of {module}.{name}; expected\n"
        f"{signature}"
    )


# -- estimator docstrings: literal numpydoc text, every parameter documented -------------------

PACKAGE = ROOT / "sklearn_dsrsd"
ESTIMATOR_MODULES = {
    "sklearn_dsrsd._dsrsd": PACKAGE / "_dsrsd.py",
    "sklearn_dsrsd.baselines": PACKAGE / "baselines.py",
}


def _public_classes(path: Path) -> list[ast.ClassDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node
        for node in tree.body
        if isinstance(node, ast.ClassDef) and not node.name.startswith("_")
    ]


def _assigns_doc(target: ast.expr) -> bool:
    if isinstance(target, (ast.Tuple, ast.List)):
        return any(_assigns_doc(element) for element in target.elts)
    return (isinstance(target, ast.Name) and target.id == "__doc__") or (
        isinstance(target, ast.Attribute) and target.attr == "__doc__"
    )


def documented_parameters(docstring: str) -> list[str]:
    """Names listed under the ``Parameters`` section of a numpydoc docstring.

    ``a, b : type`` lines give both names; the section ends at the next underlined heading.
    """
    lines = inspect.cleandoc(docstring).splitlines()

    def heading(i: int) -> bool:
        return (
            bool(lines[i].strip()) and i + 1 < len(lines) and (set(lines[i + 1].strip()) == {"-"})
        )

    starts = [i for i in range(len(lines)) if heading(i) and lines[i].strip() == "Parameters"]
    if not starts:
        return []
    names: list[str] = []
    for i in range(starts[0] + 2, len(lines)):
        if heading(i):
            break
        if lines[i] and not lines[i][0].isspace():
            names += [name.strip() for name in lines[i].split(" : ")[0].split(",")]
    return names


@pytest.mark.parametrize("module", ESTIMATOR_MODULES)
def test_estimator_docstrings_are_literal(module):
    """Docstrings are written out in the source, never assembled at import time."""
    path = ESTIMATOR_MODULES[module]
    classes = _public_classes(path)
    assert classes, f"{path.name} defines no public class"
    missing = [node.name for node in classes if ast.get_docstring(node, clean=False) is None]
    assert not missing, f"{path.name}: no literal docstring on {missing}"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, (ast.AnnAssign, ast.AugAssign))
            else []
        )
        assert not any(_assigns_doc(target) for target in targets), (
            f"{path.name}:{node.lineno} assigns to __doc__; write the docstring out instead"
        )
        is_setattr_doc = (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "setattr"
            and len(node.args) > 1
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value == "__doc__"
        )
        assert not is_setattr_doc, f"{path.name}:{node.lineno} sets __doc__ with setattr"


def test_documented_parameters_parser():
    doc = """Summary.

    Parameters
    ----------
    a : int
        First.
    b, c : float
        Second and third.

    Attributes
    ----------
    d_ : int
        Not a parameter.
    """
    assert documented_parameters(doc) == ["a", "b", "c"]
    assert documented_parameters("Summary only.") == []


@pytest.mark.parametrize(
    "module, name",
    [
        (module, node.name)
        for module, path in ESTIMATOR_MODULES.items()
        for node in _public_classes(path)
    ],
)
def test_estimator_parameters_documented(module, name):
    """``Parameters`` lists exactly the ``__init__`` parameters, each once."""
    cls = getattr(importlib.import_module(module), name)
    signature = [
        parameter
        for parameter in inspect.signature(cls).parameters
        if parameter not in ("self", "args", "kwargs")
    ]
    documented = documented_parameters(cls.__doc__)
    undocumented = [parameter for parameter in signature if parameter not in documented]
    assert not undocumented, f"{name}: Parameters does not document {undocumented}"
    unknown = [parameter for parameter in documented if parameter not in signature]
    assert not unknown, f"{name}: Parameters documents {unknown}, which __init__ does not take"
    repeated = sorted({parameter for parameter in documented if documented.count(parameter) > 1})
    assert not repeated, f"{name}: Parameters documents {repeated} more than once"
