"""The workshop guide: what a facilitator asks, what evidence to request, and what each
role will be asked, generated from the questionnaire itself.

A consultant runs workshops before and after the survey. The guide keeps the workshop
and the survey the same instrument: the open probes come from each dimension's
``probes:``, the evidence list from each item's ``evidence:`` (the record that would
verify an answer), and the statements from the items asked of a role. Nothing here is
written twice, so a questionnaire change shows up in the guide on the next run.

Output: Markdown (``.md``), HTML (``.html``) or a PDF styled like the report (``.pdf``),
rendered through the report's restricted fetcher (it reads only the bundled template
assets). The PDF's dates come from ``SOURCE_DATE_EPOCH`` when set, so the same
questionnaire gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from .errors import GuideError
from .fileio import write_text_atomic
from .questionnaire import Question, Questionnaire, role_load

FORMATS = (".pdf", ".md", ".html")


def _fmt(x: float) -> str:
    return f"{x:g}"


def answer_format(q: Questionnaire, question: Question) -> str:
    """How a respondent answers: the scale's end labels, a number range with its unit, or free text."""
    if question.type == "scale":
        scale = q.scale_of(question)
        assert scale is not None  # the validator guarantees it
        na = f"; or {scale.na_label}" if scale.na_label else ""
        return f"{scale.points[0].label} … {scale.points[-1].label}{na}"
    if question.type == "numeric":
        span = question.answer_range
        unit = f" {question.unit}" if question.unit else ""
        return f"a number, {_fmt(span[0])}–{_fmt(span[1])}{unit}" if span else "a number"
    return "free text (optional)"


def _today() -> dt.date:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
    return dt.date.today()


def guide_context(q: Questionnaire, role: str | None = None, client: str | None = None,
                  date: dt.date | None = None) -> dict[str, Any]:
    """Everything the guide shows, as plain data (the Markdown and HTML forms render this).

    With ``role``, the statements are those put to that role; without, every statement
    with the roles it is asked of. Probes and evidence always cover the whole friction
    point: the records a client holds do not depend on who sits in the workshop.
    """
    roles = q.role_by_id
    if role is not None and role not in roles:
        raise GuideError(f"unknown role `{role}`; this questionnaire's roles: {', '.join(roles)}",
                         file=f"{q.id} v{q.version}")
    load = role_load(q)
    dims = []
    for d in q.dimensions:
        evidence: dict[str, dict[str, Any]] = {}
        for x in d.questions:
            if not x.evidence:
                continue
            entry = evidence.setdefault(x.evidence, {"text": x.evidence, "items": [], "roles": []})
            entry["items"].append(x.id)
            for r in (x.roles or list(roles)):
                if roles[r].label not in entry["roles"]:
                    entry["roles"].append(roles[r].label)
        statements = []
        for x in d.questions:
            if role is not None and not q.asked(x, role):
                continue
            statements.append({
                "id": x.id, "text": x.text, "type": x.type, "answer": answer_format(q, x),
                "reverse": x.reverse, "scored": x.scored, "headline": x.headline,
                "asked_of": [roles[r].label for r in (x.roles or list(roles))],
            })
        dims.append({"id": d.id, "title": d.title, "description": d.description or "",
                     "probes": list(d.probes), "evidence": list(evidence.values()), "statements": statements,
                     "narratives": [{"level": lv.level, "name": lv.name, "text": d.narratives[lv.level]}
                                    for lv in q.levels if lv.level in d.narratives]})
    role_rows = [{"id": r.id, "label": r.label, "asked": load[r.id]["asked"], "minutes": load[r.id]["minutes"]}
                 for r in q.roles]
    profile = [p.text for p in (q.profile.role, q.profile.unit, q.profile.deployment) if p]
    return {
        "title": q.title, "qid": q.id, "version": q.version, "client": client,
        "role": {"id": role, "label": roles[role].label, "minutes": load[role]["minutes"],
                 "asked": load[role]["asked"]} if role else None,
        "date": (date or _today()).isoformat(), "roles": role_rows, "profile": profile,
        "deployment_question": q.profile.deployment.text if q.profile.deployment else None,
        "dimensions": dims,
        "has_probes": any(d["probes"] for d in dims), "has_evidence": any(d["evidence"] for d in dims),
    }


