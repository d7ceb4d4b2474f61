"""Sphinx configuration of the sklearn-dsrsd documentation site.

Build (from the repository root, after ``pip install -e ".[docs]"``)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

The build needs no network: no intersphinx, no analytics, no version switcher, no binder. The
examples gallery (``examples/plot_*.py``) is executed at build time on one torch thread.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
# The package is installed editable in the docs environment; this also makes a plain checkout work.
sys.path.insert(0, str(ROOT))

# Small networks: one thread is as fast as many and does not fight other jobs for the cores.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import sklearn_dsrsd  # noqa: E402

# -- Project -----------------------------------------------------------------------------------

project = "sklearn-dsrsd"
author = "the sklearn-dsrsd developers"
copyright = "the sklearn-dsrsd developers, BSD-3-Clause"
version = sklearn_dsrsd.__version__
release = sklearn_dsrsd.__version__

# -- General -----------------------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

# The existing Markdown pages are pages of the site; index.md is the root.
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = [
    "_build",
    "Thumbs.db",
    ".DS_Store",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.md5",
    "auto_examples/*.json",
]
templates_path = ["_templates"]

# MyST: heading anchors so that the pages' ``page.md#section`` links resolve.
myst_heading_anchors = 4

# autodoc / autosummary / numpydoc
autosummary_generate = True
autosummary_imported_members = False
# Members are listed by docs/_templates/class.rst, so autoclass itself adds none.
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
# Types stay plain text: numpydoc's type cross-references point into the Python and NumPy
# documentation, which this offline build cannot reach.
numpydoc_xref_param_type = False

# No network at build time: no intersphinx (not enabled), no remote images or links checked.
# No warning category is suppressed.
suppress_warnings: list[str] = []


# -- Examples gallery --------------------------------------------------------------------------


sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # Every ``plot_*.py`` is executed (the default pattern also matches, stated for clarity).
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "binder": {},
    "show_memory": False,
    "plot_gallery": "True",
    "remove_config_comments": True,
    # Each example sets ``torch.set_num_threads(1)`` itself, so it runs the same outside the build.
    "reset_modules": ("matplotlib",),
    "min_reported_time": 1,
    # The execution-times pages load jQuery and DataTables from CDNs: not written. The build log
    # still prints each example's time.
    "write_computation_times": False,
    "jupyterlite": None,
    # Names of the package in the examples link to the local API reference; no remote links.
    "doc_module": ("sklearn_dsrsd",),
    "reference_url": {"sklearn_dsrsd": None},
    "backreferences_dir": None,
    "matplotlib_animations": False,
    "capture_repr": ("_repr_html_", "__repr__"),
}

# -- HTML --------------------------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-dsrsd {release}"
html_show_sourcelink = False
html_theme_options = {
    # Nothing fetched at build or view time: no version switcher JSON, no analytics, no
    # external icon links.
    "navbar_end": ["theme-switcher", "navbar-icon-links"],
    "icon_links": [],
    "analytics": {},
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "show_nav_level": 1,
    "header_links_before_dropdown": 8,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_context = {"default_mode": "light"}

# -- Build-time adaptations --------------------------------------------------------------------

# The map of the documentation in docs/index.md links [../README.md](../README.md) for readers on
# GitHub. That file lies outside the Sphinx source folder, so MyST would read the link as a missing
# page ('WARNING: Unknown source document ... [myst.xref_missing]'). On the site, that one link
# becomes a download of README.md (MyST's ``path:`` scheme); the page itself is unchanged. If
# the link goes away, this matches nothing.
_README_LINK = "](../README.md)"


def _readme_link_as_download(app, docname, source):
    if docname == "index" and _README_LINK in source[0]:
        source[0] = source[0].replace(_README_LINK, "](path:../README.md)")


def setup(app):
    app.connect("source-read", _readme_link_as_download)
