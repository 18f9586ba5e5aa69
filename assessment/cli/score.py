"""``assess score``: dimension scores, how far to trust them, traces and round comparisons.

Only parses options and formats output; the numbers come from :mod:`assessment.scoring`.
pandas and numpy are imported inside the command so that ``assess --help`` stays instant.
"""

from __future__ import annotations

from typing import Any

import click

from . import cli, format_option, workspace_from, workspace_option


def _fmt(value: Any, spec: str = ".1f", none: str = "-") -> str:
    return none if value is None else format(value, spec)


def _table(headers: list[str], rows: list[list[str]], right: set[int] | None = None) -> str:
    """A plain monospace table (no colours, so it survives copy-paste into e-mail)."""
    right = right if right is not None else set(range(1, len(headers)))
    widths = [max(len(str(x)) for x in [h, *[r[i] for r in rows]]) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *[line(r) for r in rows]])


def _csv(headers: list[str], rows: list[list[Any]]) -> str:
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return buf.getvalue().rstrip("\n")


# ------------------------------------------------------------------------------ score


def _header(data: dict[str, Any]) -> str:
    line = (f"{data['questionnaire']['id']} v{data['questionnaire']['version']}: {data['respondents']} respondents "
            f"scored, {data['aggregation']} aggregation")
    excluded = data["excluded"]
    if excluded["count"]:
        why = ", ".join(f"{n} {flag}" for flag, n in excluded["by_flag"].items())
        line += (f"; {excluded['count']} left out for quality flags ({why}; --include-flagged scores them)")
    return line


def _breakdown_table(data: dict[str, Any], min_group: int) -> list[str]:
    breakdown = data.get("breakdown")
    if not breakdown:
        return []
    dims = [d["id"] for d in data["dimensions"]]
    b_rows = [[g["label"] + (" *" if g["respondents"] < min_group else ""), str(g["respondents"]),
               *[_fmt(g["dimensions"].get(d)) for d in dims], _fmt(g["overall"])] for g in breakdown["groups"]]
    out = ["", f"By {breakdown['by']}:", _table([breakdown["by"].title(), "n", *dims, "overall"], b_rows)]
    if any(g["respondents"] < min_group for g in breakdown["groups"]):
        out.append(f"* fewer than {min_group} respondents: identifiable, for your eyes only (client-facing "
                   "outputs show no number for such a group)")
    return out


def _score_table(data: dict[str, Any], min_group: int = 5) -> str:
    headers = ["Dimension", "Score", "Level", "95% CI", "n", "Coverage", "Alpha", "rwg", "Gap", "Flags"]
    rows = []
    for d in data["dimensions"]:
        ci = f"{_fmt(d['ci_low'], '.0f')}-{_fmt(d['ci_high'], '.0f')}" if d["ci_low"] is not None else "-"
        gap = d["perception_gap"]
        gap_text = _fmt(gap["difference"], "+.0f") if gap["comparable"] else "n/c"
        rows.append([d["title"], _fmt(d["score"]), d["level_name"] or "-", ci, str(d["n_respondents"]),
                     _fmt(d["coverage"], ".0%"), _fmt(d["alpha"], ".2f"), _fmt(d["rwg"], ".2f"),
                     gap_text, ", ".join(f["code"] for f in d["flags"]) or "-"])
    o = data["overall"]
    t = data["thresholds"]
    ci = f"{_fmt(o['ci_low'], '.1f')}-{_fmt(o['ci_high'], '.1f')}" if o["ci_low"] is not None else "-"
    out = [_header(data), "",
           _table(headers, rows, right={1, 3, 4, 5, 6, 7, 8}), "",
           f"Overall: {_fmt(o['score'])} ({o['level_name'] or '-'}, level {_fmt(o['level'], 'd')}), 95% CI {ci}"]
    sens = data.get("sensitivity") or {}
    if sens.get("weakest"):
        verdict = "holds" if sens.get("stable") else "is NOT stable"
        share = sens.get("random", {}).get("same_share")
        out.append(f"Weakest {sens['n']}: {', '.join(sens['weakest'])}; the ranking {verdict} under "
                   f"+/-{sens['delta']:.0%} weight changes"
                   + (f" (kept in {share:.0%} of random draws)" if share is not None and sens.get("random", {}).get(
                       "draws") else ""))
    out.append(
        f"Thresholds: low-coverage < {t['coverage_min']:.0%} answered; low-reliability alpha < {t['alpha_min']:.2f} "
        f"(reliability-unknown below 2 items or {t['alpha_min_respondents']} respondents); no-consensus rwg < "
        f"{t['rwg_min']:.2f} (agreement-indicative below {t['rwg_min_respondents']} respondents); perception-gap "
        f">= {t['perception_gap_points']:g} points (leadership - practitioners, on the statements both groups "
        f"answered; n/c = no such statement); borderline = 95% CI crosses a level boundary; few-respondents n < "
        f"{t['min_respondents']}. CI: {t['ci_level']:.0%} bootstrap (within roles when every role has 3 or more "
        f"respondents with a score; none below 3 respondents), {t['n_resamples']} resamples, seed {t['seed']}.")
    out += _breakdown_table(data, min_group)
    return "\n".join(out)


