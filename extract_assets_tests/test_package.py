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
