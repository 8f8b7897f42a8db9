"""Docs and code cannot drift: every command, rule and example in the docs is checked here."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import okrkit
from okrkit.cli import main

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"
PAGES = sorted([ROOT / "README.md", *DOCS.rglob("*.md")])
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def _blocks(page: Path) -> list[str]:
    return BLOCK.findall(page.read_text())


@pytest.mark.parametrize(
    "page", [p for p in PAGES if _blocks(p)], ids=lambda p: str(p.relative_to(ROOT))
)
def test_python_examples_run(page, monkeypatch):
    """Every ```python block of a page runs, in order, in one namespace, from the repo root."""
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for number, block in enumerate(_blocks(page), 1):
        try:
            exec(compile(block, f"{page.name}[block {number}]", "exec"), namespace)  # noqa: S102
        except Exception as error:  # noqa: BLE001  # report which block failed
            pytest.fail(f"{page.relative_to(ROOT)} block {number} failed: {error!r}\n{block}")


def test_every_command_has_a_section_in_the_cli_reference():
    text = (DOCS / "reference" / "cli.md").read_text()
    for name in main.commands:
        assert re.search(rf"^## okrkit {name}$", text, re.MULTILINE), (
            f"okrkit {name} is not documented"
        )


def test_every_option_of_every_command_is_in_the_cli_reference():
    text = (DOCS / "reference" / "cli.md").read_text()
    for name, command in main.commands.items():
        section = text.split(f"## okrkit {name}\n", 1)[1].split("\n## ", 1)[0]
        for param in command.params:
            for option in getattr(param, "opts", []):
                if option.startswith("--") and option != "--help":
                    assert option in section, f"{option} of okrkit {name} is not documented"


def test_every_lint_rule_has_an_entry():
    text = (DOCS / "reference" / "lint-rules.md").read_text()
    for rule in okrkit.RULES.values():
        assert re.search(rf"^### {rule.code} {rule.name}$", text, re.MULTILINE), rule.code


def test_every_doc_page_is_in_the_nav():
    nav = (ROOT / "mkdocs.yml").read_text()
    for page in DOCS.rglob("*.md"):
        assert str(page.relative_to(DOCS)) in nav, f"{page} is not in mkdocs.yml's nav"


def test_every_file_field_is_in_the_file_format_reference():
    from okrkit.files import FIELDS

    text = (DOCS / "reference" / "file-format.md").read_text()
    for part, fields in FIELDS.items():
        for field in fields:
            assert f"`{field}`" in text, f"{part} field {field!r} is not documented"


def test_the_readme_commands_are_the_ones_ci_runs():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "<!-- main-command -->" in readme
    assert "<!-- test-command -->" in readme
    assert "test-command" in ci  # .ci/run reads the test command out of the README


def test_the_changelog_has_an_unreleased_section():
    assert "## [Unreleased]" in (ROOT / "CHANGELOG.md").read_text()


def test_the_main_command_of_the_readme_works_on_the_installed_command(tmp_path):
    """The README's main job, minus its set-up half (the venv is already there), on a copy."""
    readme = (ROOT / "README.md").read_text()
    command = readme.split("<!-- main-command -->\n```bash\n", 1)[1].split("\n```", 1)[0]
    okrkit_part = command.split(" && ", 2)[2].replace(".venv/bin/okrkit", "okrkit")
    shutil.copytree(
        ROOT / "examples", tmp_path / "examples", ignore=shutil.ignore_patterns("*.okrkit.db*")
    )
    bindir = str(Path(sys.executable).parent)
    result = subprocess.run(
        ["/bin/bash", "-c", okrkit_part],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": f"{bindir}:/usr/bin:/bin", "NO_COLOR": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 measured, 0 failed, 1 skipped" in result.stdout
    assert "environment variable YOUTUBE_API_KEY is not set" in result.stdout
    assert "launch-buzz" in result.stdout
    assert "score 0.71" in result.stdout
    assert (tmp_path / "examples" / "product-launch" / "okrs.okrkit.db").exists()


def test_every_installed_connector_has_a_docs_section():
    from okrkit.connectors import Registry

    pages = [DOCS / "reference" / "connectors.md", *(DOCS / "connectors").glob("*.md")]
    text = "\n".join(page.read_text() for page in pages if page.exists())
    for name in Registry().names():
        assert re.search(rf"^## {re.escape(name)}$", text, re.MULTILINE), (
            f"connector {name!r} has no '## {name}' section in the docs"
        )
