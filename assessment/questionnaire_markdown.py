"""A questionnaire as Markdown: for reviewing content with a client before the survey."""

from __future__ import annotations

from .questionnaire import Questionnaire


def to_markdown(q: Questionnaire) -> str:
    roles = {r.id: r.label for r in q.roles}
    out = [f"# {q.title} ({q.id} v{q.version})", ""]
    if q.description:
        out += [q.description.strip(), ""]
    out += ["## Roles", ""] + [f"- **{r.label}** (`{r.id}`, {r.group}, weight {r.weight:g})" for r in q.roles]
    out += ["", "## Levels", ""]
    out += [f"{lv.level}. **{lv.name}** (from {lv.min:g}): {lv.description or ''}".rstrip() for lv in q.levels]
    for d in q.dimensions:
        out += ["", f"## {d.title} (`{d.id}`, weight {d.weight:g})", ""]
        if d.description:
            out += [d.description.strip(), ""]
        for question in d.questions:
            tags = [question.type]
            if question.reverse:
                tags.append("reverse-keyed")
            if question.weight != 1:
                tags.append(f"weight {question.weight:g}")
            if question.roles:
                tags.append("asked of " + ", ".join(roles.get(r, r) for r in question.roles))
            out.append(f"- `{question.id}` {question.text} _({'; '.join(tags)})_")
    if q.actions:
        out += ["", "## Action library", "", "| id | dimension | phase | up to level | title | cost | days |",
                "|---|---|---|---|---|---|---|"]
        out += [f"| {a.id} | {a.dimension} | {a.phase} | {a.max_level} | {a.title} | {a.cost:,.0f} | "
                f"{a.effort_days} |" for a in q.actions]
    return "\n".join(out) + "\n"
