"""Fit-time check for soskulib.models on ~1,500 clients x 2 occasions.

Run: .venv/bin/python tests/reference/lme4_timing.py  (writes lme4_timing.txt beside it).
Timings depend on the machine; the file records the run used for the documentation.
"""

import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from lme4_simulate import simulate  # noqa: E402

from soskulib import models  # noqa: E402

long = simulate(n_mun=50, per_mun=30, seed=7)
lines = [f"python {platform.python_version()} on {platform.machine()}; "
         f"{long['client_id'].nunique()} clients, {len(long)} rows, "
         f"{long['municipality'].nunique()} municipalities"]
for structure in models.STRUCTURES:
    res = models.change_model(long, structure=structure)
    vc = res.variance_components()["variance"].round(3).to_dict()
    lines.append(f"structure={structure}: fit {res.fit_seconds:.1f} s, converged={res.converged}, "
                 f"variance components {vc}")
text = "\n".join(lines) + "\n"
Path(__file__).with_name("lme4_timing.txt").write_text(text)
print(text)
