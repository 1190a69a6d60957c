"""A port held by something else stops the dev stack before it starts anything."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from devstack.ports import PortInUse, Ports, ensure_ports_free, port_is_free


@pytest.fixture
def held_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_a_taken_port_is_named_with_its_holder(held_port: int) -> None:
    assert not port_is_free("127.0.0.1", held_port)
    with pytest.raises(
        PortInUse, match=rf"127\.0\.0\.1:{held_port} \(gateway\) is already in use by pid \d+"
    ):
        ensure_ports_free("127.0.0.1", {"gateway": held_port})


def test_every_documented_port_is_labelled_once() -> None:
    labelled = Ports().labelled()
    assert len(set(labelled.values())) == len(labelled)
    assert labelled["gateway"] == 8080
    assert labelled["postgres"] == 55432
    assert labelled["chat-ws"] == 8005
    assert labelled["users-grpc-metrics"] == 9152
