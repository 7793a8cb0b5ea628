"""Sphinx configuration of the mentormatch documentation."""

from __future__ import annotations

import mentormatch

project = "mentormatch"
author = "mentormatch developers"
copyright = "mentormatch developers"
version = mentormatch.__version__
release = mentormatch.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.intersphinx",
    "numpydoc",
]

templates_path = ["_templates"]
exclude_patterns = ["_build"]
nitpicky = False

# -- autodoc / autosummary ------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_typehints = "none"  # the numpydoc sections carry the types
autodoc_default_options = {"members": True, "inherited-members": False}

# -- numpydoc -------------------------------------------------------------------------
numpydoc_show_class_members = False  # the class pages list members through autosummary
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_attributes_as_param_list = True

# -- intersphinx (used only when reachable; the build never depends on it) -----------
intersphinx_mapping: dict[str, tuple[str, str | None]] = {}

# -- HTML -----------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"mentormatch {release}"
html_static_path: list[str] = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}


def _skip_member(app, what, name, obj, skip, options):
    """Hide scikit-learn's generated metadata-routing setters and pydantic internals."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    if name.startswith("model_") or name in {"model_config", "model_fields"}:
        return True
    return None


def setup(app):
    """Register the member filter."""
    app.connect("autodoc-skip-member", _skip_member)