def _score_csv(data: dict[str, Any]) -> str:
    roles = list(dict.fromkeys(r for d in data["dimensions"] for r in d["by_role"]))
    groups = [g for g in (data.get("breakdown") or {}).get("groups", [])]
    by = (data.get("breakdown") or {}).get("by")
    headers = ["dimension", "title", "score", "level", "level_name", "ci_low", "ci_high", "n_respondents",
               "coverage", "alpha", "rwg", "gap_leadership", "gap_practitioners", "gap_difference", "hedges_g",
               "flags", *[f"role:{r}" for r in roles]]
    if by and by != "role":
        headers += [f"{by}:{g['id']}" for g in groups]
    rows = []
    for d in data["dimensions"]:
        gap = d["perception_gap"]
        row = [d["id"], d["title"], d["score"], d["level"], d["level_name"], d["ci_low"], d["ci_high"],
               d["n_respondents"], d["coverage"], d["alpha"], d["rwg"], gap["leadership"], gap["practitioners"],
               gap["difference"], gap["hedges_g"], " ".join(f["code"] for f in d["flags"]),
               *[d["by_role"].get(r) for r in roles]]
        if by and by != "role":
            row += [g["dimensions"].get(d["id"]) for g in groups]
        rows.append(row)
    return _csv(headers, rows)


# ---------------------------------------------------------------------------- explain


def _explain_output(frame: Any, fmt: str) -> str:
    from ..fileio import dump_json

    roles = frame.attrs["roles"]
    if fmt == "json":
        data = {"dimension": frame.attrs["dimension"], "aggregation": frame.attrs["aggregation"],
                "score": frame.attrs["score"], "steps": frame.attrs["steps"],
                "items": frame.to_dict(orient="records"), "roles": roles.to_dict(orient="records")}
        from ..scoring.result import clean as _clean

        return dump_json(_clean(data))
    if fmt == "csv":
        return frame.to_csv(index=False).rstrip("\n")
    headers = ["Question", "Weight", "Rev", "Asked", "n", "N/A", "Blank", "Answers (value: count)", "Raw mean",
               "Item score", "Share", "Points"]
    rows = [[r.question_id, f"{r.weight:g}", "yes" if r.reverse else "", str(r.asked), str(r.n), str(r.na),
             str(r.blank), r.raw_distribution or "-", _fmt(_nan_none(r.raw_mean), ".2f"),
             _fmt(_nan_none(r.keyed_mean)), _fmt(_nan_none(r.weight_share), ".0%"),
             _fmt(_nan_none(r.contribution), ".2f")] for r in frame.itertuples()]
    role_rows = [[r.role, r.group, f"{r.role_weight:g}", str(r.respondents), str(r.scored),
                  _fmt(_nan_none(r.mean)), _fmt(r.share, ".0%")] for r in roles.itertuples()]
    score = frame.attrs["score"]
    out = [f"How the {frame.attrs['dimension']} score of {_fmt(score)} was computed "
           f"({frame.attrs['aggregation']}):", "",
           _table(headers, rows, right={1, 3, 4, 5, 6, 8, 9, 10, 11}), "",
           "Points = each item's contribution to the dimension score (they add up to it).", "",
           _table(["Role", "Group", "Weight", "Respondents", "Scored", "Mean", "Share"], role_rows,
                  right={2, 3, 4, 5, 6}), "", "Steps:"]
    out += [f"  {i}. {s}" for i, s in enumerate(frame.attrs["steps"], 1)]
    texts = [f"  {r.question_id}: {r.text}" for r in frame.itertuples()]
    return "\n".join(out + ["", "Questions:", *texts])


