"""Every Python example in the README runs, and its stated results hold."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the examples write files (matches.xlsx): not in the repo
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks, "the README should show Python usage"
    for code in blocks:
        namespace: dict = {}
        exec(compile(code, str(README), "exec"), namespace)
        m = namespace["m"]
        assert repr(m).startswith("Matching(matched=319/400")  # as the comment says
        assert "status='optimal'" in repr(m) and "method='hungarian'" in repr(m)
        assert 0 <= m.gap < 1e-9
    assert (tmp_path / "matches.xlsx").is_file()


def test_readme_starts_with_the_two_commands():
    lines = README.read_text(encoding="utf-8").splitlines()
    commands = [ln for ln in lines[:8] if ln.startswith("python3 -m venv")]
    assert len(commands) == 2
    assert commands[0].endswith("mentormatch demo")
    assert "pytest" in commands[1]


def test_readme_command_lines_use_real_commands_and_options():
    import typer

    from mentormatch.cli import app

    group = typer.main.get_command(app)
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    lines = [ln for b in blocks for ln in b.splitlines() if ln.startswith("mentormatch ")]
    assert len(lines) >= 10
    for line in lines:
        words = line.split("#")[0].split()
        name = words[1]
        assert name in group.commands, line  # type: ignore[attr-defined]
        known = {o for p in group.commands[name].params for o in p.opts}  # type: ignore[attr-defined]
        for word in words[2:]:
            if word.startswith("--"):
                assert word in known, f"{word} is not an option of `mentormatch {name}`"
