"""Shared by the benchmark scripts: replace one section of benchmarks/RESULTS.md."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def replace_section(section: str, path: Path = RESULTS) -> None:
    """Put ``section`` (text starting with ``## Title``) into ``path``.

    An existing section with the same title is replaced up to the next ``## `` heading;
    otherwise the section is appended. Other sections are left as they are.
    """
    title = section.splitlines()[0]
    if not title.startswith("## "):
        raise ValueError(f"a section must start with '## Title'; got {title!r}")
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    body = section.strip("\n") + "\n"
    start = text.find(title + "\n")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + body
    else:
        end = text.find("\n## ", start + len(title))
        text = text[:start] + body + ("" if end < 0 else text[end:])
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
