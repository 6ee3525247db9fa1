"""The README stays true: its Python example runs, its commands exist, its Quickstart is two commands."""

from __future__ import annotations

import re
import runpy
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.support import ROOT, SAMPLE_DIR
from ui.cli import app

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, re.S)


def test_quickstart_is_exactly_two_commands() -> None:
    quickstart = README.split("## Quickstart", 1)[1].split("##", 1)[0]
    commands = [line.split("#")[0].strip() for line in _blocks("sh")[0].splitlines() if line.strip()]
    assert commands == ["make serve", "make test"]
    assert "make serve" in quickstart
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def run_python_block(n: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                     capsys: pytest.CaptureFixture[str], replace: dict[str, str] | None = None) -> str:
    """Run the README's n-th Python block in a folder holding the sample articles and the
    config, as a reader would (with `replace`'s substitutions); return what it printed."""
    (tmp_path / "data").mkdir()
    shutil.copytree(SAMPLE_DIR, tmp_path / "data" / "articles")
    shutil.copy(ROOT / "config.yaml", tmp_path / "config.yaml")
    monkeypatch.chdir(tmp_path)
    script = tmp_path / f"example{n}.py"
    code = _blocks("python")[n]
    for old, new in (replace or {}).items():
        assert old in code
        code = code.replace(old, new)
    script.write_text(code, encoding="utf-8")
    runpy.run_path(str(script), run_name="__main__")
    return capsys.readouterr().out


def test_python_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    out = run_python_block(0, tmp_path, monkeypatch, capsys)
    assert "1 indexed" in out
    assert "medium- and long-range missiles" in out
    # The follow-up "What did he announce about missiles?" was answered for Macron.
    assert "answered" in out and out.count("medium- and long-range missiles") >= 2


def test_langchain_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    out = run_python_block(1, tmp_path, monkeypatch, capsys)
    assert "Macron Ukraine Ground Troops 2024-02-27 |" in out and "missiles" in out
    assert "answered: " in out and "Mark Rutte" in out


def test_llm_example_runs_against_an_openai_compatible_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from bench.scripted_llm import Reply, ScriptedLLM, last_user_message

    def reply(request: dict) -> Reply:
        prompt = last_user_message(request)
        n = next(int(line[1]) for line in prompt.splitlines() if line.startswith("[") and "Macron" in line)
        return Reply(f"Ukraine will get medium- and long-range missiles [{n}]. Also 70 tanks [{n}].")

    with ScriptedLLM(reply) as llm:
        out = run_python_block(2, tmp_path, monkeypatch, capsys,
                               replace={"http://127.0.0.1:8080/v1": llm.base_url})
    assert "draft: Ukraine" in out and "draft: Ukraine will get medium- and long-range missiles [1]. Also 70" in out
    assert "llm Ukraine will get medium- and long-range missiles [1]." in out
    assert "removed: Also 70 tanks. - 70 is not in the cited source" in out


def test_every_command_in_the_readme_exists() -> None:
    used = set(re.findall(r"\bqa (ingest|ask|chat|stats|articles|delete|reindex|serve|eval)\b", README))
    for command in used:
        result = CliRunner().invoke(app, [command, "--help"])
        assert result.exit_code == 0, f"`qa {command}` is in the README but not in the CLI"
