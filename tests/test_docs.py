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
"""

from __future__ import annotations

import importlib
import inspect
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

PUBLIC_MODULES = ("sklearn_dsrsd", "sklearn_dsrsd.baselines", "sklearn_dsrsd.datasets",
                  "sklearn_dsrsd.preprocessing")


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
