"""Can students on other devices open the join link? (A link to 127.0.0.1 only works on the
teacher's own computer, and nothing else tells them so.)"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from urllib.parse import urlsplit

ALL_INTERFACES = ("0.0.0.0", "::", "")


def is_loopback(host: str | None) -> bool:
    """127.0.0.0/8, ::1, localhost and *.localhost."""
    if host is None:
        return False
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def join_link_warning(join_url: str, bind_host: str | None,
                      network_urls: Sequence[str] = ()) -> str | None:
    """A plain sentence for the teacher when the join link cannot work on students' devices.
    `network_urls`: where this server answers on the network, when `rapport serve` knows."""
    if not is_loopback(urlsplit(join_url).hostname):
        return None
    if bind_host is not None and bind_host in ALL_INTERFACES and network_urls:
        return ("Students on other devices cannot open this join link: it points to this "
                f"computer itself. Open this dashboard at {network_urls[0]} instead (students "
                "on your network can reach that address), or set PUBLIC_URL to the address "
                "students can reach.")
    if bind_host is not None and bind_host in ALL_INTERFACES:
        return ("Students on other devices cannot open this join link: it points to this "
                "computer itself. Open this dashboard at one of the network addresses that "
                "rapport serve printed when it started (not 127.0.0.1 or localhost), or set "
                "PUBLIC_URL to the address students can reach.")
    return ("Students on other devices cannot open this join link: Rapport answers only on "
            "this computer. Restart it with “rapport serve --host 0.0.0.0” and open the "
            "network address it prints, or set PUBLIC_URL to the address students can reach.")
