"""Does this Python crash when the cyclic GC runs inside `ContextVar.set`? (python/cpython#148891)

On CPython 3.11 and older a collection can start on an allocation inside `ContextVar.set`; a
finaliser that sets or resets a variable of the same context then replaces the HAMT the outer call
is still walking, and the process dies of SIGSEGV. LiteLLM resets its context variables from
coroutines the GC closes (`litellm/_internal_context.py`), so a proxy on such a Python can crash
under load, most likely after backends die and leave abandoned requests behind (docs/FLAKES.md).
CPython 3.12 runs the GC only at safe points and survives.

    python -m scripts.gc_context_check [--python /path/to/python]

runs the reproducer in a child process of that interpreter and prints `affected` (exit 1: it
crashed, or failed in some other way) or `not affected` (exit 0). The reproducer needs nothing but
the standard library. On CPython 3.11.7
one run crashed in 14 of 14 tries with different hash seeds, and in 39 of 40 of 20,000 rounds (the
trie's shape follows the variables' hashes, which mix in their addresses), hence up to three runs;
on 3.12.1 and 3.13.0 none did.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

REPRODUCER = """
import contextvars, gc, weakref
targets = [contextvars.ContextVar(f"target{i}") for i in range(8)]
padding = [contextvars.ContextVar(f"pad{i}") for i in range(200)]  # a deep HAMT: allocations inside set()
for pad in padding:
    pad.set(object())

class Node:
    pass

def garbage_with_a_finaliser(i):
    first, second = Node(), Node()
    first.other, second.other = second, first  # a cycle: only the cyclic GC frees it
    weakref.finalize(first, lambda: targets[i % 8].set(object()))

gc.set_threshold(1, 1, 1)
for i in range(ROUNDS):
    garbage_with_a_finaliser(i)
    padding[i % 200].set(object())
print("survived")
"""


def check(python: str, rounds: int = 20_000, attempts: int = 3, timeout_s: float = 120.0) -> bool:
    """True when `python` survives the reproducer `attempts` times; False at the first run that does
    not: it dies of a signal, or the corruption surfaces as an internal error first (3.11.7 also
    ended with `SystemError: ... bad argument to internal function` in a weakref finaliser). The
    trie's shape follows the variables' hashes, which mix in their addresses, so one run of an
    affected interpreter can be lucky (1 in 40 on 3.11.7)."""
    for _ in range(attempts):
        done = subprocess.run([python, "-c", REPRODUCER.replace("ROUNDS", str(rounds))],
                              capture_output=True, text=True, timeout=timeout_s, check=False)
        if done.returncode != 0 or "survived" not in done.stdout:
            return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable, help="interpreter to check (default: this one)")
    args = parser.parse_args(argv)
    survived = check(args.python)
    print("not affected" if survived else "affected: run the proxy on CPython 3.12 or newer")
    return 0 if survived else 1


if __name__ == "__main__":
    sys.exit(main())
