"""The join-link warning and the addresses `rapport serve` prints."""

from __future__ import annotations

import pytest

from server.cli import lan_addresses, reach_text
from server.domain.reach import is_loopback, join_link_warning


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.8.9.1", True), ("::1", True), ("[::1]", True),
    ("localhost", True), ("app.localhost", True), ("LOCALHOST.", True),
    ("192.168.1.20", False), ("rapport.school.example", False), ("0.0.0.0", False), (None, False),
])
def test_loopback_hosts(host, loopback) -> None:
    assert is_loopback(host) is loopback


def test_join_link_warning() -> None:
    assert join_link_warning("https://rapport.school.example/j/ABC", "127.0.0.1") is None
    assert join_link_warning("http://192.168.1.20:5000/j/ABC", "0.0.0.0") is None
    local = join_link_warning("http://127.0.0.1:5000/j/ABC", "127.0.0.1")
    assert local and "--host 0.0.0.0" in local and "PUBLIC_URL" in local
    everywhere = join_link_warning("http://localhost:5000/j/ABC", "0.0.0.0")
    assert everywhere and "network addresses" in everywhere
    named = join_link_warning("http://127.0.0.1:5000/j/ABC", "0.0.0.0",
                              ["http://192.168.1.20:5000"])
    assert named and "Open this dashboard at http://192.168.1.20:5000 instead" in named
    assert join_link_warning("http://127.0.0.1:5000/j/ABC", None)  # unknown bind: still warn


def test_serve_says_where_it_can_be_reached() -> None:
    everywhere = reach_text("0.0.0.0", 5000, None, ["http://192.168.1.20:5000"])
    assert everywhere.splitlines()[:2] == [
        "Open it on this computer at http://127.0.0.1:5000",
        "Students on the same network can reach: http://192.168.1.20:5000"]
    assert "may not reach it" in reach_text("0.0.0.0", 5000, None)
    assert all(not is_loopback(a) for a in lan_addresses())
    assert "--host 0.0.0.0" in reach_text("127.0.0.1", 5000, None)
    behind_proxy = reach_text("127.0.0.1", 5000, "https://rapport.school.example")
    assert behind_proxy == "Join links and QR codes use PUBLIC_URL: https://rapport.school.example"
