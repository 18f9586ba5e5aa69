"""Turn scores, plan and responses into the template context of the report.

All wording decisions live in this package, not in the template: :mod:`.claims`
holds the wording rules, :mod:`.formatting` formats every number once, and each
report section has its builder in :mod:`.sections`. :func:`build_context` only
composes them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .appendix import sensitivity_summary
from .basis import Basis
from .claims import profile_claim, who_claim
from .formatting import fmt_money, long_date, slug
from .sections.appendices import appendix_section
from .sections.dimensions import dimensions, profile_charts
from .sections.perception import gap, heat
from .sections.plan import plan_section
from .sections.progress import progress_section
from .sections.summary import draft_reason, summary_section
from .sections.units import units_section

if TYPE_CHECKING:
    import pandas as pd

    from ..engagement import Engagement
    from ..planning import Plan
    from ..questionnaire import Questionnaire
    from ..responses import Responses
    from ..scoring import ScoreResult

__all__ = ["ReportInputs", "build_context", "created_timestamp", "fmt_money", "report_date", "slug"]


@dataclass
class ReportInputs:
    """Everything a report is rendered from, so a notebook can build it too.

    ``scores`` and ``plan`` are the scoring and planning stages' own objects
    (:func:`assessment.pipeline.evaluate` makes both; ``plan`` is None when no plan
    could be built); ``explain`` maps a dimension id to its
    :func:`assessment.scoring.explain` trace; ``import_log`` is the store's import log;
    ``progress`` is :func:`assessment.scoring.compare_rounds`' result plus
    ``baseline_round``, ``current_round`` and ``saved_plan``, when an earlier round exists.
    """

    questionnaire: Questionnaire
    engagement: Engagement
    scores: ScoreResult
    plan: Plan | None = None
    explain: dict[str, pd.DataFrame] = field(default_factory=dict)
    responses: Responses | None = None
    import_log: list[dict[str, Any]] = field(default_factory=list)
    progress: dict[str, Any] | None = None
    logo_path: Path | None = None
    unit: str | None = None
    round: str | None = None
    report_date: str | None = None


def _epoch() -> int | None:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    return int(epoch) if epoch and epoch.strip().isdigit() else None


def report_date(inputs: ReportInputs) -> dt.date:
    """The given report date, else SOURCE_DATE_EPOCH (reproducible builds), else the engagement date, else today."""
    if inputs.report_date:
        return dt.date.fromisoformat(str(inputs.report_date)[:10])
    epoch = _epoch()
    if epoch is not None:
        return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).date()
    if inputs.engagement.date:
        try:
            return dt.date.fromisoformat(str(inputs.engagement.date)[:10])
        except ValueError:
            pass
    return dt.date.today()


def created_timestamp(inputs: ReportInputs) -> str:
    """ISO timestamp for the PDF's created/modified metadata, fixed for reproducibility."""
    epoch = _epoch()
    if epoch is not None:
        return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return report_date(inputs).strftime("%Y-%m-%dT00:00:00Z")


def _levels(q: Questionnaire) -> list[dict[str, Any]]:
    out = []
    for i, lv in enumerate(q.levels):
        hi = q.levels[i + 1].min if i + 1 < len(q.levels) else 100
        rng = f"{lv.min:.0f}–{hi:.0f}" if i + 1 == len(q.levels) else f"{lv.min:.0f} to under {hi:.0f}"
        out.append({"level": lv.level, "name": lv.name, "range": rng, "description": lv.description or ""})
    return out


def _meta(b: Basis, draft: str | None, logo_url: str | None) -> dict[str, Any]:
    from .. import __version__

    inputs, eng, q = b.inputs, b.inputs.engagement, b.q
    report_id = hashlib.sha256(json.dumps([eng.client, inputs.unit, inputs.round, str(b.rdate),
                                           b.scores.overall], sort_keys=True, default=str).encode())
    return {"client": eng.client + (f" · {inputs.unit}" if inputs.unit else ""), "client_name": eng.client,
            "unit": inputs.unit, "title": eng.title, "date": long_date(b.rdate), "iso_date": b.rdate.isoformat(),
            "created": created_timestamp(inputs), "prepared_by": eng.prepared_by or "To be completed with the client",
            "round": inputs.round or eng.round, "report_id": report_id.hexdigest()[:10].upper(),
            "version": __version__, "questionnaire": f"{q.title} (v{q.version})", "n": b.n_total,
            "logo_url": logo_url, "accent": b.accent, "draft": draft, "currency": b.currency, "n_roles": b.n_roles}


def build_context(inputs: ReportInputs, *, logo_url: str | None = None) -> dict[str, Any]:
    """The complete, pre-formatted template context for ``report.html``."""
    b = Basis.of(inputs, report_date(inputs))
    dims, flags_legend, common_flags = dimensions(b)
    prog = progress_section(b)
    heat_ctx, gap_ctx, units = heat(b, dims), gap(b, dims), units_section(b, dims)
    plan = plan_section(b, dims, gap_ctx["flagged"], heat_ctx["small_roles"])
    sensitivity = sensitivity_summary(b.scores.sensitivity, {dd["id"]: dd["title"] for dd in dims})
    baseline = {r["id"]: r["baseline_value"] for r in prog["rows"]} if prog else {}
    ctx = {
        "meta": _meta(b, draft_reason(b, plan["target"]), logo_url),
        "summary": summary_section(b, dims, plan, gap_ctx["sentences"], sensitivity, units), "units": units,
        "sensitivity": sensitivity, "alpha_within": any(dd["alpha_note"] for dd in dims),
        "levels": _levels(b.q), "dims": dims, "flags_legend": flags_legend, "common_flags": common_flags,
        "thresholds": {**b.th, "min_group": b.min_n},
        "charts": {**profile_charts(b, dims, baseline), "heat": heat_ctx["svg"], "heat_legend": heat_ctx["legend"],
                   "gap": gap_ctx["svg"]},
        "heat": heat_ctx, "gap": gap_ctx, "plan": plan, "progress": prog,
        "appendix": appendix_section(b, dims, sensitivity),
    }
    ctx["dims_sorted_claim"], ctx["who_claim"] = profile_claim(ctx), who_claim(ctx)
    return ctx
