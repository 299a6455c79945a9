"""Seeded random inputs for the independent R verification (tests/test_against_r.py).

Run from the repository root:
    .venv/bin/python tests/reference/random_cases_generate.py   # -> random_cases_input.json
    Rscript tests/reference/random_cases.R                      # -> random_cases_reference.json

The inputs are drawn here (numpy, seeded) and written with full double precision; the R script
reads exactly these numbers, computes the reference values with metafor / psych / lme4 / base R
and writes them next to the inputs. The tests read only the committed JSON (no R at test time).
The cases deliberately include the awkward corners: k = 1 and 2, tau² estimated 0 and large,
duplicated or identical yi, one study with a huge sampling variance, tiny and huge scales.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SEED = 20240917

META_SCENARIOS = ("typical", "tau2_zero", "tau2_large", "duplicated_yi", "identical_yi",
                  "one_huge_vi", "vi_tiny", "vi_spread", "scale_tiny", "scale_huge",
                  "heavy_tail")


def _meta_case(rng: np.random.Generator, scenario: str, k: int) -> dict:
    """One meta-analysis data set (yi, vi) of the given scenario."""
    vi = rng.uniform(0.005, 0.25, k)
    tau2 = float(rng.choice([0.0, 0.02, 0.1, 0.4]))
    mu = float(rng.normal(0.3, 0.4))
    if scenario == "tau2_zero":
        yi = mu + 0.25 * rng.standard_normal(k) * np.sqrt(vi)  # far less spread than vi allows
    elif scenario == "tau2_large":
        vi = rng.uniform(0.001, 0.05, k)
        yi = rng.normal(mu, np.sqrt(vi + rng.uniform(2, 25)))
    else:
        if scenario == "one_huge_vi":
            vi[rng.integers(k)] = 10.0 ** rng.uniform(3, 6)
        elif scenario == "vi_tiny":
            vi = 10.0 ** rng.uniform(-9, -6, k)
            tau2 = float(rng.choice([0.0, 1e-7, 1e-4]))
        elif scenario == "vi_spread":
            vi = 10.0 ** rng.uniform(-4, 2, k)
        elif scenario == "heavy_tail":
            tau2 = 0.05
        yi = rng.normal(mu, np.sqrt(vi + tau2))
        if scenario == "heavy_tail":
            yi = mu + (yi - mu) * np.abs(rng.standard_t(1.5, k))
    if scenario == "duplicated_yi" and k > 1:
        yi = rng.choice(np.round(yi[: max(1, k // 3)], 3), size=k)
    elif scenario == "identical_yi":
        yi = np.full(k, round(mu, 4))
    elif scenario == "scale_tiny":
        yi, vi = yi * 1e-3, vi * 1e-6
    elif scenario == "scale_huge":
        yi, vi = yi * 1e3 + 5e3, vi * 1e6
    return {"scenario": scenario, "yi": yi.tolist(), "vi": vi.tolist()}


def meta_cases(rng: np.random.Generator, n_cases: int = 154) -> list[dict]:
    """k from 1 to 60: the small k that matter most in practice are over-represented."""
    small = [1, 2, 2, 3, 3, 4, 5, 6, 7, 8]
    cases = []
    for i in range(n_cases):
        scenario = META_SCENARIOS[i % len(META_SCENARIOS)]
        k = int(rng.choice(small)) if rng.uniform() < 0.55 else int(rng.integers(9, 61))
        case = _meta_case(rng, scenario, k)
        case["id"] = f"meta{i:03d}_{scenario}_k{k}"
        cases.append(case)
    return cases


def oscillating_cases(rng: np.random.Generator, n_cases: int = 6) -> list[dict]:
    """Small data sets on which REML Fisher scoring oscillates (metafor stops with an error).

    Candidates are screened with soskulib's port of the algorithm; the R script then records
    independently whether metafor errors on each of them.
    """
    import warnings

    from soskulib import meta

    cases = []
    while len(cases) < n_cases:
        k = int(rng.integers(3, 8))
        vi = 10.0 ** rng.uniform(-4, 1, k)
        yi = rng.normal(0, np.sqrt(vi + rng.choice([0, 0.1, 1])))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                meta.meta_analysis(yi, vi, method="REML")
        except meta.ConvergenceError:
            cases.append({"scenario": "reml_oscillating", "yi": yi.tolist(), "vi": vi.tolist(),
                          "id": f"meta{154 + len(cases):03d}_reml_oscillating_k{k}"})
    return cases


def regression_cases(rng: np.random.Generator, n_cases: int = 36) -> list[dict]:
    """One continuous moderator (and, every third case, a second one), k from 4 to 50."""
    cases = []
    for i in range(n_cases):
        k = int(rng.choice([4, 5, 6, 8, 10, 15, 25, 50]))
        vi = 10.0 ** rng.uniform(-2.5, -0.5, k)
        x1 = np.round(rng.uniform(0, 10, k), 2)
        beta = rng.normal(0, 0.1)
        tau2 = float(rng.choice([0.0, 0.02, 0.2]))
        yi = 0.2 + beta * x1 + rng.normal(0, np.sqrt(vi + tau2))
        case = {"id": f"reg{i:03d}_k{k}", "yi": yi.tolist(), "vi": vi.tolist(),
                "x1": x1.tolist(), "newx1": [0.0, 2.5, 7.5]}
        if i % 3 == 2 and k >= 6:
            case["x2"] = rng.binomial(1, 0.5, k).astype(float).tolist()
            if len(set(case["x2"])) < 2:
                case["x2"][0] = 1.0 - case["x2"][0]
            case["newx2"] = [0.0, 1.0, 1.0]
        cases.append(case)
    return cases


def smcr_cases(rng: np.random.Generator, n_rows: int = 60) -> dict:
    """Change tables for escalc(SMCR/SMCC): n from 2 to 800, r from -0.9 to 0.99."""
    n = rng.choice([2, 3, 4, 5, 8, 12, 20, 35, 60, 150, 800], n_rows)
    mean_pre = rng.normal(20, 8, n_rows)
    sd_pre = 10.0 ** rng.uniform(-1, 1.5, n_rows)
    sd_post = sd_pre * rng.uniform(0.5, 2, n_rows)
    mean_post = mean_pre + rng.normal(0, 1, n_rows) * sd_pre
    r = rng.uniform(-0.9, 0.99, n_rows)
    return {"n": n.astype(float).tolist(), "mean_pre": mean_pre.tolist(),
            "sd_pre": sd_pre.tolist(), "mean_post": mean_post.tolist(),
            "sd_post": sd_post.tolist(), "r_prepost": r.tolist()}


def alpha_cases(rng: np.random.Generator, n_cases: int = 32) -> list[dict]:
    """Ordinal one-factor item sets; some with reverse-keyed items and missing values.

    ``items`` are the raw responses (reverse-keyed items still reversed, NaN = missing).
    ``reverse`` lists the reverse-keyed columns, ``low``/``high`` the response range.
    """
    cases = []
    for i in range(n_cases):
        n = int(rng.choice([5, 8, 15, 30, 60, 120, 400]))
        k = int(rng.choice([2, 3, 4, 6, 10, 15]))
        low, high = (0, 4) if i % 2 else (1, 5)
        loadings = rng.uniform(0.2, 0.9, k)
        eta = rng.standard_normal(n)
        latent = np.outer(eta, loadings) + rng.standard_normal((n, k)) * np.sqrt(1 - loadings**2)
        x = np.clip(np.round(latent * 1.2 + (low + high) / 2), low, high)
        n_rev = int(rng.integers(0, k // 2 + 1)) if i % 3 else 0
        reverse = sorted(rng.choice(k, n_rev, replace=False).tolist())
        x[:, reverse] = low + high - x[:, reverse]
        if i % 4 in (1, 2):  # missing completely at random, 2-10 % of cells
            x[rng.uniform(size=x.shape) < rng.uniform(0.02, 0.10)] = np.nan
        # keep the case analysable: at least 4 complete rows and every item varying in them
        complete = x[~np.isnan(x).any(axis=1)]
        if len(complete) < 4 or np.any(complete.var(axis=0) == 0):
            x = np.clip(np.round(latent * 1.2 + (low + high) / 2), low, high)
            x[:, reverse] = low + high - x[:, reverse]
            x[0, :] = low
            x[1, :] = high
        cols = [f"q{j + 1}" for j in range(k)]
        cases.append({"id": f"alpha{i:03d}_n{n}_k{k}", "columns": cols,
                      "items": [[None if np.isnan(v) else float(v) for v in row] for row in x],
                      "reverse": [cols[j] for j in reverse], "low": low, "high": high})
    return cases


def paired_cases(rng: np.random.Generator, n_cases: int = 44) -> list[dict]:
    """Pre/post samples: n from 2 to 300, effects from none to very large, some missing."""
    cases = []
    for i in range(n_cases):
        n = int(rng.choice([2, 3, 4, 5, 8, 12, 20, 40, 100, 300]))
        sd = float(10.0 ** rng.uniform(-1, 1.5))
        rho = float(rng.uniform(-0.3, 0.95))
        effect = float(rng.choice([0.0, 0.2, 0.5, 1.0, 2.5, -0.8, 6.0]))
        pre = rng.normal(50, sd, n)
        post = pre * rho + (1 - rho) * 50 + effect * sd + rng.normal(0, sd * np.sqrt(1 - rho**2), n)
        pre, post = np.round(pre, 3), np.round(post, 3)
        if i % 5 == 4 and n >= 8:
            pre[rng.integers(n)] = np.nan
            post[rng.integers(n)] = np.nan
        cases.append({"id": f"paired{i:03d}_n{n}",
                      "pre": [None if np.isnan(v) else float(v) for v in pre],
                      "post": [None if np.isnan(v) else float(v) for v in post],
                      "level": 0.95 if i % 4 else 0.90})
    return cases


def rci_cases(rng: np.random.Generator, n_cases: int = 12) -> list[dict]:
    """Reliable change / clinical significance inputs."""
    cases = []
    for i in range(n_cases):
        n = int(rng.choice([5, 12, 40, 150]))
        sd = float(rng.uniform(2, 15))
        pre = np.round(rng.normal(30, sd, n), 2)
        post = np.round(pre + rng.normal(rng.normal(0, sd / 2), sd * 0.6, n), 2)
        cases.append({"id": f"rci{i:03d}_n{n}", "pre": pre.tolist(), "post": post.tolist(),
                      "sd": round(sd * rng.uniform(0.8, 1.2), 3),
                      "reliability": round(float(rng.uniform(0.6, 0.97)), 3),
                      "higher_is_better": bool(i % 2),
                      "cutoff": round(float(30 + rng.normal(0, sd / 3)), 2),
                      "mean": round(float(rng.normal(30, 2)), 2)})
    return cases


def lme4_data(rng: np.random.Generator, sizes: dict[str, int], municipality_sd: float) -> dict:
    """Unbalanced long data: few municipalities of very different size, 3 occasions, dropout.

    A small ``municipality_sd`` puts lme4's municipality variance at the boundary (0).
    """
    rows = []
    mun_effect = {m: rng.normal(0, municipality_sd) for m in sizes}
    counter = 0
    for mun, n_clients in sizes.items():
        for _ in range(n_clients):
            counter += 1
            client = f"c{counter:04d}"
            gender = "male" if rng.uniform() < 0.45 else "female"
            age = int(rng.integers(18, 66))
            person = rng.normal(0, 6)
            n_occ = int(rng.choice([1, 2, 3], p=[0.2, 0.35, 0.45]))
            for occ_i, occ in enumerate(["baseline", "end", "followup"][:n_occ]):
                mean = (40 + mun_effect[mun] + person + 0.08 * (age - 40)
                        + [0, 4.0, 5.5][occ_i] + (gender == "male") * (1.5 - 1.2 * occ_i))
                rows.append({"client_id": client, "municipality": mun, "gender": gender,
                             "age": age, "occasion": occ,
                             "total": round(float(mean + rng.normal(0, 4)), 3)})
    return {"rows": rows}


def first_draft_rng() -> np.random.Generator:
    """The stream position from which the first draft of this script drew its lme4 data.

    On those data statsmodels' L-BFGS reported convergence 0.27 below the REML maximum
    (intercept 32.068 vs lme4 32.453); they are kept as a regression case for that bug.
    """
    rng = np.random.default_rng(SEED)
    for draw in (meta_cases, regression_cases, smcr_cases, alpha_cases, paired_cases,
                 rci_cases):
        draw(rng)
    return rng


def main() -> None:
    # one independent stream per section, so adding cases to one leaves the others unchanged
    rngs = [np.random.default_rng([SEED, section]) for section in range(9)]
    out = {
        "generated_by": "tests/reference/random_cases_generate.py",
        "seed": SEED,
        "meta": meta_cases(rngs[0]) + oscillating_cases(rngs[1]),
        "regression": regression_cases(rngs[2]),
        "smcr": smcr_cases(rngs[3]),
        "alpha": alpha_cases(rngs[4]),
        "paired": paired_cases(rngs[5]),
        "rci": rci_cases(rngs[6]),
        "lme4": {
            # stream [SEED, 7, 2] is one on which lme4 puts the municipality variance at 0
            # (isSingular() TRUE with and without age; streams 0..11 were screened in R)
            "boundary": lme4_data(np.random.default_rng([SEED, 7, 2]),
                                  {"005": 9, "049": 61, "091": 23, "698": 5}, 0.3),
            "optimizer_trap": lme4_data(first_draft_rng(),
                                        {"005": 9, "049": 61, "091": 23, "698": 5}, 2.5),
            "unbalanced": lme4_data(rngs[8], {"020": 14, "092": 70, "179": 31, "398": 6,
                                              "837": 40}, 3.0),
        },
    }
    path = HERE / "random_cases_input.json"
    path.write_text(json.dumps(out, allow_nan=False) + "\n")
    print(f"wrote {path.relative_to(HERE.parent.parent)}")


if __name__ == "__main__":
    main()
