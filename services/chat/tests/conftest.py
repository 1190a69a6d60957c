from __future__ import annotations

from collections.abc import Iterator

import pytest
import pytest_asyncio
from channels.layers import get_channel_layer

from chassis.grpc.client import close_channels
from chassis.grpc.testing import running_server
from tests.directory_double import InMemoryUserDirectory, registration


@pytest.fixture(scope="session")
def _directory_server() -> Iterator[tuple[InMemoryUserDirectory, int]]:
    directory = InMemoryUserDirectory()
    with running_server(servicers=[registration(directory)]) as server:  # type: ignore[list-item]
        yield directory, server.port
    close_channels()


@pytest.fixture(autouse=True)
def user_directory(_directory_server, settings) -> InMemoryUserDirectory:
    """The users service's UserDirectory, in memory behind a real gRPC server on loopback."""
    directory, port = _directory_server
    directory.reset()
    settings.GRPC_TARGETS = {**settings.GRPC_TARGETS, "users": f"127.0.0.1:{port}"}
    return directory


@pytest_asyncio.fixture
async def warm_layer() -> None:
    """Open the channel layer's Redis connection on the test's event loop first.

    A consumer refused at once (4401, 4404...) is torn down while Channels' first read from
    the layer may still be opening that connection; redis-py cannot cancel a connection
    being opened, and the teardown waits for its five-second timeout. Live processes open
    it once; each test has a new event loop, so tests open it here.
    """
    layer = get_channel_layer()
    assert layer is not None
    await layer.group_send("strata.warmup", {"type": "warmup"})
