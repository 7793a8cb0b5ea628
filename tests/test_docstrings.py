"""Every public name has a numpydoc docstring: summary, parameters, returns, an example.

Examples run as doctests (``--doctest-modules``); this test checks that they exist and
that the sections are complete (numpydoc's own validator).
"""

from __future__ import annotations

import enum
import inspect
from typing import Protocol

import pytest
from numpydoc.docscrape import ClassDoc, FunctionDoc
from numpydoc.validate import validate

import mentormatch as mm

#: numpydoc checks every public docstring must pass.
CHECKS = {
    "GL08": "no docstring",
    "SS01": "no summary",
    "SS02": "summary does not start with a capital letter",
    "SS03": "summary does not end with a period",
    "SS05": "summary does not start with an infinitive verb",
    "PR02": "documents a parameter that does not exist",
    "PR07": "a parameter has no description",
    "RT01": "no Returns section",
    "EX01": "no Examples section",
}


def public_names() -> list[str]:
    out = []
    for name in mm.__all__:
        obj = getattr(mm, name)
        if inspect.ismodule(obj) or (isinstance(obj, type) and issubclass(obj, BaseException)):
            continue
        out.append(name)
    return out


def _init_params(cls: type) -> set[str]:
    try:
        sig = inspect.signature(cls)
    except (TypeError, ValueError):
        return set()
    return {p.name for p in sig.parameters.values()
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}


@pytest.mark.parametrize("name", public_names())
def test_public_docstring_is_complete(name):
    obj = getattr(mm, name)
    res = validate(f"mentormatch.{name}")
    errors = [(code, msg) for code, msg in res["errors"] if code in CHECKS]
    if isinstance(obj, type):
        errors = [(c, m) for c, m in errors if c != "RT01"]
    assert not errors, f"{name}: " + "; ".join(f"{c} ({CHECKS[c]}): {m}" for c, m in errors)
    # every constructor or call parameter is documented (Parameters, or Attributes for
    # value classes whose fields are their parameters)
    if isinstance(obj, type):
        if issubclass(obj, enum.Enum) or Protocol in getattr(obj, "__mro__", ()) or (
                getattr(obj, "_is_protocol", False)):
            return
        doc = ClassDoc(obj)
        documented = {part.strip() for p in [*doc["Parameters"], *doc["Attributes"]]
                      for part in p.name.split(":")[0].split(",")}
        wanted = _init_params(obj)
    else:
        doc = FunctionDoc(obj)
        documented = set()
        for p in doc["Parameters"]:
            for part in p.name.split(","):
                documented.add(part.strip().lstrip("*"))
        wanted = {p.name for p in inspect.signature(obj).parameters.values()}
    missing = sorted(wanted - documented)
    assert not missing, f"{name}: parameters not documented: {missing}"
