"""What the emulated service "reads" in a document: fields, line items and reviewed values.

Everything is drawn from a generator seeded by the caller, so the same seed gives the same
document on every run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal

from extract_assets.emulator.dataextractor.models import DatasetType

FieldType = Literal["string", "number", "date", "currency", "boolean"]

VENDORS = (
    "Acme Supplies Ltd",
    "Globex Corporation",
    "Initech GmbH",
    "Umbrella Logistics",
    "Stark Industrial",
    "Wayne Components",
    "Hooli Office Products",
    "Vandelay Imports",
)
BUYERS = ("Northwind Traders", "Contoso Retail", "Fabrikam Inc", "Tailspin Toys")
PRODUCTS = (
    ("Printer paper A4, 500 sheets", Decimal("4.50")),
    ("Toner cartridge, black", Decimal("62.00")),
    ("Office chair, ergonomic", Decimal("189.00")),
    ("Standing desk frame", Decimal("349.00")),
    ("USB-C docking station", Decimal("129.90")),
    ("Shipping pallet, euro", Decimal("14.75")),
    ("Consulting hours", Decimal("95.00")),
    ("Cloud storage, 1 TB month", Decimal("9.99")),
    ("Safety gloves, box of 100", Decimal("11.20")),
    ("Forklift maintenance", Decimal("420.00")),
)
CURRENCIES = ("USD", "EUR", "GBP")
PAYMENT_TERMS = ("Net 30", "Net 45", "Net 60", "Due on receipt")
TAX_RATES = (Decimal("0.00"), Decimal("0.07"), Decimal("0.19"), Decimal("0.20"))
# Share of seeded ground-truth values a reviewer corrected, so accuracy is not always 1.0.
REVIEW_CORRECTION_RATE = 0.12


@dataclass(frozen=True)
class BoundingBox:
    """Where a value sits on its page, normalised to 0-1; `page` is 1-based."""

    page: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class ExtractedField:
    """One extracted value; values are strings whatever their type, as the API serves them."""

    name: str
    value: str | None
    type: FieldType
    confidence: float
    bounding_box: BoundingBox

    def as_json(self) -> dict[str, Any]:
        """As the API returns it."""
        return {
            "name": self.name,
            "value": self.value,
            "type": self.type,
            "confidence": self.confidence,
            "bounding_box": vars(self.bounding_box).copy(),
        }


@dataclass(frozen=True)
class LineItem:
    """One row of the document's table."""

    index: int
    fields: tuple[ExtractedField, ...]

    def as_json(self) -> dict[str, Any]:
        """As the API returns it."""
        return {"index": self.index, "fields": [f.as_json() for f in self.fields]}


@dataclass(frozen=True)
class Document:
    """Everything extracted from one document."""

    fields: tuple[ExtractedField, ...]
    line_items: tuple[LineItem, ...]

    def values(self) -> dict[str, str | None]:
        """Top-level field values by name: what ground truth is matched against."""
        return {f.name: f.value for f in self.fields}

    def search_text(self) -> str:
        """Every extracted value, lower-cased, for the list's full-text `search`."""
        values = [f.value for f in self.fields]
        values += [f.value for item in self.line_items for f in item.fields]
        return "\n".join(v.lower() for v in values if v is not None)


