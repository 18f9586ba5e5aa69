"""``assess plan``: the 90-day hardening plan, as a terminal table or JSON.

The logic lives in :mod:`assessment.planning`; this module loads the workspace,
scores its responses, and formats what comes back.
"""

from __future__ import annotations

from typing import Any

import click

from . import cli, format_option, show_path, workspace_from, workspace_option


def _shares(values: tuple[str, ...]) -> list[float]:
    """Parse ``0.3 0.5`` or ``0.3,0.5`` into floats; a clear message for anything else."""
    from ..errors import PlanError

    out: list[float] = []
    for value in values:
        for part in value.replace(",", " ").split():
            try:
                share = float(part)
            except ValueError:
                share = float("nan")
            if not 0 <= share <= 1:  # also catches nan
                raise PlanError(f"--compare: {part!r} is not a share between 0 and 1")
            out.append(share)
    return out


@cli.command()
@workspace_option
@format_option("table", "json", "csv",
               help="table: readable in a terminal; json: the plan as data (Plan.to_dict(), see docs/json.md); "
                    "csv: one row per funded action (with --compare, one per scenario).")
@click.option("--max-shift", type=float, default=None,
              help="Largest share (0-1) of the new-model budget the plan may move to hardening. "
                   "Default: budget.max_shift in engagement.yaml.")
@click.option("--compare", is_flag=True,
              help="Compare scenarios instead: give the max-shift shares to compare after the options, "
                   "e.g. `assess plan --compare 0.3 0.5 0.7` (a comma list also works).")
@click.option("--round", "round_name", default=None,
              help="Score the responses of this round (default: the store's current round).")
@click.option("--save", is_flag=True,
              help="Also write the plan JSON to <workspace>/plans/<round>.json (atomically), "
                   "so the day-90 report can compare against it.")
@click.option("--include-flagged", is_flag=True,
              help="Plan from scores that include respondents whose quality flags engagement.yaml excludes.")
@click.argument("shares", nargs=-1, metavar="[SHARE]...")
@click.pass_context
def plan(ctx: click.Context, fmt: str, max_shift: float | None, compare: bool, round_name: str | None,
         save: bool, include_flagged: bool, shares: tuple[str, ...]) -> None:
    """The 90-day plan: move budget from new models to hardening the most valuable deployment.

    Scores the workspace's responses, picks the production or staging deployment with
    the largest value at stake, moves part of the new-model budget to hardening (the
    rule is printed), funds the library's actions most-severe-first within it, and
    schedules them in three 30-day phases with named business and technology owners.

    \b
    Examples:
      assess plan                           the plan as a table
      assess plan --format json --save      as JSON, and keep it under plans/
      assess plan --max-shift 0.3           a more cautious cap than engagement.yaml's
      assess plan --compare 0.3 0.5 0.7     what each cap would buy, side by side
    """
    from ..errors import PlanError
    from ..fileio import dump_json, write_text_atomic
    from ..pipeline import evaluate
    from ..planning import compare_scenarios, eligible

    if shares and not compare:
        raise click.UsageError("SHARE values are only for --compare (e.g. `assess plan --compare 0.3 0.5`).")
    values = _shares(shares)
    if compare and not values:
        raise click.UsageError("--compare needs the shares to compare, e.g. `assess plan --compare 0.3 0.5 0.7`.")
    if max_shift is not None and not 0 <= max_shift <= 1:
        raise PlanError(f"--max-shift must be a share between 0 and 1, got {max_shift:g}")

    ws = workspace_from(ctx)
    engagement = ws.engagement
    try:
        eligible(engagement)  # fail on engagement.yaml before scoring anything
    except PlanError as exc:
        raise PlanError(exc.message, file=ws.engagement_path) from None
    questionnaire = ws.questionnaire
    ev = evaluate(ws, round=round_name, max_shift=max_shift, sensitivity=False, include_flagged=include_flagged)
    if ev.plan is None:
        raise ev.plan_error or PlanError("no plan could be built", file=ws.engagement_path)
    data = {"client": engagement.client, "round": ev.round, **ev.plan.to_dict()}
    scores = ev.scores
    name = ev.round

    if save:
        path = write_text_atomic(ws.plan_path(name), dump_json(data) + "\n")
    if compare:
        rows = compare_scenarios(questionnaire, engagement, scores, values)
        if fmt == "json":
            click.echo(dump_json({"currency": engagement.currency, "target": data["target"]["id"],
                                  "scenarios": rows}))
        elif fmt == "csv":
            from .score import _csv

            keys = ["max_shift", "shift", "new_models_after", "hardening_after", "actions_funded", "total_cost",
                    "unfunded"]
            click.echo(_csv([*keys, "dimensions_covered", "action_ids", "pause"],
                            [[r[k] for k in keys] + [" ".join(r["dimensions_covered"]), " ".join(r["action_ids"]),
                                                     " ".join(r["pause"])] for r in rows]))
        else:
            click.echo(_compare_table(rows, data, questionnaire))
    elif fmt == "json":
        click.echo(dump_json(data))
    elif fmt == "csv":
        from .score import _csv

        rows = ev.plan.action_rows()
        click.echo(_csv(list(ev.plan.ACTION_COLUMNS), [[r[k] for k in ev.plan.ACTION_COLUMNS] for r in rows]))
    else:
        click.echo(_plan_table(data, questionnaire))
    if save:
        click.echo(f"Saved {show_path(path)}", err=fmt != "table")


