"""MAX compiles its Mojo extensions on first import, unlocked and in place: the stack compiles them alone first.

Pinned quirk (modular 26.7.0, `mojo/importer.py`): the importer runs `mojo build -o <cache>/<name>.so` straight
into the in-tree `__mojocache__` and loads any file already there, so a MAX process starting while another
compiles can load a half-written library ("file too short"). `compile_max_extensions` leaves every one complete.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from scripts.stack import VENV_MAX_BIN, compile_max_extensions

pytestmark = pytest.mark.integration


def _max_root() -> Path:
    python = VENV_MAX_BIN.parent / "python"
    out = subprocess.run(
        [str(python), "-c", "import max; print(next(iter(max.__path__)))"],
        capture_output=True, text=True, check=True, timeout=60,
    )
    return Path(out.stdout.strip())


def test_every_mojo_extension_is_compiled_and_loadable_after_the_warm_up() -> None:
    compile_max_extensions()
    root = _max_root()
    packages = sorted({source.parent for source in root.rglob("*.mojo") if (source.parent / "__init__.py").exists()})
    assert packages, "MAX ships no Mojo extension package any more: the warm-up can go"
    for package in packages:
        libraries = list((package / "__mojocache__").glob("*.so"))
        assert libraries, f"no compiled library for {package.name}"
        assert all(library.stat().st_size > 0 for library in libraries)
        module = ".".join(("max", *package.relative_to(root).parts))
        loaded = subprocess.run(
            [str(VENV_MAX_BIN.parent / "python"), "-c", f"import {module}"],
            capture_output=True, text=True, timeout=120,
        )
        assert loaded.returncode == 0, loaded.stderr[-2000:]
