"""Few malloc arenas for the server: memory that sessions freed goes back to the system.

glibc gives each thread that meets a busy heap its own arena (up to 8 per core), and keeps each
arena's freed pages for that arena only. With 30 learners' script threads that is 16 arenas on two
cores, each holding its own scraps after the sessions close: in the load bench the server stayed
12-15% above idle after every round and crept upwards. Capping the arenas at the core count keeps it
within 7% and flat (bench/README.md). Only glibc has mallopt; elsewhere this does nothing.
"""
import ctypes
import ctypes.util
import os
import re
import tempfile

M_ARENA_MAX = -8


def _libc():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


def cap_arenas(n=None):
    """mallopt(M_ARENA_MAX, n), n = the core count by default; True when it took effect."""
    libc = _libc()
    if libc is None or not hasattr(libc, "mallopt"):
        return False
    libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(libc.mallopt(M_ARENA_MAX, int(n or os.cpu_count() or 2)))


def arena_count():
    """How many arenas this process's malloc has (glibc's malloc_info), or None where it cannot tell."""
    libc = _libc()
    if libc is None or not hasattr(libc, "malloc_info"):
        return None
    libc.fopen.restype = ctypes.c_void_p
    libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
    libc.fclose.argtypes = [ctypes.c_void_p]
    with tempfile.NamedTemporaryFile(suffix=".xml") as out:
        stream = libc.fopen(out.name.encode(), b"w")
        if not stream:
            return None
        libc.malloc_info(0, stream)
        libc.fclose(stream)
        return len(re.findall(r"<heap nr=", open(out.name, encoding="utf-8").read()))
