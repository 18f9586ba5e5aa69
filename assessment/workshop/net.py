"""The network side of a workshop: which address to listen on, whom to trust, how fast.

Everything here is a pure function or a small object with an injectable input
(the interface list, the clock, the URL opener), so the rules are tested without
touching a real network: tests and CI only ever use 127.0.0.x.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .session import WorkshopError

#: Interface names of virtual networks (containers, VMs, VPNs): never the room's Wi-Fi.
VIRTUAL_PREFIXES = ("docker", "br-", "veth", "virbr", "vmnet", "vboxnet", "lxc", "lxd", "tun", "tap", "wg",
                    "utun", "zt", "tailscale", "cni", "flannel", "podman")
#: Addresses laptop hotspots hand themselves (Windows Mobile Hotspot, NetworkManager "shared").
HOTSPOT_ADDRESSES = ("192.168.137.1", "10.42.0.1")


@dataclass(frozen=True)
class Interface:
    """One IPv4 address of one network interface."""

    name: str
    address: str


def list_interfaces() -> list[Interface]:
    """The machine's IPv4 addresses (via ifaddr: pure Python on every OS)."""
    import ifaddr

    found = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if isinstance(ip.ip, str):  # IPv4; IPv6 comes as a tuple
                found.append(Interface(adapter.nice_name or adapter.name, ip.ip))
    return found


def lan_candidates(interfaces: Iterable[Interface]) -> list[Interface]:
    """Private IPv4 addresses phones in the room could reach: not loopback, not link-local,
    not a container or VPN interface."""
    out = []
    for iface in interfaces:
        try:
            addr = ipaddress.IPv4Address(iface.address)
        except ValueError:
            continue
        if addr.is_loopback or addr.is_link_local or not addr.is_private or addr.is_unspecified:
            continue
        if iface.name.lower().startswith(VIRTUAL_PREFIXES):
            continue
        out.append(iface)
    return out


def choose_bind(bind: str, interfaces: Iterable[Interface] | None = None, *,
                allow_all_interfaces: bool = False) -> str:
    """The one address the participant socket listens on.

    ``auto`` picks the only private LAN address, preferring a laptop hotspot's; several
    or none is an error that says what to do. An explicit IP must be one of this
    machine's addresses (or loopback). ``0.0.0.0`` would expose the workshop on every
    network the laptop is on (VPN, Docker, tethering) and is refused unless asked for.
    """
    listed = list(interfaces) if interfaces is not None else None
    if bind != "auto":
        try:
            addr = ipaddress.ip_address(bind)
        except ValueError:
            raise WorkshopError(f"--bind {bind!r} is not an IP address; use auto or one of this laptop's "
                                "IPv4 addresses") from None
        if addr.version != 4:
            raise WorkshopError("--bind takes an IPv4 address (phones on a workshop Wi-Fi use IPv4)")
        if addr.is_unspecified:
            if not allow_all_interfaces:
                raise WorkshopError("--bind 0.0.0.0 would accept connections on every network this laptop is on "
                                    "(VPN, Docker, tethering); choose the room's address, or add "
                                    "--bind-all-interfaces if you really mean it")
            return bind
        if addr.is_loopback:
            return bind
        if listed is None:
            listed = list_interfaces()
        if bind not in {i.address for i in listed}:
            known = ", ".join(f"{i.address} ({i.name})" for i in lan_candidates(listed)) or "none"
            raise WorkshopError(f"--bind {bind}: not an address of this laptop; its LAN addresses: {known}")
        return bind
    if listed is None:
        listed = list_interfaces()
    found = lan_candidates(listed)
    hotspot = [i for i in found if i.address in HOTSPOT_ADDRESSES]
    if len(hotspot) == 1:
        return hotspot[0].address
    if len(found) == 1:
        return found[0].address
    if not found:
        raise WorkshopError("this laptop has no private network address phones could reach. Join the room's "
                            "Wi-Fi, or start a hotspot on the laptop (Windows: Settings > Mobile hotspot; macOS: "
                            "Internet Sharing; Linux: nmcli device wifi hotspot), then run again; "
                            "--bind 127.0.0.1 tries it on this laptop only")
    listing = ", ".join(f"{i.address} ({i.name})" for i in found)
    raise WorkshopError(f"several network addresses could be the room's: {listing}; choose one with --bind IP "
                        "(the one on the Wi-Fi the phones use)")


def host_allowlist(hosts: Iterable[tuple[str, int]]) -> frozenset[str]:
    """The ``Host`` header values this server answers to (anything else is DNS rebinding or a mistake).

    IPv6 hosts are bracketed; ``localhost`` is added beside ``127.0.0.1``.
    """
    allowed = set()
    for host, port in hosts:
        name = f"[{host}]" if ":" in host else host
        allowed.add(f"{name}:{port}".lower())
        if host == "127.0.0.1":
            allowed.add(f"localhost:{port}")
        if port == 80:
            allowed.add(name.lower())
    return frozenset(allowed)


def is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class RateLimiter:
    """Token buckets by key (a device, or an IP for failed joins), with an injectable clock.

    ``rate`` tokens per second refill a bucket of ``burst``; a request takes one.
    Buckets idle for ten minutes are forgotten so memory stays flat.
    """

    rate: float
    burst: float
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def allow(self, key: str, cost: float = 1.0) -> bool:
        now = self.clock()
        tokens, last = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if len(self._buckets) > 10000:
            self._forget(now)
        if tokens < cost:
            self._buckets[key] = (tokens, now)
            return False
        self._buckets[key] = (tokens - cost, now)
        return True

    def would_allow(self, key: str, cost: float = 1.0) -> bool:
        now = self.clock()
        tokens, last = self._buckets.get(key, (self.burst, now))
        return min(self.burst, tokens + (now - last) * self.rate) >= cost

    def _forget(self, now: float) -> None:
        for key in [k for k, (_, last) in self._buckets.items() if now - last > 600]:
            del self._buckets[key]


SELF_CHECK_ADVICE = """\
Phones may not reach this laptop. Check, in this order:
  1. The laptop's firewall: allow Python on this network (Windows asks on the first run; macOS:
     System Settings > Network > Firewall).
  2. Guest and corporate Wi-Fi often isolate devices from each other ("client isolation"): phones
     then cannot reach the laptop at all. Plan B: start a hotspot on the laptop (protect it with a
     password), let the phones join it, and run this command again.
  3. Android on a Wi-Fi without internet may send traffic over mobile data: tell people to choose
     "stay connected" when asked, or to turn mobile data off for the session."""


def self_check(url: str, host: str, *, timeout: float = 3.0,
               opener: Callable[[str, str, float], int] | None = None) -> tuple[bool, str]:
    """Does our own participant URL answer? (ok, one-line message).

    ``opener(url, host, timeout)`` returns the HTTP status; the default uses urllib.
    Success proves the socket is up and not blocked locally; it cannot prove phones
    get through the Wi-Fi, which is why the command also asks for a test with a phone.
    """
    opener = opener or _open
    try:
        status = opener(url, host, timeout)
    except OSError as exc:
        return False, f"{url} did not answer ({exc.__class__.__name__}: {exc})"
    if status != 200:
        return False, f"{url} answered with HTTP {status}"
    return True, f"{url} answers"


def _open(url: str, host: str, timeout: float) -> int:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - our own http URL
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