# -- formatting ----------------------------------------------------------------------------


def _width() -> int:
    import shutil

    return max(60, min(110, shutil.get_terminal_size((100, 24)).columns))


def _wrap(text: str, indent: int, first: str = "") -> str:
    import textwrap

    pad = " " * indent
    return textwrap.fill(text, width=_width(), initial_indent=pad + first,
                         subsequent_indent=pad + " " * len(first))


def _money(value: float) -> str:
    return f"{value:,.2f}"


def _target_lines(d: dict[str, Any]) -> list[str]:
    cur, t = d["currency"], d["target"]
    lines = [f"TARGET  {t['name']} [{t['id']}, {t['stage']}]  P&L metric: {t['pnl_metric']}"
             + ("  (named by engagement.yaml)" if t["override"] else ""),
             f"  Jointly accountable for its realised value: {t['business_owner']} (business) and "
             f"{t['technology_owner']} (technology)"]
    if d["sponsor"]:
        lines.append(f"  Sponsor, clears escalations: {d['sponsor']['name']}"
                     + (f", {d['sponsor']['title']}" if d["sponsor"]["title"] else ""))
    lines.append(_wrap(t["why"], 2, "Why: "))
    kpi = d["kpi"]
    if kpi and not d["kpi_missing"]:
        unit = f" {kpi['unit']}" if kpi["unit"] else ""
        lines.append(f"  Day-90 P&L target: {kpi['metric']} {kpi['baseline']:g}{unit} -> {kpi['target_90d']:g}{unit} "
                     f"(measured {kpi['measured_by']})")
    else:
        lines.append(_wrap(d["kpi_missing"], 2, "Day-90 P&L target: none; "))
    lines += ["", "SCORECARD (production and staging, best risk-adjusted value first)"]
    w = max(len(x["name"]) for x in d["scorecard"])
    for x in d["scorecard"]:
        mark = "*" if x["id"] == t["id"] else " "
        lines.append(f" {mark}{x['rank']:>2}. {x['name']:<{w}}  {x['stage']:<10} at stake {cur} "
                     f"{_money(x['value_at_stake']):>14}  {x['value_basis']:<13} hardening {_money(x['hardening_cost']):>12}"
                     f"  risk-adjusted {_money(x['risk_adjusted_value']):>14}")
    return lines


def _budget_lines(d: dict[str, Any], titles: dict[str, str]) -> list[str]:
    cur, b = d["currency"], d["budget"]
    lines = [f"BUDGET ({cur}, 90 days)      before            after"]
    for key, label in (("new_models", "New models"), ("hardening", "Hardening")):
        lines.append(f"  {label:<20} {_money(b['before'][key]):>16} {_money(b['after'][key]):>16}")
    lines.append(f"  Shift to hardening: {cur} {_money(b['shift'])}")
    lines.append(_wrap(b["rule"], 2, "Rule: "))
    lines.append("  Hardening budget after the shift, by friction point:")
    for dim_id, amount in b["by_dimension"].items():
        label = "Contingency and unallocated" if dim_id == "contingency" else titles.get(dim_id, dim_id)
        lines.append(f"    {label:<32} {_money(amount):>16}")
    lines += ["", "WHERE THE MONEY COMES FROM"]
    for f in d["funding"]:
        lines.append(f"  {f['decision']:<9} {f['name']:<44} {cur} {_money(f['amount']):>14}"
                     + (f"  value forgone {_money(f['value_forgone'])}" if f["value_forgone"] else ""))
        if f["restart_condition"]:
            lines.append(_wrap(f"{f['restart_condition']} (day {f['earliest_restart_day']} at the earliest)", 12,
                               "restart when: "))
    return lines


