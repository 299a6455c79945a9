"""The development-work and client-change tables (process, outcomes, mechanisms) on demo data.

Input: the processed tables of ``sosku demo --clients N`` after ``sosku prepare``, loaded
before timing. Timed: :func:`soskulib.process.client_episodes` (the per-episode table) and
every figure of :mod:`soskulib.process` computed from it, nationally and per municipality:
reach, entries, composition, exits, time in service (Kaplan–Meier), dose, fidelity, fidelity
index, §17 contents received, pathways, the dropout run/SPC chart, the quarterly frame,
quality profile and change, co-development activity, change scores and the mechanisms
regression. The floor is a groupby count over the same tables: episodes per municipality,
contacts and minutes per client, goals per client, responses per municipality and occasion.
"""

from __future__ import annotations

import warnings

from benchmarks import _data

TITLE = "Development-work and change tables (process, outcomes, mechanisms), prepared demo data"
SIZE_UNIT = "clients (sosku demo --clients N)"
TARGET = None
AUTORANGE = True
WARMUP = True
FLOOR = ("pandas: groupby counts over the same tables (episodes per municipality, contacts, "
         "minutes and goals per client, responses per municipality × occasion)")
TABLES = ("clients", "contacts", "goals", "subprojects", "activities", "quality")


def sizes(options: dict) -> list[int]:
    return list(options["sizes"])


def make_data(size: int, options: dict) -> None:
    _data.processed(size, options)


def setup(size: int, options: dict) -> dict:
    from soskulib import io, schema

    processed = _data.processed(size, options)
    tables = {t: io.load_processed(processed, t) for t in TABLES}
    tables["responses"] = {i: io.load_processed(processed, f"responses_{i}")
                           for i in schema.ASSESSMENT_INSTRUMENTS}
    return tables


def run(t: dict) -> dict:
    from soskulib import outcomes, process, synthesis

    ep = process.client_episodes(t["clients"], t["contacts"], t["goals"])
    changes = outcomes.change_scores(t["responses"])
    figures = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for by in (None, "municipality"):
            figures[f"reach_{by}"] = process.reach(ep, t["subprojects"], by=by)
            figures[f"entries_{by}"] = process.entries(ep, by=by)
            figures[f"composition_{by}"] = process.composition(ep, by=by)
            figures[f"exits_{by}"] = process.exits(ep, by=by)
            figures[f"time_{by}"] = process.time_in_service(ep, by=by)
            figures[f"dose_{by}"] = process.dose(ep, by=by)
            figures[f"fidelity_{by}"] = process.fidelity(ep, by=by)
            figures[f"fidelity_index_{by}"] = process.fidelity_index(ep, by=by)
            figures[f"contents_{by}"] = process.contents_received(ep, by=by)
            figures[f"pathways_{by}"] = process.pathways(ep, by=by)
            figures[f"dropout_{by}"] = process.dropout_chart(ep, by=by)
            figures[f"codevelopment_{by}"] = process.codevelopment(t["activities"], by=by)
        figures["quarterly"] = process.quarterly_frame(ep, t["activities"], changes)
        figures["quality_profile"] = process.quality_profile(t["quality"])
        figures["quality_change"] = process.quality_change(t["quality"])
        figures["mechanisms"] = synthesis.mechanisms(ep, changes)
    return {"figures": len(figures), "episodes": len(ep)}


def floor(t: dict) -> dict:
    counts = [
        t["clients"].groupby("municipality").size(),
        t["contacts"].groupby("client_id").agg(n=("minutes", "size"), minutes=("minutes", "sum")),
        t["goals"].groupby("client_id").size(),
        *(r.groupby(["municipality", "occasion"]).size() for r in t["responses"].values()),
    ]
    return {"groups": int(sum(len(c) for c in counts))}
