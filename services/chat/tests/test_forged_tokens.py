"""Chat refuses forged, tampered and stale tokens, over REST (401) and WebSocket (4401)."""

from __future__ import annotations

import time
import uuid

import pytest
from asgiref.sync import sync_to_async
from rest_framework.test import APIClient

from chassis.auth.revocation import revoke_tokens_before
from chassis.testing.forged_tokens import FORGERY_NAMES, forgeries, test_signer
from chassis.testing.tokens import mint_access_token
from chat_service.rooms.database import database_call
from tests.factories import make_room
from tests.sockets import connect_to, expect_close


def revoked() -> str:
    user_id = uuid.uuid4()
    token = mint_access_token(user_id=user_id, issued_at=int(time.time()) - 60)
    revoke_tokens_before(user_id=str(user_id), moment=time.time() - 1, ttl_seconds=900)
    return token


CASE_NAMES = sorted([*FORGERY_NAMES, "revoked"])


def case(name: str):
    """The token maker and expected problem code (call inside a test: it reads settings)."""
    if name == "revoked":
        return revoked, "token_revoked"
    return forgeries(test_signer())[name]


@pytest.mark.django_db
@pytest.mark.parametrize("name", CASE_NAMES)
def test_rest_refuses_the_token(name):
    make, code = case(name)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make()}")
    response = client.get("/api/v1/chat/rooms")
    assert response.status_code == 401
    assert response.json()["code"] == code
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("warm_layer")
@pytest.mark.parametrize("via", ["subprotocol", "query"])
@pytest.mark.parametrize("name", CASE_NAMES)
async def test_websocket_refuses_the_token(name, via):
    make, _code = await sync_to_async(case)(name)
    room = await database_call(make_room)()
    socket = connect_to(room.slug, token=await sync_to_async(make)(), via=via)
    connected, _ = await socket.connect()
    assert connected
    await expect_close(socket, 4401)
