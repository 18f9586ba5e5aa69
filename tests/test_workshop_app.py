"""The workshop application in process (httpx's ASGI transport): every route and rule.

No network at all: the transport hands requests straight to the app, with the
"server" socket taken from the URL (127.0.0.2:8766 stands in for the LAN socket,
127.0.0.1:8765 for the facilitator's loopback socket) and the peer address chosen
per client. The store is a real SQLite file in a real workspace.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from dataclasses import dataclass

import httpx
import pytest
from support.workshop import Phone, new_workspace

from assessment.scoring import score
from assessment.store import load_workspace_responses
from assessment.workshop.app import MAX_BODY, Settings, WorkshopServer, results_for
from assessment.workshop.net import host_allowlist
from assessment.workshop.session import WorkshopError, open_workshop

LAN = ("127.0.0.2", 8766)
ADMIN = ("127.0.0.1", 8765)
LAN_URL = "http://127.0.0.2:8766"
ADMIN_URL = "http://127.0.0.1:8765"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Room:
    ws: object
    session: object
    settings: Settings
    server: WorkshopServer
    clock: FakeClock

    def phone(self, ip: str = "127.0.0.9") -> Phone:
        transport = httpx.ASGITransport(app=self.server.app, client=(ip, 40000))
        return Phone(httpx.AsyncClient(transport=transport, base_url=LAN_URL))

    def admin(self, token: bool = True, url: str = ADMIN_URL, ip: str = "127.0.0.1") -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.server.app, client=(ip, 40001))
        headers = {"Authorization": f"Bearer {self.settings.admin_token}"} if token else {}
        return httpx.AsyncClient(transport=transport, base_url=url, headers=headers)

    def rows(self, sql: str, *args) -> list:
        with sqlite3.connect(self.ws.store_path) as conn:
            return conn.execute(sql, args).fetchall()


def make_room(tmp_path, k: int = 3, **settings) -> Room:
    ws = new_workspace(tmp_path / "eng")
    session = open_workshop(ws, min_group_size=k)
    clock = FakeClock()
    cfg = Settings(participant_url=LAN_URL + "/", admin_address=ADMIN, allowed_hosts=host_allowlist([LAN, ADMIN]),
                   clock=clock, results_interval=0, **settings)
    return Room(ws, session, cfg, WorkshopServer(session, cfg), clock)


@pytest.fixture
def room(tmp_path):
    r = make_room(tmp_path)
    yield r
    r.session.close()


def run(coro):
    return asyncio.run(coro)


async def joined(room: Room, role: str = "ds", unit: str | None = "Retail", ip: str = "127.0.0.9") -> Phone:
    phone = room.phone(ip)
    r = await phone.join(room.session.join_code)
    assert r.status_code == 200, r.text
    r = await phone.profile(role, unit)
    assert r.status_code == 200, r.text
    return phone


# -- joining ---------------------------------------------------------------------------


def test_join_link_wrong_token_404_right_token_same_device_per_jar(room):
    async def go():
        a, b = room.phone(), room.phone()
        assert (await a.client.get("/j/not-the-token")).status_code == 404
        r = await a.client.get(f"/j/{room.session.join_token}")
        assert r.status_code == 303 and r.headers["location"] == "/q"
        first = a.client.cookies["ws_device"]
        cookie_header = r.headers["set-cookie"].lower()
        assert "httponly" in cookie_header and "samesite=lax" in cookie_header
        await a.client.get(f"/j/{room.session.join_token}")
        assert a.client.cookies["ws_device"] == first
        await b.client.get(f"/j/{room.session.join_token}")
        assert b.client.cookies["ws_device"] != first
        assert len(room.session.devices) == 2
    run(go())


def test_join_by_code_ignores_case_and_spaces_and_refuses_a_wrong_code(room):
    async def go():
        p = room.phone()
        assert (await p.join("XXXXXX")).status_code == 404
        code = room.session.join_code
        r = await p.join(f" {code[:3].lower()} {code[3:]} ")
        assert r.status_code == 200
        assert r.json()["device"].startswith("ws")
        assert r.json()["csrf"]
    run(go())


def test_wrong_codes_are_rate_limited_per_ip_with_a_fake_clock(room):
    async def go():
        p = room.phone("127.0.0.20")
        for _ in range(10):
            assert (await p.join("WRONG1")).status_code == 404
        assert (await p.join(room.session.join_code)).status_code == 429  # even the right code, for a minute
        other = room.phone("127.0.0.21")
        assert (await other.join(room.session.join_code)).status_code == 200  # another phone is not blocked
        room.clock.now += 60
        assert (await p.join(room.session.join_code)).status_code == 200
    run(go())


def test_successful_joins_from_one_address_are_not_limited(room):
    async def go():
        for _ in range(30):  # a room behind one NAT address
            assert (await room.phone("127.0.0.30").join(room.session.join_code)).status_code == 200
    run(go())


def test_lock_joining_refuses_new_devices_but_joined_ones_answer(room):
    async def go():
        phone = await joined(room)
        admin = room.admin()
        assert (await admin.post("/f/api/lock")).status_code == 200
        assert (await room.phone().join(room.session.join_code)).status_code == 403
        assert (await phone.answer("GOV-01", 4)).status_code == 200
        await admin.post("/f/api/unlock")
        assert (await room.phone().join(room.session.join_code)).status_code == 200
    run(go())


# -- answers ---------------------------------------------------------------------------


def test_double_tap_and_changed_answer_leave_one_row_with_the_latest_value(room):
    async def go():
        phone = await joined(room)
        for value in (4, 4, 2):
            r = await phone.answer("GOV-01", value)
            assert r.status_code == 200, r.text
        assert r.json()["saved"] == {"raw": "Disagree", "state": "answered"}
        assert r.json()["answered"] == 1
    run(go())
    assert room.rows("SELECT value, state FROM workshop_answers WHERE question_id = 'GOV-01'") == [(2.0, "answered")]
    assert room.rows("SELECT raw, value FROM answers WHERE question_id = 'GOV-01'") == [("Disagree", 2.0)]
    responses = load_workspace_responses(room.ws)
    assert len(responses) == 1
    assert responses.respondents.iloc[0]["role"] == "ds"
    assert responses.respondents.iloc[0]["unit"] == "Retail"


def test_values_are_read_by_the_importers_readers(room):
    async def go():
        phone = await joined(room)
        ok = {"GOV-01": "Agree", "GOV-02": "n/a", "GOV-03": "5", "GOV-08": "12,5", "GOV-09": "Slow sign-off"}
        for qid, value in ok.items():
            r = await phone.answer(qid, value)
            assert r.status_code == 200, (qid, r.text)
        bad = {"GOV-01": 7, "GOV-03": "maybe", "GOV-08": "soon", "GOV-04": True}
        for qid, value in bad.items():
            r = await phone.answer(qid, value)
            assert r.status_code == 422, (qid, r.text)
        assert "not a value of scale agree5" in (await phone.answer("GOV-01", 7)).json()["error"]
        assert (await phone.answer("NOPE-1", 3)).status_code == 422
    run(go())
    got = dict((qid, (raw, state)) for qid, raw, state in room.rows("SELECT question_id, raw, state FROM answers"))
    assert got["GOV-02"] == ("Don't know / not applicable", "na")
    assert got["GOV-08"] == ("12,5", "answered")
    assert room.rows("SELECT value FROM answers WHERE question_id = 'GOV-08'") == [(12.5,)]


def test_a_question_not_asked_of_the_role_is_refused(room):
    q = room.session.q
    not_for_exec = next(qq.id for qq in q.questions.values() if not q.asked(qq, "exec"))

    async def go():
        phone = await joined(room, role="exec")
        r = await phone.answer(not_for_exec, 3)
        assert r.status_code == 422
        assert "not asked of your role" in r.json()["error"]
    run(go())


def test_role_is_locked_after_the_first_answer(room):
    async def go():
        phone = await joined(room, role="ds")
        assert (await phone.profile("exec")).status_code == 200  # still free to change
        assert (await phone.profile("ds")).status_code == 200
        assert (await phone.answer("GOV-01", 3)).status_code == 200
        r = await phone.profile("exec")
        assert r.status_code == 409
        assert (await phone.profile("nobody")).status_code == 422
    run(go())


def test_unit_is_matched_to_a_known_spelling(room):
    async def go():
        await joined(room, unit="Retail")
        other = await joined(room, unit="  retail ")
        assert (await other.progress())["unit"] == "Retail"
    run(go())


def test_close_refuses_answers_reopen_accepts_finish_refuses_joins(room):
    async def go():
        phone = await joined(room)
        admin = room.admin()
        r = await admin.post("/f/api/close")
        assert r.json()["state"] == "closed" and r.json()["results_visible"] is True  # closing reveals
        assert (await phone.answer("GOV-01", 3)).status_code == 409
        r = await admin.post("/f/api/open")
        assert r.json()["results_visible"] is False  # reopening hides them again
        assert (await phone.answer("GOV-01", 3)).status_code == 200
        r = await admin.post("/f/api/finish")
        assert r.json()["state"] == "finished"
        assert (await room.phone().join(room.session.join_code)).status_code == 410
        assert (await phone.answer("GOV-01", 4)).status_code == 410
    run(go())
    assert room.rows("SELECT state FROM workshops") == [("finished",)]
    # Finishing forgets which phone was which device; the answers stay.
    assert all(h.startswith("forgotten:") for (h,) in room.rows("SELECT cookie_hash FROM workshop_devices"))
    assert room.rows("SELECT COUNT(*) FROM answers") == [(1,)]


def test_progress_resumes_where_the_phone_was(room):
    async def go():
        phone = await joined(room)
        for qid in ("GOV-01", "GOV-02", "GOV-03"):
            await phone.answer(qid, 4)
        p = await phone.progress()
        assert p["answered"] == 3 and p["next_dimension"] == "governance"
        assert p["answers"]["GOV-02"] == {"raw": "Agree", "state": "answered"}
        page = await phone.client.get("/q")  # a reload shows the saved answers checked
        assert page.status_code == 200
        assert re.search(r'name="a:GOV-01" value="4"\s+checked', page.text)
    run(go())


def test_rate_limit_allows_ten_answers_a_second_and_stops_a_flood(room):
    async def go():
        phone = await joined(room)
        qids = [qq.id for qq in room.session.questions_for("ds") if qq.type == "scale"]
        for second in range(5):  # 10 a second for 5 s: all saved
            room.clock.now += 1
            for i in range(10):
                r = await phone.answer(qids[(second * 10 + i) % len(qids)], 1 + (second + i) % 5)
                assert r.status_code == 200, r.text
        codes = [(await phone.answer(qids[0], 1 + i % 5)).status_code for i in range(300)]  # same instant
        assert 429 in codes
    run(go())


# -- security --------------------------------------------------------------------------


def test_foreign_host_is_refused(room):
    async def go():
        phone = room.phone()
        r = await phone.client.get("/", headers={"Host": "evil.example"})
        assert r.status_code == 400
        r = await phone.client.get("/", headers={"Host": "127.0.0.2:8766"})
        assert r.status_code == 200
    run(go())


def test_csrf_and_origin_rules(room):
    async def go():
        phone = await joined(room)
        c = phone.client
        body = {"question": "GOV-01", "value": 3}
        assert (await c.post("/api/answer", json=body)).status_code == 403  # no token
        assert (await c.post("/api/answer", json=body, headers={"X-CSRF-Token": "wrong"})).status_code == 403
        ok = {"X-CSRF-Token": phone.csrf}
        assert (await c.post("/api/answer", json=body, headers=ok)).status_code == 200  # no Origin: old browsers
        same = dict(ok, Origin=LAN_URL)
        assert (await c.post("/api/answer", json=body, headers=same)).status_code == 200
        foreign = dict(ok, Origin="http://evil.example")
        assert (await c.post("/api/answer", json=body, headers=foreign)).status_code == 403
        cross = dict(ok, **{"Sec-Fetch-Site": "cross-site"})
        assert (await c.post("/api/answer", json=body, headers=cross)).status_code == 403
        opaque = dict(ok, Origin="null")  # a sandboxed frame or a data: page
        assert (await c.post("/api/answer", json=body, headers=opaque)).status_code == 403
        # A form post (what a cross-site page could send) is not JSON: refused before anything else.
        r = await c.post("/api/answer", data={"question": "GOV-01", "value": "3"}, headers=ok)
        assert r.status_code == 415
        # The page without JavaScript posts forms, with the token in a field.
        r = await c.post("/q", data={"d": "governance", "a:GOV-02": "2"})
        assert r.status_code == 403
        r = await c.post("/q", data={"d": "governance", "a:GOV-02": "2", "csrf": phone.csrf})
        assert r.status_code == 303
    run(go())


def test_join_form_needs_its_csrf_cookie(room):
    async def go():
        c = room.phone().client
        r = await c.post("/join", data={"code": room.session.join_code, "csrf": "made-up"})
        assert r.status_code == 403
        page = await c.get("/")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        r = await c.post("/join", data={"code": room.session.join_code, "csrf": token})
        assert r.status_code == 303 and "ws_device" in c.cookies
    run(go())


def test_body_over_16_kb_is_refused(room):
    async def go():
        phone = await joined(room)
        big = "x" * (MAX_BODY + 10)
        r = await phone.answer("GOV-09", big)
        assert r.status_code == 413
    run(go())


def test_html_typed_by_a_participant_is_never_rendered_as_html(room):
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'

    async def go():
        phone = await joined(room, unit="<b>Unit</b>")
        assert (await phone.answer("GOV-09", evil)).status_code == 200
        page = (await phone.client.get("/q?d=governance")).text
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert" in page
        admin = room.admin()
        await admin.post("/f/api/reveal")
        html = room.server._live_html(await room.server.snapshot())
        assert "<b>Unit</b>" not in html and "<script>" not in html
    run(go())
    assert room.rows("SELECT raw FROM answers WHERE question_id = 'GOV-09'") == [(evil,)]  # kept as typed


def test_security_headers_on_every_response(room):
    async def go():
        r = await room.phone().client.get("/")
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert r.headers["referrer-policy"] == "same-origin"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["cache-control"] == "no-store"
        assert "<script" not in r.text or 'src="/static/' in r.text
        static = await room.phone().client.get("/static/phone.js")
        assert static.status_code == 200 and "fetch(" in static.text
        assert (await room.phone().client.get("/static/../../engagement.yaml")).status_code == 404
        assert (await room.phone().client.get("/static/responses.sqlite")).status_code == 404
    run(go())


def test_facilitator_routes_refuse_the_lan_socket_and_a_missing_token(room):
    async def go():
        lan_admin = room.admin(url=LAN_URL)  # the token, but through the participant socket
        for path in ("/f/api/snapshot", "/f/qr.svg", "/f/stream", f"/f?t={room.settings.admin_token}"):
            assert (await lan_admin.get(path)).status_code == 403, path
        assert (await lan_admin.post("/f/api/close")).status_code == 403
        no_token = room.admin(token=False)
        assert (await no_token.get("/f/api/snapshot")).status_code == 403
        assert (await no_token.get("/f?t=wrong")).status_code == 403
        wrong = room.admin(token=False)
        wrong.headers["Authorization"] = "Bearer nope"
        assert (await wrong.get("/f/api/snapshot")).status_code == 403
        remote_peer = room.admin(ip="192.168.1.23")  # on the loopback socket, but from elsewhere
        assert (await remote_peer.get("/f/api/snapshot")).status_code == 403
        assert (await room.admin().get("/f/api/snapshot")).status_code == 200
    run(go())


def test_facilitator_cookie_flow_and_form_controls_need_the_csrf_token(room):
    async def go():
        c = room.admin(token=False)
        r = await c.get(f"/f?t={room.settings.admin_token}")
        assert r.status_code == 303 and r.headers["location"] == "/f"  # the token leaves the address bar
        page = await c.get("/f")
        assert page.status_code == 200
        assert "<svg" in page.text and room.session.join_code in page.text
        assert (await c.post("/f/api/close", data={"csrf": "wrong"})).status_code == 403
        r = await c.post("/f/api/close", data={"csrf": room.settings.admin_csrf})
        assert r.status_code == 303
        assert room.session.state == "closed"
        qr = await c.get("/f/qr.svg")
        assert qr.headers["content-type"].startswith("image/svg+xml")
    run(go())


# -- the projector ---------------------------------------------------------------------


def test_snapshot_counts_roles_and_hides_results_while_open(room):
    async def go():
        await joined(room, role="ds")
        p = await joined(room, role="exec")
        await p.answer("GOV-05", 4)
        snap = (await room.admin().get("/f/api/snapshot")).json()
        roles = {r["id"]: r for r in snap["roles"]}
        assert roles["ds"]["devices"] == 1 and roles["exec"]["answering"] == 1
        assert roles["risk"]["missing"] is True
        assert snap["devices"]["joined"] == 2 and snap["devices"]["answering"] == 1
        assert snap["results_visible"] is False and snap["results"] is None
    run(go())


def answer_all(room: Room, phone: Phone, role: str, value: int):
    async def go():
        for qq in room.session.questions_for(role):
            v = value if qq.type == "scale" else (10 if qq.type == "numeric" else "ok")
            r = await phone.answer(qq.id, v)
            assert r.status_code == 200, r.text
    return go()


def test_k_anonymity_two_executives_show_no_number(room):
    async def go():
        for i in range(3):
            p = await joined(room, role="ds", ip=f"127.0.0.{40 + i}")
            await answer_all(room, p, "ds", 2 + i)
        for i in range(2):
            p = await joined(room, role="exec", ip=f"127.0.0.{50 + i}")
            await answer_all(room, p, "exec", 4)
        snap = (await room.admin().post("/f/api/reveal")).json()
        res = snap["results"]
        assert res["available"] is True and res["respondents"] == 5
        roles = {r["id"]: r for r in res["roles"]}
        assert roles["exec"]["hidden"] is True
        assert all(v is None for v in roles["exec"]["dimensions"].values())
        assert roles["exec"]["respondents"] is None
        assert any(v is not None for v in roles["ds"]["dimensions"].values())
        value_dim = next(d for d in res["dimensions"] if d["id"] == "value")
        html = room.server._live_html(snap)
        assert "&lt;3" in html
        return value_dim
    run(go())


def test_results_need_the_minimum_group(room):
    async def go():
        for i in range(2):
            p = await joined(room, role="ds", ip=f"127.0.0.{60 + i}")
            await answer_all(room, p, "ds", 3)
        snap = (await room.admin().post("/f/api/reveal")).json()
        assert snap["results"]["available"] is False
        assert "at least 3" in snap["results"]["reason"]
        assert "dimensions" not in snap["results"]
    run(go())


def test_projector_results_are_the_librarys_scores(room):
    async def go():
        for i, role in enumerate(["ds", "ds", "mlops", "risk", "exec", "bpo"]):
            p = await joined(room, role=role, ip=f"127.0.0.{70 + i}")
            await answer_all(room, p, role, 1 + i % 5)
    run(go())
    res = results_for(room.session)
    expected = score(room.session.q, load_workspace_responses(room.ws), n_resamples=200, sensitivity=False).to_dict()
    for mine, lib in zip(res["dimensions"], expected["dimensions"], strict=True):
        assert mine["id"] == lib["id"]
        if mine["score"] is not None:
            assert mine["score"] == pytest.approx(lib["score"])
    assert [d["title"] for d in res["dimensions"]] == [d.title for d in room.session.q.dimensions]


def test_revoke_takes_answers_out_of_results_and_store_and_restore_brings_them_back(room):
    async def go():
        keep = await joined(room, role="ds")
        gone = await joined(room, role="ds", ip="127.0.0.80")
        await keep.answer("GOV-01", 4)
        await gone.answer("GOV-01", 1)
        admin = room.admin()
        snap = (await admin.post("/f/api/revoke", json={"device": gone.device})).json()
        assert snap["devices"]["revoked"] == 1 and snap["devices"]["answering"] == 1
        assert len(load_workspace_responses(room.ws)) == 1
        assert (await gone.answer("GOV-02", 2)).status_code == 403
        assert (await gone.client.get("/q")).status_code == 403
        assert (await gone.join(room.session.join_code)).status_code == 403  # not simply back with a new id
        await admin.post("/f/api/restore", json={"device": gone.device})
        responses = load_workspace_responses(room.ws)
        assert len(responses) == 2
        assert sorted(responses.answers["value"].tolist()) == [1.0, 4.0]
        assert (await admin.post("/f/api/revoke", json={"device": "nobody"})).status_code == 404
    run(go())
    assert room.rows("SELECT COUNT(*) FROM workshop_answers") == [(2,)]  # nothing lost either way


# -- pages without JavaScript ------------------------------------------------------------


def test_the_pages_work_without_javascript(room):
    async def go():
        c = room.phone().client
        r = await c.get(f"/j/{room.session.join_token}")
        page = await c.get("/q")
        assert 'name="role"' in page.text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        r = await c.post("/profile", data={"csrf": csrf, "role": "exec", "unit": "Retail"})
        assert r.status_code == 303
        page = await c.get("/q")
        assert "Governance" in page.text and 'name="a:GOV-05"' in page.text
        r = await c.post("/q", data={"csrf": csrf, "d": "governance", "a:GOV-05": "4", "a:GOV-09": ""})
        assert r.status_code == 303 and r.headers["location"].startswith("/q?d=")
        r = await c.post("/q", data={"csrf": csrf, "d": "governance", "a:GOV-05": "9"})
        assert r.status_code == 422 and "not a value" in r.text
        done = await c.get("/done")
        assert "What happens with your answers" in done.text
    run(go())


def test_revoked_or_unknown_device_is_sent_to_join(room):
    async def go():
        c = room.phone().client
        r = await c.get("/q")
        assert r.status_code == 303 and r.headers["location"] == "/"
        r = await c.get("/api/progress")
        assert r.status_code == 401
    run(go())


# -- tickets and resume ------------------------------------------------------------------


def test_tickets_are_single_use_and_replace_the_shared_code(tmp_path):
    room = make_room(tmp_path)
    try:
        tickets = room.session.add_tickets(2)
        assert len(set(tickets)) == 2

        async def go():
            assert (await room.phone().join(room.session.join_code)).status_code == 404
            a = room.phone()
            assert (await a.join(ticket=tickets[0].lower())).status_code == 200
            assert (await room.phone().join(ticket=tickets[0])).status_code == 409
            assert (await room.phone().join(ticket="NOTATICKET")).status_code == 404
            assert (await a.join(ticket=tickets[0])).status_code == 200  # the same phone again: no harm
        run(go())
    finally:
        room.session.close()


def test_resume_keeps_code_devices_and_answers(tmp_path):
    room = make_room(tmp_path)

    async def go():
        phone = await joined(room)
        await phone.answer("GOV-01", 5)
        return phone.client.cookies["ws_device"]
    cookie = run(go())
    code = room.session.join_code
    room.session.close()
    with pytest.raises(WorkshopError, match="--resume"):
        open_workshop(room.ws)
    again = open_workshop(room.ws, resume=True)
    try:
        assert again.join_code == code
        device = again.device_for_cookie(cookie)
        assert device is not None and device.answers["GOV-01"][1] == 5.0 and device.role == "ds"
    finally:
        again.close()
    assert len(load_workspace_responses(room.ws)) == 1


def test_a_finished_workshop_lets_a_new_one_start_with_a_new_code(tmp_path):
    room = make_room(tmp_path)
    room.session.set_state_sync(state="finished")
    room.session.close()
    second = open_workshop(room.ws)
    try:
        assert second.join_code != room.session.join_code or second.id != room.session.id
        assert second.state == "open"
    finally:
        second.close()


def test_closing_flags_straight_liners_like_an_import(room):
    async def go():
        liner = await joined(room, role="ds")
        for qq in room.session.questions_for("ds"):
            if qq.type == "scale":
                assert (await liner.answer(qq.id, 3)).status_code == 200
        varied = await joined(room, role="ds", ip="127.0.0.90")
        for i, qq in enumerate(room.session.questions_for("ds")):
            if qq.type == "scale":
                assert (await varied.answer(qq.id, 1 + i % 5)).status_code == 200
        await room.admin().post("/f/api/close")
        return liner.device, varied.device
    liner, varied = run(go())
    flags = dict(room.rows("SELECT respondent_id, flags FROM respondents"))
    assert "straight-lining" in flags[liner]
    assert flags[varied] == "[]"
    assert "straight-lining" in room.rows("SELECT quality FROM imports WHERE source = 'workshop'")[0][0]


def test_min_group_size_comes_from_engagement_yaml(tmp_path):
    ws = new_workspace(tmp_path / "eng")
    text = ws.engagement_path.read_text()
    ws.engagement_path.write_text(text.replace("currency: EUR", "currency: EUR\nmin_group_size: 7"))
    from assessment.engagement import Workspace

    again = Workspace(ws.root)
    assert again.engagement.min_group_size == 7
    session = open_workshop(again)
    try:
        assert session.min_group_size == 7
    finally:
        session.close()


def test_a_locked_store_refuses_the_answer_loudly_and_takes_it_afterwards(tmp_path):
    ws = new_workspace(tmp_path / "eng")
    session = open_workshop(ws, min_group_size=3, busy_timeout=0.2)
    cfg = Settings(participant_url=LAN_URL + "/", admin_address=ADMIN, allowed_hosts=host_allowlist([LAN, ADMIN]))
    room = Room(ws, session, cfg, WorkshopServer(session, cfg), FakeClock())
    try:
        async def go():
            phone = await joined(room)
            other = sqlite3.connect(ws.store_path, isolation_level=None)
            other.execute("BEGIN IMMEDIATE")  # e.g. an `assess import` writing at that moment
            r = await phone.answer("GOV-01", 4)
            assert r.status_code == 503 and "not saved" in r.json()["error"]
            assert (await phone.progress())["answered"] == 0
            other.execute("ROLLBACK")
            other.close()
            r = await phone.answer("GOV-01", 4)
            assert r.status_code == 200
        run(go())
        assert room.rows("SELECT COUNT(*) FROM answers") == [(1,)]
    finally:
        session.close()


def test_a_device_removed_from_the_store_by_the_consultant_stays_removed(room):
    from assessment.collect import remove_respondents

    async def go():
        phone = await joined(room)
        assert (await phone.answer("GOV-01", 4)).status_code == 200
        assert remove_respondents(room.ws, [phone.device]) == 1  # `assess responses --remove` meanwhile
        r = await phone.answer("GOV-02", 2)
        assert r.status_code == 403 and "not counted" in r.json()["error"]
        snap = (await room.admin().get("/f/api/snapshot")).json()
        assert snap["devices"]["revoked"] == 1
        assert len(load_workspace_responses(room.ws)) == 0  # not half re-created
        await room.admin().post("/f/api/restore", json={"device": phone.device})
        assert len(load_workspace_responses(room.ws).answers) == 2  # the facilitator can bring it all back
    run(go())


def test_the_facilitator_corrects_a_role_and_the_store_follows(room):
    async def go():
        phone = await joined(room, role="ds")
        assert (await phone.answer("GOV-01", 4)).status_code == 200
        assert (await phone.profile("exec")).status_code == 409  # the phone itself cannot
        admin = room.admin()
        r = await admin.post("/f/api/role", json={"device": phone.device, "role": "mlops"})
        assert r.status_code == 200
        assert {x["id"]: x["devices"] for x in r.json()["roles"]}["mlops"] == 1
        assert (await admin.post("/f/api/role", json={"device": phone.device, "role": "boss"})).status_code == 422
        assert (await phone.progress())["role"] == "mlops"
        html = room.server._live_html(await room.server.snapshot())
        assert 'action="/f/api/role"' in html
    run(go())
    assert room.rows("SELECT role FROM respondents") == [("mlops",)]


def test_questions_health_hide_and_unknown_actions(room):
    async def go():
        phone = await joined(room, role="users")
        data = (await phone.client.get("/api/questions")).json()
        q = room.session.q
        assert data["role"] == "users"
        assert [x["id"] for x in data["questions"]] == [qq.id for qq in room.session.questions_for("users")]
        scale_item = next(x for x in data["questions"] if x["type"] == "scale")
        assert [c["label"] for c in scale_item["choices"]] == [p.label for p in q.scales["agree5"].points]
        assert (await phone.client.get("/healthz")).json() == {"ok": True}
        admin = room.admin()
        assert (await admin.post("/f/api/reveal")).json()["results_visible"] is True
        assert (await admin.post("/f/api/hide")).json()["results_visible"] is False
        assert (await admin.post("/f/api/explode")).status_code == 404
        assert (await admin.get("/f/api/close")).status_code == 405
    run(go())


# -- the answer fast path ---------------------------------------------------------------


def test_saving_an_answer_answers_exactly_as_the_starlette_route(room):
    """``POST /api/answer`` skips Starlette (speed); every outcome must match the Starlette route's."""
    from assessment.workshop.app import Guard

    slow_app = Guard(room.server.starlette, room.settings)

    async def go():
        phone = await joined(room)
        slow = httpx.AsyncClient(transport=httpx.ASGITransport(app=slow_app, client=("127.0.0.9", 40000)),
                                 base_url=LAN_URL, cookies=phone.client.cookies)
        ok = {"X-CSRF-Token": phone.csrf}
        cases = [
            ({"json": {"question": "GOV-01", "value": 4}, "headers": ok}),   # saved, then a double tap
            ({"json": {"question": "GOV-01", "value": "Agree"}, "headers": ok}),
            ({"json": {"question": "GOV-01", "value": 9}, "headers": ok}),   # 422: not on the scale
            ({"json": {"question": "NOPE-1", "value": 1}, "headers": ok}),   # 422: unknown question
            ({"json": {"question": "GOV-01", "value": 4}}),                  # 403: no CSRF token
            ({"data": {"question": "GOV-01"}, "headers": ok}),               # 415: a form
            ({"content": b"{not json", "headers": dict(ok, **{"Content-Type": "application/json"})}),  # 400
            ({"content": b"[1, 2]", "headers": dict(ok, **{"Content-Type": "application/json"})}),    # 400
            ({"json": {"question": "GOV-01", "value": 4}, "headers": ok, "cookies": {"ws_device": "x"}}),  # 401
        ]
        for case in cases:
            cookies = case.pop("cookies", None)
            got = []
            for client in (phone.client, slow):
                if cookies:
                    client = httpx.AsyncClient(transport=client._transport, base_url=LAN_URL, cookies=cookies)
                r = await client.post("/api/answer", **case)
                got.append((r.status_code, r.json(), sorted((k, v) for k, v in r.headers.items()
                                                            if k != "content-length")))
            assert got[0] == got[1], case
        await room.session.set_state(state="closed")
        r = [await c.post("/api/answer", json={"question": "GOV-02", "value": 1}, headers=ok)
             for c in (phone.client, slow)]
        assert r[0].status_code == r[1].status_code == 409 and r[0].json() == r[1].json()
        # Only POST takes the fast path: anything else is Starlette's as before.
        assert (await phone.client.get("/api/answer")).status_code == 405
    run(go())


