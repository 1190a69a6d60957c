"""Cursor pagination as the contract shapes it: ``next``, ``previous``, ``results``."""

from __future__ import annotations

from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    """Newest first by default; ``page_size`` from the query, 20 by default, 100 at most.

    The ordering must be unique and indexed: views with another order set ``ordering``.
    """

    page_size = 20
    max_page_size = 100
    page_size_query_param = "page_size"
    ordering = ("-created_at", "-id")
