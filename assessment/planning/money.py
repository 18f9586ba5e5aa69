"""Exact money: integer cents from the decimals a user wrote, and how amounts are printed.

Inputs are read through their shortest decimal ``repr`` (``0.3`` is 3/10, not
0.2999...), so budget conservation, the cap and every split hold to the cent.
"""

from __future__ import annotations

import math
from fractions import Fraction


def exact(value: float | int) -> Fraction:
    """The decimal a user wrote, exactly (``0.3`` -> 3/10), via the float's shortest repr."""
    if isinstance(value, int):
        return Fraction(value)
    return Fraction(repr(float(value)))


def cents(value: float | int) -> int:
    return round(exact(value) * 100)


def money(amount_cents: int) -> float:
    return round(amount_cents / 100, 2)


def fmt(currency: str, amount_cents: int) -> str:
    """``EUR 580,000`` for whole amounts, ``EUR 12.50`` otherwise."""
    if amount_cents % 100 == 0:
        return f"{currency} {amount_cents / 100:,.0f}"
    return f"{currency} {amount_cents / 100:,.2f}"


def round_up(amount_cents: int, step_cents: int) -> int:
    """``amount_cents`` rounded up to a multiple of ``step_cents`` (0 and below stay 0)."""
    if amount_cents <= 0:
        return 0
    return math.ceil(Fraction(amount_cents, step_cents)) * step_cents
