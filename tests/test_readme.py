"""The README stays true: its Python example runs, its commands exist, its Quickstart is two commands."""

from __future__ import annotations

import re
import runpy
import shutil
from pathlib import Path

import pytest
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from tests.support import ROOT, SAMPLE_DIR, SAMPLE_FILE
from ui.cli.serve import app

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, re.S)


def test_quickstart_is_exactly_two_commands() -> None:
    quickstart = README.split("## Quickstart\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(\w*)\n(.*?)```", quickstart, re.S)
    assert [language for language, _ in blocks] == ["sh"]  # one block of commands, and nothing else
    commands = [line.split("#")[0].strip() for line in blocks[0][1].splitlines() if line.strip()]
    assert commands == ["make serve", "make test"]
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


# The sentences the examples quote, verbatim from the sample article.
MISSILES = ("Highlighting the urgency of the situation, Macron announced the establishment of a new coalition "
            "dedicated to providing medium- and long-range missiles to Ukraine.")
RUTTE = ("While some leaders, such as Dutch Prime Minister Mark Rutte, have dismissed the idea of sending ground "
         "troops, Macron emphasized the importance of remaining open-minded and adaptable in response to changing "
         "circumstances.")


def test_the_quoted_sentences_are_in_the_sample_article() -> None:
    text = " ".join(SAMPLE_FILE.read_text(encoding="utf-8").split())
    assert MISSILES in text and RUTTE in text


def test_python_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    out = run_python_block(0, tmp_path, monkeypatch, capsys)
    assert out.splitlines() == [
        "1 indexed, 0 unchanged",
        f"{MISSILES} [1]",
        # No URL: the source is the file's path under the ingested folder, never an absolute one.
        f"[1] Macron Ukraine Ground Troops (2024-02-27) {SAMPLE_FILE.name}: {MISSILES}",
        # The follow-up "What did he announce about missiles?" was answered for Macron.
        f"answered {MISSILES} [1]",
    ]


def test_langchain_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    out = run_python_block(1, tmp_path, monkeypatch, capsys)
    assert out.splitlines() == [
        f"Macron Ukraine Ground Troops 2024-02-27 | {MISSILES}",  # the top document and its best sentence
        # "Which leader rejected ground troops?" through the chain and the lambda, led by the name in that role
        f"answered: Mark Rutte [1]. {RUTTE} [1]",
    ]


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
    words = "Ukraine will get medium- and long-range missiles [1]. Also 70 tanks [1].".split(" ")
    assert out.splitlines() == [
        # The draft grows with every streamed piece (one word each), unchecked...
        *(f"draft: {' '.join(words[:n])}" for n in range(1, len(words) + 1)),
        # ...then the checked answer replaces it: the sentence with a number its source lacks is gone.
        "llm Ukraine will get medium- and long-range missiles [1].",
        "removed: Also 70 tanks. - 70 is not in the cited source",
    ]


def readme_invocations(group: TyperGroup) -> list[tuple[list[str], str | None, list[str]]]:
    """Every `qa ...` in the README's shell blocks, other fenced blocks and inline code, as
    (options before the command, command or None, options after it). Python blocks are left out
    (`from qa import Assistant` is no command)."""
    flags = {opt for param in group.params if getattr(param, "is_flag", False) for opt in param.opts}
    contexts = [line for language, body in re.findall(r"```(\w*)\n(.*?)```", README, re.S)
                if language != "python" for line in body.splitlines()]
    # Inline code may wrap onto the next line (not across a paragraph).
    contexts += [span.replace("\n", " ") for span in re.findall(r"`((?:[^`\n]|\n(?!\n))+)`",
                                                                 re.sub(r"```.*?```", "", README, flags=re.S))]
    found = []
    for context in contexts:
        for match in re.finditer(r"(?<![\w/.-])(?:\.venv/bin/)?qa(?= )(.*)", context):
            # Up to a closing backtick, comment or punctuation; [--host HOST] counts as an option.
            tokens = re.split(r"[`#,);]", match.group(1))[0].replace("[", " ").replace("]", " ").split()
            before: list[str] = []
            while tokens and tokens[0].startswith("--"):
                before.append(tokens.pop(0))
                if before[-1] not in flags and tokens and not tokens[0].startswith("-"):
                    tokens.pop(0)  # its value
            if tokens and re.fullmatch(r"[a-z][a-z-]*", tokens[0]):
                found.append((before, tokens[0], [t.split("=")[0] for t in tokens[1:] if t.startswith("--")]))
            elif before:
                found.append((before, None, []))
    return found


def test_every_command_in_the_readme_exists() -> None:
    group = typer.main.get_command(app)
    invocations = readme_invocations(group)
    used: dict[str, set[str]] = {}
    for _, command, options in invocations:
        if command:
            used.setdefault(command, set()).update(options)
    # The parser finds what it must: a shell block's line, inline code, a global option.
    assert ([], "ingest", []) in invocations and ([], "ask", ["--since", "--until"]) in invocations
    assert (["--config"], None, []) in invocations

    unknown = set(used) - set(group.commands)
    assert not unknown, f"the README runs `qa {' / '.join(sorted(unknown))}`, which the CLI does not have"
    undocumented = set(group.commands) - set(used)
    assert not undocumented, f"`qa {' / '.join(sorted(undocumented))}` is in the CLI but not in the README"

    top = CliRunner().invoke(app, ["--help"], prog_name="qa")
    assert top.exit_code == 0, top.output
    listed = re.findall(r"^│ ([a-z][a-z-]*)\s{2,}\S", top.output.split("Commands", 1)[1], re.M)
    assert sorted(listed) == sorted(group.commands)  # `qa --help` lists each command, with its help
    global_options = {opt for param in group.params for opt in param.opts}
    for before, _, _ in invocations:
        assert set(before) <= global_options and all(opt in top.output for opt in before), before

    for command, options in sorted(used.items()):
        result = CliRunner().invoke(app, [command, "--help"], prog_name="qa")
        assert result.exit_code == 0, result.output
        assert f"Usage: qa {command} [OPTIONS]" in result.output
        real = {opt for param in group.commands[command].params for opt in param.opts}
        for option in sorted(options):
            assert option in real, f"the README runs `qa {command} {option}`, which `qa {command}` does not take"
            assert re.search(rf"{re.escape(option)}\b", result.output), (command, option, result.output)
