"""Property tests (hypothesis): what must not change what is read, or what is scored.

Column order, header case and whitespace, label case, a BOM, line endings and the
delimiter are presentation: the answers read must be identical. Respondent order
is not information: the scores must be identical.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessment.importers import read_responses
from assessment.questionnaire import load_questionnaire
from assessment.responses import from_records

DATA = Path(__file__).parent / "data"
Q = load_questionnaire(DATA / "worked.yaml")
HEADER = ["Timestamp", "What is your role?", "Which business unit?",
          "Governance [Model releases pass review within two weeks.]", "Models wait in staging for documentation.",
          "Days from approval to production", "Production models have drift alerts.",
          "How ready is retraining (0-10)?", "Comments on monitoring"]
ROWS = [
    ["2025/01/15 9:00:00 AM GMT", "Executive sponsor", "Retail", "Agree", "Don't know / not applicable", "12",
     "Strongly agree", "7", "fine"],
    ["2025/01/15 9:05:00 AM GMT", "Data scientist", "Operations", "Strongly disagree", "Disagree", "30", "", "10", ""],
    ["2025/01/15 9:05:00 AM GMT", "IT operations", "", "Neutral", "Agree", "", "Don't know / not applicable", "0",
     "a, b"],
]


def _encode(rows: list[list[str]], *, sep: str, newline: str, bom: bool, encoding: str) -> bytes:
    def field(cell: str) -> str:
        return '"' + cell.replace('"', '""') + '"' if (sep in cell or '"' in cell or "\n" in cell) else cell
    text = newline.join(sep.join(field(c) for c in r) for r in rows) + newline
    data = text.encode(encoding)
    if bom:
        data = ("\ufeff".encode(encoding) if encoding.startswith("utf-16") else b"\xef\xbb\xbf") + data
    return data


def _read(path: Path, data: bytes):
    path.write_bytes(data)
    return read_responses(path, Q)


def _answers(parsed) -> pd.DataFrame:
    return parsed.answers.sort_values(["source_row", "question_id"]).reset_index(drop=True)



def _base(tmp: Path):
    return _read(tmp / "base.csv", _encode([HEADER, *ROWS], sep=",", newline="\n", bom=False, encoding="utf-8"))


def _recase(text: str, how: int) -> str:
    return [text, text.upper(), text.lower(), text.swapcase()][how]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(range(len(HEADER))),
       header_case=st.lists(st.integers(0, 3), min_size=len(HEADER), max_size=len(HEADER)),
       header_pad=st.lists(st.sampled_from(["", " ", "  ", "\t"]), min_size=len(HEADER), max_size=len(HEADER)),
       label_case=st.integers(0, 3), sep=st.sampled_from([",", ";", "\t"]), newline=st.sampled_from(["\n", "\r\n"]),
       bom=st.booleans(), encoding=st.sampled_from(["utf-8", "utf-16-le"]))
def test_presentation_changes_nothing(tmp_path_factory, order, header_case, header_pad, label_case, sep, newline,
                                      bom, encoding):
    folder = tmp_path_factory.mktemp("prop")
    base = _base(folder)
    header = [header_pad[j] + _recase(h, header_case[j]) + header_pad[-1 - j] for j, h in enumerate(HEADER)]
    # labels: every answer cell except the free-text comment and the timestamp
    rows = [[c if j in (0, 8) else _recase(c, label_case) for j, c in enumerate(r)] for r in ROWS]
    table = [[row[j] for j in order] for row in [header, *rows]]
    if encoding == "utf-16-le" and not bom:
        bom = True  # UTF-16 without a BOM is read too, but only when it is mostly ASCII; keep the property exact
    moved = _read(folder / "moved.csv", _encode(table, sep=sep, newline=newline, bom=bom, encoding=encoding))
    assert moved.problems == []
    a, b = _answers(base), _answers(moved)
    pd.testing.assert_frame_equal(a.drop(columns=["raw"]), b.drop(columns=["raw"]))
    assert list(moved.respondents["role"]) == list(base.respondents["role"])
    assert [u.casefold() if isinstance(u, str) else u for u in moved.respondents["unit"]] == \
        [u.casefold() if isinstance(u, str) else u for u in base.respondents["unit"]]
    assert list(moved.respondents["submitted"]) == list(base.respondents["submitted"])


def _records(n: int, seed: int) -> list[dict]:
    import random

    rng = random.Random(seed)
    roles = ["exec", "ds", "ops"]
    out = []
    for i in range(n):
        answers = {"GOV-1": rng.choice([1, 2, 3, 4, 5, "NA", None]), "GOV-2": rng.choice([1, 2, 3, 4, 5, None]),
                   "GOV-3": rng.choice([1, 10, 30, 90, None]), "MON-1": rng.choice([1, 2, 3, 4, 5]),
                   "MON-2": rng.choice(list(range(11)))}
        out.append({"id": f"p{i}", "role": roles[i % 3], "unit": rng.choice(["North", "South"]),
                    "answers": answers})
    return out


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), perm_seed=st.integers(0, 10_000))
def test_scores_do_not_depend_on_respondent_order(seed, perm_seed):
    import random

    from assessment.scoring import score

    records = _records(18, seed)
    shuffled = records[:]
    random.Random(perm_seed).shuffle(shuffled)
    a = score(Q, from_records(records, Q)).to_dict()
    b = score(Q, from_records(shuffled, Q)).to_dict()
    _same(a, b)


def _same(a, b, path="$"):
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for k in a:
            _same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), path
    else:
        assert a == b, path
