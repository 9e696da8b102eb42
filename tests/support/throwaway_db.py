"""Create or drop the throwaway PostgreSQL database of one test run.

Usage: python -m tests.support.throwaway_db create|drop SERVER_URL NAME
"""

from __future__ import annotations

import re
import sys

import psycopg
from psycopg import sql


def main(argv: list[str]) -> int:
    """Create or drop one database on the server; exit 1 when the server is unreachable."""
    action, server, name = argv
    if not re.fullmatch(r"[a-z0-9_]+", name):
        print(f"refusing database name {name!r}", file=sys.stderr)
        return 2
    try:
        with psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=5) as conn:
            if action == "create":
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            else:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
    except psycopg.OperationalError as error:
        print(f"PostgreSQL unavailable: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
