"""The README's two set-up commands: CI runs the second; the first is run here in a fresh virtualenv."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    block = re.search(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S).group(1)
    return [line for line in block.splitlines() if line and not line.startswith("#")]


def test_readme_has_exactly_two_commands_and_ci_runs_the_test_one():
    install_and_demo, install_and_test = readme_commands()
    assert install_and_demo.endswith("hubscan demo")
    assert install_and_test.endswith("pytest")
    assert install_and_test in (ROOT / ".ci" / "run").read_text()


@pytest.mark.slow
def test_install_and_demo_command_works_in_a_fresh_virtualenv(tmp_path):
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs the git checkout to copy the committed tree")
    checkout = tmp_path / "checkout"
    # The committed tree only, as a newcomer gets it from a clone (no local venvs, catalogs or caches).
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "HEAD"], capture_output=True, check=True)
    checkout.mkdir()
    subprocess.run(["tar", "-x", "-C", str(checkout)], input=archive.stdout, check=True)
    command = readme_commands()[0]
    result = subprocess.run(command, shell=True, cwd=checkout, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert (checkout / "db" / "hubscan.db").exists()
    assert "finished" in result.stderr and "models listed" in result.stderr


def test_every_example_in_using_it_parses_with_the_cli():
    """The README's examples use real commands and options (click parses each one; nothing runs)."""
    import shlex

    import click

    from hubscan.cli import cli

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text[text.index("## Using it") : text.index("## How it works")]
    ctx = click.Context(cli)
    examples = [line for line in block.splitlines() if line.startswith("hubscan ")]
    assert len(examples) >= 20
    for line in examples:
        args = shlex.split(line, comments=True)[1:]
        command = cli.get_command(ctx, args[0])
        assert command is not None, line
        sub = command.make_context(args[0], args[1:], parent=ctx)
        if isinstance(command, click.Group):
            command.get_command(sub, args[1]).make_context(args[1], args[2:], parent=sub)
