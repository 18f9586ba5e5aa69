"""Deterministic synthetic respondents for demos, tests and benchmarks.

Real engagement data is confidential, yet the importers, the scoring and the
report all need answers that *behave* like a real survey: business units that
differ, leadership rating the organisation higher than the people doing the
work (the perception gap the report must show), reverse-keyed items that move
the opposite way, roles that only see their own questions, a few N/A and blank
cells, free-text comments, and the odd straight-liner and speeder for the
response-quality checks. :func:`synthesize` produces exactly that from a seed,
so a test or a benchmark gets the same respondents on every machine.

The output is the plain-record shape of :func:`assessment.responses.from_records`
(plus a few extra keys the exporters use), so it can be scored directly or
written in any survey tool's layout by :mod:`support.exports`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from assessment.questionnaire import LEADERSHIP, Question, Questionnaire

DEFAULT_UNITS = ("Retail Banking", "Commercial Lending", "Group Operations")

# Latent maturity per friction point on a 0-1 scale (0.5 ~ a score of 50): the
# pattern a typical client shows — monitoring and value links weakest.
DEFAULT_PROFILE: dict[str, float] = {
    "governance": 0.34, "integration": 0.40, "value": 0.30, "legacy": 0.43,
    "skills": 0.50, "trust": 0.46, "monitoring": 0.27,
}

# How far each role group sits from the organisation's true level. Leadership
# rates things higher than the practitioners who live with them.
GROUP_EFFECT = {LEADERSHIP: 0.10, "oversight": 0.02, "practitioner": -0.04}

# Relative share of each role among respondents (unknown ids weigh 1).
DEFAULT_ROLE_MIX = {"exec": 1.0, "bpo": 2.0, "ds": 3.0, "mlops": 2.0, "risk": 1.5, "users": 4.0}

NA_RATE = 0.035         # scale answers marked "don't know / not applicable"
BLANK_RATE = 0.02       # scale answers left empty
NUMERIC_BLANK_RATE = 0.06
COMMENT_RATE = 0.45     # share of asked text questions that get a comment
ITEM_NOISE = 0.15       # per-answer noise on the 0-1 latent scale
PERSON_SD = 0.09        # spread of people around their unit and role
PERSON_DIM_SD = 0.07    # and of one person across friction points
START = datetime(2025, 3, 3, 8, 30)

# Free-text comments, by friction point. Roles restrict who would plausibly write
# one (None: anyone). Specific and anonymised, as consultants see them.
COMMENTS: dict[str, list[tuple[str, tuple[str, ...] | None]]] = {
    "governance": [
        ("Our churn model has sat in staging since March waiting for the model risk template.", None),
        ("Every retrain goes back to the full validation committee, which meets once a month.", ("ds", "mlops")),
        ("Nobody can tell me who signs off a low-risk model, so everything is treated as high risk.", ("exec", "bpo")),
        ("We write the model documentation by hand after the fact; it takes longer than the build.", ("ds",)),
        ("The change advisory board has no slot for model releases, so they queue behind policy-system patches.", ("mlops",)),
        ("Validation evidence arrives as screenshots in emails; we cannot audit that.", ("risk",)),
    ],
    "integration": [
        ("The fraud pilot worked in the lab, but IT received a notebook and a zip file, not a service.", ("mlops", "ds")),
        ("Pilot finished in October, production team was only named in January.", ("exec", "bpo")),
        ("We rebuilt the pricing model in Java because the platform cannot run Python containers.", ("ds", "mlops")),
        ("There are four pilots with no exit criteria; they just keep running.", ("risk", "exec")),
        ("Test and production use different library versions, so results never match.", ("mlops",)),
        ("Last pilot was shelved when the sponsor moved roles; nobody picked it up.", None),
    ],
    "value": [
        ("We report AUC to the steering committee, and nobody there knows what it means for claims cost.", ("ds",)),
        ("The business case said 2 million, but nobody measured the baseline before go-live.", ("exec", "bpo", "risk")),
        ("Finance sees the model spend every quarter but never a benefit line it could book.", ("finance",)),
        ("We were asked to sign off the savings without a control group to compare against.", ("finance",)),
        ("Average handling time is the number that matters, and the model is not linked to it.", ("bpo",)),
        ("No named business owner for the lead-scoring model since the reorganisation.", None),
        ("We cannot trace a prediction to the policy it was used on, so savings are guesswork.", ("ds", "mlops")),
        ("Sponsorship is strong for announcements and weak when we need budget to finish.", ("ds", "mlops", "risk")),
    ],
    "legacy": [
        ("Policy data arrives as an overnight batch file from the mainframe; real-time scoring is impossible.", ("ds", "mlops")),
        ("A new data feed from the claims core takes about five months and two vendors.", None),
        ("Agents copy the model's score by hand into the CRM, field by field.", ("bpo", "users")),
        ("Features are recomputed differently in every project, so numbers never agree.", ("ds",)),
        ("The core system has no API; we screen-scrape it, which breaks at every release.", ("mlops",)),
        ("Nobody budgets for integration; it always comes out of the model team's time.", ("exec", "bpo")),
    ],
    "skills": [
        ("Only one person can restart the scoring service, and she is on leave in August.", ("mlops", "ds", "bpo")),
        ("An ML engineer who can own deployment would free the data scientists to build.", ("ds", "mlops", "exec")),
        ("Staff were never told what the risk score means, so most of them ignore it.", ("bpo", "users")),
        ("I don't know who to call when the tool gives an odd answer.", ("users",)),
        ("Model risk has nobody who can read Python, so reviews stay at the slide level.", ("risk",)),
        ("A short training on reading confidence levels would help the whole team.", ("users", "bpo")),
        ("Finance cannot tell which model outputs feed the forecast, so we cannot challenge them.", ("finance",)),
    ],
    "trust": [
        ("The recommendation is on a separate screen, so I rarely look at it during a call.", ("users",)),
        ("It adds three clicks to every case; at 60 cases a day that matters.", ("users",)),
        ("If it showed why it flags a claim, I would trust it more.", ("users",)),
        ("Overrides are not logged anywhere, so the model team never learns from them.", ("ds", "mlops", "bpo")),
        ("Users were shown the tool at launch, not asked to help design it.", ("bpo", "exec", "risk")),
        ("Put the suggestion inside the case screen, not in a pop-up.", ("users", "bpo")),
    ],
    "monitoring": [
        ("We found out the claims model had drifted when the finance team asked why leakage went up.", None),
        ("There is no budget line for monitoring; it is done when someone has time.", ("ds", "mlops", "exec")),
        ("Drift alerts go to a shared mailbox that nobody reads.", ("mlops", "ds")),
        ("Retraining takes six weeks because every step is manual.", ("ds",)),
        ("A customer complaint told us the pricing model was off, not our dashboards.", ("bpo", "risk", "exec")),
        ("Performance incidents are not in the incident process, so there is no SLA.", ("mlops", "risk")),
    ],
}
# Comments that fit no single friction point; a respondent adds one only where the
# friction point's own bank has nothing left for their role (never the same text twice).
GENERIC_COMMENTS = [
    ("Honestly, the tools are fine; the hand-offs between teams are the problem.", None),
]

_FIRST = ["Amira", "Bas", "Chloe", "Dmitri", "Elena", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kaya", "Liam",
          "Mei", "Nils", "Olga", "Pablo", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wim", "Xenia", "Yusuf",
          "Zofia", "Anders", "Bea", "Carlos", "Dana"]
_LAST = ["Achterberg", "Bianchi", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ivanova", "Jansen",
         "Kowalski", "Lindqvist", "Moreau", "Novak", "Okafor", "Peeters", "Quint", "Rossi", "Schmidt", "Tanaka",
         "Ueda", "Vos", "Weber", "Yilmaz", "Zimmer"]


def _stable_unit(text: str) -> float:
    """A number in [0, 1) fixed by ``text``: per-question traits that do not shift
    when the questionnaire gains or loses another question."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") / 2**64


