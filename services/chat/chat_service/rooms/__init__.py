"""Rooms, memberships and messages: the chat service's one vertical slice."""
