"""Generate the bundled demo engagement in ``questionnaires/samples/``.

Run from the repository root after changing the synthetic data or the writers::

    python tools/make_demo_samples.py

It writes the answers of 90 synthetic respondents as two survey-tool exports
(``engagement.yaml`` beside them is hand-written), so ``assess demo`` exercises the real importers: 45 in a Google Forms
(Sheets) CSV and 45 in a SurveyMonkey workbook. The output is deterministic
(fixed seed); commit the regenerated files.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from support.demo_samples import write_demo_samples  # noqa: E402


def main() -> None:
    out = ROOT / "questionnaires" / "samples"
    for path in write_demo_samples(out):
        print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
