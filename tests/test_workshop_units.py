"""Pure rules of workshop mode: address choice, codes, hosts, rate limits, radar geometry."""

from __future__ import annotations

import asyncio
import math
import threading
import xml.etree.ElementTree as ET

import pytest

from assessment.workshop import net
from assessment.workshop.charts import radar
from assessment.workshop.net import Interface, RateLimiter, choose_bind, host_allowlist, lan_candidates
from assessment.workshop.session import CODE_ALPHABET, WorkshopError, new_code, normalise_code

# Interface lists are injected: no test looks at (or binds to) a real network address.
WIFI = Interface("wlan0", "192.168.1.23")
LOOP = Interface("lo", "127.0.0.1")
LINK_LOCAL = Interface("eth1", "169.254.10.2")
DOCKER = Interface("docker0", "172.17.0.1")
HOTSPOT = Interface("wlan1", "192.168.137.1")
PUBLIC = Interface("eth0", "8.8.4.4")


def test_auto_picks_the_only_private_lan_address():
    assert choose_bind("auto", [LOOP, WIFI, LINK_LOCAL, DOCKER, PUBLIC]) == "192.168.1.23"


def test_auto_prefers_the_laptop_hotspot_when_there_are_several():
    assert choose_bind("auto", [WIFI, HOTSPOT, LOOP]) == "192.168.137.1"


def test_auto_with_several_candidates_asks_for_bind():
    with pytest.raises(WorkshopError, match="--bind IP") as exc:
        choose_bind("auto", [WIFI, Interface("eth0", "10.0.0.5")])
    assert "192.168.1.23 (wlan0)" in exc.value.message and "10.0.0.5 (eth0)" in exc.value.message


def test_auto_with_only_loopback_or_link_local_says_what_to_do():
    with pytest.raises(WorkshopError, match="hotspot"):
        choose_bind("auto", [LOOP, LINK_LOCAL, DOCKER])


def test_all_interfaces_refused_without_the_flag():
    with pytest.raises(WorkshopError, match="every network"):
        choose_bind("0.0.0.0", [WIFI])
    assert choose_bind("0.0.0.0", [WIFI], allow_all_interfaces=True) == "0.0.0.0"


def test_explicit_address_must_be_this_machines():
    assert choose_bind("192.168.1.23", [WIFI]) == "192.168.1.23"
    assert choose_bind("127.0.0.2", []) == "127.0.0.2"  # loopback: always fine (tests use it as the LAN)
    with pytest.raises(WorkshopError, match="not an address of this laptop"):
        choose_bind("192.168.1.99", [WIFI])
    with pytest.raises(WorkshopError, match="not an IP address"):
        choose_bind("my-laptop", [WIFI])
    with pytest.raises(WorkshopError, match="IPv4"):
        choose_bind("::1", [WIFI])


def test_lan_candidates_drop_virtual_interfaces():
    assert lan_candidates([DOCKER, Interface("veth12", "10.1.0.1"), Interface("tailscale0", "100.64.0.1"), WIFI]) \
        == [WIFI]


def test_join_code_alphabet_and_entropy():
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000  # 31^6 ~ 887 million: no collisions in a few thousand
    for code in codes:
        assert len(code) == 6 and set(code) <= set(CODE_ALPHABET)
    assert not set("0O1IL") & set(CODE_ALPHABET)
    assert 6 * math.log2(len(CODE_ALPHABET)) > 29
    assert normalise_code(" ab-c 2d3 ") == "ABC2D3"


def test_host_allowlist_ports_localhost_and_ipv6():
    allowed = host_allowlist([("127.0.0.1", 8765), ("192.168.1.23", 8765), ("::1", 9000)])
    assert "127.0.0.1:8765" in allowed and "localhost:8765" in allowed
    assert "192.168.1.23:8765" in allowed
    assert "[::1]:9000" in allowed
    assert "192.168.1.23" not in allowed and "evil.example:8765" not in allowed
    assert "localhost:8766" not in allowed


def test_token_bucket_with_a_fake_clock():
    now = [0.0]
    limiter = RateLimiter(rate=10 / 60, burst=10, clock=lambda: now[0])
    assert all(limiter.allow("1.2.3.4") for _ in range(10))
    assert not limiter.allow("1.2.3.4")  # the 11th within a minute
    assert limiter.allow("5.6.7.8")      # other keys have their own bucket
    now[0] += 6
    assert limiter.allow("1.2.3.4") and not limiter.allow("1.2.3.4")  # one token back after 6 s
    phone = RateLimiter(rate=20, burst=40, clock=lambda: now[0])
    for _ in range(10):  # 10 answers a second, for a minute
        now[0] += 1
        assert all(phone.allow("device") for _ in range(10))


def test_self_check_reports_what_answers_and_what_does_not():
    ok, msg = net.self_check("http://127.0.0.2:8765/healthz", "127.0.0.2:8765", opener=lambda u, h, t: 200)
    assert ok and "answers" in msg

    def refused(url, host, timeout):
        raise ConnectionRefusedError(111, "Connection refused")

    ok, msg = net.self_check("http://127.0.0.2:8765/healthz", "127.0.0.2:8765", opener=refused)
    assert not ok and "did not answer" in msg
    ok, msg = net.self_check("http://127.0.0.2:8765/healthz", "h", opener=lambda u, h, t: 400)
    assert not ok and "HTTP 400" in msg
    for words in ("client isolation", "hotspot", "Android", "firewall"):
        assert words.lower() in net.SELF_CHECK_ADVICE.lower()


