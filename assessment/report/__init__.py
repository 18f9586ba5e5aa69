"""The executive report (PDF/HTML) and the results workbook.

Build a :class:`ReportInputs` (or let :func:`report_inputs_from_workspace` do it),
then call :func:`render_pdf`, :func:`render_html` or :func:`write_results_workbook`.
"""

from __future__ import annotations

from .context import ReportInputs, build_context, fmt_money
from .render import PDF_VARIANTS, render_html, render_pdf
from .workbook import write_results_workbook
from .workspace import default_report_path, report_inputs_from_workspace

__all__ = ["PDF_VARIANTS", "ReportInputs", "build_context", "default_report_path", "fmt_money", "render_html",
           "render_pdf", "report_inputs_from_workspace", "write_results_workbook"]
