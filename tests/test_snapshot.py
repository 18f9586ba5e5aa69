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


def _snapshot_matches_store(ws) -> bool:
    """Whether a snapshot exists and reads back exactly what the store itself holds."""
    with open_store(ws.store_path) as store:
        path = store.snapshot_path(store.current_round())
        if not path.exists():
            return False
        cached = store.load_responses()
        path.unlink()
        fresh = store.load_responses()  # from SQLite
    pd.testing.assert_frame_equal(cached.respondents, fresh.respondents)
    pd.testing.assert_frame_equal(cached.answers, fresh.answers)
    return True


def test_import_writes_the_snapshot_a_load_would_write(tmp_path):
    """The first score after an import reads the snapshot the import kept, equal to the store,
    through a fresh import, several files at once and a later file added to a loaded round."""
    q = load_questionnaire("ai-friction@2")
    ws = init_workspace(tmp_path / "ws", "Snap")
    records = synthesize(q, 60, seed=11)
    for name, part in (("a.xlsx", records[:20]), ("b.csv", records[20:35]), ("c.csv", records[35:50]),
                       ("d.csv", records[50:])):
        write_export(part, q, "template" if name.endswith("xlsx") else "wide", tmp_path / name)
    import_responses(ws, [tmp_path / "a.xlsx"])
    assert _snapshot_matches_store(ws)
    import_responses(ws, [tmp_path / "b.csv", tmp_path / "c.csv"])  # the snapshot was just rebuilt by a load
    assert _snapshot_matches_store(ws)
    _frames(ws)
    import_responses(ws, [tmp_path / "d.csv", tmp_path / "d.csv"])  # the repeat changes nothing
    assert _snapshot_matches_store(ws)
    assert len(_frames(ws)[0]) == 60


def test_import_leaves_no_snapshot_it_cannot_vouch_for(tmp_path):
    """No snapshot is written when the import cannot mirror the store: a replacement, a round
    that had answers but no current snapshot, a dry run. The next load reads the store."""
    q = load_questionnaire("ai-friction@2")
    ws = init_workspace(tmp_path / "ws", "Snap")
    records = synthesize(q, 20, seed=12)
    write_export(records, q, "template", tmp_path / "a.xlsx")
    import_responses(ws, [tmp_path / "a.xlsx"])
    cache = ws.root / ".assess-cache"
    for snap in cache.glob("*.npz"):
        snap.unlink()
    write_export(synthesize(q, 5, seed=13), q, "wide", tmp_path / "b.csv")
    import_responses(ws, [tmp_path / "b.csv"])  # round had answers and no snapshot: none written
    assert not list(cache.glob("*.npz"))
    import_responses(ws, [tmp_path / "b.csv"], dry_run=True)
    assert not list(cache.glob("*.npz"))
    changed = [dict(r, answers={k: (1 if v == 5 else 5) if isinstance(v, int) else v
                                for k, v in r["answers"].items()}) for r in records[:3]]
    write_export(changed, q, "template", tmp_path / "changed.xlsx")
    _frames(ws)  # a load writes a snapshot; the replacement must not extend it
    import_responses(ws, [tmp_path / "changed.xlsx"], replace=True)
    respondents, answers = _frames(ws)
    assert len(respondents) == 25
    assert _snapshot_matches_store(ws)


def test_follower_stops_when_another_writer_commits_in_between(tmp_path):
    """A commit by someone else between two files breaks the chain: no snapshot from the import."""
    from assessment.snapshot import ImportFollower

    q = load_questionnaire("ai-friction@2")
    ws = init_workspace(tmp_path / "ws", "Snap")
    write_export(synthesize(q, 8, seed=14), q, "template", tmp_path / "a.xlsx")
    import_responses(ws, [tmp_path / "a.xlsx"])
    with open_store(ws.store_path) as store:
        follower = ImportFollower(store, "baseline")
        with store.transaction():
            follower.begin()
        follower.committed()
        assert follower.active
        with open_store(ws.store_path) as other:
            other.new_round("day-90", make_current=False)
        with store.transaction():
            follower.begin()
        assert not follower.active


def _same_matrices(a, b) -> None:
    import dataclasses

    import numpy as np

    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), f.name
        else:
            assert x == y, f.name


def test_answer_codes_match_the_texts_they_stand_for(tmp_path):
    # The store and its snapshot hand scoring integer codes of the answers' key columns;
    # the matrices built through them must be the ones built from the texts.
    import numpy as np

    from assessment.responses import AnswerCodes, Responses
    from assessment.scoring.matrices import build_matrices

    q = load_questionnaire("ai-friction")
    ws = init_workspace(tmp_path / "ws", "Codes", questionnaire="ai-friction")
    write_export(synthesize(q, 40, seed=9), q, "wide", tmp_path / "a.csv")
    import_responses(ws, [tmp_path / "a.csv"])
    with open_store(ws.store_path) as store:
        loads = [store.load_responses(), store.load_responses()]  # SQLite (writes the snapshot), then the snapshot
    unit = loads[0].respondents["unit"].dropna().iloc[0]
    for loaded in loads:
        assert loaded.codes is not None and loaded.codes.frame is loaded.answers
        for part in (loaded, loaded.for_unit(unit), loaded.subset(loaded.respondents["respondent_id"][::3])):
            assert part.codes is not None and part.codes.frame is part.answers
            texts_only = Responses(part.respondents, part.answers)
            _same_matrices(build_matrices(q, part), build_matrices(q, texts_only))
            pd.testing.assert_frame_equal(part.answers, texts_only.subset(part.respondents["respondent_id"]).answers)

    # codes made for another frame are never used: scrambled ones on a copy change nothing
    loaded = loads[1]
    codes, texts = loaded.codes.columns["question_id"]
    scrambled = AnswerCodes(loaded.answers, {**loaded.codes.columns, "question_id": (codes, np.roll(texts, 1))})
    assert not np.array_equal(Responses(loaded.respondents, loaded.answers, scrambled).positions(
        "question_id", list(q.questions)), loaded.positions("question_id", list(q.questions)))
    copied = Responses(loaded.respondents, loaded.answers.copy(), scrambled)
    _same_matrices(build_matrices(q, copied), build_matrices(q, Responses(loaded.respondents, loaded.answers)))
