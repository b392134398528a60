import subprocess
import sys

import extract_assets


def test_every_public_name_resolves() -> None:
    for name in extract_assets.__all__:
        assert getattr(extract_assets, name).__name__ == name


def test_the_plain_clients_import_without_dagster() -> None:
    code = (
        "import sys\n"
        "from extract_assets.linkup.client import LinkupClient\n"
        "from extract_assets.extractto.client import ExtractToClient\n"
        "from extract_assets.emulator import EmulatorServer\n"
        "print('dagster' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_every_core_module_and_client_imports_without_dagster() -> None:
    """`core/` is plain Python by construction: what needs Dagster sits in the layer above."""
    code = (
        "import importlib, pkgutil, sys\n"
        "import extract_assets.core as core\n"
        "for module in pkgutil.iter_modules(core.__path__):\n"
        "    importlib.import_module(f'extract_assets.core.{module.name}')\n"
        "for provider in ('linkup', 'extractto', 'dataextractor'):\n"
        "    importlib.import_module(f'extract_assets.{provider}.client')\n"
        "print('dagster' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


# What only a materialization, a check or a downstream read needs: a code server, the daemon and
# every run's coordinating process load the definitions without paying for them.
DATA_LIBRARIES = ("pyarrow", "numpy", "pandas", "polars", "duckdb", "jsonschema_rs")


def test_loading_the_definitions_imports_no_data_library() -> None:
    code = (
        "import sys\n"
        "import extract_assets.definitions as d\n"
        "d.defs.get_repository_def().get_all_jobs()\n"
        f"print(sorted(set({DATA_LIBRARIES!r}) & set(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
