"""One builder per report section; :func:`assessment.report.context.build_context` composes them."""
