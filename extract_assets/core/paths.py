"""Where Parquet lands: `{base}/{provider}/{asset}/...`, Hive-style, resolved at run time."""

from __future__ import annotations

import os
from pathlib import Path

from extract_assets.core.names import check_asset_name

OUTPUT_ENV = "EXTRACT_ASSETS_OUTPUT"


def output_base(configured: str | os.PathLike[str] | None = None) -> Path:
    """The output folder: the configured one, else `EXTRACT_ASSETS_OUTPUT`, else `./data`.

    >>> output_base("/srv/lake")
    PosixPath('/srv/lake')
    """
    chosen = configured or os.environ.get(OUTPUT_ENV) or "data"
    return Path(chosen).expanduser().resolve()


def asset_folder(base: Path, provider: str, asset_name: str) -> Path:
    """The folder of one asset's files under `base`.

    >>> asset_folder(Path("/lake"), "linkup", "team")
    PosixPath('/lake/linkup/team')
    """
    folder = (base / provider / check_asset_name(asset_name)).resolve()
    if not folder.is_relative_to(base):
        raise ValueError(f"asset folder {folder} would be outside the output folder {base}")
    return folder
