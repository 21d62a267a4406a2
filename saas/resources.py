"""Where the product's files are: inside the installed package (a built wheel carries templates,
migrations and alembic.ini under ``saas/``), or at the top of a source checkout (``templates/``,
``migrations/``, ``alembic.ini``), which the wheel maps into the package (pyproject.toml)."""
from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
SOURCE_ROOT = PACKAGE.parent


def resource_path(name: str) -> Path:
    packaged = PACKAGE / name
    return packaged if packaged.exists() else SOURCE_ROOT / name


def is_source_checkout() -> bool:
    return (SOURCE_ROOT / "pyproject.toml").is_file() and (SOURCE_ROOT / "templates").is_dir()


def instance_root() -> Path:
    """The folder that holds ``instance/`` (the embedded database, the development secret, files):
    ``SAAS_ROOT`` when set, else the source checkout, else the working directory (an installed wheel)."""
    if os.environ.get("SAAS_ROOT"):
        return Path(os.environ["SAAS_ROOT"])
    return SOURCE_ROOT if is_source_checkout() else Path.cwd()
