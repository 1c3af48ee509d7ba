"""What a refused action allocated on the way: tracemalloc's peak, for tests that memory stays small."""
import gc
import tracemalloc

import pandas  # noqa: F401  imported here, not in the measured action: its first import allocates ~30 MB
import pytest


def refusal_peak(action, *args):
    """(the message of the ValueError that action(*args) raises, tracemalloc's peak in bytes meanwhile)."""
    gc.collect()
    tracemalloc.start()
    try:
        with pytest.raises(ValueError) as info:
            action(*args)
        return str(info.value), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