def test_radar_geometry_seven_axes_and_radii():
    labels = [f"d{i}" for i in range(7)]
    chart = radar(labels, [0, 20, 40, 60, 80, 100, 50], cx=200, cy=170, radius=120)
    assert len(chart["axes"]) == 7 and len(chart["rings"]) == 5
    first = chart["axes"][0]
    assert (first.x, first.y) == (200, 50)           # axis 0 points straight up
    assert (first.px, first.py) == (200, 170)        # score 0 sits in the centre
    full = chart["axes"][5]
    assert math.hypot(full.px - 200, full.py - 170) == pytest.approx(120, abs=0.2)
    half = chart["axes"][6]
    assert math.hypot(half.px - 200, half.py - 170) == pytest.approx(60, abs=0.2)
    assert len(chart["polygon"].split()) == 7


def test_radar_draws_no_polygon_through_a_hidden_score():
    chart = radar(["a", "b", "c"], [50, None, 70])
    assert chart["polygon"] is None
    assert chart["axes"][1].px is None and chart["axes"][0].px is not None


def test_qr_svg_is_well_formed_and_made_from_the_join_url(monkeypatch):
    import segno

    from assessment.workshop import app

    seen = []
    real = segno.make

    def spy(content, *a, **k):
        seen.append(content)
        return real(content, *a, **k)

    monkeypatch.setattr(segno, "make", spy)
    svg = app._qr_svg("http://192.168.137.1:8765/j/abcDEF123456")
    assert seen == ["http://192.168.137.1:8765/j/abcDEF123456"]
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")


def test_workshop_templates_and_static_files_are_package_data():
    import fnmatch
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    globs = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"][
        "assessment._bundled.templates"]
    folder = root / "templates"
    files = [p.relative_to(folder).as_posix() for p in (folder / "workshop").rglob("*") if p.is_file()]
    assert files
    missing = [f for f in files if not any(fnmatch.fnmatch(f, g) for g in globs)]
    assert not missing, f"add to package-data: {missing}"


def test_terminal_qr_falls_back_where_block_characters_cannot_be_printed():
    from assessment.cli.workshop import _terminal_qr

    class Legacy:
        encoding = "cp1252"

    class Utf8:
        encoding = "utf-8"

    assert "facilitator screen" in _terminal_qr("http://192.168.137.1:8765/j/abc", Legacy())
    drawn = _terminal_qr("http://192.168.137.1:8765/j/abc", Utf8())
    assert "\u2588" in drawn and len(drawn.splitlines()) > 10


def test_writer_commits_queued_jobs_together_and_answers_each_only_after_the_commit(tmp_path):
    """Group commit: jobs queued together share one transaction; a failing job is retried alone
    and fails alone; a waiter that went away does not stop the others hearing back."""
    import sqlite3

    from assessment.workshop.session import _Writer

    writer = _Writer(tmp_path / "responses.sqlite")
    writer.call(lambda conn: conn.execute("CREATE TABLE t (n INTEGER PRIMARY KEY)"))

    def insert(n: int):
        def job(conn: sqlite3.Connection) -> int:
            if n == 3:
                raise ValueError("bad job")
            conn.execute("INSERT INTO t VALUES (?)", (n,))
            return n
        return job

    def committed() -> list[int]:
        with sqlite3.connect(tmp_path / "responses.sqlite") as conn:
            return [n for (n,) in conn.execute("SELECT n FROM t ORDER BY n")]

    async def queued_together(ns: list[int], cancel: int | None = None) -> tuple[int, list]:
        """Submit while the writer is held inside another job, so all of them form one batch."""
        started, gate = threading.Event(), threading.Event()
        held = writer.submit(lambda conn: started.set() or gate.wait(10))
        assert started.wait(10)
        futures = [writer.submit_async(insert(n)) for n in ns]
        seen = [not f.done() for f in futures]  # nobody hears back before the commit
        if cancel is not None:
            futures.pop(cancel).cancel()  # that phone went away; its answer is still stored
        before = writer.batches
        gate.set()
        results = await asyncio.gather(*futures, return_exceptions=True)
        assert held.result(10) is True and all(seen)
        return writer.batches - before, results

    try:
        batches, results = asyncio.run(queued_together([0, 1, 2, 3, 4, 5], cancel=5))
        assert results[:3] == [0, 1, 2] and isinstance(results[3], ValueError) and results[4] == 4
        assert committed() == [0, 1, 2, 4, 5]
        assert batches == 1  # the held job's own; the failing batch was rolled back and retried job by job
        batches, results = asyncio.run(queued_together([6, 7, 8]))
        assert results == [6, 7, 8] and committed() == [0, 1, 2, 4, 5, 6, 7, 8]
        assert batches == 2  # the held job's and one for the three
    finally:
        writer.close()
