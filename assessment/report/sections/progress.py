"""Progress since the previous round, and the plan saved at that round next to what was measured.

The comparison is :func:`assessment.scoring.compare_rounds`' result. The saved plan is
the JSON ``assess plan --save`` wrote: newer files carry each milestone's action ids,
delivered titles, KPIs and where they are measured; older ones only its ``outcome``
and ``measure`` sentences, which are shown as written, never parsed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..formatting import MISSING, fmt_ci, fmt_score, fmt_signed, num
from .plan import REASSESSMENT_MEASURE

if TYPE_CHECKING:
    from ..basis import Basis


#: The comparison's verdicts as the report words them (a verdict not listed is shown as it is).
STATUS = {"no change beyond the noise": "stalled", None: "not measured"}


def _row(d: Mapping[str, Any], title: str, names: list[str]) -> dict[str, Any]:
    change = num(d["change"])
    return {"id": d["id"], "title": title, "status": STATUS.get(d["verdict"], d["verdict"]),
            "baseline": fmt_score(d[names[0]]), "current": fmt_score(d[names[1]]), "change": fmt_signed(change),
            "ci": fmt_ci(d["ci_low"], d["ci_high"]), "significant": bool(d["significant"]),
            "baseline_value": num(d[names[0]]), "change_value": change}


def _lead(rows: list[dict[str, Any]], base_name: str) -> str:
    moved = [r for r in rows if r["significant"]]
    unknown = [r for r in rows if r["status"] not in ("improved", "got worse", "stalled")]
    if len(unknown) == len(rows):
        return f"Since {base_name}, too few respondents took part to tell whether any friction point moved."
    untold = (f"; for {len(unknown)} of {len(rows)} there are too few respondents to tell" if unknown else "")
    if not moved:
        return f"Since {base_name}, no friction point has moved beyond the margin of error{untold}."
    best = max(moved, key=lambda r: abs(r["change_value"] or 0))
    return (f"Since {base_name}, {len(moved)} of {len(rows)} friction points moved beyond the margin of error; "
            f"the largest change is {best['title']} ({best['change']} points){untold}.")


def progress_section(b: Basis) -> dict[str, Any] | None:
    """The progress chapter's context, or None without an earlier round."""
    p = b.inputs.progress
    if not p:
        return None
    titles = {d.id: d.title for d in b.q.dimensions}
    by_id = {d["id"]: d for d in p["dimensions"]}
    rows = [_row(by_id[qd.id], qd.title, p["rounds"]) for qd in b.q.dimensions if qd.id in by_id]
    base_name, cur_name = p["baseline_round"], p["current_round"]
    left_out = [str(x) for x in p["left_out_questions"]]
    note = (f"The questionnaire changed between the rounds: {len(left_out)} question(s) asked in only one round "
            f"were left out of the comparison ({', '.join(left_out)})." if left_out else "")
    saved = p.get("saved_plan")
    by_row = {r["id"]: r for r in rows}
    return {"baseline_name": base_name, "current_name": cur_name, "rows": rows, "lead": _lead(rows, base_name),
            "note": note, "tracking": _tracking(saved, by_row, titles) if saved else [],
            "milestones": _milestones(saved, by_row, titles) if saved else []}


def _tracking(saved: Mapping[str, Any], rows: Mapping[str, dict], titles: Mapping[str, str]) -> list[dict[str, Any]]:
    """The saved plan's actions, each next to how its friction point moved."""
    out = []
    for a in saved["actions"]:
        row = rows.get(a["dimension"])
        out.append({"id": a["id"], "title": a["title"], "dimension": titles.get(a["dimension"], a["dimension"]),
                    "days": f"{a['start_day']}-{a['end_day']}", "change": row["change"] if row else MISSING,
                    "status": row["status"] if row else "not measured"})
    return out


def _due_actions(saved: Mapping[str, Any], day: int) -> set[str]:
    """Ids of the saved plan's actions delivered by ``day``: from the milestones' action ids
    when the file has them, else from the actions' end days."""
    milestones = saved["milestones"]
    if all("actions" in m for m in milestones):
        return {aid for m in milestones if m["day"] <= day for aid in m["actions"]}
    return {a["id"] for a in saved["actions"] if a["end_day"] <= day}


def _milestones(saved: Mapping[str, Any], rows: Mapping[str, dict],
                titles: Mapping[str, str]) -> list[dict[str, Any]]:
    """Each saved milestone (what was promised, how it was to be measured) next to what the
    re-assessment measured on the friction points of the actions delivered by then."""
    dim_of = {a["id"]: a["dimension"] for a in saved["actions"]}
    out = []
    for m in saved["milestones"]:
        dims = sorted({dim_of[a] for a in _due_actions(saved, m["day"]) if a in dim_of})
        measured = "; ".join(f"{titles.get(d, d)} {rows[d]['change']} ({rows[d]['status']})"
                             for d in dims if d in rows)
        out.append({"day": m["day"], **_promise(m), "measured": measured or MISSING})
    return out


def _promise(m: Mapping[str, Any]) -> dict[str, Any]:
    """What a saved milestone promised and how it was to be measured: the structured fields
    when the file has them, else its two sentences as written."""
    if "delivered" not in m or "measures" not in m:
        return {"promised": [m["outcome"]], "measures": [m["measure"]], "measured_on": ""}
    measures = list(m["measures"]) or [m["pnl_measure"]]
    if m["reassessment"]:
        measures.append(REASSESSMENT_MEASURE)
    return {"promised": list(m["delivered"]) or [m["outcome"]], "measures": measures,
            "measured_on": m["measured_on"] if m["measures"] else ""}