def _nan_none(value: Any) -> float | None:
    return None if value is None or value != value else float(value)


# ---------------------------------------------------------------------------- compare


def _compare_output(data: dict[str, Any], fmt: str) -> str:
    from ..fileio import dump_json

    a, b = data["rounds"]
    if fmt == "json":
        return dump_json(data)
    entries = [("overall", "Overall", data["overall"])] + [(d["id"], d["title"], d) for d in data["dimensions"]]
    if fmt == "csv":
        headers = ["dimension", a, b, "change", "ci_low", "ci_high", "significant", "verdict"]
        return _csv(headers, [[i, e[a], e[b], e["change"], e["ci_low"], e["ci_high"], e["significant"],
                               e["verdict"]] for i, _, e in entries])
    rows = []
    for _, title, e in entries:
        ci = f"{_fmt(e['ci_low'], '+.1f')} to {_fmt(e['ci_high'], '+.1f')}" if e["ci_low"] is not None else "-"
        rows.append([title, _fmt(e[a]), _fmt(e[b]), _fmt(e["change"], "+.1f"), ci, e["verdict"] or "-"])
    out = [f"Change from {a} ({data['respondents'][a]} respondents) to {b} ({data['respondents'][b]}):", "",
           _table(["Dimension", a, b, "Change", "95% CI of change", "Verdict"], rows), "",
           f"CI: {data['ci_level']:.0%} bootstrap, {data['method']} "
           f"({data['matched_respondents']} respondents matched across rounds), {data['n_resamples']} resamples, "
           f"seed {data['seed']}; a change is beyond the noise when the CI excludes 0 and each round has 5 or more "
           "respondents with a score (matched respondents when paired); with fewer: too few to tell."]
    if data["left_out_questions"]:
        out.append(f"Compared on the {data['common_questions']} questions answered in both rounds; left out: "
                   f"{', '.join(data['left_out_questions'])}.")
    if data["left_out_dimensions"]:
        out.append(f"Dimensions with no common question (not compared): {', '.join(data['left_out_dimensions'])}.")
    return "\n".join(out)


# ---------------------------------------------------------------------------- command


@cli.command()
@workspace_option
@click.option("--by", type=click.Choice(["role", "unit"]), default=None,
              help="Add dimension scores per role or per business unit.")
@format_option("table", "json", "csv",
               help="table for reading, json for tools (null = not computable; see docs/json.md), csv = one row "
                    "per dimension.")
@click.option("--unit", default=None, metavar="NAME",
              help="Score one business unit only (its name or an unambiguous prefix, case-insensitive).")
@click.option("--round", "round_", default=None, metavar="NAME", help="Assessment round (default: the current one).")
@click.option("--explain", "explain_dim", default=None, metavar="DIMENSION",
              help="Show how one dimension's score was computed, item by item and role by role (its id, "
                   "title or an unambiguous prefix, case-insensitive).")
