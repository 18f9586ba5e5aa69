"""Number and text formatting for the report: every number the template prints goes
through one of these, so the summary, the tables and the chart labels cannot disagree.

A value that is missing (None, NaN, text) prints as :data:`MISSING`, never as
``None`` or ``nan``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from typing import Any

MISSING = "–"


def num(x: Any) -> float | None:
    """A finite float, or None for anything else (None, NaN, text, booleans)."""
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) or math.isinf(v) else v


def fmt_score(x: Any) -> str:
    v = num(x)
    return MISSING if v is None else f"{v:.0f}"


def fmt_ci(lo: Any, hi: Any) -> str:
    a, b = num(lo), num(hi)
    return MISSING if a is None or b is None else f"{a:.0f}–{b:.0f}"


def fmt_ci_dec(ci: Sequence[float] | None) -> str:
    """An interval of two decimals (``0.71–0.86``), e.g. alpha's Feldt interval."""
    a, b = (num(ci[0]), num(ci[1])) if ci else (None, None)
    return MISSING if a is None or b is None else f"{a:.2f}–{b:.2f}"


def fmt_dec(x: Any, digits: int = 2) -> str:
    v = num(x)
    return MISSING if v is None else f"{v:.{digits}f}"


def fmt_signed(x: Any, digits: int = 0) -> str:
    v = num(x)
    if v is None:
        return MISSING
    text = f"{v:+.{digits}f}"
    return text.replace("-", "\u2212") if not text.startswith("+0") or digits else text


def fmt_money(x: Any, currency: str) -> str:
    """``EUR 240,000``: the one money format used everywhere in the report."""
    v = num(x)
    return MISSING if v is None else f"{currency} {v:,.0f}"


def fmt_signed_money(x: float, currency: str) -> str:
    if abs(x) < 0.5:
        return f"{currency} 0"
    sign = "+" if x > 0 else "\u2212"
    return f"{sign}{currency} {abs(x):,.0f}"


def fmt_pct(x: Any) -> str:
    """A share: ``0.6`` -> ``60%`` (values above 1 are taken as percentages already)."""
    v = num(x)
    if v is None:
        return MISSING
    return f"{v * 100:.0f}%" if v <= 1 else f"{v:.0f}%"


def fmt_pct_dec(x: Any) -> str:
    v = num(x)
    return MISSING if v is None else f"{v * 100:.1f}%"


def fmt_plain_number(x: float) -> str:
    """A number without needless decimals: 2000 -> ``2,000``, 0.7 -> ``0.70``."""
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:.2f}"


def slug(text: str) -> str:
    s = re.sub(r"[^A-Za-z0-9]+", "-", text.lower()).strip("-")
    return s or "report"


def first_sentence(text: str | None) -> str:
    if not text:
        return ""
    m = re.match(r"(.+?[.!?])(\s|$)", text.strip())
    return m.group(1) if m else text.strip()


def long_date(d: dt.date) -> str:
    return f"{d.day} {d.strftime('%B')} {d.year}"


def count_word(n: int) -> str:
    return {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}.get(n, str(n))
