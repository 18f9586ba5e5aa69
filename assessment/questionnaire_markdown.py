"""A questionnaire as Markdown: for reviewing content with a client before the survey."""

from __future__ import annotations

from .questionnaire import Question, Questionnaire, role_load


def _fmt(x: float) -> str:
    return f"{x:g}"


def numeric_span(question: Question) -> str:
    """``0-730 days, scored 180 (worst) to 5 (best)`` or ``0-100 percent, not scored``."""
    parts = []
    span = question.answer_range
    if span:
        parts.append(f"{_fmt(span[0])}-{_fmt(span[1])}" + (f" {question.unit}" if question.unit else ""))
    if question.scored:
        parts.append(f"scored {_fmt(question.worst)} (worst) to {_fmt(question.best)} (best)")
    else:
        parts.append("not scored")
    return ", ".join(parts)


def _roles_and_length(q: Questionnaire) -> list[str]:
    out = ["## Roles", ""]
    for r in q.roles:
        side = f", {r.side} side" if r.side else ""
        out.append(f"- **{r.label}** (`{r.id}`, {r.group}{side}, weight {r.weight:g})")
    load = role_load(q)
    out += ["", "## Length per role", "",
            "Scored questions each role is asked per friction point, all questions asked (comments included) "
            "and the estimated time to finish (10 s a statement, 30 s a number, 45 s a comment, 10 s a profile "
            "question).", ""]
    out += ["| role | " + " | ".join(d.id for d in q.dimensions) + " | asked | minutes |",
            "|---|" + "---|" * len(q.dimensions) + "---|---|"]
    for r in q.roles:
        row = load[r.id]
        out.append(f"| {r.label} | " + " | ".join(str(row["scored"][d.id]) for d in q.dimensions)
                   + f" | {row['asked']} | about {row['minutes']:g} |")
    return out


def _question_line(question: Question, roles: dict[str, str]) -> list[str]:
    tags = [question.type]
    if question.type == "numeric":
        tags.append(numeric_span(question))
    if question.reverse:
        tags.append("reverse-keyed")
    if question.weight != 1 and question.scored:
        tags.append(f"weight {question.weight:g}")
    if question.headline:
        tags.append("headline fact")
    if question.roles:
        tags.append("asked of " + ", ".join(roles.get(r, r) for r in question.roles))
    out = [f"- `{question.id}` {question.text} _({'; '.join(tags)})_"]
    if question.evidence:
        out.append(f"  - Evidence: {question.evidence}")
    return out


def _actions(q: Questionnaire) -> list[str]:
    if not q.actions:
        return []
    raci = any(a.accountable for a in q.actions)
    head = "| id | dimension | phase | up to level | title | cost | days |" + (" accountable | responsible |"
                                                                             if raci else "")
    out = ["", "## Action library", "", head, "|---|---|---|---|---|---|---|" + ("---|---|" if raci else "")]
    for a in q.actions:
        line = f"| {a.id} | {a.dimension} | {a.phase} | {a.max_level} | {a.title} | {a.cost:,.0f} | {a.effort_days} |"
        out.append(line + (f" {a.accountable or ''} | {', '.join(a.responsible)} |" if raci else ""))
    return out


def to_markdown(q: Questionnaire) -> str:
    """The whole questionnaire, for reading with a client: roles, length, levels, items, actions."""
    roles = {r.id: r.label for r in q.roles}
    out = [f"# {q.title} ({q.id} v{q.version})", ""]
    if q.description:
        out += [q.description.strip(), ""]
    out += _roles_and_length(q)
    out += ["", "## Levels", ""]
    out += [f"{lv.level}. **{lv.name}** (from {lv.min:g}): {lv.description or ''}".rstrip() for lv in q.levels]
    if q.profile.deployment:
        out += ["", "## Profile", "", f"- Deployment: {q.profile.deployment.text}"]
    for d in q.dimensions:
        out += ["", f"## {d.title} (`{d.id}`, weight {d.weight:g})", ""]
        if d.description:
            out += [d.description.strip(), ""]
        for question in d.questions:
            out += _question_line(question, roles)
        if d.probes:
            out += ["", "Workshop probes:", ""] + [f"- {p}" for p in d.probes]
    return "\n".join(out + _actions(q)) + "\n"
