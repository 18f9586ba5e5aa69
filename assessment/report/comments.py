"""Free-text answers: a few quoted on each friction-point page, every one in Appendix E.

Comments are verbatim (whitespace collapsed) and attributed to a role label, never
to a person.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..questionnaire import Dimension, Questionnaire
    from ..responses import Responses


def _texts(responses: Responses | None, q: Questionnaire, dim: Dimension) -> Iterator[tuple[str, str, str]]:
    """``(text, role label, respondent id)`` of every answered free-text question of ``dim``."""
    if responses is None or not len(responses.answers):
        return
    text_ids = [qq.id for qq in dim.questions if qq.type == "text"]
    a = responses.answers
    a = a[a["question_id"].isin(text_ids) & (a["state"] == "answered")]
    role_of = dict(zip(responses.respondents["respondent_id"], responses.respondents["role"], strict=False))
    for rid, raw in zip(a["respondent_id"], a["raw"], strict=False):
        if raw is None or (isinstance(raw, float) and math.isnan(raw)):
            continue
        text = re.sub(r"\s+", " ", str(raw)).strip()
        role = q.role_by_id.get(str(role_of.get(rid, "")))
        if text:
            yield text, role.label if role else "Respondent", str(rid)


def _clip(text: str, limit: int = 320) -> str:
    return text if len(text) <= limit else text[:limit - 3].rstrip() + "…"


_STOP_WORDS = ("a an and are as at be by do does for from has have how in is it its not of on or our the their there "
               "this to was we what when where which who with you your model models ai")
_STOP = frozenset(_STOP_WORDS.split())


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]{3,}", text.casefold()) if w not in _STOP}


def quotes(responses: Responses | None, q: Questionnaire, dim_id: str, limit: int = 4, *,
           used: set[str] | None = None, about: str = "",
           role_label: Callable[[str], str] | None = None) -> list[dict[str, str]]:
    """Up to ``limit`` comments for a friction-point page.

    The comments that share most words with ``about`` (the page's findings) come first,
    then substantive ones, one per role while other roles still have something to say;
    a text already in ``used`` (quoted on another page) is skipped and the ones chosen
    are added to it, so no quote appears twice. ``role_label`` maps a role label to
    what the page may print (a role too small to name becomes "Respondent").
    """
    used = set() if used is None else used
    topic = _words(about)
    rows = [r for r in _texts(responses, q, q.dimension_by_id[dim_id]) if len(r[0]) >= 12]
    rows.sort(key=lambda r: (-len(_words(r[0]) & topic), -min(len(r[0]), 280), r[2]))
    unique: dict[str, tuple[str, str, str]] = {}
    for r in rows:
        if r[0].casefold() not in used:
            unique.setdefault(r[0].casefold(), r)
    rows = list(unique.values())
    n_roles = len({r[1] for r in rows})
    out: list[dict[str, str]] = []
    seen_roles: set[str] = set()
    for strict in (True, False):
        for text, role, _ in rows:
            if len(out) >= limit:
                break
            if text.casefold() in used or (strict and role in seen_roles and len(seen_roles) < n_roles):
                continue
            seen_roles.add(role)
            used.add(text.casefold())
            out.append({"text": _clip(text), "role": role_label(role) if role_label else role})
    return out


def all_comments(responses: Responses | None, q: Questionnaire,
                 role_label: Callable[[str], str] | None = None) -> list[dict[str, Any]]:
    """Every free-text answer, verbatim, by friction point: identical texts once, with the
    roles that wrote them (``role_label`` hides a role too small to name) and how many times."""
    out = []
    for d in q.dimensions:
        grouped: dict[str, dict[str, Any]] = {}
        for text, role, _ in _texts(responses, q, d):
            entry = grouped.setdefault(text.casefold(), {"text": text, "roles": set(), "n": 0})
            entry["roles"].add(role_label(role) if role_label else role)
            entry["n"] += 1
        if grouped:
            items = sorted(grouped.values(), key=lambda e: (-e["n"], e["text"].casefold()))
            out.append({"title": d.title, "items": [
                {"text": e["text"][:1000] + ("…" if len(e["text"]) > 1000 else ""),
                 "roles": ", ".join(sorted(e["roles"])), "n": e["n"]} for e in items]})
    return out
