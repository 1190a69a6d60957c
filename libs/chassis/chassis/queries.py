"""Reads on the hottest paths, with their SQL compiled once per process.

For a one-row read by primary key, building the query (``filter``, ``as_sql``, the
compiler's setup) costs the ORM about three times what executing it does. Django has no
prepared-query API, so :class:`PrimaryKeyGet` asks Django's own compiler for the SQL, the
column order and the field converters once, and reuses them: the rows, conversions
(encrypted fields included) and model instances are the ORM's own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, models

M = TypeVar("M", bound=models.Model)

Converter = Callable[[Any, Any, Any], Any]


@dataclass(frozen=True)
class _Plan:
    sql: str
    attnames: list[str]
    # column position -> (converters, expression), as SQLCompiler.get_converters gives them
    converters: dict[int, tuple[list[Converter], Any]]


class PrimaryKeyGet(Generic[M]):
    """``model.objects.get(pk=...)`` for a hot path, compiled on first use.

    Raises ``model.DoesNotExist`` when no row has the key, and what the primary key field
    raises for a value it cannot take (``ValidationError`` for a malformed UUID), as
    ``get`` does.
    """

    def __init__(self, model: type[M], *, using: str = DEFAULT_DB_ALIAS) -> None:
        self.model = model
        self.using = using
        self._plan: _Plan | None = None

    def _compile(self, pk: Any) -> _Plan:
        queryset = self.model._default_manager.using(self.using).filter(pk=pk)
        compiler = queryset.query.get_compiler(self.using)
        sql, params = compiler.as_sql()
        if len(params) != 1:  # pragma: no cover - a primary key lookup has one parameter
            raise RuntimeError(f"Unexpected plan for {self.model.__name__}: {sql}")
        columns = [expression for expression, _sql, _alias in compiler.select]
        if compiler.klass_info is None or compiler.klass_info["select_fields"] != list(
            range(len(columns))
        ):  # pragma: no cover - a plain model query selects the model's columns only
            raise RuntimeError(f"Unexpected plan for {self.model.__name__}: {sql}")
        return _Plan(
            sql=sql,
            attnames=[column.target.attname for column in columns],
            converters=compiler.get_converters(columns),
        )

    def __call__(self, pk: Any) -> M:
        connection = connections[self.using]
        plan = self._plan
        if plan is None:
            plan = self._plan = self._compile(pk)
        param = self.model._meta.pk.get_db_prep_value(pk, connection, prepared=False)
        with connection.cursor() as cursor:
            cursor.execute(plan.sql, (param,))
            row = cursor.fetchone()
        if row is None:
            missing: type[Exception] = self.model.DoesNotExist  # type: ignore[attr-defined]
            raise missing(f"{self.model.__name__} matching query does not exist.")
        values = list(row)
        for position, (converters, expression) in plan.converters.items():
            for convert in converters:
                values[position] = convert(values[position], expression, connection)
        return self.model.from_db(self.using, plan.attnames, values)
