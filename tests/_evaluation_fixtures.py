"""Small deterministic processed-table fixtures for the evaluation, SPC and plot tests.

Built with a seeded generator so the tests do not depend on the demo export; shapes and
dtypes follow the processed-data conventions (COMMON.md): str codes, datetime64 dates,
int64 counts, float items.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from soskulib import schema

EXPORT_DATE = pd.Timestamp("2018-12-31")
MUNICIPALITIES = ("092", "179", "410")


def processed_tables(seed: int = 7, sizes: tuple[int, ...] = (120, 80, 14)) -> dict[str, pd.DataFrame]:
    """Clients, contacts, goals, activities, quality, subprojects and 3X10D responses."""
    rng = np.random.default_rng(seed)
    parts = []
    for code, size in zip(MUNICIPALITIES, sizes, strict=True):
        start = pd.Timestamp("2016-01-01") + pd.to_timedelta(rng.integers(0, 900, size), "D")
        length = rng.integers(20, 500, size)
        end = start + pd.to_timedelta(length, "D")
        ongoing = end > EXPORT_DATE
        reason = rng.choice(["completed", "dropped_out", "moved", "other"], size, p=[0.55, 0.3, 0.1, 0.05])
        parts.append(pd.DataFrame({
            "municipality": code,
            "client_id": [f"{code}{i:013x}" for i in range(size)],
            "gender": rng.choice(["male", "female", "other"], size, p=[0.58, 0.4, 0.02]),
            "target_group": rng.choice(["long_term_unemployed", "young_adult", "substance_mental_health"], size),
            "start_date": start,
            "end_date": pd.Series(end).where(~ongoing).to_numpy(),
            "end_reason": pd.Series(reason).where(~ongoing).to_numpy(),
            "pathway": pd.Series(rng.choice(list(schema.PATHWAY_LABELS), size)).where(~ongoing).to_numpy(),
            "age": rng.integers(18, 64, size),
        }))
    clients = pd.concat(parts, ignore_index=True)
    clients["age_group"] = pd.cut(clients["age"], schema.AGE_BINS, right=False,
                                  labels=schema.AGE_GROUP_LABELS).astype(str)
    for col in ("municipality", "client_id", "gender", "target_group", "end_reason", "pathway", "age_group"):
        clients[col] = clients[col].astype("str").where(clients[col].notna())

    # Contacts: Poisson number per client, dates inside the episode.
    stop = clients["end_date"].fillna(EXPORT_DATE)
    n_contacts = rng.poisson(10, len(clients))
    idx = np.repeat(np.arange(len(clients)), n_contacts)
    span = (stop - clients["start_date"]).dt.days.to_numpy()[idx]
    offset = np.floor(rng.random(idx.size) * (span + 1)).astype(int)
    contacts = pd.DataFrame({
        "municipality": clients["municipality"].to_numpy()[idx],
        "client_id": clients["client_id"].to_numpy()[idx],
        "date": clients["start_date"].to_numpy()[idx] + pd.to_timedelta(offset, "D"),
        "minutes": rng.integers(30, 180, idx.size).astype("int64"),
        "mode": rng.choice(list(schema.CONTACT_MODE_LABELS), idx.size, p=[0.6, 0.3, 0.1]),
        "content": rng.choice(list(schema.CONTACT_CONTENT_LABELS), idx.size),
    })

    has_plan = rng.random(len(clients)) < 0.75
    n_goals = np.where(has_plan, rng.integers(1, 4, len(clients)), 0)
    gidx = np.repeat(np.arange(len(clients)), n_goals)
    goals = pd.DataFrame({
        "municipality": clients["municipality"].to_numpy()[gidx],
        "client_id": clients["client_id"].to_numpy()[gidx],
        "goal_no": (pd.Series(gidx).groupby(gidx).cumcount() + 1).astype("int64").to_numpy(),
        "life_area": rng.choice(list(schema.LIFE_AREA_LABELS), gidx.size),
        "weight": 1.0,
        "set_date": clients["start_date"].to_numpy()[gidx] + pd.to_timedelta(7, "D"),
        "baseline_level": -1.0,
    })

    n_act = 60
    activities = pd.DataFrame({
        "municipality": rng.choice(list(MUNICIPALITIES), n_act),
        "date": pd.Timestamp("2016-02-01") + pd.to_timedelta(rng.integers(0, 1000, n_act), "D"),
        "activity_type": rng.choice(list(schema.ACTIVITY_TYPE_LABELS), n_act),
        "theme": "teema",
        **{role: rng.integers(0, 8, n_act).astype("int64") for role in schema.ACTIVITY_ROLES},
    })

    quality = pd.DataFrame([
        {"municipality": m, "year": y, "criterion": c,
         "rating": int(min(4, 1 + (c + y - 2016 + i) % 4))}
        for i, m in enumerate(MUNICIPALITIES) for y in (2016, 2017, 2018) for c in range(1, 11)
    ]).astype({"year": "int64", "criterion": "int64", "rating": "int64"})

    subprojects = pd.DataFrame({"municipality": list(MUNICIPALITIES),
                                "name": ["Vantaa", "Jyväskylä", "Laukaa"],
                                "planned_clients": np.array([100, 90, 20], dtype="int64")})

    # 3X10D baseline and end responses for half the clients.
    who = clients.sample(frac=0.5, random_state=seed)
    items = schema.assessment_table("3x10d").columns[4:]
    rows = []
    for occasion, shift in (("baseline", 0.0), ("end", 0.8)):
        frame = who[["client_id", "municipality"]].copy()
        frame["date"] = who["start_date"] + pd.to_timedelta(3 if occasion == "baseline" else 200, "D")
        frame["occasion"] = occasion
        latent = rng.normal(5.5 + shift, 1.5, len(who))
        for col in items:
            frame[col.name] = np.clip(np.round(latent + rng.normal(0, 1.2, len(who))), 0, 10)
        rows.append(frame)
    responses = pd.concat(rows, ignore_index=True)
    return {"clients": clients, "contacts": contacts, "goals": goals, "activities": activities,
            "quality": quality, "subprojects": subprojects, "responses_3x10d": responses}


def instrument_responses(clients: pd.DataFrame, inst_id: str, shift: float, seed: int = 3) -> pd.DataFrame:
    """Baseline/end responses of one instrument for 60 % of the clients (seeded)."""
    from soskulib import instruments

    rng = np.random.default_rng(seed)
    inst = instruments.get(inst_id)
    who = clients.sample(frac=0.6, random_state=seed)
    parts = []
    for occasion, delta in (("baseline", 0.0), ("end", shift)):
        frame = who[["client_id", "municipality"]].reset_index(drop=True)
        frame["date"] = (who["start_date"] + pd.to_timedelta(3 if occasion == "baseline" else 150,
                                                             "D")).to_numpy()
        frame["occasion"] = occasion
        latent = rng.normal(0.5 + delta, 0.8, len(who))
        for item in inst.items:
            lo, hi = inst.item_range(item)
            frame[item] = np.clip(np.round(lo + (hi - lo) * (latent + rng.normal(0, 0.6, len(who)))
                                           / 2), lo, hi)
        parts.append(frame)
    return pd.concat(parts, ignore_index=True)



def synthetic_responses(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """ESIS improving (higher is better), WHODAS-12 improving by going down, and 3X10D."""
    return {"esis": instrument_responses(tables["clients"], "esis", 0.3),
            "whodas12": instrument_responses(tables["clients"], "whodas12", -0.3, seed=4),
            "3x10d": tables["responses_3x10d"]}