def _quotas(weights: Mapping[str, float], n: int) -> dict[str, int]:
    """Split ``n`` by ``weights`` (largest remainder); every key gets one when n allows."""
    keys = [k for k, w in weights.items() if w > 0]
    total = sum(weights[k] for k in keys)
    exact = {k: n * weights[k] / total for k in keys}
    counts = {k: int(exact[k]) for k in keys}
    if n >= len(keys):
        for k in keys:
            counts[k] = max(counts[k], 1)
    while sum(counts.values()) > n:
        k = max(keys, key=lambda k: (counts[k] - exact[k], counts[k]))
        counts[k] -= 1
    for k in sorted(keys, key=lambda k: exact[k] - counts[k], reverse=True):
        if sum(counts.values()) >= n:
            break
        counts[k] += 1
    while sum(counts.values()) < n:  # only when n > len(keys) and rounding left a gap
        counts[max(keys, key=lambda k: exact[k] - counts[k])] += 1
    return counts


def _numeric_value(q: Question, x: float) -> float:
    if q.worst is None or q.best is None:
        # An unscored fact (``scored: false``) has no better end: spread over its range.
        lo, hi = q.answer_range
        worst, best = lo, hi
    else:
        worst, best = float(q.worst), float(q.best)
        lo, hi = sorted((worst, best))
    value = worst + float(np.clip(x, 0, 1)) * (best - worst)
    step = 5.0 if q.percent else 1.0
    value = round(value / step) * step
    return float(min(max(value, lo), hi))


