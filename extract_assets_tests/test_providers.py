"""The providers registry: shared modules loop over it, so a provider is its package plus one
line in `providers.py`."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import extract_assets
from extract_assets.providers import PACKAGES, providers

PACKAGE = Path(extract_assets.__file__).parent
# The modules every provider goes through; none of them may name one.
SHARED = [
    "__init__.py",
    "build.py",
    "config.py",
    "cli.py",
    "pools.py",
    "provider.py",
    "sections.py",
    "translator.py",
    "components/section.py",
    "components/scaffold.py",
]

# A fourth provider, written as its own package would be: a section, definitions, a
# component, a subcommand; nothing else of the package changes.
ECHO_PACKAGE = {
    "__init__.py": """
        PUBLIC = {"EchoComponent": "component"}
    """,
    "section.py": """
        from pydantic import Field

        from extract_assets.sections import Section


        class EchoSection(Section):
            words: list[str] = Field(default_factory=list)

            def names(self) -> list[str]:
                return list(self.words)
    """,
    "definitions.py": """
        import dagster as dg

        from extract_assets.accounts import Account


        def echo_definitions(section, translator=None):
            account = Account("echo", section.account)

            def asset_for(word):
                @dg.asset(key=account.key(word), pool=account.pool)
                def _echo() -> str:
                    return word

                return _echo

            return dg.Definitions(assets=[asset_for(word) for word in section.words])
    """,
    "commands.py": """
        def add_commands(commands):
            echo = commands.add_parser("echo", help="say a word")
            echo.add_argument("word")
            echo.set_defaults(run=lambda args: print(f"echo: {args.word}") or 0)
    """,
    "provider.py": """
        from extract_assets.echo.commands import add_commands
        from extract_assets.echo.definitions import echo_definitions
        from extract_assets.echo.section import EchoSection
        from extract_assets.provider import Provider

        PROVIDER = Provider(
            name="echo",
            section=EchoSection,
            definitions=echo_definitions,
            pool_limit=3,
            key_env="ECHO_API_KEY",
            base_url_env="ECHO_BASE_URL",
            demo_key="demo-echo-key",
            commands=add_commands,
        )
    """,
    "component.py": """
        from typing import ClassVar

        from extract_assets.components.section import SectionComponent
        from extract_assets.echo.provider import PROVIDER
        from extract_assets.echo.section import EchoSection


        class EchoComponent(SectionComponent, EchoSection):
            provider: ClassVar = PROVIDER
    """,
}

ECHO_CONFIG = """
linkup:
  extracts:
    - {name: team, q: Team members, url: "https://example.com/team"}
echo:
  - {account: north, words: [hello, world]}
  - {account: south, words: [hello]}
"""

# Run against a copy of the package with the echo package and its one line added.
ECHO_RUN = """
import json, sys
import dagster as dg
import extract_assets

assert extract_assets.__file__.startswith(sys.argv[1]), extract_assets.__file__

from extract_assets.build import definitions_from_config
from extract_assets.cli import main
from extract_assets.config import load_config
from extract_assets.pools import pool_limits

defs = definitions_from_config(sys.argv[2])
component = extract_assets.EchoComponent(account="east", words=["hi"])
component_defs = dg.build_defs_for_component(component=component)
result = dg.materialize(
    [a for a in defs.assets if dg.AssetKey(["north", "hello"]) in a.keys],
    selection=[dg.AssetKey(["north", "hello"])],
)
print(json.dumps({
    "keys": sorted(k.to_user_string() for k in defs.resolve_all_asset_keys()),
    "component_keys": [k.to_user_string() for k in component_defs.resolve_all_asset_keys()],
    "pools": pool_limits(load_config(sys.argv[2])),
    "value": result.output_for_node("north__hello"),
}))
sys.exit(main(["echo", "hi"]))
"""


def test_the_registry_lists_each_provider_package_once() -> None:
    assert [provider.name for provider in providers()] == list(PACKAGES)
    assert len(set(PACKAGES)) == len(PACKAGES)


def test_no_shared_module_imports_a_provider_package() -> None:
    named: dict[str, list[str]] = {}
    for relative in SHARED:
        tree = ast.parse((PACKAGE / relative).read_text(encoding="utf-8"))
        imported = [
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module is not None
        ]
        hits = [m for m in imported if m.split(".")[1:2] and m.split(".")[1] in PACKAGES]
        if hits:
            named[relative] = hits
    assert named == {}


def test_a_fourth_provider_is_its_package_plus_one_line(tmp_path: Path) -> None:
    copy = tmp_path / "src"
    shutil.copytree(PACKAGE, copy / "extract_assets", ignore=shutil.ignore_patterns("__pycache__"))
    echo = copy / "extract_assets" / "echo"
    echo.mkdir()
    for name, source in ECHO_PACKAGE.items():
        (echo / name).write_text(textwrap.dedent(source), encoding="utf-8")
    registry = copy / "extract_assets" / "providers.py"
    last = '    "dataextractor",\n'
    registry.write_text(registry.read_text().replace(last, last + '    "echo",\n'))
    config = tmp_path / "extract-assets.yaml"
    config.write_text(ECHO_CONFIG, encoding="utf-8")

    done = subprocess.run(
        [sys.executable, "-c", ECHO_RUN, str(copy), str(config)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(copy)},
    )

    assert done.returncode == 0, done.stderr
    report, said = done.stdout.strip().splitlines()[-2:]
    seen = json.loads(report)
    assert {"north/hello", "north/world", "south/hello", "team"} <= set(seen["keys"])
    assert seen["component_keys"] == ["east/hi"]
    assert seen["pools"]["echo_north"] == seen["pools"]["echo_south"] == 3
    assert seen["value"] == "hello"
    assert said == "echo: hi"
