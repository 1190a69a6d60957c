"""chassis.realtime (the names other services use to reach sockets) and log redaction."""

from __future__ import annotations

import logging
import uuid

import pytest

from chassis.realtime import close_user_sockets, push_to_user, user_group
from chat_service.log_redaction import QueryTokenRedactor


def test_user_group_is_one_valid_group_name_per_user():
    user_id = uuid.uuid4()
    group = user_group(user_id)
    assert group == user_group(str(user_id).upper())
    assert len(group) < 100
    assert all(c.isalnum() or c in "-_." for c in group)
    with pytest.raises(ValueError, match="badly formed"):
        user_group("not-a-uuid")


@pytest.mark.parametrize(
    "frame",
    [{"title": "no type"}, {"type": 3}, {"type": "notification", "at": object()}, ["x"]],
)
def test_push_refuses_what_is_not_a_frame(frame):
    with pytest.raises(TypeError):
        push_to_user(user_id=uuid.uuid4(), frame=frame)


def test_push_and_close_to_a_user_with_no_socket_are_no_ops():
    push_to_user(user_id=uuid.uuid4(), frame={"type": "notification"})
    close_user_sockets(user_id=uuid.uuid4())


@pytest.mark.parametrize(
    ("line", "args"),
    [
        ('%s - "WebSocket %s" [accepted]', ("127.0.0.1:5", "/ws/chat/x/?token=eyJabc.def.ghi")),
        ('%s - "WebSocket %s" 403', ("127.0.0.1:5", "/ws/chat/x/?a=1&token=eyJabc.def.ghi&b=2")),
    ],
)
def test_query_tokens_never_reach_the_server_log(line, args):
    record = logging.LogRecord("uvicorn.error", logging.INFO, __file__, 1, line, args, None)
    assert QueryTokenRedactor().filter(record)
    message = record.getMessage()
    assert "eyJabc" not in message
    assert "token=[redacted]" in message
