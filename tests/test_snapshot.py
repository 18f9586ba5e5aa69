"""The response snapshot beside the store is only ever a faster copy of the store."""

from __future__ import annotations

import pandas as pd
from support.exports import write_export
from support.synth import synthesize

from assessment import import_responses, init_workspace, load_questionnaire
from assessment.store import open_store


def _frames(ws):
    with open_store(ws.store_path) as store:
        r = store.load_responses()
    return r.respondents, r.answers


def test_snapshot_equals_store_and_follows_every_change(tmp_path):
    q = load_questionnaire("ai-friction")
    ws = init_workspace(tmp_path / "ws", "Snap", questionnaire="ai-friction")
    records = synthesize(q, 30, seed=5)
    write_export(records[:20], q, "wide", tmp_path / "a.csv")
    write_export(records[20:], q, "wide", tmp_path / "b.csv")
    import_responses(ws, [tmp_path / "a.csv"])

    first_r, first_a = _frames(ws)  # from SQLite, writes the snapshot
    cache = list((ws.root / ".assess-cache").glob("*.npz"))
    assert len(cache) == 1
    again_r, again_a = _frames(ws)  # from the snapshot
    pd.testing.assert_frame_equal(first_r, again_r)
    pd.testing.assert_frame_equal(first_a, again_a)
    assert len(again_r) == 20

    import_responses(ws, [tmp_path / "b.csv"])
    assert len(_frames(ws)[0]) == 30
    with open_store(ws.store_path) as store:
        store.remove_respondents([first_r["respondent_id"].iloc[0]])
    respondents, answers = _frames(ws)
    assert len(respondents) == 29
    assert first_r["respondent_id"].iloc[0] not in set(answers["respondent_id"])


def test_damaged_snapshot_is_ignored(tmp_path):
    q = load_questionnaire("ai-friction")
    ws = init_workspace(tmp_path / "ws", "Snap", questionnaire="ai-friction")
    write_export(synthesize(q, 10, seed=6), q, "wide", tmp_path / "a.csv")
    import_responses(ws, [tmp_path / "a.csv"])
    expected = _frames(ws)[1]
    for snap in (ws.root / ".assess-cache").glob("*.npz"):
        snap.write_bytes(b"not a zip file")
    pd.testing.assert_frame_equal(_frames(ws)[1], expected)
