"""Many rows in one statement: inserts, updates and key lookups, fast on PostgreSQL.

On PostgreSQL the rows travel as ONE JSON parameter unpacked by `jsonb_to_recordset`, and
key lists as one array: a statement then costs the same to prepare whatever its size,
which is what lets the engine keep thousands of messages a second. SQLite gets plain
multi-row statements, which it runs in-process anyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from functools import cache
from typing import Any

import orjson
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Row,
    String,
    Table,
    and_,
    any_,
    bindparam,
    insert,
    or_,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

_POSTGRESQL = postgresql.dialect()  # type: ignore[no-untyped-call]
SQLITE_PAGE_ROWS = 100


def is_postgresql(session: Session) -> bool:
    """Whether the session talks to PostgreSQL."""
    return session.get_bind().dialect.name == "postgresql"


def insert_rows(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    returning: Sequence[str] = (),
    skip_duplicates: bool = False,
    constants: Mapping[str, Any] | None = None,
) -> list[Row[Any]]:
    """Insert rows (all with the same keys) in one statement; the `returning` columns.

    `constants` are columns with the same value in every row, sent once. With
    `skip_duplicates`, rows that would break a unique key are left out, and so are their
    `returning` values. Without it, rows returned with their `id` come in the order of
    `rows`.
    """
    if not rows:
        return []
    if is_postgresql(session):
        return _insert_from_json(session, table, rows, returning, skip_duplicates, constants or {})
    if constants:
        rows = [{**row, **constants} for row in rows]
    return _insert_plain(session, table, rows, returning, skip_duplicates)


def _insert_from_json(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    returning: Sequence[str],
    skip_duplicates: bool,
    constants: Mapping[str, Any],
) -> list[Row[Any]]:
    names = _column_names(table, rows[0])
    fixed = _column_names(table, constants)
    values = [*names, *(f"CAST(:c_{name} AS {_sql_type(table, name)})" for name in fixed)]
    # Ordinality keeps the rows' order in the sequence values they get, so sorting the
    # returned ids restores the input order (RETURNING itself promises no order).
    # Identifiers below are the table's own, checked by _column_names.
    statement = (
        f"INSERT INTO {table.name} ({', '.join([*names, *fixed])}) "  # noqa: S608
        f"SELECT {', '.join(values)} FROM ROWS FROM (jsonb_to_recordset(CAST(:rows AS jsonb)) "
        f"AS ({_record_columns(table, tuple(names))})) "
        f"WITH ORDINALITY AS r({', '.join(names)}, _n) ORDER BY _n"
    )
    if skip_duplicates:
        statement += " ON CONFLICT DO NOTHING"
    if returning:
        statement += f" RETURNING {', '.join(returning)}"
    parameters = {"rows": _to_json(rows), **{f"c_{name}": constants[name] for name in fixed}}
    result = session.connection().execute(text(statement), parameters)
    if not returning:
        return []
    found = list(result)
    if not skip_duplicates and "id" in returning:
        found.sort(key=lambda row: row.id)
    return found


def _insert_plain(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    returning: Sequence[str],
    skip_duplicates: bool,
) -> list[Row[Any]]:
    statement = sqlite.insert(table).on_conflict_do_nothing() if skip_duplicates else insert(table)
    if not returning:
        session.connection().execute(statement, list(rows))
        return []
    columns = [table.c[name] for name in returning]
    # Asking SQLAlchemy to keep the parameters' order makes it insert one row a statement on
    # SQLite; instead, as on PostgreSQL, the ids are sorted: SQLite gives an INTEGER PRIMARY
    # KEY the next value up to each row in turn, under the write lock the transaction holds.
    # Pages of a fixed size repeat the same SQL, so sqlite3's statement cache stays small.
    paged = statement.returning(*columns).execution_options(
        insertmanyvalues_page_size=SQLITE_PAGE_ROWS
    )
    found = list(session.connection().execute(paged, list(rows)))
    if not skip_duplicates and "id" in returning:
        found.sort(key=lambda row: row.id)
    return found


def update_rows(
    session: Session, table: Table, rows: Sequence[Mapping[str, Any]], *, key: str = "id"
) -> None:
    """Set each row's columns where `key` matches, in one statement."""
    if not rows:
        return
    names = _column_names(table, rows[0])
    changed = [name for name in names if name != key]
    if is_postgresql(session):
        assignments = ", ".join(f"{name} = r.{name}" for name in changed)
        statement = (
            f"UPDATE {table.name} SET {assignments} "  # noqa: S608 -- checked identifiers
            f"FROM jsonb_to_recordset(CAST(:rows AS jsonb)) "
            f"AS r({_record_columns(table, tuple(names))}) "
            f"WHERE {table.name}.{key} = r.{key}"
        )
        session.connection().execute(text(statement), {"rows": _to_json(rows)})
        return
    plain = (
        update(table)
        .where(table.c[key] == bindparam(f"b_{key}"))
        .values({name: bindparam(f"b_{name}", type_=table.c[name].type) for name in changed})
    )
    session.connection().execute(
        plain, [{f"b_{name}": value for name, value in row.items()} for row in rows]
    )


def among(session: Session, column: ColumnElement[str], values: Sequence[str]) -> Any:
    """`column IN values`, as one array parameter on PostgreSQL."""
    if is_postgresql(session):
        return column == any_(bindparam(None, list(values), type_=ARRAY(String())))
    return column.in_(list(values))


def pairs_among(
    session: Session,
    first: ColumnElement[str],
    second: ColumnElement[str],
    pairs: Iterable[tuple[str, str]],
) -> Any:
    """`(first, second) IN pairs`, as one array per distinct `first` value."""
    grouped: dict[str, list[str]] = {}
    for left, right in pairs:
        grouped.setdefault(left, []).append(right)
    return or_(
        *(and_(first == left, among(session, second, rights)) for left, rights in grouped.items())
    )


def _column_names(table: Table, row: Mapping[str, Any]) -> list[str]:
    unknown = [name for name in row if name not in table.c]
    if unknown:
        raise ValueError(f"{table.name} has no columns {unknown}")
    return list(row)


@cache
def _record_columns(table: Table, names: tuple[str, ...]) -> str:
    return ", ".join(f"{name} {_sql_type(table, name)}" for name in names)


@cache
def _sql_type(table: Table, name: str) -> str:
    return str(table.c[name].type.compile(dialect=_POSTGRESQL))


def _to_json(rows: Sequence[Mapping[str, Any]]) -> str:
    # orjson writes a batch's thousands of rows about fifteen times faster than the json
    # module, a tenth of the engine's time a message; it writes datetimes as isoformat does.
    return orjson.dumps(rows, default=_json_value).decode()


def _json_value(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} in a bulk statement")