def guide_markdown(ctx: dict[str, Any]) -> str:
    """The guide as Markdown, for editing before a workshop."""
    who = f" — {ctx['role']['label']}" if ctx["role"] else ""
    out = [f"# Workshop guide: {ctx['title']}{who}", ""]
    meta = [f"Questionnaire {ctx['qid']} v{ctx['version']}", ctx["date"]]
    if ctx["client"]:
        meta.insert(0, ctx["client"])
    out += [" · ".join(meta), ""]
    out += _how_to_use(ctx) + [""]
    if ctx["role"]:
        r = ctx["role"]
        out += [f"The {r['label']} survey has {r['asked']} questions and takes about {_fmt(r['minutes'])} minutes.", ""]
    else:
        out += ["| role | questions | minutes |", "|---|---|---|"]
        out += [f"| {r['label']} | {r['asked']} | about {_fmt(r['minutes'])} |" for r in ctx["roles"]]
        out.append("")
    if ctx["profile"]:
        out += ["Profile questions asked first:", ""] + [f"- {p}" for p in ctx["profile"]] + [""]
    for i, d in enumerate(ctx["dimensions"], 1):
        out += [f"## {i}. {d['title']}", ""]
        if d["description"]:
            out += [d["description"], ""]
        out += ["### Interview probes", ""]
        out += [f"- {p}" for p in d["probes"]] or ["_No probes in this questionnaire for this friction point._"]
        out += ["", "### Evidence to request", ""]
        out += [f"- {e['text']} ({', '.join(e['items'])}; held by or known to: {', '.join(e['roles'])})"
                for e in d["evidence"]] or ["_No evidence listed in this questionnaire for this friction point._"]
        heading = f"Statements the {ctx['role']['label']} is asked" if ctx["role"] else "Statements and who is asked"
        out += ["", f"### {heading}", ""]
        if not d["statements"]:
            out.append("_None for this role._")
        for s in d["statements"]:
            notes = [s["answer"]]
            if not s["scored"] and s["type"] == "numeric":
                notes.append("reported, not scored")
            if not ctx["role"]:
                notes.append("asked of " + ", ".join(s["asked_of"]))
            out.append(f"- `{s['id']}` {s['text']} _({'; '.join(notes)})_")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _how_to_use(ctx: dict[str, Any]) -> list[str]:
    lines = ["For each friction point: open with the probes (ask for a real, recent case and let the "
             "group walk through it), then request the evidence listed, which verifies the survey's "
             "answers. The statements are the survey items for the role in the room; read them after the "
             "discussion, never as a substitute for it."]
    if ctx["deployment_question"]:
        lines += ["", "Ask each participant first which AI system they use or work on most: statements that "
                      "say \"the AI system you named\" refer to it."]
    return lines


def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    from .resources import templates_dir

    return Environment(loader=FileSystemLoader(str(templates_dir())),
                       autoescape=select_autoescape(default=True, default_for_string=True),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def guide_html(ctx: dict[str, Any]) -> str:
    """The guide as one HTML document using the report's stylesheet (``templates/guide.html``)."""
    return _environment().get_template("guide.html").render(g=ctx, how_to_use=_how_to_use(ctx), fmt=_fmt)


def write_guide(q: Questionnaire, path: str | Path, *, role: str | None = None, client: str | None = None,
                date: dt.date | None = None) -> Path:
    """Write the guide to ``path``; the file type follows its suffix (.pdf, .md or .html)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise GuideError(f"cannot write a guide as `{suffix or 'no suffix'}`; use one of {', '.join(FORMATS)}",
                         file=str(path))
    ctx = guide_context(q, role, client, date)
    if suffix == ".md":
        write_text_atomic(path, guide_markdown(ctx))
        return path
    html = guide_html(ctx)
    if suffix == ".html":
        write_text_atomic(path, html)
        return path
    from .report.render import html_to_pdf

    try:
        html_to_pdf(html, path)
    except OSError as exc:
        raise GuideError(f"cannot write the PDF: {exc.strerror or exc}", file=str(path)) from None
    return path
