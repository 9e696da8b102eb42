"""Supplier and offer catalogs: the bundled demo catalog and imports of real ones."""

from __future__ import annotations

from sqlalchemy.orm import Session


def load_demo_catalog(session: Session) -> None:
    """Load the bundled demo catalog (fictional suppliers, marked as such)."""
    raise NotImplementedError("being written in issue 2")
