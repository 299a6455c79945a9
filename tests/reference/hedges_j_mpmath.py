"""Exact J(m) = Γ(m/2) / (√(m/2) Γ((m-1)/2)) to 30 digits with mpmath (reference for
``effectsize.hedges_j_exact``). Run with any Python that has mpmath (1.3.0 used):

    python3 tests/reference/hedges_j_mpmath.py > tests/reference/hedges_j_mpmath.csv
"""

import mpmath

mpmath.mp.dps = 60
print("m,j")
for m in [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 14, 19, 24, 29, 49, 99, 199]:
    mm = mpmath.mpf(m)
    j = mpmath.gamma(mm / 2) / (mpmath.sqrt(mm / 2) * mpmath.gamma((mm - 1) / 2))
    print(f"{m},{mpmath.nstr(j, 30)}")
