"""A real workshop server on 127.0.0.1:0: 150 phones at once, two sockets, the CLI end to end.

Bounded everywhere: the projector's event stream is read until a condition holds
(never to its end), every HTTP call has a timeout, and the server thread must be
gone after stopping. No timed assertions: speed is measured by
benchmarks/bench_workshop.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from support.exports import write_export
from support.synth import synthesize
from support.workshop import Phone, asked_answers, new_workspace

from assessment.collect import import_responses
from assessment.scoring import score
from assessment.store import load_workspace_responses
from assessment.workshop.server import start
from assessment.workshop.session import CODE_ALPHABET, open_workshop

TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def assert_same_scores(a, b, path: str = "score") -> None:
    """Equal score results. Floats may differ in the last bits only: scoring orders respondents by
    id (file ids versus device pseudonyms), so sums run in another order; anything more is a failure."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), path
        for key in a:
            assert_same_scores(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same_scores(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-9), path
    else:
        assert a == b, path


async def read_stream_until(url: str, token: str, done, limit: int = 10_000) -> list[dict]:
    """Snapshots from the projector's stream until ``done(snapshot)`` (bounded by ``limit`` events)."""
    seen: list[dict] = []
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=5.0)) as client, \
            client.stream("GET", url, headers=headers) as response:
        assert response.status_code == 200
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                seen.append(json.loads(line[6:]))
                if done(seen[-1]) or len(seen) >= limit:
                    return seen
    return seen


async def run_phone(base: str, code: str, q, record: dict, double_tap_every: int = 5) -> tuple[str, int]:
    async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT) as client:
        phone = Phone(client)
        r = await phone.join(code)
        assert r.status_code == 200, r.text
        r = await phone.profile(record["role"], record.get("unit"))
        assert r.status_code == 200, r.text
        sent = statements = 0
        for i, (qid, value) in enumerate(asked_answers(q, record)):
            for _ in range(2 if i % double_tap_every == 0 else 1):  # a double tap changes nothing
                r = await phone.answer(qid, value)
                assert r.status_code == 200, (qid, value, r.text)
            sent += 1
            statements += q.questions[qid].scored
        progress = await phone.progress()
        assert progress["answered"] == statements and progress["comments"] == sent - statements
        return phone.device or "", sent


