"""A bare Channels consumer: join a group on connect, ``group_send`` every frame to it.

No authentication, no storage, no presence, no rate limit: the floor under chat's room
WebSocket. Same channel layer (backend and configuration read from chat's settings, under
its own prefix), same Redis, same uvicorn flags as the chat WebSocket process.
"""
