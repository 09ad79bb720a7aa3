"""The Python examples of README.md and docs/PYTHON.md run as written."""

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def python_blocks(path, after):
    text = (ROOT / path).read_text()
    text = text[text.index(after):]
    return re.findall(r"```python\n(.*?)```", text, re.S)


def run_block(code, where, monkeypatch):
    (where / "data").symlink_to(ROOT / "data")
    monkeypatch.chdir(where)
    exec(compile(code, "<doc>", "exec"), {"__name__": "__doc__"})


def test_readme_example(tmp_path, monkeypatch):
    if not os.environ.get("QUIVER_MODEL"):
        if os.environ.get("QUIVER_REQUIRE_MODEL") == "1":
            pytest.fail("QUIVER_REQUIRE_MODEL=1 but QUIVER_MODEL is not set")
        pytest.skip("the README's example searches text: set QUIVER_MODEL")
    (code,) = python_blocks("README.md", "## Python")[:1]
    run_block(code, tmp_path, monkeypatch)
    assert (tmp_path / "quick.qdb").is_dir()


def test_python_md_tour(tmp_path, monkeypatch, capsys):
    code = python_blocks("docs/PYTHON.md", "## Tour")[0]
    run_block(code, tmp_path, monkeypatch)
    assert "2500 11358" in capsys.readouterr().out


def test_python_md_snippets_parse():
    for code in python_blocks("docs/PYTHON.md", "# QuiverDB from Python"):
        compile(code, "<doc>", "exec")