def read_document(dataset_type: DatasetType, seed: str, issued: date) -> Document:
    """The fields and line items of an invoice or purchase order issued on `issued`."""
    rng = random.Random(seed)
    items, subtotal = _line_items(rng)
    tax = (subtotal * rng.choice(TAX_RATES)).quantize(Decimal("0.01"))
    total = subtotal + tax
    currency = rng.choice(CURRENCIES)
    vendor, buyer = rng.choice(VENDORS), rng.choice(BUYERS)
    header: list[tuple[str, str, FieldType]]
    if dataset_type == "invoice":
        header = [
            ("invoice_number", f"INV-{issued.year}-{rng.randrange(1, 100_000):05d}", "string"),
            ("invoice_date", issued.isoformat(), "date"),
            ("due_date", (issued + timedelta(days=rng.choice((14, 30, 45)))).isoformat(), "date"),
            ("vendor_name", vendor, "string"),
            (
                "vendor_tax_id",
                f"{rng.choice(('DE', 'GB', 'US'))}{rng.randrange(10**9):09d}",
                "string",
            ),
            ("customer_name", buyer, "string"),
            ("po_number", f"PO-{rng.randrange(1, 100_000):05d}", "string"),
        ]
    else:
        header = [
            ("po_number", f"PO-{rng.randrange(1, 100_000):05d}", "string"),
            ("order_date", issued.isoformat(), "date"),
            ("delivery_date", (issued + timedelta(days=rng.randrange(3, 21))).isoformat(), "date"),
            ("buyer_name", buyer, "string"),
            ("supplier_name", vendor, "string"),
            ("payment_terms", rng.choice(PAYMENT_TERMS), "string"),
        ]
    header += [
        ("subtotal", str(subtotal), "currency"),
        ("tax_amount", str(tax), "currency"),
        ("total_amount", str(total), "currency"),
        ("currency", currency, "string"),
        (("is_paid" if dataset_type == "invoice" else "approved"), _flag(rng), "boolean"),
    ]
    fields = tuple(
        _field(rng, name, value, kind, page=1, row=row)
        for row, (name, value, kind) in enumerate(header)
    )
    return Document(fields, items)


def reviewed_values(document: Document, seed: str) -> list[tuple[str, str | None]]:
    """Ground truth a reviewer would save: the extracted values, a few of them corrected."""
    rng = random.Random(f"{seed}:review")
    truth = []
    for extracted in document.fields:
        value = extracted.value
        if value is not None and rng.random() < REVIEW_CORRECTION_RATE:
            value = _corrected(value, extracted.type, rng)
        truth.append((extracted.name, value))
    return truth


def _line_items(rng: random.Random) -> tuple[tuple[LineItem, ...], Decimal]:
    items = []
    subtotal = Decimal(0)
    for index in range(rng.randint(1, 5)):
        description, price = rng.choice(PRODUCTS)
        quantity = rng.randint(1, 24)
        amount = price * quantity
        subtotal += amount
        row = 20 + index
        values: list[tuple[str, str, FieldType]] = [
            ("description", description, "string"),
            ("quantity", str(quantity), "number"),
            ("unit_price", str(price), "currency"),
            ("amount", str(amount), "currency"),
        ]
        fields = tuple(
            _field(rng, name, value, kind, page=1, row=row, column=column)
            for column, (name, value, kind) in enumerate(values)
        )
        items.append(LineItem(index, fields))
    return tuple(items), subtotal


def _field(
    rng: random.Random,
    name: str,
    value: str,
    kind: FieldType,
    *,
    page: int,
    row: int,
    column: int = 0,
) -> ExtractedField:
    # A fixed layout (rows of 3.5 % page height, four columns) with a little jitter, so boxes of
    # one document never overlap and stay inside the page.
    jitter, size, confidence = rng.random(), rng.random(), rng.random()
    box = BoundingBox(
        page=page,
        x=round(0.08 + 0.22 * column + 0.02 * jitter, 3),
        y=round(0.05 + 0.035 * row + 0.005 * size, 3),
        width=round(0.12 + 0.08 * size, 3),
        height=round(0.02 + 0.01 * jitter, 3),
    )
    return ExtractedField(name, value, kind, round(0.8 + 0.199 * confidence, 3), box)


def _flag(rng: random.Random) -> str:
    return "true" if rng.random() < 0.5 else "false"


def _corrected(value: str, kind: FieldType, rng: random.Random) -> str:
    """A plausible correction: a misread digit or letter, a day off, a flipped flag."""
    if kind == "boolean":
        return "false" if value == "true" else "true"
    if kind == "date":
        return (date.fromisoformat(value) + timedelta(days=1)).isoformat()
    position = rng.randrange(len(value))
    original = value[position]
    replacement = str((int(original) + 1) % 10) if original.isdigit() else "x"
    if replacement == original:
        replacement = "y"
    return value[:position] + replacement + value[position + 1 :]
