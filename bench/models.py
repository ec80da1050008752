"""The bench schemas (bench/schemas/) written by hand as dataclasses-avroschema AvroModels.

What a service would write without avrobind; `run.py` checks that each class's schema has the
same Parsing Canonical Form as the .avsc file before timing it.
"""

import dataclasses
import datetime
import enum
import uuid

from dataclasses_avroschema import AvroModel, types


@dataclasses.dataclass(kw_only=True)
class Small(AvroModel):
    """Five primitives."""

    sensor_id: int
    name: str
    value: float
    active: bool
    count: types.Int32

    class Meta:
        namespace = "bench"


class Status(enum.Enum):
    NEW = "NEW"
    ACTIVE = "ACTIVE"
    DONE = "DONE"
    FAILED = "FAILED"


@dataclasses.dataclass(kw_only=True)
class Position(AvroModel):
    lat: float
    lon: float

    class Meta:
        namespace = "bench"


@dataclasses.dataclass(kw_only=True)
class Medium(AvroModel):
    """Twelve fields: uuid, timestamp-millis, enum, nested record, array, map, nullable, decimal."""

    event_id: uuid.UUID
    created_at: datetime.datetime
    status: Status
    position: Position
    tags: list[str]
    attributes: dict[str, str]
    note: str | None = None
    amount: types.condecimal(max_digits=12, decimal_places=2)  # type: ignore[valid-type]
    count: types.Int32
    score: float
    active: bool
    name: str

    class Meta:
        namespace = "bench"


@dataclasses.dataclass(kw_only=True)
class Large(AvroModel):
    """A batch: an array of (50) Medium records."""

    batch_id: str
    items: list[Medium]

    class Meta:
        namespace = "bench"
