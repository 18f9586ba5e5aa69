"""Running the workshop server: two sockets, uvicorn, a clean stop.

The participant socket listens on the one chosen LAN address; the facilitator's
socket on 127.0.0.1 only, always a socket of its own (also when phones use 127.0.0.1,
to try it alone on the laptop). Sockets are bound here, before uvicorn starts, so ``--port 0`` works and the
printed URLs are the real ones. uvicorn runs without access log (no IP addresses
kept), without proxy headers (a phone cannot claim another address) and with a
short graceful-shutdown timeout, and the projector's event stream checks the stop
flag, so Ctrl-C stops the server at once even with the projector connected.
"""

from __future__ import annotations

import contextlib
import gc
import os
import socket
import threading
from dataclasses import dataclass, field
from typing import Any

from .app import Settings, WorkshopServer
from .net import host_allowlist
from .session import Workshop, WorkshopError


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on exactly ``host:port`` (``port`` 0: any free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY only on sockets that say they are TCP;
    # with proto 0 every response waited ~40 ms for a delayed ACK (Nagle), measured.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    if os.name != "nt":  # on Windows SO_REUSEADDR would let us share a port someone else holds
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        hint = " (is another workshop still running? try --port 0 for any free port)" if port else ""
        raise WorkshopError(f"cannot listen on {host}:{port}: {exc.strerror or exc}{hint}") from None
    sock.listen(512)
    sock.setblocking(False)
    return sock


def _url(host: str, port: int) -> str:
    return f"http://{'[' + host + ']' if ':' in host else host}:{port}/"


@dataclass
class Running:
    """A started workshop server: its URLs, and how to stop it."""

    workshop: Workshop
    participant_url: str
    facilitator_url: str
    join_url: str
    settings: Settings
    server: Any
    sockets: list[socket.socket]
    web: WorkshopServer
    thread: threading.Thread | None = None
    _stopped: bool = field(default=False, repr=False)

    @property
    def join_code(self) -> str:
        return self.workshop.join_code

    def info(self) -> dict[str, str]:
        """The one-line JSON the CLI prints with ``--json``."""
        return {"participant_url": self.participant_url, "join_code": self.workshop.join_code,
                "facilitator_url": self.facilitator_url}

    def stop(self) -> None:
        """Ask uvicorn to stop (from any thread); :meth:`join` waits for it."""
        self.server.should_exit = True

    def run(self) -> None:
        """Serve in this thread until stopped (Ctrl-C, :meth:`stop` or Finish on the projector).

        Everything loaded so far (the questionnaire, pandas, the templates) is moved out of the
        garbage collector's sight first: a full collection walked all of it, stopping every
        request for about 100 ms, twice in a 150-phone burst (measured).
        """
        gc.collect()
        gc.freeze()
        try:
            self.server.run(sockets=self.sockets)
        finally:
            self._close()

    def start_in_thread(self, timeout: float = 10.0) -> Running:
        """Serve in a background thread (tests, benchmarks); returns once it accepts connections."""
        import time

        self.thread = threading.Thread(target=self.run, name="workshop-server", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the workshop server did not start")
            time.sleep(0.02)
        return self

    def join(self, timeout: float = 10.0) -> bool:
        """Wait for the server thread to end; True if it did."""
        if self.thread is None:
            return True
        self.thread.join(timeout)
        return not self.thread.is_alive()

    def _close(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        gc.unfreeze()
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.close()
        self.workshop.close()


def start(workshop: Workshop, *, bind: str, port: int = 8765, expected: int | None = None,
          results_live: bool = False, heartbeat: float = 15.0, **settings: Any) -> Running:
    """Bind the sockets and build the server (not yet serving: call ``run`` or ``start_in_thread``)."""
    import uvicorn

    sockets = [bind_socket(bind, port)]
    lan_host, lan_port = sockets[0].getsockname()[:2]
    # The facilitator always gets a socket of its own, even when phones use 127.0.0.1 too (trying it
    # alone on the laptop): facilitator routes never answer on the participants' socket.
    try:
        same_port = lan_port if (port and bind != "127.0.0.1") else 0
        sockets.append(bind_socket("127.0.0.1", same_port))
    except WorkshopError:
        sockets.append(bind_socket("127.0.0.1", 0))
    admin = sockets[1].getsockname()[:2]
    participant_url = _url(lan_host, lan_port)
    hosts = {(lan_host, lan_port), admin}
    box: dict[str, Any] = {}
    cfg = Settings(participant_url=participant_url, admin_address=(admin[0], int(admin[1])),
                   allowed_hosts=host_allowlist(hosts), results_live=results_live, expected=expected,
                   heartbeat=heartbeat, should_stop=lambda: bool(box["server"].should_exit), **settings)
    web = WorkshopServer(workshop, cfg)
    config = uvicorn.Config(web.app, log_level="warning", access_log=False, proxy_headers=False,
                            server_header=False, lifespan="off", timeout_graceful_shutdown=2,
                            timeout_keep_alive=5, limit_concurrency=1000, backlog=512)
    server = uvicorn.Server(config)
    box["server"] = server
    web.on_finish(lambda: setattr(server, "should_exit", True))
    facilitator_url = _url(*admin) + f"f?t={cfg.admin_token}"
    return Running(workshop=workshop, participant_url=participant_url, facilitator_url=facilitator_url,
                   join_url=cfg.join_url + workshop.join_token, settings=cfg, server=server, sockets=sockets,
                   web=web)