async def _asgi_answer(app, body: bytes, cookie: str, csrf: str, *, disconnect: bool = False,
                       sent: list[dict] | None = None) -> list[dict]:
    """One raw ASGI call of ``POST /api/answer``; the messages the app sent."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/api/answer", "raw_path": b"/api/answer", "query_string": b"", "root_path": "",
             "client": ("127.0.0.9", 40000), "server": LAN,
             "headers": [(b"host", b"127.0.0.2:8766"), (b"content-type", b"application/json"),
                         (b"cookie", f"ws_device={cookie}".encode()), (b"x-csrf-token", csrf.encode())]}
    sent = [] if sent is None else sent

    async def receive() -> dict:
        if disconnect:
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def test_a_phone_that_goes_away_mid_request_gets_no_answer_and_breaks_nothing(room):
    async def go():
        phone = await joined(room)
        cookie = phone.client.cookies["ws_device"]
        assert await _asgi_answer(room.server.app, b"", cookie, phone.csrf, disconnect=True) == []
        sent = await _asgi_answer(room.server.app, b'{"question": "GOV-01", "value": 4}', cookie, phone.csrf)
        assert sent[0]["status"] == 200 and b'"answered":1' in sent[1]["body"]
    run(go())


def test_an_unexpected_error_while_saving_is_a_500_and_is_raised_for_the_log(room, monkeypatch):
    async def broken(*args, **kwargs):
        raise RuntimeError("boom")

    async def go():
        phone = await joined(room)
        monkeypatch.setattr(room.session, "save_answer", broken)
        sent: list[dict] = []
        with pytest.raises(RuntimeError, match="boom"):
            await _asgi_answer(room.server.app, b'{"question": "GOV-01", "value": 4}',
                               phone.client.cookies["ws_device"], phone.csrf, sent=sent)
        assert sent[0]["status"] == 500
        assert json.loads(sent[1]["body"]) == {"error": "internal error; your earlier answers are saved"}
        assert b"content-security-policy" in dict(sent[0]["headers"])
    run(go())
