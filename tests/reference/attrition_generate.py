"""Input data of tests/reference/attrition.R (run once; the CSV is committed).

Three groups of starters with informative missing end scores: completing is a logistic
function of the baseline score and age. Not the demo generator, so not tuned on it.
"""

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20261130)
parts = []
for group, n, shift in (("A", 150, 4.0), ("B", 90, 2.0), ("C", 60, 6.0)):
    pre = np.round(rng.normal(50, 10, n), 1)
    age = rng.integers(18, 65, n).astype(float)
    female = (rng.random(n) < 0.45).astype(float)
    post = np.round(pre + shift + 0.4 * (50 - pre) + rng.normal(0, 7, n), 1)
    p = 1 / (1 + np.exp(-(0.2 + 0.06 * (pre - 50) - 0.02 * (age - 40))))
    done = rng.random(n) < p
    parts.append(pd.DataFrame({"group": group, "pre": pre, "post": np.where(done, post, np.nan),
                               "age": age, "female": female, "completed": done.astype(int)}))
pd.concat(parts).to_csv(Path(__file__).with_name("attrition_input.csv"), index=False)
