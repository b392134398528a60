"""Deterministic rows for result files: the same query, schema and count give the same bytes.

Values come from small per-field pools of pre-serialized JSON, each pool a different prime size,
so that row `i` is a few list lookups and one join: fast enough for files of millions of rows.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, BinaryIO

from extract_assets.emulator.realworld import beyond_doubles, roll

# Pairwise distinct primes: rows repeat only after the product of the pool sizes.
_POOL_SIZES = (211, 199, 197, 193, 191, 181, 179, 173, 167, 163, 157, 151, 149, 139, 137, 131)
_BATCH = 20_000
_MAX_DEPTH = 6
# Under the real-world profile, one value in this many of a `number` field's pool is a number
# beyond float64.
BEYOND_DOUBLES_EVERY = 40

_FIRST = ("Ada", "Grace", "Alan", "Zoë", "José", "Linus", "Margaret", "Ken", "Barbara", "Dennis",
          "Hedy", "Tim", "Frances", "Edsger", "Radia", "Guido", "Katherine", "Niklaus", "Anita",
          "Bjarne", "Sophie", "Yukihiro", "Françoise", "Donald")  # fmt: skip
_LAST = ("Lovelace", "Hopper", "Turing", "Müller", "García", "Torvalds", "Hamilton", "Thompson",
         "Liskov", "Ritchie", "Lamarr", "Berners-Lee", "Allen", "Dijkstra", "Perlman", "Rossum",
         "Johnson", "Wirth", "Borg", "Stroustrup", "Wilson", "Matsumoto", "Knuth", "O'Neil",
         )  # fmt: skip
_ROLES = ("Software Engineer", "Senior Software Engineer", "Staff Engineer", "Engineering Manager",
          "Data Engineer", "Product Manager", "Designer", "CTO", "Site Reliability Engineer",
          "Developer Advocate", "Research Scientist", "QA Engineer")  # fmt: skip
_COMPANIES = ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries", "Wayne Corp",
              "Tyrell", "Cyberdyne", "Soylent")  # fmt: skip
_CITIES = ("Paris", "Berlin", "Lisbon", "New York", "São Paulo", "Tokyo", "Nairobi", "Oslo",
           "Montréal", "Sydney")  # fmt: skip
_WORDS = ("alpha", "bravo", "delta", "echo", "orbit", "quartz", "river", "summit", "timber",
          "vector", "willow", "zenith", "harbor", "lumen", "meadow", "nimbus")  # fmt: skip

Field = Callable[[int], str | None]
"""Row index -> the `"key":value` JSON fragment of one field, or None when the key is absent."""


def default_row_count(q: str) -> int:
    """How many rows the agent "finds" for a query no scenario sets: 5 to 20, stable."""
    return 5 + int.from_bytes(hashlib.sha256(q.encode()).digest()[:8], "big") % 16


def fingerprint(
    q: str, schema: dict[str, Any] | None, rows: int, beyond_seed: int | None = None
) -> str:
    """A content key: equal for inputs that produce byte-identical files."""
    inputs: dict[str, Any] = {"q": q, "schema": schema, "rows": rows, "v": 1}
    if beyond_seed is not None:
        inputs["beyond_seed"] = beyond_seed
    return hashlib.sha256(_canonical(inputs)).hexdigest()


def iter_lines(
    q: str, schema: dict[str, Any] | None, rows: int, beyond_seed: int | None = None
) -> Iterator[str]:
    """The file's lines (each ending in a newline), in batches joined into one string each.
    With `beyond_seed` (the real-world profile's seed), some values of `number` fields are
    numbers beyond float64 (`1e400`)."""
    fields = _plan(q, schema, rows, beyond_seed)
    for start in range(0, rows, _BATCH):
        yield _batch(fields, start, min(rows, start + _BATCH))


def write_ndjson(
    out: BinaryIO,
    q: str,
    schema: dict[str, Any] | None,
    rows: int,
    cancel: threading.Event | None = None,
    beyond_seed: int | None = None,
) -> None:
    """Write the rows to `out`, one batch at a time; stops early when `cancel` is set."""
    for batch in iter_lines(q, schema, rows, beyond_seed):
        if cancel is not None and cancel.is_set():
            return
        out.write(batch.encode())


def _batch(fields: list[Field], start: int, stop: int) -> str:
    lines = []
    for i in range(start, stop):
        parts = [field(i) for field in fields]
        lines.append("{" + ",".join([part for part in parts if part is not None]) + "}\n")
    return "".join(lines)


def _plan(q: str, schema: dict[str, Any] | None, rows: int, beyond_seed: int | None) -> list[Field]:
    seed = hashlib.sha256(q.encode() + b"\0" + _canonical(schema)).hexdigest()
    if schema is None:
        return _inferred_fields(seed, rows)
    properties: dict[str, Any] = schema.get("properties") or {}
    required = set(schema.get("required") or ())
    fields = []
    for index, (name, prop) in enumerate(properties.items()):
        rng = random.Random(f"{seed}:{name}")
        key = _dumps(name) + ":"
        pool: list[str | None] = []
        for _ in range(_POOL_SIZES[index % len(_POOL_SIZES)]):
            roll = rng.random()
            if name not in required and roll < 0.1:
                pool.append(None)
            elif name not in required and roll < 0.2:
                pool.append(key + "null")
            else:
                pool.append(key + _dumps(_value(prop, rng, name, schema, 0)))
        if beyond_seed is not None and _type_of(_resolve(prop, schema)) == "number":
            pool = _beyond_doubles(pool, key, beyond_seed, seed, name)
        fields.append(_cycle(pool))
    return fields


def _beyond_doubles(
    pool: list[str | None], key: str, beyond_seed: int, seed: str, name: str
) -> list[str | None]:
    """The pool with one value in `BEYOND_DOUBLES_EVERY` (not a null or an absent key) made a
    number beyond float64."""
    return [
        key + beyond_doubles(beyond_seed, seed, name, slot)
        if part is not None
        and part != key + "null"
        and roll(beyond_seed, seed, name, slot) % BEYOND_DOUBLES_EVERY == 0
        else part
        for slot, part in enumerate(pool)
    ]


def _inferred_fields(seed: str, rows: int) -> list[Field]:
    """Rows whose shape drifts as an agent's would: keys absent early, some values null.

    `email` is absent from the first half of the file and present after it, the case where
    readers that infer a schema from the first rows lose or reject the column.
    """
    rng = random.Random(seed)
    size = _POOL_SIZES[0]
    people = [(rng.choice(_FIRST), rng.choice(_LAST)) for _ in range(size)]
    names: list[str | None] = ['"name":' + _dumps(f"{first} {last}") for first, last in people]
    urls = [
        f'"profileUrl":"https://example.com/team/{_slug(f"{first} {last}")}-'
        for first, last in people
    ]
    emails = [
        '"email":null' if rng.random() < 0.1 else '"email":' + _dumps(_email(first, last))
        for first, last in people
    ]
    roles: list[str | None] = [
        '"role":null' if rng.random() < 0.15 else '"role":' + _dumps(rng.choice(_ROLES))
        for _ in range(_POOL_SIZES[1])
    ]
    half = rows // 2

    def profile_url(i: int) -> str:
        return urls[i % size] + str(i) + '"'

    def email(i: int) -> str | None:
        return emails[i % size] if i >= half else None

    return [_cycle(names), _cycle(roles), profile_url, email]


def _cycle(pool: list[str | None]) -> Field:
    size = len(pool)

    def field(i: int) -> str | None:
        return pool[i % size]

    return field


def _value(schema: Any, rng: random.Random, name: str, root: dict[str, Any], depth: int) -> Any:
    schema = _resolve(schema, root)
    if not isinstance(schema, dict):
        return _string(None, name, rng)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return rng.choice(schema["enum"])
    for combinator in ("anyOf", "oneOf", "allOf"):
        options = [o for o in schema.get(combinator) or () if _resolve(o, root) != {"type": "null"}]
        if options:
            return _value(rng.choice(options), rng, name, root, depth + 1)
    kind = _type_of(schema)
    if kind == "object":
        if depth >= _MAX_DEPTH:
            return {}
        required = set(schema.get("required") or ())
        return {
            key: _value(sub, rng, key, root, depth + 1)
            for key, sub in (schema.get("properties") or {}).items()
            if key in required or rng.random() >= 0.2
        }
    if kind == "array":
        if depth >= _MAX_DEPTH:
            return []
        items = schema.get("items") or {"type": "string"}
        return [_value(items, rng, name, root, depth + 1) for _ in range(rng.randint(0, 3))]
    if kind == "integer":
        first = int(schema.get("minimum", 0))
        return rng.randint(first, int(schema.get("maximum", first + 1000)))
    if kind == "number":
        low = float(schema.get("minimum", 0))
        return round(rng.uniform(low, float(schema.get("maximum", low + 1000))), 2)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "null":
        return None
    return _string(schema.get("format"), name, rng)


def _type_of(schema: dict[str, Any]) -> str:
    declared = schema.get("type")
    if isinstance(declared, list):
        declared = next((t for t in declared if t != "null"), "null")
    if isinstance(declared, str):
        return declared
    if "properties" in schema:
        return "object"
    return "array" if "items" in schema else "string"


def _resolve(schema: Any, root: dict[str, Any]) -> Any:
    """Follows a local `$ref` ("#/$defs/x"); other references fall back to a string."""
    seen = 0
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and seen < _MAX_DEPTH:
        target: Any = root
        for part in schema["$ref"].removeprefix("#").strip("/").split("/"):
            target = target.get(part) if isinstance(target, dict) and part else target
        schema = target if isinstance(target, dict) else {"type": "string"}
        seen += 1
    return schema


def _string(fmt: str | None, name: str, rng: random.Random) -> str:
    lowered = name.lower()
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    if fmt == "date":
        return (date(2020, 1, 1) + timedelta(days=rng.randrange(2400))).isoformat()
    if fmt == "date-time":
        moment = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(200_000_000))
        return moment.isoformat().replace("+00:00", "Z")
    if fmt == "time":
        return f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}"
    if fmt == "uuid":
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    if fmt == "email" or "email" in lowered:
        return _email(first, last)
    if fmt in ("uri", "url", "iri") or lowered.endswith(("url", "uri", "link", "website")):
        return f"https://example.com/{_slug(name)}/{_slug(first + ' ' + last)}"
    if "name" in lowered:
        return f"{first} {last}"
    if "role" in lowered or "title" in lowered:
        return rng.choice(_ROLES)
    if "company" in lowered or "organization" in lowered:
        return rng.choice(_COMPANIES)
    if "city" in lowered or "location" in lowered:
        return rng.choice(_CITIES)
    return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(1, 3)))


def _email(first: str, last: str) -> str:
    return f"{_slug(first)}.{_slug(last)}@example.com".replace("-", "")


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()
    return "-".join("".join(c if c.isalnum() else " " for c in ascii_text).split())


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
