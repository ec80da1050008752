"""The generated codecs checked against fastavro, the reference, on one record class.

For a datum drawn by `datagen` from the SOURCE schema (parsed by fastavro, independently of
the generated code) and written by ``fastavro.schemaless_writer``:

- the generated decoder reads the bytes into an object equal to what fastavro's reader and
  the generated ``from_avro`` make of them, consuming every byte;
- the generated encoder writes that object to exactly the same bytes;
- every strict prefix of the bytes is reported as truncated;
- the object's other forms (fastavro's datum, the dict and JSON forms) are exact: see
  `forms_support.check_forms`.
"""

from __future__ import annotations

import io
import random
from typing import Any

import fastavro
import pytest

from codegen.runtime.datagen import DatagenError, DatumGenerator
from tests.codecs.forms_support import check_forms


def runtime(cls: type, name: str) -> Any:
    """A module of the runtime copy inside the generated package of ``cls``."""
    import importlib

    package = cls.__module__.split(".")[0]
    return importlib.import_module(f"{package}._runtime.{name}")


def check_record(cls: Any, writer: Any, rng: random.Random, rounds: int = 3, cuts: int = 40) -> int:
    """Run the checks above on ``rounds`` random data; the number of data checked."""
    codec = runtime(cls, "codec")
    errors = runtime(cls, "errors")
    done = 0
    try:
        generator = DatumGenerator(writer)
    except DatagenError:
        return done
    for _ in range(rounds):
        try:
            datum = generator.datum(rng)
        except DatagenError:
            return done
        out = io.BytesIO()
        fastavro.schemaless_writer(out, writer, datum)
        data = out.getvalue()

        obj, end = codec.decode(cls, data)
        assert end == len(data), cls
        expected = cls.from_avro(
            fastavro.schemaless_reader(
                io.BytesIO(data), cls.parsed_schema(), None, return_named_type=True
            )
        )
        assert obj == expected, cls
        assert codec.encode(obj) == data, cls
        assert codec.encode(obj, b"\x00\x00\x00\x00\x07") == b"\x00\x00\x00\x00\x07" + data
        check_forms(cls, obj, data, writer, runtime(cls, "logical"))

        step = max(1, len(data) // cuts)
        for cut in range(0, len(data), step):
            with pytest.raises(errors.TruncatedMessageError):
                codec.decode(cls, data[:cut])
        done += 1
    return done