@pytest.mark.parametrize("n_phones", [150])
def test_150_phones_at_once_store_every_answer_once_and_score_like_an_import(tmp_path, n_phones):
    ws = new_workspace(tmp_path / "room")
    q = ws.questionnaire
    session = open_workshop(ws)
    running = start(session, bind="127.0.0.1", port=0, heartbeat=0.5).start_in_thread()
    records = synthesize(q, n_phones, seed=16)
    base = running.participant_url.rstrip("/")
    stream_url = running.facilitator_url.split("/f?")[0] + "/f/stream"
    token = running.settings.admin_token

    async def scenario():
        reader = asyncio.create_task(read_stream_until(
            stream_url, token, lambda s: s["devices"]["answering"] >= n_phones and s["progress"]["answers"] > 0
            and s["progress"]["answers"] == s["progress"]["asked"] - blanks))
        phones = await asyncio.gather(*(run_phone(base, session.join_code, q, rec) for rec in records))
        snapshots = await asyncio.wait_for(reader, 60)
        # Stop with a projector stream still connected: the server must not wait for it.
        lingering = asyncio.create_task(read_stream_until(stream_url, token, lambda s: False))
        await asyncio.sleep(0.5)
        return phones, snapshots, lingering

    blanks = sum(1 for rec in records for qq in session.questions_for(rec["role"])
                 if qq.scored and rec["answers"].get(qq.id) is None)
    try:
        phones, snapshots, lingering = asyncio.run(_with_stop(scenario, running))
    finally:
        running.stop()
        assert running.join(10), "the server did not stop with the projector connected"
    devices = [d for d, _ in phones]
    expected_rows = sum(n for _, n in phones)
    assert len(set(devices)) == n_phones
    assert snapshots and snapshots[-1]["devices"]["answering"] == n_phones

    with sqlite3.connect(ws.store_path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM workshop_answers").fetchone()[0] == expected_rows
        assert conn.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == expected_rows
        assert conn.execute("SELECT COUNT(*) FROM respondents").fetchone()[0] == n_phones
        assert conn.execute("SELECT COUNT(*) FROM (SELECT respondent, question_id FROM answers "
                            "GROUP BY 1, 2 HAVING COUNT(*) > 1)").fetchone()[0] == 0
    assert not Path(str(ws.store_path) + "-wal").exists()
    assert not Path(str(ws.store_path) + "-journal").exists()

    # The same answers imported from a file score exactly the same.
    other = new_workspace(tmp_path / "file")
    path = write_export(records, q, "wide", tmp_path / "same-answers.csv")
    import_responses(other, [path])
    live = score(q, load_workspace_responses(ws), n_resamples=300).to_dict()
    imported = score(q, load_workspace_responses(other), n_resamples=300).to_dict()
    assert_same_scores(live, imported)


async def _with_stop(scenario, running):
    phones, snapshots, lingering = await scenario()
    running.stop()
    # The lingering stream ends when the server stops (it checks the stop flag).
    with contextlib.suppress(httpx.HTTPError, httpx.StreamError):
        await asyncio.wait_for(lingering, 10)
    return phones, snapshots, lingering


def test_two_sockets_facilitator_only_on_loopback(tmp_path):
    ws = new_workspace(tmp_path / "room")
    session = open_workshop(ws)
    running = start(session, bind="127.0.0.2", port=0, heartbeat=0.5).start_in_thread()
    try:
        lan = running.participant_url.rstrip("/")
        assert lan.startswith("http://127.0.0.2:")
        admin = running.facilitator_url.split("/f?")[0]
        assert admin.startswith("http://127.0.0.1:")
        bearer = {"Authorization": f"Bearer {running.settings.admin_token}"}
        with httpx.Client(timeout=TIMEOUT) as c:
            assert c.get(f"{lan}/f/api/snapshot", headers=bearer).status_code == 403
            assert c.get(f"{admin}/f/api/snapshot", headers=bearer).status_code == 200
            assert c.post(f"{lan}/api/join", json={"code": session.join_code}).status_code == 200
            assert c.get(f"{lan}/", headers={"Host": "evil.example"}).status_code == 400
            r = c.get(running.facilitator_url, follow_redirects=False)
            assert r.status_code == 303 and "ws_admin" in r.cookies
    finally:
        running.stop()
        assert running.join(10)


def test_live_results_reach_the_projector_stream(tmp_path):
    ws = new_workspace(tmp_path / "room")
    session = open_workshop(ws, min_group_size=3)
    running = start(session, bind="127.0.0.1", port=0, heartbeat=0.5, results_live=True,
                    results_interval=0.2).start_in_thread()
    records = synthesize(ws.questionnaire, 4, seed=8, straight_liners=0, speeders=0)
    stream_url = running.facilitator_url.split("/f?")[0] + "/f/stream"

    async def scenario():
        reader = asyncio.create_task(read_stream_until(
            stream_url, running.settings.admin_token,
            lambda s: s["devices"]["answering"] == 4 and 'class="area"' in s["html"]))
        await asyncio.gather(*(run_phone(running.participant_url, session.join_code, ws.questionnaire, rec)
                               for rec in records))
        return await asyncio.wait_for(reader, 60)
    try:
        snapshots = asyncio.run(scenario())
    finally:
        running.stop()
        assert running.join(10)
    assert 'class="area"' in snapshots[-1]["html"]
    assert any('class="area"' not in s["html"] for s in snapshots)  # nothing shown below 3 people


def test_facilitator_has_its_own_socket_even_on_loopback(tmp_path):
    ws = new_workspace(tmp_path / "room")
    running = start(open_workshop(ws), bind="127.0.0.1", port=0, heartbeat=0.5).start_in_thread()
    try:
        participant = running.participant_url.rstrip("/")
        admin = running.facilitator_url.split("/f?")[0]
        assert participant != admin
        bearer = {"Authorization": f"Bearer {running.settings.admin_token}"}
        with httpx.Client(timeout=TIMEOUT) as c:
            assert c.get(f"{participant}/f/api/snapshot", headers=bearer).status_code == 403
            assert c.get(f"{admin}/f/api/snapshot", headers=bearer).status_code == 200
    finally:
        running.stop()
        assert running.join(10)


# -- the command, as a consultant runs it ---------------------------------------------------------


def _start_cli(ws_root: Path, *args: str) -> tuple[subprocess.Popen, dict]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "assessment", "-w", str(ws_root), "workshop", "--bind",
                             "127.0.0.1", "--port", "0", "--no-browser", "--json", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(30)
    if not line or not line[0].strip():
        proc.kill()
        raise AssertionError(f"no JSON line; stderr: {proc.communicate(timeout=10)[1]}")
    return proc, json.loads(line[0])


def _stop_cli(proc: subprocess.Popen) -> tuple[int, str]:
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError("assess workshop did not stop on Ctrl-C") from None
    return proc.returncode, err


def test_cli_json_line_answers_resume_and_score_like_an_import(tmp_path, runner):
    from assessment.cli import cli

    root = tmp_path / "room"
    ws = new_workspace(root)
    q = ws.questionnaire
    records = synthesize(q, 8, seed=5, straight_liners=0, speeders=0)
    proc, info = _start_cli(root, "--expected", "8")
    try:
        assert set(info) == {"participant_url", "join_code", "facilitator_url"}
        assert info["participant_url"].startswith("http://127.0.0.1:")
        assert "/f?t=" in info["facilitator_url"]

        async def answer_first_half():
            await asyncio.gather(*(run_phone(info["participant_url"], info["join_code"], q, rec)
                                   for rec in records[:4]))
        asyncio.run(answer_first_half())
    finally:
        code, err = _stop_cli(proc)
    assert code == 0, err
    assert "Stopped. 4 device(s) answered" in err

    proc, again = _start_cli(root, "--resume")
    try:
        assert again["join_code"] == info["join_code"]

        async def answer_rest():
            await asyncio.gather(*(run_phone(again["participant_url"], again["join_code"], q, rec)
                                   for rec in records[4:]))
        asyncio.run(answer_rest())
        # During the session, `assess score` already reads the answers.
        mid = runner.invoke(cli, ["-w", str(root), "score", "--format", "json"])
        assert mid.exit_code == 0, mid.output
        assert json.loads(mid.output)["respondents"] == 8
    finally:
        code, err = _stop_cli(proc)
    assert code == 0, err

    other = tmp_path / "file"
    new_workspace(other)
    path = write_export(records, q, "wide", tmp_path / "same.csv")
    assert runner.invoke(cli, ["-w", str(other), "import", str(path)]).exit_code == 0
    live = runner.invoke(cli, ["-w", str(root), "score", "--format", "json"])
    imported = runner.invoke(cli, ["-w", str(other), "score", "--format", "json"])
    assert live.exit_code == 0 and imported.exit_code == 0
    assert_same_scores(json.loads(live.output), json.loads(imported.output))


def test_cli_stops_at_once_on_ctrl_c_with_the_projector_stream_open(tmp_path):
    root = tmp_path / "room"
    ws = new_workspace(root)
    proc, info = _start_cli(root)
    admin = info["facilitator_url"].split("/f?")[0]
    token = info["facilitator_url"].split("t=")[1]
    got_event = threading.Event()

    def projector() -> None:
        headers = {"Authorization": f"Bearer {token}"}
        try:
            with httpx.stream("GET", f"{admin}/f/stream", headers=headers, timeout=TIMEOUT) as response:
                for line in response.iter_lines():
                    if line.startswith("event: snapshot"):
                        got_event.set()
        except httpx.HTTPError:
            pass

    viewer = threading.Thread(target=projector, daemon=True)
    viewer.start()
    assert got_event.wait(15), "the projector stream sent nothing"
    code, err = _stop_cli(proc)  # bounded: fails if the process is still there after 15 s
    assert code == 0, err
    viewer.join(10)
    assert not viewer.is_alive(), "the stream did not end when the server stopped"
    assert not Path(str(ws.store_path) + "-journal").exists()
    assert not Path(str(ws.store_path) + "-wal").exists()
    with sqlite3.connect(ws.store_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_cli_refuses_a_second_workshop_while_one_is_unfinished(tmp_path):
    root = tmp_path / "room"
    new_workspace(root)
    proc, _ = _start_cli(root)
    code, _ = _stop_cli(proc)
    assert code == 0
    out = subprocess.run([sys.executable, "-m", "assessment", "-w", str(root), "workshop", "--bind", "127.0.0.1",
                          "--port", "0", "--no-browser"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert "--resume" in out.stderr


def test_cli_module_imports_nothing_heavy():
    code = ("import sys, assessment.cli; "
            "bad = [m for m in ('starlette', 'uvicorn', 'segno', 'pandas', 'ifaddr') if m in sys.modules]; "
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_cli_tickets_are_printed_once_and_survive_a_resume(tmp_path):
    root = tmp_path / "room"
    new_workspace(root)
    proc, _ = _start_cli(root, "--tickets", "3")
    code, err = _stop_cli(proc)
    assert code == 0, err
    tickets = re.findall(r"^\s{4}(\S+)\s+(\S+)\s+(\S+)\s*$", err, flags=re.M)
    assert tickets, err
    tickets = list(tickets[0])
    assert all(len(t) == 8 and set(t) <= set(CODE_ALPHABET) for t in tickets)

    proc, info = _start_cli(root, "--resume")
    try:
        with httpx.Client(base_url=info["participant_url"], timeout=TIMEOUT) as first, \
                httpx.Client(base_url=info["participant_url"], timeout=TIMEOUT) as second:
            assert first.post("/api/join", json={"code": info["join_code"]}).status_code == 404  # tickets only
            assert first.post("/api/join", json={"ticket": tickets[0]}).status_code == 200
            assert second.post("/api/join", json={"ticket": tickets[0]}).status_code == 409
            assert second.post("/api/join", json={"ticket": tickets[1]}).status_code == 200
    finally:
        code, err = _stop_cli(proc)
    assert code == 0, err
    assert "Ticket mode" in err


def test_cli_finish_on_the_projector_ends_the_command(tmp_path):
    root = tmp_path / "room"
    new_workspace(root)
    proc, info = _start_cli(root)
    admin, token = info["facilitator_url"].split("/f?t=")
    try:
        r = httpx.post(f"{admin}/f/api/finish", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
        assert r.status_code == 200 and r.json()["state"] == "finished"
        _, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError("assess workshop kept running after Finish") from None
    assert proc.returncode == 0, err
    assert "Stopped." in err
