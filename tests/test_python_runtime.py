"""The proxy's interpreter survives the GC-inside-ContextVar.set crash (python/cpython#148891).

The interpreter checked is the one named in the `#!` line of the `litellm` CLI the integration
tests start (`make install` builds that environment with CPython 3.12+). On 3.11 the reproducer
in scripts/gc_context_check.py dies of SIGSEGV, as the soak's proxy did (docs/FLAKES.md).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from scripts.gc_context_check import check
from scripts.stack import LITELLM_BIN

pytestmark = pytest.mark.process


def test_the_proxys_python_is_not_affected() -> None:
    python = Path(LITELLM_BIN).read_text().splitlines()[0].removeprefix("#!").strip()
    version = subprocess.run([python, "-c", "import sys; print(*sys.version_info[:2])"],
                             capture_output=True, text=True, check=True).stdout.split()
    assert tuple(map(int, version)) >= (3, 12), (python, version)
    assert check(python)


@pytest.mark.skipif(not Path.home().joinpath(".pyenv/versions/3.11.7/bin/python3").exists(),
                    reason="no CPython 3.11.7 under pyenv on this host")
def test_the_reproducer_crashes_python_3_11() -> None:
    assert not check(str(Path.home() / ".pyenv/versions/3.11.7/bin/python3"))