def _comment(dimension_id: str, role_id: str, rng: np.random.Generator, used: set[str]) -> str:
    bank = COMMENTS.get(dimension_id, [])
    fitting = [text for text, roles in bank if roles is None or role_id in roles] or [t for t, _ in bank]
    fresh = [t for t in fitting if t not in used] or \
        [t for t, roles in GENERIC_COMMENTS if t not in used and (roles is None or role_id in roles)] or fitting
    text = fresh[int(rng.integers(len(fresh)))]
    used.add(text)
    return text


def synthesize(questionnaire: Questionnaire, n: int, *, seed: int,
               units: Sequence[str] = DEFAULT_UNITS, role_mix: Mapping[str, float] | None = None,
               profile: Mapping[str, float] | None = None, email_domain: str = "example.com",
               straight_liners: int = 2, speeders: int = 1) -> list[dict[str, Any]]:
    """``n`` synthetic respondents to ``questionnaire``, the same for the same arguments.

    Each record is ``{"id", "role", "unit", "email", "first_name", "last_name",
    "started", "submitted", "quality", "answers": {qid: value | "NA" | None | text}}``:
    ``role`` a role id, times ISO-8601 without zone, ``quality`` None or
    ``"straight-liner"`` / ``"speeder"`` (what the quality checks should find).
    Only questions asked of the respondent's role appear in ``answers``.

    ``role_mix`` weighs roles (default: many frontline users and data scientists,
    few executives; every role gets at least one respondent when ``n`` allows).
    ``profile`` sets the latent maturity per dimension id on a 0-1 scale.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    if not units:
        raise ValueError("units must name at least one business unit")
    rng = np.random.default_rng(seed)
    roles = questionnaire.roles
    mix = {r.id: float((role_mix or DEFAULT_ROLE_MIX).get(r.id, 1.0 if role_mix is None else 0.0)) for r in roles}
    counts = _quotas(mix, n)
    base = {d.id: float((profile or DEFAULT_PROFILE).get(d.id, 0.3 + 0.25 * _stable_unit(d.id)))
            for d in questionnaire.dimensions}
    unit_offset = {(u, d): float(rng.normal(0, 0.07)) for u in units for d in base}
    # Units differ in their starting point too, so unit comparisons have a story.
    for k, u in enumerate(units):
        shift = (k - (len(units) - 1) / 2) * 0.05
        for d in base:
            unit_offset[(u, d)] += shift
    difficulty = {q.id: (_stable_unit(questionnaire.id + q.id) - 0.5) * 0.16 for q in questionnaire.questions.values()}

    # Who answers: roles by quota, units cycled within each role, then shuffled.
    people: list[tuple[str, str]] = []
    for role in roles:
        offset = int(rng.integers(len(units)))
        people += [(role.id, units[(offset + i) % len(units)]) for i in range(counts.get(role.id, 0))]
    order = rng.permutation(len(people))
    people = [people[i] for i in order]

    # Straight-lining only shows in a long block, so plant it on roles that see the
    # most scale items of one dimension (data scientists, ML operations).
    block = {r.id: max([sum(1 for q in d.questions if q.type == "scale" and questionnaire.asked(q, r.id))
                        for d in questionnaire.dimensions]) for r in roles}
    longest = max(block.values(), default=0)
    quality: dict[int, str] = {}
    if n >= 8:
        liners = [i for i, (rid, _) in enumerate(people) if block[rid] == longest]
        for i in rng.choice(liners, size=min(straight_liners, len(liners)), replace=False):
            quality[int(i)] = "straight-liner"
        rest = [i for i in range(n) if i not in quality]
        for i in rng.choice(rest, size=min(speeders, len(rest)), replace=False):
            quality[int(i)] = "speeder"

    names_used: set[str] = set()
    comments_used: set[str] = set()
    records: list[dict[str, Any]] = []
    for i, (role_id, unit) in enumerate(people):
        role = questionnaire.role_by_id[role_id]
        group_eff = GROUP_EFFECT.get(role.group, 0.0) + (-0.03 if role_id == "users" else 0.0)
        # People differ overall and per friction point (what they happen to see).
        person = float(rng.normal(0, PERSON_SD))
        latent = {d: base[d] + unit_offset[(unit, d)] + group_eff + person + float(rng.normal(0, PERSON_DIM_SD))
                  for d in base}
        kind = quality.get(i)
        fixed_point = int(rng.integers(2, 4))  # a straight-liner's favourite column
        answers: dict[str, Any] = {}
        asked = [q for q in questionnaire.questions.values() if questionnaire.asked(q, role_id)]
        for q in asked:
            dim = questionnaire.question_dimension[q.id]
            x = latent[dim] + difficulty[q.id] + float(rng.normal(0, ITEM_NOISE))
            u = float(rng.random())
            if q.type == "scale":
                points = questionnaire.scale_of(q).points
                k = len(points)
                if kind == "straight-liner":
                    answers[q.id] = points[min(fixed_point, k - 1)].value
                    continue
                if kind == "speeder":
                    answers[q.id] = points[int(rng.integers(k))].value
                    continue
                if u < NA_RATE and questionnaire.scale_of(q).na_label:
                    answers[q.id] = "NA"
                    continue
                if u < NA_RATE + BLANK_RATE:
                    answers[q.id] = None
                    continue
                idx = int(np.clip(round(x * (k - 1)), 0, k - 1))
                if q.reverse:
                    idx = k - 1 - idx
                answers[q.id] = points[idx].value
            elif q.type == "numeric":
                if kind == "speeder" or u < NUMERIC_BLANK_RATE:
                    answers[q.id] = None
                else:
                    answers[q.id] = _numeric_value(q, x)
            else:
                rate = COMMENT_RATE + (0.1 if role.group == LEADERSHIP else 0.0)
                if kind is None and u < rate:
                    answers[q.id] = _comment(dim, role_id, rng, comments_used)
                else:
                    answers[q.id] = None
        while True:
            first, last = _FIRST[int(rng.integers(len(_FIRST)))], _LAST[int(rng.integers(len(_LAST)))]
            if f"{first} {last}" not in names_used:
                break
            if len(names_used) >= len(_FIRST) * len(_LAST) - 1:
                last = f"{last}{i}"
                break
        names_used.add(f"{first} {last}")
        started = START + timedelta(days=int(rng.integers(0, 18)), minutes=int(rng.integers(0, 9 * 60)),
                                    seconds=int(rng.integers(60)))
        if kind == "speeder":
            seconds = int((25 + 3 * len(asked)) * rng.uniform(0.8, 1.2))  # three seconds a question
        else:
            # Reading time grows with the questions asked; the spread is kept modest so
            # that a frontline user with a dozen questions does not look like a speeder.
            seconds = 120 + int(len(asked) * 20 * float(rng.lognormal(0, 0.25)))
        records.append({
            "id": f"R{i + 1:03d}",
            "role": role_id,
            "unit": unit,
            "email": f"{first}.{last}@{email_domain}".lower(),
            "first_name": first,
            "last_name": last,
            "started": started.isoformat(timespec="seconds"),
            "submitted": (started + timedelta(seconds=seconds)).isoformat(timespec="seconds"),
            "quality": kind,
            "answers": answers,
        })
    return records

