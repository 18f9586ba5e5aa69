"""How fast does a workshop save answers with 150 phones in the room?

Starts the real command (`assess workshop --bind 127.0.0.1 --port 0 --no-browser
--json`) in its own process, then 150 simulated phones (each its own connection and
cookie, in this process; a lean hand-written HTTP client, see LeanPhone) join with the code, choose role and unit and answer
the whole questionnaire through the documented HTTP interface. Every answer's save is
timed from sending the request to receiving "saved" (which the server sends only
after the answer is committed to SQLite). Two runs:

- ``burst``: every phone answers as fast as it can, all at once: the worst case, far
  beyond what people do; phones and server share this machine's cores;
- ``room``: each phone pauses a random 0.2-1.0 s between answers (people need several
  seconds to read a statement, so this is still faster than any real room).

Target: 95th-percentile save latency under 100 ms with 150 phones. Prints its numbers;
asserts nothing. Each run prints the machine's load average beside its figures: on a
shared machine other processes take CPU and disk from both sides, so compare runs made
at similar load, and use ``--runs`` (scenarios alternate run by run) rather than one run.

    python benchmarks/bench_workshop.py [--phones 150] [--scenario burst|room|both] [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))


def start_server(root: Path) -> tuple[subprocess.Popen, dict]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "assessment", "-w", str(root), "workshop", "--bind", "127.0.0.1",
                             "--port", "0", "--no-browser", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(30)
    if not line or not line[0].strip():
        proc.kill()
        raise SystemExit("the workshop server did not start: " + proc.communicate()[1])
    return proc, json.loads(line[0])


class LeanPhone:
    """A phone reduced to one keep-alive HTTP/1.1 connection and hand-written requests.

    httpx costs a few milliseconds of CPU per request, and 150 of them on this
    machine's two cores would measure the simulated phones rather than the server;
    this client costs a tenth of that. It speaks exactly the documented interface.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.cookie = ""
        self.csrf = ""
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        data = json.dumps(body).encode() if body is not None else b""
        head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(data)}\r\nX-CSRF-Token: {self.csrf}\r\n"
                + (f"Cookie: ws_device={self.cookie}\r\n" if self.cookie else "") + "\r\n")
        self.writer.write(head.encode() + data)
        assert self.reader is not None
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = (await self.reader.readline()).decode("latin-1").strip()
            if not line:
                break
            name, _, value = line.partition(":")
            name = name.lower()
            if name == "content-length":
                length = int(value)
            elif name == "set-cookie" and value.strip().startswith("ws_device="):
                self.cookie = value.strip().split(";")[0].split("=", 1)[1]
        payload = await self.reader.readexactly(length)
        return status, json.loads(payload) if payload else {}

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def phone(info: dict, q, record: dict, think: tuple[float, float] | None, latencies: list[float],
                rng: random.Random) -> int:
    from urllib.parse import urlsplit

    from support.workshop import asked_answers

    url = urlsplit(info["participant_url"])
    p = LeanPhone(url.hostname or "127.0.0.1", url.port or 80)
    try:
        status, body = await p.request("POST", "/api/join", {"code": info["join_code"]})
        if status != 200:
            raise SystemExit(f"join refused: {status} {body}")
        p.csrf = body["csrf"]
        status, body = await p.request("POST", "/api/profile", {"role": record["role"], "unit": record.get("unit")})
        if status != 200:
            raise SystemExit(f"profile refused: {status} {body}")
        n = 0
        for qid, value in asked_answers(q, record):
            if think:
                await asyncio.sleep(rng.uniform(*think))
            start = time.perf_counter()
            status, body = await p.request("POST", "/api/answer", {"question": qid, "value": value})
            latencies.append(time.perf_counter() - start)
            if status != 200:
                raise SystemExit(f"answer refused: {status} {body}")
            n += 1
        return n
    finally:
        await p.close()


def run(scenario: str, n_phones: int) -> float:
    """One scenario with a fresh workspace and server; prints its figures and returns the p95 in ms."""
    from support.synth import synthesize
    from support.workshop import new_workspace

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "room"
        ws = new_workspace(root, client="Benchmark Corp")
        records = synthesize(ws.questionnaire, n_phones, seed=16)
        proc, info = start_server(root)
        latencies: list[float] = []
        think = (0.2, 1.0) if scenario == "room" else None
        try:
            async def all_phones() -> list[int]:
                rngs = [random.Random(i) for i in range(n_phones)]
                return await asyncio.gather(*(phone(info, ws.questionnaire, rec, think, latencies, rng)
                                              for rec, rng in zip(records, rngs, strict=True)))
            start, cpu = time.perf_counter(), time.process_time()
            server_cpu = _cpu_seconds(proc.pid)
            counts = asyncio.run(all_phones())
            wall = time.perf_counter() - start
            cpu = time.process_time() - cpu
            server_cpu = _cpu_seconds(proc.pid) - server_cpu
        finally:
            proc.send_signal(signal.SIGINT)
            proc.communicate(timeout=30)
        total = sum(counts)
        ms = sorted(x * 1000 for x in latencies)

        def pct(p: float) -> float:
            return ms[min(len(ms) - 1, int(round(p / 100 * (len(ms) - 1))))]

        print(f"{scenario}: {n_phones} phones, {total} answers in {wall:.1f} s = {total / wall:.0f} answers/s; "
              f"save latency ms: median {statistics.median(ms):.1f}, p95 {pct(95):.1f}, p99 {pct(99):.1f}, "
              f"max {ms[-1]:.1f}  (target p95 < 100 ms: {'met' if pct(95) < 100 else 'NOT met'})")
        print(f"  CPU: server {server_cpu:.1f} s ({server_cpu / total * 1000:.2f} ms per answer), "
              f"simulated phones {cpu:.1f} s, over {wall:.1f} s of wall time; load average "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
        return pct(95)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phones", type=int, default=150)
    parser.add_argument("--scenario", choices=["burst", "room", "both"], default="both")
    parser.add_argument("--runs", type=int, default=1, help="repeat each scenario (alternating) and summarise")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; server: `assess workshop` in its own process")
    scenarios = ["burst", "room"] if args.scenario == "both" else [args.scenario]
    p95s: dict[str, list[float]] = {name: [] for name in scenarios}
    for _ in range(max(1, args.runs)):
        for scenario in scenarios:
            p95s[scenario].append(run(scenario, args.phones))
    if args.runs > 1:
        for scenario, values in p95s.items():
            print(f"{scenario} over {len(values)} runs: p95 ms " + ", ".join(f"{v:.0f}" for v in values)
                  + f"; median {statistics.median(values):.0f}")


if __name__ == "__main__":
    main()