@click.option("--resamples", type=click.IntRange(min=100), default=2000, show_default=True,
              help="Bootstrap resamples for the 95% confidence intervals.")
@click.option("--seed", type=int, default=20240501, show_default=True, help="Bootstrap seed (same seed, same CI).")
@click.option("--aggregation", type=click.Choice(["role-balanced", "pooled"]), default=None,
              help="Override the questionnaire's aggregation of respondents into a dimension score.")
@click.option("--compare", nargs=2, default=None, metavar="BASELINE CURRENT",
              help="Compare two rounds: both scores, the change and its 95% CI, per dimension and overall.")
@click.option("--sensitivity/--no-sensitivity", default=None,
              help="Check whether the weakest friction points stay the weakest when weights move by 20%. "
                   "Default: on for the table, off for json/csv (it costs a second on large surveys).")
@click.option("--include-flagged", is_flag=True,
              help="Score respondents whose quality flags engagement.yaml excludes (exclude_flags; by default "
                   "speeders and straight-liners), as a sensitivity check.")
@click.pass_context
def score(ctx: click.Context, by: str | None, fmt: str, unit: str | None, round_: str | None,
          explain_dim: str | None, resamples: int, seed: int, aggregation: str | None,
          compare: tuple[str, str] | None, sensitivity: bool | None, include_flagged: bool) -> None:
    """Score the imported responses: per friction point a 0-100 score, maturity level,
    95% CI, coverage, reliability (alpha), agreement (rwg), perception gap and trust flags.

    \b
    Examples:
      assess score                          the table, with thresholds in the footer
      assess score --by unit --format csv   one row per dimension, a column per unit
      assess score --explain governance     how the governance score was computed
      assess score --compare baseline day-90
    """
    from ..errors import AssessmentError
    from ..fileio import dump_json
    from ..pipeline import evaluate, exclude_flags, load_round, resolve_dimension, resolve_unit
    from ..scoring import compare_rounds, explain
    from ..store import load_workspace_responses

    ws = workspace_from(ctx)
    q = ws.questionnaire
    if explain_dim:
        explain_dim = resolve_dimension(q, explain_dim)
    if unit:
        unit = resolve_unit(ws, unit, round=compare[-1] if compare else round_)
    where = f" for unit {unit!r}" if unit else ""
    excluded_flags = exclude_flags(ws, include_flagged)

    if compare:
        if explain_dim or by:
            raise click.UsageError("--compare cannot be combined with --explain or --by")
        rounds = []
        for name in compare:
            resp = load_workspace_responses(ws, round=name, unit=unit)
            if len(resp) == 0:
                raise AssessmentError(f"round {name!r} has no respondents{where}; nothing to compare",
                                      file=ws.store_path)
            rounds.append(resp)
        data = compare_rounds(q, rounds[0], rounds[1], aggregation=aggregation, n_resamples=resamples, seed=seed,
                              names=(compare[0], compare[1]), exclude_flags=excluded_flags)
        click.echo(_compare_output(data, fmt))
        return

    if explain_dim:
        if by:
            raise click.UsageError("--explain cannot be combined with --by")
        _, responses = load_round(ws, round=round_, unit=unit)
        click.echo(_explain_output(explain(q, responses, explain_dim, aggregation=aggregation,
                                           exclude_flags=excluded_flags), fmt))
        return
    if sensitivity is None:
        sensitivity = fmt == "table"
    result = evaluate(ws, round=round_, unit=unit, plan=False, aggregation=aggregation, n_resamples=resamples,
                      seed=seed, by=by, sensitivity=sensitivity, include_flagged=include_flagged).scores
    data = result.to_dict()
    if fmt == "json":
        click.echo(dump_json(data))
    elif fmt == "csv":
        click.echo(_score_csv(data))
    else:
        click.echo(_score_table(data, ws.engagement.min_group_size))
