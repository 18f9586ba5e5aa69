"""How the bundled demo's survey exports were generated (``tools/make_demo_samples.py``).

The demo's 90 respondents are synthetic and written in two real survey-tool
layouts, so ``assess demo`` exercises the real importers. ``engagement.yaml``
beside them is hand-written and is the only copy of the demo engagement.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assessment.demo import SAMPLE_FILES
from assessment.questionnaire import load_questionnaire

from .exports import write_export
from .synth import synthesize

QUESTIONNAIRE = "ai-friction@2"  # the bundled demo is on version 2 (headline facts, finance role)
SEED = 20250303
N_RESPONDENTS = 90
UNITS = ("Personal Lines", "Commercial Insurance", "Claims Operations")
EMAIL_DOMAIN = "northwind-mutual.example"
# which survey tool layout each bundled file is written in, and which respondents it holds
LAYOUTS = {"northwind-google-forms.csv": ("google-forms", slice(0, 45)),
           "northwind-surveymonkey.xlsx": ("surveymonkey", slice(45, 90))}


def demo_records(questionnaire: Any) -> list[dict[str, Any]]:
    """The demo's synthetic respondents (deterministic)."""
    return synthesize(questionnaire, N_RESPONDENTS, seed=SEED, units=UNITS, email_domain=EMAIL_DOMAIN)


def write_demo_samples(out_dir: str | Path) -> list[Path]:
    """Write the demo's survey exports into ``out_dir``; returns the paths written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    q = load_questionnaire(QUESTIONNAIRE)
    records = demo_records(q)
    written = []
    for name in SAMPLE_FILES:
        layout, part = LAYOUTS[name]
        written.append(write_export(records[part], q, layout, out / name))
    return written
