"""Speed of the stratified bootstrap: 2,000 resamples, 300 respondents x 7 dimensions x 6 roles.

Target: well under one second. Prints the best of five runs.
"""

from __future__ import annotations

import time

import numpy as np

from assessment.scoring.intervals import bootstrap_scores


def main() -> None:
    rng = np.random.default_rng(1)
    scores = rng.uniform(0, 100, size=(300, 7))
    scores[rng.random(scores.shape) < 0.1] = np.nan
    strata = rng.integers(0, 6, size=300)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        bootstrap_scores(scores, strata, np.arange(1.0, 7.0), np.ones(7), n_resamples=2000)
        best = min(best, time.perf_counter() - start)
    print(f"bootstrap_scores 2000 x (300 x 7, 6 roles): best {best * 1000:.1f} ms "
          f"(target < 1000 ms; ratio {best:.4f} of target)")


if __name__ == "__main__":
    main()
