"""Response-quality checks: straight-lining, speeders and duplicate submissions.

Pure functions over the tidy frames of :mod:`assessment.responses` (or an importer's
frames keyed by ``source_row``): they flag, they never drop. The importer records
the flags in the import log and on each respondent, so the consultant decides —
and a score can be re-run with or without flagged respondents.
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from .questionnaire import Questionnaire
from .responses import ANSWERED

STRAIGHT_LINING = "straight-lining"
SPEEDER = "speeder"
DUPLICATE_EMAIL = "duplicate-email"
DUPLICATE_ID = "duplicate-id"
IDENTICAL_ANSWERS = "identical-answers"
POSSIBLE_DUPLICATE = "possible-duplicate"

#: Straight-lining and identical answers mean something only over at least this many
#: answered scale items (a 1-question survey has 'identical answers' everywhere).
MIN_BLOCK_ITEMS = 5
MIN_IDENTICAL_ITEMS = 5
MIN_SPEEDER_SAMPLE = 5
SPEEDER_FRACTION = 1 / 3


def straight_liners(answers: pd.DataFrame, questionnaire: Questionnaire, *, key: str = "respondent_id",
                    min_items: int = MIN_BLOCK_ITEMS) -> set:
    """Respondents who gave the same answer to every scale item they answered.

    The block is the whole questionnaire (the items sharing one scale): a respondent is
    flagged when they answered at least ``min_items`` items of one scale, all with the
    same value. Five alike answers within one friction point can be a real opinion (or
    a real "neither"), and straight-liners are left out of the scores by default, so
    the flag looks at everything the respondent answered on that scale.
    """
    if answers.empty:
        return set()
    scale_items = {qid: qq for qid, qq in questionnaire.questions.items() if qq.type == "scale"}
    a = answers[(answers["state"] == ANSWERED) & answers["question_id"].isin(scale_items.keys())
                & answers["value"].notna()]
    if a.empty:
        return set()
    found: set = set()
    blocks = {"scale": {qid: f"scale:{qq.scale}" for qid, qq in scale_items.items()}}
    for mapping in blocks.values():
        b = a.assign(_block=a["question_id"].map(mapping))
        stats = b.groupby([key, "_block"], sort=False)["value"].agg(["count", "nunique"])
        hit = (stats["count"] >= min_items) & (stats["nunique"] == 1)
        found |= set(stats[hit].index.get_level_values(0))
    return found


def speeders(respondents: pd.DataFrame, *, key: str = "respondent_id", min_sample: int = MIN_SPEEDER_SAMPLE,
             fraction: float = SPEEDER_FRACTION) -> set:
    """Respondents who finished in under ``fraction`` of the median completion time.

    Needs ``duration_s`` for at least ``min_sample`` respondents (survey tools that
    record start and end times); otherwise there is no reliable median.
    """
    if "duration_s" not in respondents.columns:
        return set()
    d = pd.to_numeric(respondents["duration_s"], errors="coerce")
    valid = d.notna() & (d >= 0)
    if int(valid.sum()) < min_sample:
        return set()
    limit = float(d[valid].median()) * fraction
    return set(respondents.loc[valid & (d < limit), key])


def duplicate_emails(respondents: pd.DataFrame, *, key: str = "respondent_id") -> dict:
    """Respondents sharing an e-mail address (case-insensitive) -> that address."""
    if "email" not in respondents.columns or respondents.empty:
        return {}
    email = respondents["email"].astype("string").str.strip().str.casefold()
    counts = email.value_counts()
    dup = email.isin(counts[counts > 1].index).fillna(False)
    return dict(zip(respondents.loc[dup, key], email[dup], strict=True))


def identical_answer_groups(fingerprints: pd.Series) -> list[list]:
    """Groups (of index labels) whose answer fingerprints are equal, larger groups first."""
    groups: dict[str, list] = defaultdict(list)
    for label, fp in fingerprints.items():
        if isinstance(fp, str) and fp:
            groups[fp].append(label)
    return sorted((g for g in groups.values() if len(g) > 1), key=len, reverse=True)


def quality_flags(respondents: pd.DataFrame, answers: pd.DataFrame, questionnaire: Questionnaire, *,
                  key: str = "respondent_id") -> dict[object, list[str]]:
    """Every flag per respondent key (only flagged respondents appear)."""
    flags: dict[object, list[str]] = defaultdict(list)
    for k in straight_liners(answers, questionnaire, key=key):
        flags[k].append(STRAIGHT_LINING)
    for k in speeders(respondents, key=key):
        flags[k].append(SPEEDER)
    for k in duplicate_emails(respondents, key=key):
        flags[k].append(DUPLICATE_EMAIL)
    return dict(flags)
