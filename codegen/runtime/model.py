"""The base class of generated records: an `AvroModel` that answers with its exact source schema.

dataclasses-avroschema derives a schema from a class by reflection, which cannot express every
schema (a field called `class`, unions of two record types of the same shape, recursive
containers, top-level unions...). Generated classes therefore carry their source schema and
generated conversion code: the binary codec (`__avro_write__` / `__avro_read__`), fastavro's
datum (`to_avro` / `from_avro`) and the dict form (`to_dict` / `__avro_from_dict__`); this base
keeps the AvroModel API (`avro_schema`, `serialize`, `deserialize`, `validate`, `fake`,
`to_dict`, `to_json`, `parse_obj`...) on top of them.
"""

from __future__ import annotations

import dataclasses
import enum
import io
import json
import random
from collections.abc import Mapping
from typing import Any, ClassVar, Self

import fastavro
import fastavro.validation
from dataclasses_avroschema import AvroModel

from .codec import decode, encode, write_len
from .datagen import random_datum
from .dicts import json_form
from .schema import (
    fastavro_schema,
    parse_writer_schema,
    resolution_schema,
    standalone_json,
)

# The generated records and enums of this package by Avro full name, as their modules are
# imported (the resolving readers of `resolver` build them; a user's subclass is not one).
_CLASSES: dict[str, type] = {}


class _AvroEnumType(enum.EnumMeta):
    """Gives each generated enum what its generated code uses: every member's encoded index
    (``member.__avro_code__``), the members by index (``cls.__avro_members__``) and by symbol
    (``cls.__avro_symbols__``)."""

    def __new__(mcls, *args: Any, **kwargs: Any) -> Any:
        cls = super().__new__(mcls, *args, **kwargs)
        members: tuple[Any, ...] = tuple(cls)
        for index, member in enumerate(members):
            code = bytearray()
            write_len(code, index)
            member.__avro_code__ = bytes(code)
        type.__setattr__(cls, "__avro_members__", members)
        type.__setattr__(cls, "__avro_symbols__", {m.value: m for m in members})
        name = cls.__dict__.get("__avro_name__")
        if isinstance(name, str):  # a generated enum (not the base)
            _CLASSES[name] = cls
        return cls


class AvroEnum(enum.Enum, metaclass=_AvroEnumType):
    """Base of every generated enum: members' values are the Avro symbols."""

    # Set by each generated enum: its Avro full name (a dunder, so not a member).
    __avro_name__: ClassVar[str]
    # Set by the metaclass: the Avro binary of each member, and the members by index.
    __avro_code__: bytes
    __avro_members__: ClassVar[tuple[Any, ...]]
    __avro_symbols__: ClassVar[dict[str, Any]]

    @classmethod
    def avro_schema_to_python(cls) -> dict[str, Any]:
        """The source schema (a fresh copy), exactly as written in the .avsc file."""
        schema: dict[str, Any] = json.loads(standalone_json(cls.__avro_name__))
        return schema

    @classmethod
    def avro_schema(cls) -> str:
        return json.dumps(cls.avro_schema_to_python())


