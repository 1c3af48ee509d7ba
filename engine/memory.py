"""Keep freed array memory in the process heap instead of handing it back to the OS at once.

glibc gives every freed block above a dynamic threshold (128 KiB at first, a few
MiB at most) back to the kernel, so a training step or an iteration trace that
allocates and frees a few MiB of arrays page-faults the same memory back in every
time: about a thousand faults per trace of a 784-128-128-10 network, a third of its
cost. Raising the two thresholds once keeps that memory in the heap for reuse.
Only glibc (Linux) has mallopt; elsewhere this does nothing.
"""
import ctypes
import ctypes.util

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 8 * 2**20  # arrays up to 8 MiB come from the heap (a whole dataset still does not)
TRIM_THRESHOLD = 32 * 2**20  # keep up to 32 MiB of free heap per arena before trimming


def keep_freed_memory():
    """Call glibc's mallopt for both thresholds; True when it took effect."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
