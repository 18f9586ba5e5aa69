"""What the reader must know before acting: response rates, who was left out, which groups are
too small to show, how far the value figures can be trusted, and what the instrument does not measure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..formatting import MISSING

if TYPE_CHECKING:
    from ..basis import Basis

SELF_REPORT = ("Self-reported perceptions of seven operational friction points, not audited evidence; model quality, "
               "data quality and financial results are not measured")


def invited_by_role(invited: Mapping[str, Any] | None, role_ids: set[str], unit: str | None) -> dict[str, int] | None:
    """Invited counts per role id: a role key counts for the whole organisation, a unit key holds that
    unit's counts (summed over units, or only the unit reported on). None when nothing was given."""
    if not invited:
        return None
    out: dict[str, int] = {}
    for key, value in invited.items():
        if isinstance(value, Mapping):
            if unit is None or key == unit:
                for rid, n in value.items():
                    out[rid] = out.get(rid, 0) + int(n)
        elif key in role_ids and unit is None:
            out[key] = out.get(key, 0) + int(value)
    return out or None


def _imported_by_role(b: Basis) -> dict[str, int]:
    resp = b.inputs.responses
    if resp is None:
        return {}
    vc = resp.respondents["role"].astype("string").value_counts()
    return {str(k): int(v) for k, v in vc.items()}


def response_rates(b: Basis) -> dict[str, Any]:
    """Respondents imported over invited, per role and in total (unknown without ``invited:``).

    A role with fewer respondents than the minimum group shows no count and no rate.
    """
    invited = invited_by_role(b.inputs.engagement.invited, {r.id for r in b.q.roles}, b.inputs.unit)
    imported = _imported_by_role(b)
    if invited is None:
        return {"known": False, "rows": [], "sentence": "The response rate is unknown: engagement.yaml gives no "
                                                        "invited counts"}
    rows = []
    for r in b.roles:
        if r.id not in invited:
            continue
        got = imported.get(r.id, 0)
        hidden = b.small(got)
        rate = f"{100 * got / invited[r.id]:.0f}%" if invited[r.id] and not hidden else MISSING
        rows.append({"label": r.label, "invited": invited[r.id], "responded": b.fewer if hidden else got,
                     "rate": rate})
    total_inv = sum(invited.values())
    total_got = sum(imported.get(rid, 0) for rid in invited)
    rate = f"{100 * total_got / total_inv:.0f}%" if total_inv else MISSING
    missing = [r.label for r in b.roles if r.id not in invited and imported.get(r.id)]
    sentence = f"Response rate {rate}: {total_got} of {total_inv} people invited answered (by role: Appendix B)"
    if missing:
        sentence += "; no invited count for " + ", ".join(missing)
    return {"known": True, "rows": rows, "sentence": sentence, "rate": rate, "invited": total_inv,
            "responded": total_got}


def left_out_text(excluded: dict[str, Any]) -> str:
    """``2 respondents with a quality flag (straight-lining 2) were left out of every score``, or ""."""
    n = excluded["count"]
    if not n:
        return ""
    why = ", ".join(f"{flag} {k}" for flag, k in excluded["by_flag"].items())
    return f"{n} respondent{'s' if n != 1 else ''} with a quality flag ({why}) {'were' if n != 1 else 'was'} " \
        "left out of every score"


def _left_out(b: Basis) -> str:
    if b.scores.excluded["count"]:
        return left_out_text(b.scores.excluded)
    if b.inputs.engagement.exclude_flags and not b.scores.excluded["flags"]:
        return "respondents with a quality flag were included in the scores on request (--include-flagged)"
    return "no respondent was left out for a quality flag"


def _value_basis(b: Basis) -> str:
    plan = b.inputs.plan
    if plan is None:
        return ""
    basis = {d.id: d.value_basis for d in b.inputs.engagement.deployments}
    words = {"audited": "audited", "business-case": "a business case", "estimate": "an estimate"}
    target = plan.target
    others: dict[str, int] = {}
    for d in b.inputs.engagement.deployments:
        if d.id != target["id"]:
            others[basis[d.id]] = others.get(basis[d.id], 0) + 1
    plural = {"audited": "audited", "business-case": "business cases", "estimate": "estimates"}
    rest = ", ".join(f"{n} {k.replace('-', ' ') if n == 1 else plural[k]}" for k, n in sorted(others.items()))
    return (f"value figures are the client's: {target['name']} {words[basis.get(target['id'], 'estimate')]}"
            + (f"; the other deployments {rest}" if rest else ""))


def suppressed_groups(b: Basis, units: list[str]) -> str:
    roles = [r.label for r in b.roles if b.small(b.role_n.get(r.id, 0))]
    parts = ([f"roles {', '.join(roles)}"] if roles else []) + ([f"units {', '.join(units)}"] if units else [])
    if not parts:
        return f"no role or unit has fewer than {b.min_n} respondents, so none is suppressed"
    return f"not shown separately, fewer than {b.min_n} respondents: {'; '.join(parts)}"


def caveats_box(b: Basis, small_units: list[str], extra: list[str]) -> dict[str, Any]:
    """The caveats box of page 2: one short line per caveat."""
    rates = response_rates(b)
    lines = [SELF_REPORT, rates["sentence"], _left_out(b), suppressed_groups(b, small_units)]
    basis = _value_basis(b)
    if basis:
        lines.append(basis[:1].upper() + basis[1:])
    lines += extra
    return {"lines": [x[:1].upper() + x[1:] + "." for x in lines], "rates": rates}
