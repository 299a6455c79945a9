"""soskulib speed and memory benchmarks: ``python -m benchmarks`` (not timed unit tests).

Every benchmark compares the library with a *floor* measured in the same run: a bare
NumPy / pyarrow / DuckDB pass over the same data that no implementation of the task could
beat by much. The ratio library / floor is what we hold ourselves to; absolute seconds depend
on the machine.

Each benchmark module (``benchmarks.bench_<name>``) defines:

``TITLE``, ``SIZE_UNIT``
    What is measured and what the size ``N`` counts (clients, response rows, units).
``TARGET``
    Largest acceptable ratio to the floor, or ``None`` (reported only).
``FLOOR``
    One line describing the floor.
``sizes(options) -> list[int]``
    The sizes to run for the runner's options.
``make_data(size, options)``
    Build (and cache under ``options["workdir"]``) the input data; not timed.
``setup(size, options) -> context``
    Load what the timed part needs; not timed (its memory counts towards the peak).
``run(context)`` and ``floor(context)``
    The timed library path and the timed floor; may return a dict of extra numbers.

The runner (:mod:`benchmarks.__main__`) runs ``make_data``, ``run`` and ``floor`` each in a
fresh subprocess (:mod:`benchmarks._worker`), reads the subprocess's peak resident set size from
``os.wait4`` (the kernel's ``ru_maxrss`` of that child and any children it waited for, i.e.
``getrusage(RUSAGE_CHILDREN)`` restricted to the one benchmark process), fits the growth exponent
``b`` of ``time ∝ N^b`` by least squares on log-log, and rewrites ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

#: Benchmark modules in the order the runner runs and reports them.
BENCHMARKS = (
    "prepare",
    "scoring",
    "instruments",
    "process_outcomes",
    "meta",
    "outofcore",
    "build",
)

#: Benchmarks run only when asked for (they need the notebooks and take minutes).
OPTIONAL = ("build",)