class AvroRecord(AvroModel):
    """Base of every generated record class."""

    # Set by each generated class: its Avro full name.
    __avro_name__: ClassVar[str]
    # The package's generated classes by full name.
    __avro_classes__: ClassVar[dict[str, type]] = _CLASSES

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("__avro_name__")
        if isinstance(name, str):  # a generated class (not a user's subclass of one)
            _CLASSES[name] = cls

    @classmethod
    def avro_schema_to_python(
        cls,
        parent: Any = None,
        case_type: str | None = None,
    ) -> dict[str, Any]:
        """The source schema (a fresh copy), exactly as written in the .avsc file."""
        schema: dict[str, Any] = json.loads(standalone_json(cls.__avro_name__))
        if case_type is not None:
            from dataclasses_avroschema import case

            cased: Any = case.case_record(schema, case_type)
            return dict(cased)
        return schema

    @classmethod
    def avro_schema(cls, case_type: str | None = None, **kwargs: Any) -> str:
        return json.dumps(cls.avro_schema_to_python(case_type=case_type), **kwargs)

    @classmethod
    def generate_schema(cls, schema_type: str = "avro") -> Any:
        return cls.avro_schema_to_python()

    @classmethod
    def get_fullname(cls) -> str:
        return cls.__avro_name__

    @classmethod
    def parsed_schema(cls) -> Any:
        """The schema parsed by fastavro (cached per class)."""
        parsed = cls.__dict__.get("_avro_parsed")
        if parsed is None:
            parsed = fastavro_schema(cls.avro_schema_to_python())
            type.__setattr__(cls, "_avro_parsed", parsed)
        return parsed

    @classmethod
    def resolution_schema(cls) -> Any:
        """The reader schema for data written with another schema (see `schema.resolution_schema`)."""
        parsed = cls.__dict__.get("_avro_resolution")
        if parsed is None:
            parsed = resolution_schema(cls.parsed_schema())
            type.__setattr__(cls, "_avro_resolution", parsed)
        return parsed

    # Generated per class.
    def to_avro(self) -> dict[str, Any]:
        """The record as fastavro writes it and reads it back (`from_avro` is the inverse):
        Avro field names, enums as symbols, the logical types fastavro converts as Python
        values, the others encoded, a named union branch as a (full name, value) tuple.
        """
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """The record as a dict keyed by Avro field names (`parse_obj` is the inverse)."""
        raise NotImplementedError

    @classmethod
    def __avro_from_dict__(cls, data: Mapping[str, Any]) -> Self:
        """The record of a dict in the form of `to_dict` or its JSON form (values unchecked)."""
        raise NotImplementedError

    def __avro_write__(self, buf: bytearray) -> None:
        """Append this record's Avro binary to ``buf`` (generated; see ``codec``)."""
        raise NotImplementedError

    @classmethod
    def __avro_read__(cls, data: bytes, pos: int) -> tuple[Self, int]:
        """The record at ``pos`` in ``data`` and the position after it (generated)."""
        raise NotImplementedError

    @classmethod
    def from_avro(cls, datum: Mapping[str, Any]) -> Self:
        """The record of fastavro's datum (as `to_avro` gives or fastavro's reader returns;
        a named union branch may come as a plain value)."""
        raise NotImplementedError

    def asdict(self) -> dict[str, Any]:
        """The record as fastavro writes it (enums as symbols, logical types as Avro values)."""
        return self.to_avro()

    def serialize(self, serialization_type: str = "avro") -> bytes:
        """Avro binary (schemaless) of this record, or Avro JSON with `"avro-json"`."""
        if serialization_type == "avro":
            return encode(self)
        if serialization_type == "avro-json":
            text = io.StringIO()
            fastavro.json_writer(text, self.parsed_schema(), [self.to_avro()])
            return text.getvalue().encode()
        raise ValueError(
            f"serialization_type must be 'avro' or 'avro-json', not {serialization_type!r}"
        )

    @classmethod
    def deserialize(
        cls,
        data: bytes,
        serialization_type: str = "avro",
        create_instance: bool = True,
        writer_schema: Any = None,
    ) -> Any:
        """Decode Avro binary written with this schema, or with `writer_schema` (resolved)."""
        datum: Any
        if serialization_type == "avro" and writer_schema is None:
            obj = decode(cls, data)[
                0
            ]  # the generated decoder: written with this very schema
            return obj if create_instance else obj.to_dict()
        if serialization_type == "avro":
            writer = parse_writer_schema(writer_schema)
            datum = fastavro.schemaless_reader(
                io.BytesIO(data),
                writer,
                cls.resolution_schema(),
                return_named_type=True,
            )
        elif serialization_type == "avro-json":
            datum = next(
                iter(
                    fastavro.json_reader(
                        io.StringIO(data.decode()), cls.parsed_schema()
                    )
                )
            )
        else:
            raise ValueError(
                f"serialization_type must be 'avro' or 'avro-json', not {serialization_type!r}"
            )
        obj = cls.from_avro(datum)
        return obj if create_instance else obj.to_dict()

    @classmethod
    def parse_obj(cls, data: Mapping[str, Any]) -> Self:
        """The record of a dict in the form of `to_dict` (or of `to_json`, once loaded).

        Fields with a default may be left out; unknown keys are refused. Every value is checked
        as `serialize()` checks it: a ``ValueError`` (``EncodeError``) names the field's path.
        """
        obj = cls.__avro_from_dict__(data)
        encode(obj)
        return obj

    @classmethod
    def parse_json(cls, data: str | bytes | bytearray) -> Self:
        """The record of JSON text in the form of `to_json` (`parse_obj` of its value)."""
        return cls.parse_obj(json.loads(data))

    def to_json(self, **kwargs: Any) -> str:
        """`to_dict()` as JSON text (see `dicts.json_form`); keyword arguments go to
        `json.dumps` (``indent=2``...)."""
        return json.dumps(json_form(self.to_dict()), **kwargs)

    def validate(self) -> bool:
        """True if the record is valid for its schema; raises fastavro's ValidationError if not."""
        return bool(
            fastavro.validation.validate(
                self.to_avro(), self.parsed_schema(), raise_errors=True
            )
        )

    @classmethod
    def fake(cls, **data: Any) -> Self:
        """A random valid instance; keyword arguments (Python attribute names) override fields."""
        # The source schema, with every logical type: data for fastavro's view of it could be
        # bytes that are no big-decimal.
        schema = fastavro.parse_schema(cls.avro_schema_to_python())
        datum = random_datum(schema, random.Random())
        out = io.BytesIO()
        fastavro.schemaless_writer(out, schema, datum)
        obj = decode(cls, out.getvalue())[0]
        return dataclasses.replace(obj, **data) if data else obj  # type: ignore[type-var]
