"""A memory sampler for the API process of bench/load.py --sample-memory (imported at start through PYTHONPATH).

Every ADVISOR_BENCH_SAMPLE_SECONDS (60 by default) it appends one JSON line to $ADVISOR_BENCH_SAMPLE_MEMORY: the RSS,
Python's allocated blocks (``sys.getallocatedblocks``), glibc's heap (``mallinfo2``: arena and in use), SQLite's own
count (``sqlite3_memory_used``), and how full each bounded cache of the rules engine is (``rules.bounded.Bounded``
found in the ``rules`` modules' globals, one level into dicts, tuples and objects), by name. Nothing happens in a
process whose command line is not uvicorn's, or without the variable. A bench aid: it reads the app's modules but
never changes them. Being first on PYTHONPATH, it takes the place of any other ``sitecustomize`` in that process.
"""

from __future__ import annotations

import ctypes
import json
import os
import sys
import threading
import time
from typing import Any


def _rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")
    ]


def _glibc() -> Any:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = _MallInfo2
        return libc
    except (OSError, AttributeError):
        return None


def _sqlite() -> Any:
    try:
        sqlite = ctypes.CDLL("libsqlite3.so.0")  # the library Python's sqlite3 module links to, already loaded
        sqlite.sqlite3_memory_used.restype = ctypes.c_int64
        return sqlite
    except (OSError, AttributeError):
        return None


def _caches() -> dict[str, list[int]]:
    """Each bounded cache of the rules engine: name -> [entries, limit]."""
    bounded = sys.modules.get("rules.bounded")
    if bounded is None:
        return {}
    kind = bounded.Bounded
    found: dict[str, list[int]] = {}

    def visit(name: str, value: Any, depth: int) -> None:
        if isinstance(value, kind):
            found[name] = [len(value), value.limit]
        elif depth and isinstance(value, dict):
            for key, item in list(value.items())[:8]:
                visit(f"{name}[{key!r}]"[:90], item, depth - 1)
        elif depth and isinstance(value, tuple):
            for index, item in enumerate(value[:8]):
                visit(f"{name}[{index}]", item, depth - 1)
        elif depth and hasattr(value, "__dataclass_fields__"):
            for field in value.__dataclass_fields__:
                visit(f"{name}.{field}", getattr(value, field, None), depth - 1)

    for module_name, module in list(sys.modules.items()):
        if module_name.startswith("rules.") and module is not None:
            for attribute, value in list(vars(module).items()):
                visit(f"{module_name}.{attribute}", value, 2)
    return found


def _sample(out: str, every: float) -> None:
    libc, sqlite = _glibc(), _sqlite()
    started = time.monotonic()
    while True:
        time.sleep(every)
        record: dict[str, Any] = {"t": round(time.monotonic() - started), "rss": _rss_mib(), "blocks": sys.getallocatedblocks()}
        if libc is not None:
            info = libc.mallinfo2()
            record |= {"heap_arena": info.arena / 2**20, "heap_used": info.uordblks / 2**20}
        if sqlite is not None:
            record["sqlite"] = sqlite.sqlite3_memory_used() / 2**20
        try:
            record["caches"] = _caches()
        except Exception as error:  # a module changing under the walk: the next sample tries again
            record["caches_error"] = repr(error)
        with open(out, "a") as sink:
            sink.write(json.dumps(record) + "\n")


def _start() -> None:
    out = os.environ.get("ADVISOR_BENCH_SAMPLE_MEMORY")
    if not out:
        return
    with open("/proc/self/cmdline", "rb") as cmdline:
        if b"uvicorn" not in cmdline.read():
            return
    every = float(os.environ.get("ADVISOR_BENCH_SAMPLE_SECONDS", "60"))
    threading.Thread(target=_sample, args=(out, every), name="memory-sampler", daemon=True).start()


_start()
