"""Supplier and offer catalogs: the bundled demo catalog and imports of real ones.

A load is an idempotent upsert: suppliers match by CNPJ, offers by supplier and code, and
loading the same catalog twice changes nothing the second time. Offers a catalog does not
mention are left as they are (withdraw one by loading it with `active: false`).
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from marketplace.catalog_files import OfferRecord, SupplierRecord, excerpt, read_catalog_bytes
from marketplace.catalog_references import CatalogReferences, RejectedReference
from marketplace.catalog_schema import OfferEntry, SupplierEntry
from marketplace.clock import Clock, SystemClock
from marketplace.db import hold_write_lock
from marketplace.models import Distributor, Offer, OfferDistributor, OfferState, Supplier

logger = logging.getLogger(__name__)

DEMO_CATALOG_FILE = "demo_catalog.json"
# The PostgreSQL advisory lock a load holds until its transaction ends (marketplace.db).
CATALOG_LOCK = 7_301_002
MAX_REASONS = 5

Outcome = Literal["created", "updated", "unchanged"]
CatalogProgress = Callable[[int], object]
"""Called after each supplier with how many offer records were just handled."""


@dataclass(frozen=True)
class CatalogRejection:
    """A supplier or offer left out of a load, where it is in the file, and why."""

    location: str
    reason: str


@dataclass
class CatalogLoadReport:
    """What one load did: suppliers by CNPJ, offers as `CNPJ/code`, and every rejection."""

    suppliers: dict[Outcome, list[str]] = field(
        default_factory=lambda: {"created": [], "updated": [], "unchanged": []}
    )
    offers: dict[Outcome, list[str]] = field(
        default_factory=lambda: {"created": [], "updated": [], "unchanged": []}
    )
    rejections: list[CatalogRejection] = field(default_factory=list)

    @property
    def accepted_suppliers(self) -> int:
        """How many suppliers passed validation (created, updated or unchanged)."""
        return sum(map(len, self.suppliers.values()))

    @property
    def accepted_offers(self) -> int:
        """How many offers passed validation (created, updated or unchanged)."""
        return sum(map(len, self.offers.values()))

    def summary(self) -> str:
        """One line of counts, e.g. `suppliers: 1 created, 0 updated, 2 unchanged; ...`."""
        parts = [
            f"{label}: " + ", ".join(f"{len(keys)} {outcome}" for outcome, keys in found.items())
            for label, found in (("suppliers", self.suppliers), ("offers", self.offers))
        ]
        return "; ".join([*parts, f"{len(self.rejections)} rejected"])

    def reject(self, location: str, reason: str) -> None:
        """Record a rejection."""
        logger.info("catalog entry at %s rejected: %s", location, reason)
        self.rejections.append(CatalogRejection(location, reason))


def load_catalog(
    session: Session,
    records: Sequence[SupplierRecord],
    *,
    progress: CatalogProgress | None = None,
    clock: Clock | None = None,
) -> CatalogLoadReport:
    """Insert or update the suppliers and offers in `records`, rejecting invalid ones.

    A rejected offer costs only itself; a rejected supplier costs its offers too. Runs in
    the caller's transaction and flushes, but does not commit. A load waits for any other
    load to commit first, so two loads of one catalog never insert the same supplier.
    """
    hold_write_lock(session, CATALOG_LOCK)
    loader = _CatalogLoader(session, CatalogReferences.read(session), (clock or SystemClock()))
    entries = loader.validate_suppliers(records)
    for record in records:
        entry = entries.get(record.location)
        if entry is not None:
            loader.load_supplier(record, entry)
        if progress is not None:
            progress(len(record.offers))

    session.flush()
    logger.info("catalog loaded: %s", loader.report.summary())
    return loader.report


def load_demo_catalog(session: Session, *, clock: Clock | None = None) -> CatalogLoadReport:
    """Load the bundled demo catalog (fictional suppliers, marked as such)."""
    data = resources.files("marketplace.data").joinpath(DEMO_CATALOG_FILE).read_bytes()
    report = load_catalog(session, read_catalog_bytes(data, catalog_format="json"), clock=clock)
    for rejection in report.rejections:
        logger.warning("demo catalog entry %s rejected: %s", rejection.location, rejection.reason)
    return report


class _CatalogLoader:
    """The state of one load: the session, the reference data, the clock and the report."""

    def __init__(self, session: Session, references: CatalogReferences, clock: Clock) -> None:
        self.session = session
        self.references = references
        self.now: datetime = clock.now()
        self.report = CatalogLoadReport()

    def validate_suppliers(self, records: Sequence[SupplierRecord]) -> dict[str, SupplierEntry]:
        """Validate every supplier, rejecting bad ones and CNPJs listed more than once.

        Returns:
            The valid suppliers by the location of their record.
        """
        valid = [(record, self._validate_supplier(record)) for record in records]
        checked = [(record, entry) for record, entry in valid if entry is not None]
        locations: dict[str, list[str]] = defaultdict(list)
        for record, entry in checked:
            locations[entry.cnpj].append(record.location)

        for record, entry in checked:
            if len(locations[entry.cnpj]) > 1:
                where = ", ".join(locations[entry.cnpj])
                self._reject_supplier(
                    record, f"supplier: CNPJ {entry.cnpj} is listed more than once ({where})"
                )
        return {
            record.location: entry for record, entry in checked if len(locations[entry.cnpj]) == 1
        }

    def load_supplier(self, record: SupplierRecord, entry: SupplierEntry) -> None:
        """Upsert one validated supplier, then each of its offers."""
        supplier = self.session.scalar(select(Supplier).where(Supplier.cnpj == entry.cnpj))
        outcome: Outcome = "unchanged"
        if supplier is None:
            supplier = Supplier(cnpj=entry.cnpj, created_at=self.now, rating_count=0)
            self.session.add(supplier)
            outcome = "created"
        if _assign(supplier, _supplier_values(entry)) and outcome == "unchanged":
            outcome = "updated"
        self.session.flush()
        self.report.suppliers[outcome].append(entry.cnpj)

        existing = self._offers_of(supplier)
        repeated = _repeated_codes(record.offers)
        for offer_record in record.offers:
            self._load_offer(supplier, existing, offer_record, repeated)

    def _validate_supplier(self, record: SupplierRecord) -> SupplierEntry | None:
        if record.problem is not None:
            self._reject_supplier(record, record.problem)
            return None
        try:
            return SupplierEntry.model_validate(record.fields)
        except ValidationError as error:
            self._reject_supplier(record, f"supplier: {plain_reason(error)}")
            return None

    def _reject_supplier(self, record: SupplierRecord, reason: str) -> None:
        if record.offers:
            where = ", ".join(offer.location for offer in record.offers[:10])
            more = ", ..." if len(record.offers) > 10 else ""
            reason += f"; so its {len(record.offers)} offer(s) were not loaded ({where}{more})"
        self.report.reject(record.location, reason)

    def _offers_of(self, supplier: Supplier) -> dict[str, Offer]:
        query = (
            select(Offer)
            .where(Offer.supplier_id == supplier.id)
            .options(selectinload(Offer.states), selectinload(Offer.distributors))
        )
        return {offer.code: offer for offer in self.session.scalars(query)}

    def _load_offer(
        self,
        supplier: Supplier,
        existing: dict[str, Offer],
        record: OfferRecord,
        repeated: set[str],
    ) -> None:
        entry, distributors = self._validate_offer(record, repeated)
        if entry is None:
            return

        offer = existing.get(entry.code)
        outcome: Outcome = "unchanged"
        if offer is None:
            offer = Offer(supplier_id=supplier.id, code=entry.code, updated_at=self.now)
            self.session.add(offer)
            existing[entry.code] = offer
            outcome = "created"
        changed = _assign(offer, _offer_values(entry))
        changed |= _replace_areas(offer, set(entry.states), {d.id for d in distributors})
        if changed and outcome == "unchanged":
            offer.updated_at = self.now
            outcome = "updated"
        self.report.offers[outcome].append(f"{supplier.cnpj}/{entry.code}")

    def _validate_offer(
        self, record: OfferRecord, repeated: set[str]
    ) -> tuple[OfferEntry | None, list[Distributor]]:
        code = _raw_code(record.fields)
        if record.problem is not None:
            self.report.reject(record.location, record.problem)
        elif code is not None and code in repeated:
            self.report.reject(
                record.location,
                f"offer: code {excerpt(code, 60)!r} appears more than once for this supplier",
            )
        else:
            try:
                entry = OfferEntry.model_validate(record.fields)
                return entry, self.references.areas_of(entry)
            except ValidationError as error:
                self.report.reject(record.location, f"offer: {plain_reason(error)}")
            except RejectedReference as error:
                self.report.reject(record.location, f"offer: {error}")
        return None, []


def plain_reason(error: ValidationError) -> str:
    """Pydantic's findings as one short sentence a person can act on, e.g. `rating: ...`."""
    details = error.errors(include_url=False, include_input=False)
    parts = []
    for detail in details[:MAX_REASONS]:
        where = ".".join(excerpt(str(part), 60) for part in detail["loc"])
        message = detail["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    if len(details) > MAX_REASONS:
        parts.append(f"and {len(details) - MAX_REASONS} more problem(s)")
    return "; ".join(parts)


def _raw_code(fields: Any) -> str | None:
    code = fields.get("code") if isinstance(fields, dict) else None
    return code.strip() if isinstance(code, str) else None


def _repeated_codes(offers: list[OfferRecord]) -> set[str]:
    counts = Counter(_raw_code(offer.fields) for offer in offers)
    return {code for code, count in counts.items() if code and count > 1}


def _supplier_values(entry: SupplierEntry) -> dict[str, Any]:
    values: dict[str, Any] = {"name": entry.name, "is_demo": entry.is_demo}
    # Left out, these keep what the product knows: ratings will come from reviews.
    if "rating" in entry.model_fields_set:
        values["rating"] = entry.rating
    if entry.rating_count is not None:
        values["rating_count"] = entry.rating_count
    if entry.response_hours is not None:
        values["response_hours"] = entry.response_hours
    return values


def _offer_values(entry: OfferEntry) -> dict[str, Any]:
    fields = entry.model_dump(exclude={"code", "states", "distributors", "two_bills"})
    return {**fields, "two_bills": entry.has_two_bills}


def _assign(row: Any, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _replace_areas(offer: Offer, ufs: set[str], distributor_ids: set[int]) -> bool:
    # Only the differences are written: re-adding a row with the same primary key in one
    # flush would make the unit of work delete and insert the same identity.
    stale_states = [link for link in offer.states if link.uf not in ufs]
    new_states = ufs - {link.uf for link in offer.states}
    stale_areas = [
        link for link in offer.distributors if link.distributor_id not in distributor_ids
    ]
    new_areas = distributor_ids - {link.distributor_id for link in offer.distributors}
    for state_link in stale_states:
        offer.states.remove(state_link)
    for area_link in stale_areas:
        offer.distributors.remove(area_link)
    offer.states.extend(OfferState(uf=uf) for uf in sorted(new_states))
    offer.distributors.extend(OfferDistributor(distributor_id=i) for i in sorted(new_areas))
    return bool(stale_states or new_states or stale_areas or new_areas)
