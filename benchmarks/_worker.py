"""Run one benchmark step in this (fresh) process: ``python -m benchmarks._worker SPEC_JSON``.

Modules may set ``AUTORANGE = True`` (repeat calls shorter than 0.2 s and average) and
``WARMUP = True`` (one untimed call first, for pure functions whose first call pays for lazy
imports). ``SPEC_JSON`` holds ``module``, ``step`` (``"data"``, ``"run"`` or ``"floor"``), ``size``,
``options`` and ``result`` (path of the JSON file to write). The parent reads the peak RSS of
this process from ``os.wait4``; this process reports the seconds of the timed call, how many
calls they cover, and its own peak RSS after the untimed setup.
"""

from __future__ import annotations

import gc
import importlib
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

#: A timed call shorter than this is repeated (timeit-style) until the loop takes this long.
MIN_TIMED_SECONDS = 0.2


def _timed(function, context: Any, autorange: bool, warmup: bool) -> tuple[float, int, dict]:
    if warmup:  # first-call costs (lazy imports, caches) are not the work being measured
        function(context)
    gc.collect()
    start = time.perf_counter()
    extra = function(context)
    seconds = time.perf_counter() - start
    number = 1
    if autorange and seconds < MIN_TIMED_SECONDS:
        number = max(2, int(MIN_TIMED_SECONDS / max(seconds, 1e-7)) + 1)
        start = time.perf_counter()
        for _ in range(number):
            extra = function(context)
        seconds = (time.perf_counter() - start) / number
    return seconds, number, extra if isinstance(extra, dict) else {}


def main(argv: list[str]) -> int:
    spec = json.loads(argv[1])
    module = importlib.import_module(f"benchmarks.bench_{spec['module']}")
    size, options, step = int(spec["size"]), spec["options"], spec["step"]
    record: dict[str, Any] = {"module": spec["module"], "step": step, "size": size}
    if step == "data":
        start = time.perf_counter()
        module.make_data(size, options)
        record["seconds"] = time.perf_counter() - start
    else:
        context = module.setup(size, options)
        record["setup_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        function = module.run if step == "run" else module.floor
        seconds, number, extra = _timed(function, context, getattr(module, "AUTORANGE", False),
                                        getattr(module, "WARMUP", False))
        if step == "run" and hasattr(module, "extras"):
            extra = {**extra, **module.extras(context)}
        record.update(seconds=seconds, number=number, extra=extra)
    Path(spec["result"]).write_text(json.dumps(record), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
