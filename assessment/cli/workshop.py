"""``assess workshop``: collect answers live from phones in the room.

Only parses options, calls :mod:`assessment.workshop` and prints; the server and
its rules live in the library. Starlette, uvicorn and segno are imported inside the
command so that ``assess --help`` stays instant.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from . import cli, workspace_from

CLOUD_FOLDERS = ("onedrive", "dropbox", "icloud", "google drive", "googledrive", "box sync")


@cli.command()
@click.option("--round", "round_", default=None, metavar="NAME", help="Round the answers go to (default: the current one).")
@click.option("--bind", default="auto", show_default=True, metavar="auto|IP",
              help="The address phones connect to: auto picks this laptop's only Wi-Fi/hotspot address; "
                   "never all interfaces unless --bind-all-interfaces.")
@click.option("--bind-all-interfaces", is_flag=True, hidden=True, help="Allow --bind 0.0.0.0 (not recommended).")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port for phones (0: any free port).")
@click.option("--expected", type=click.IntRange(min=1), default=None, metavar="N",
              help="How many people are in the room (shown against the devices joined).")
@click.option("--results", type=click.Choice(["on-close", "live"]), default="on-close", show_default=True,
              help="on-close: radar and bars stay hidden while answering is open (no anchoring); live: always shown.")
@click.option("--tickets", type=click.IntRange(min=1, max=2000), default=None, metavar="N",
              help="Print N single-use ticket codes; joining then needs one (rooms where duplicates matter).")
@click.option("--resume", is_flag=True, help="Continue the round's last workshop: same join code, nothing lost.")
@click.option("--no-browser", is_flag=True, help="Do not open the facilitator screen in the browser.")
@click.option("--json", "as_json", is_flag=True,
              help='Print one JSON line {"participant_url", "join_code", "facilitator_url"} once serving.')
@click.pass_context
def workshop(ctx: click.Context, round_: str | None, bind: str, bind_all_interfaces: bool, port: int,
             expected: int | None, results: str, tickets: int | None, resume: bool, no_browser: bool,
             as_json: bool) -> None:
    """Run a live workshop: phones in the room answer, the projector shows who has answered,
    answers go straight into the store.

    \b
    Prints the participant URL, a join code and a QR code, checks that the URL
    answers, and opens the facilitator screen (this laptop only). Answers are saved
    as they are given, validated like imports; `assess score`, `plan` and `report`
    read them at any time. Ctrl-C stops; `--resume` continues with the same code.
    \b
    Examples:
      assess workshop --expected 20
      assess workshop --bind 192.168.137.1 --results live
      assess workshop --resume
    """
    import contextlib
    import threading

    from ..workshop import net
    from ..workshop.server import start
    from ..workshop.session import open_workshop

    ws = workspace_from(ctx)
    host = net.choose_bind(bind, allow_all_interfaces=bind_all_interfaces)
    session = open_workshop(ws, round=round_, resume=resume)
    try:
        new_tickets = session.add_tickets(tickets) if tickets else []
        running = start(session, bind=host, port=port, expected=expected, results_live=results == "live")
    except BaseException:
        session.close()
        raise
    out = sys.stderr if as_json else sys.stdout

    def say(text: str = "") -> None:
        click.echo(text, file=out)

    _announce(say, ws, session, running, resume, new_tickets, out)
    threading.Thread(target=_after_start, args=(say, running, net, host, as_json, no_browser),
                     name="workshop-start", daemon=True).start()
    with contextlib.suppress(KeyboardInterrupt):
        running.run()
    _goodbye(say, session, round_)


def _announce(say: Any, ws: Any, session: Any, running: Any, resume: bool, new_tickets: list[str], out: Any) -> None:
    """What the consultant reads before the room arrives: where answers go, the links, the QR code."""
    say(f"Workshop for {ws.engagement.client}: round {session.round!r}, answers go to {ws.store_path}")
    if resume:
        say(f"Resumed: {len(session.devices)} device(s) and their answers are back; state: {session.state}.")
    if any(part in str(ws.root).casefold() for part in CLOUD_FOLDERS):
        say("Note: the engagement folder looks cloud-synced; the store is written in place as answers arrive. "
            "Pause syncing during the workshop if you can.")
    say("")
    say(f"  Participants: {running.participant_url}   code: {session.join_code}")
    say(f"  QR link:      {running.join_url}")
    say(_terminal_qr(running.join_url, out))
    say(f"  Facilitator:  {running.facilitator_url}")
    say("                (works on this laptop only; keep the link to yourself)")
    if new_tickets:
        say("")
        say(f"  {len(new_tickets)} single-use ticket codes (printed only now; joining needs one):")
        for i in range(0, len(new_tickets), 6):
            say("    " + "  ".join(new_tickets[i:i + 6]))
    elif session.tickets_only:
        say("  Ticket mode: joining needs one of the ticket codes printed earlier (add more with --tickets N).")


def _after_start(say: Any, running: Any, net: Any, host: str, as_json: bool, no_browser: bool) -> None:
    """Once the server listens: the self-check of the participant URL, the JSON line, the browser."""
    import json
    import time

    while not running.server.started:
        if running.server.should_exit:
            return
        time.sleep(0.05)
    health = running.participant_url + "healthz"
    ok, message = net.self_check(health, health.split("/")[2])
    say("")
    if ok:
        say(f"Self-check: {message}. Now scan the QR code with your own phone before the room fills.")
    else:
        say(f"Self-check FAILED: {message}")
        say(net.SELF_CHECK_ADVICE)
    if ok and not host.startswith("127."):
        say("If your phone cannot open it: " + net.SELF_CHECK_ADVICE.split("\n", 1)[1].lstrip())
    say("Press Ctrl-C to stop; `assess workshop --resume` continues with the same code.")
    if as_json:
        click.echo(json.dumps(running.info()))
        sys.stdout.flush()
    if no_browser:
        return
    if _has_display():
        import webbrowser

        webbrowser.open(running.facilitator_url)
    else:
        say("No desktop here to open a browser on: open the facilitator link above on this machine.")


def _goodbye(say: Any, session: Any, round_: str | None) -> None:
    devices = [d for d in session.devices.values() if d.answers]
    kept = [d for d in devices if not d.revoked]
    removed = f"; {len(devices) - len(kept)} removed by the facilitator" if len(kept) < len(devices) else ""
    say("")
    say(f"Stopped. {len(kept)} device(s) answered ({sum(len(d.answers) for d in kept)} answers stored in round "
        f"{session.round!r}){removed}.")
    say("Next: `assess score`" + (f" --round {session.round}" if round_ else "") + ", `assess report`.")


def _has_display() -> bool:
    """A graphical browser can open: always on Windows and macOS, on Linux only with a display
    (over SSH or in CI, webbrowser would start a text browser that takes over the terminal)."""
    import os

    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _terminal_qr(url: str, stream) -> str:
    """The join QR code in block characters, or a note when the terminal cannot show them
    (a console or a redirected output in a legacy code page)."""
    import io

    import segno

    buffer = io.StringIO()
    segno.make(url, error="m").terminal(out=buffer, compact=True, border=2)
    text = buffer.getvalue().rstrip("\n")
    try:
        text.encode(getattr(stream, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return "  (this terminal cannot draw the QR code; it is on the facilitator screen)"
    return text