def _action_lines(d: dict[str, Any], titles: dict[str, str]) -> list[str]:
    cur = d["currency"]
    lines = [f"ACTIONS ({len(d['actions'])} funded, {cur} {_money(d['total_cost'])} before contingency)"]
    for phase in (1, 2, 3):
        acts = [a for a in d["actions"] if a["phase"] == phase]
        lines.append(f"  Phase {phase} (days {30 * (phase - 1) + 1}-{30 * phase})" + ("" if acts else ": nothing"))
        for a in acts:
            lines.append(f"    {a['id']}  {a['title']}  [{titles.get(a['dimension'], a['dimension'])}]")
            lines.append(f"      days {a['start_day']}-{a['end_day']}  cost {cur} {_money(a['cost'])}"
                         + (f"  after {', '.join(a['after'])}" if a["after"] else ""))
            acc = a["accountable"]
            lines.append(_wrap(f"{acc['name']} ({acc['role_label']})", 6, "accountable: "))
            if a["responsible"]:
                lines.append(_wrap("; ".join(f"{r['name']} ({r['role_label']})" for r in a["responsible"]), 6,
                                   "responsible: "))
            lines.append(_wrap(a["kpi"], 6, "KPI: "))
    if d["unfunded"]:
        lines.append("  Not funded:")
        for u in d["unfunded"]:
            lines.append(_wrap(u["reason"], 4, f"{u['id']}: "))
    share = d["loop_effort_share"]
    lines.append(f"  Loop-closing share of day 1-30 effort: {share['share']:.0%} (the plan aims at "
                 f"{share['target']:.0%})")
    return lines


def _plan_table(d: dict[str, Any], questionnaire: Any) -> str:
    titles = {dim.id: dim.title for dim in questionnaire.dimensions}
    lines = [f"90-day plan for {d['client']}  (questionnaire {d['questionnaire']['id']} "
             f"v{d['questionnaire']['version']}, round {d['round']})", ""]
    lines += _target_lines(d) + [""] + _budget_lines(d, titles) + [""] + _action_lines(d, titles)
    lines += ["", "MILESTONES"]
    for m in d["milestones"]:
        lines.append(_wrap(m["outcome"], 2, f"Day {m['day']}: "))
        lines.append(_wrap(m["measure"], 10, "measured by: "))
    lines.append(_wrap(d["cost_of_inaction"]["rule"], 2, "Cost of inaction: "))
    for title, items in (("WARNINGS", d["warnings"]), ("ASSUMPTIONS", d["assumptions"]), ("NOTES", d["notes"])):
        if items:
            lines += ["", title] + [_wrap(n, 2, "- ") for n in items]
    return "\n".join(lines)


def _compare_table(rows: list[dict[str, Any]], d: dict[str, Any], questionnaire: Any) -> str:
    cur = d["currency"]
    titles = {dim.id: dim.title for dim in questionnaire.dimensions}
    label_w = 22
    col_w = 16
    header = f"{'max_shift':<{label_w}}" + "".join(f"{r['max_shift']:>{col_w}g}" for r in rows)
    lines = [f"Scenarios for {d['client']}: hardening {d['target']['name']} [{d['target']['id']}] ({cur})", "",
             header, "-" * len(header)]

    def row(label: str, cells: list[str]) -> None:
        lines.append(f"{label:<{label_w}}" + "".join(f"{c:>{col_w}}" for c in cells))

    row("shift", [_money(r["shift"]) for r in rows])
    row("new models after", [_money(r["new_models_after"]) for r in rows])
    row("hardening after", [_money(r["hardening_after"]) for r in rows])
    row("actions funded", [str(r["actions_funded"]) for r in rows])
    row("total action cost", [_money(r["total_cost"]) for r in rows])
    row("dimensions covered", [str(len(r["dimensions_covered"])) for r in rows])
    row("not funded", [str(r["unfunded"]) for r in rows])
    row("pilots paused", [str(len(r["pause"])) for r in rows])
    lines.append("")
    for r in rows:
        covered = ", ".join(titles.get(x, x) for x in r["dimensions_covered"]) or "none"
        lines.append(_wrap(f"actions {', '.join(r['action_ids']) or 'none'}; dimensions {covered}; "
                           f"pause {', '.join(r['pause']) or 'nothing'}", 2, f"max_shift {r['max_shift']:g}: "))
    return "\n".join(lines)
