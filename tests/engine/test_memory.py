"""engine.memory: freed array memory stays in the heap, so a repeated step does not page-fault it back."""
import ctypes.util
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CHURN = textwrap.dedent("""
    import resource, sys
    import numpy as np
    if sys.argv[1] == "engine":
        import engine  # calls engine.memory.keep_freed_memory() on import
    def churn():  # what a trace of a 784-128-128-10 network allocates and frees: ~5 MB of 800 KB arrays
        arrays = [np.ones((784, 128)) for _ in range(6)]
        return sum(float(a[0, 0]) for a in arrays)
    for _ in range(5):
        churn()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(50):
        churn()
    print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 50)
""")


def faults_per_churn(mode):
    result = subprocess.run([sys.executable, "-c", CHURN, mode], cwd=ROOT, capture_output=True,
                            text=True, check=True)
    return float(result.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux") or ctypes.util.find_library("c") is None,
                    reason="mallopt is glibc's; elsewhere keep_freed_memory does nothing by design")
def test_engine_keeps_freed_arrays_in_the_heap():
    from engine.memory import keep_freed_memory
    assert keep_freed_memory() is True
    plain, tuned = faults_per_churn("numpy"), faults_per_churn("engine")
    assert plain > 500   # glibc hands the ~5 MB back and faults it in again: ~1200 faults
    assert tuned < 50    # with the engine imported it stays in the heap
