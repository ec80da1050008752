"""codegen.compat beyond the peer vectors: the gaps it closes, paths, levels, input forms.

Where a verdict could be doubted, the test also asks an independent oracle: fastavro
actually resolving data written with the writer schema, or Avro's own Python checker
(to show that a gap exists there).
"""

from __future__ import annotations

import inspect
import io
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import avro.schema
import fastavro
import pytest
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

from codegen.compat import LEVELS, CompatResult, check_level, check_pair
from codegen.errors import InputErrors
from codegen.schema.loader import load_sources

OK = CompatResult(True, [])


def record(name: str, fields: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"type": "record", "name": name, "fields": fields, **extra}


def fld(name: str, type_: Any, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, **extra}


def resolve(writer: Any, reader: Any, datum: Any) -> Any:
    """Write ``datum`` with ``writer`` and read it back with ``reader`` using fastavro."""
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, fastavro.parse_schema(writer), datum)
    buf.seek(0)
    return fastavro.schemaless_reader(
        buf, fastavro.parse_schema(writer), fastavro.parse_schema(reader)
    )


def avro_port_says_compatible(reader: Any, writer: Any) -> bool:
    result = ReaderWriterCompatibilityChecker().get_compatibility(
        avro.schema.parse(json.dumps(reader)), avro.schema.parse(json.dumps(writer))
    )
    return result.compatibility is SchemaCompatibilityType.compatible


# ----------------------------------------------------------------- named types and aliases


def test_record_alias_relative_to_namespace() -> None:
    writer = record("Old", [fld("a", "int")], namespace="com.acme")
    reader = record("New", [fld("a", "int")], namespace="com.acme", aliases=["Old"])
    assert check_pair(reader, writer) == OK
    assert resolve(writer, reader, {"a": 7}) == {"a": 7}
    # The gap in Avro's Python checker: it compares the raw alias with the full name.
    assert not avro_port_says_compatible(reader, writer)


def test_fully_qualified_alias_crosses_namespaces() -> None:
    writer = record("Old", [fld("a", "int")], namespace="com.old")
    reader = record("New", [fld("a", "int")], namespace="com.new", aliases=["com.old.Old"])
    assert check_pair(reader, writer) == OK


def test_relative_alias_resolves_in_the_readers_namespace_only() -> None:
    # "Old" in com.new means com.new.Old, which is not the writer's com.old.Old (as in Java).
    writer = record("Old", [fld("a", "int")], namespace="com.old")
    reader = record("New", [fld("a", "int")], namespace="com.new", aliases=["Old"])
    result = check_pair(reader, writer)
    assert not result.compatible
    assert result.messages == [
        (
            "/name: reader record 'com.new.New' does not match writer name 'com.old.Old'"
            " (neither by name nor by alias)"
        )
    ]


def test_unqualified_names_match_across_namespaces() -> None:
    # The spec resolves records by unqualified name; Java and the vectors agree.
    reader = record("Same", [fld("a", "int")], namespace="one")
    writer = record("Same", [fld("a", "int")], namespace="two")
    assert check_pair(reader, writer) == OK


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (
            {"type": "enum", "name": "Colour", "symbols": ["RED"]},
            {"type": "enum", "name": "Color", "aliases": ["Colour"], "symbols": ["RED", "BLUE"]},
        ),
        (
            {"type": "fixed", "name": "Hash", "size": 16},
            {"type": "fixed", "name": "Md5", "aliases": ["Hash"], "size": 16},
        ),
    ],
    ids=["enum", "fixed"],
)
def test_enum_and_fixed_relative_aliases(old: dict[str, Any], new: dict[str, Any]) -> None:
    writer = record("R", [fld("f", old)], namespace="com.acme")
    reader = record("R", [fld("f", new)], namespace="com.acme")
    assert check_pair(reader, writer) == OK
    assert not avro_port_says_compatible(reader, writer)
    renamed = record("R", [fld("f", {**new, "aliases": ["Other"]})], namespace="com.acme")
    assert check_pair(renamed, writer).messages == [
        (
            f"/fields/0/type/name: reader {new['type']} 'com.acme.{new['name']}' does not match"
            f" writer name 'com.acme.{old['name']}' (neither by name nor by alias)"
        )
    ]


def test_nested_record_alias_uses_inherited_namespace() -> None:
    writer = record("Outer", [fld("inner", record("InnerOld", [fld("x", "int")]))], namespace="p.q")
    inner = record("InnerNew", [fld("x", "int")], aliases=["InnerOld"])
    reader = record("Outer", [fld("inner", inner)], namespace="p.q")
    assert check_pair(reader, writer) == OK
    assert resolve(writer, reader, {"inner": {"x": 3}}) == {"inner": {"x": 3}}
    # A nested namespace of its own changes what the relative alias means.
    moved = record("Outer", [fld("inner", {**inner, "namespace": "p.r"})], namespace="p.q")
    assert check_pair(moved, writer).messages[0].startswith("/fields/0/type/name: ")


def test_malformed_aliases_make_the_schema_invalid() -> None:
    bad_field = record("R", [fld("a", "int", aliases="b")])
    result = check_pair(bad_field, record("R", [fld("b", "int")]))
    assert result == CompatResult(
        False,
        ['reader schema is invalid at /fields/0/aliases: aliases must be a list of names, not "b"'],
    )
    bad_type = record("R", [fld("a", "int")], aliases=["9lives"])
    assert check_pair("int", bad_type).messages == [
        'writer schema is invalid at /aliases: invalid alias "9lives"'
    ]


# ----------------------------------------------------------------------------- field aliases
# Java's SchemaCompatibility.lookupWriterField throws whenever a reader field's name and
# aliases match two writer fields; these tests pin the direct-name-first rule instead (that
# of Avro's Python checker, used as the oracle where it applies).


def test_field_alias_reads_renamed_field() -> None:
    writer = record("R", [fld("old_name", "string")])
    reader = record("R", [fld("new_name", "string", aliases=["old_name"])])
    assert check_pair(reader, writer) == OK
    assert resolve(writer, reader, {"old_name": "x"}) == {"new_name": "x"}


def test_alias_naming_another_writer_field_is_ambiguous() -> None:
    # Reader 'b' aliases 'a'; the writer has both: Java's SchemaCompatibility finds two writer
    # fields for 'b' and throws ("matches multiple fields"); Avro's Python checker and earlier
    # avrobind quietly took 'b'.
    writer = record("R", [fld("a", "int"), fld("b", "string")])
    reader = record("R", [fld("b", "string", aliases=["a"])])
    assert check_pair(reader, writer) == CompatResult(
        False,
        [
            (
                "/fields/0: reader field 'b' is ambiguous: it matches writer field 'b' by name and"
                " writer field(s) 'a' through its aliases (Apache Avro's Java resolver rejects"
                " this; drop the alias or rename a field)"
            )
        ],
    )
    assert avro_port_says_compatible(reader, writer)  # the gap this closes
    # Under every level that reads old data with the new schema, and nested records too.
    assert not check_level(reader, [writer], "BACKWARD").compatible
    outer = record("Outer", [fld("inner", reader)])
    assert (
        check_pair(outer, record("Outer", [fld("inner", writer)]))
        .messages[0]
        .startswith("/fields/0/type/fields/0: reader field 'b' is ambiguous")
    )
    # Without a writer field 'a' the alias names nothing: 'b' reads 'b'.
    assert check_pair(reader, record("R", [fld("b", "string")])) == OK
    # Without a writer field 'b' the alias decides, and the type is checked against 'a'.
    assert check_pair(
        record("R", [fld("b", "string", aliases=["a"])]), record("R", [fld("a", "int")])
    ).messages == ["/fields/0/type: reader type 'string' cannot read writer type 'int'"]


def test_alias_naming_another_field_of_the_same_record_cannot_read_itself() -> None:
    # The shape of Apache Avro's IDL test schema: 'nullableHash' has the alias 'hash', which is
    # also a field. Java cannot read it with itself; neither does avrobind say it can.
    schema = record(
        "R", [fld("hash", "int"), fld("nullableHash", ["null", "int"], aliases=["hash"])]
    )
    result = check_pair(schema, schema)
    assert not result.compatible
    assert result.messages == [
        (
            "/fields/1: reader field 'nullableHash' is ambiguous: it matches writer field"
            " 'nullableHash' by name and writer field(s) 'hash' through its aliases (Apache"
            " Avro's Java resolver rejects this; drop the alias or rename a field)"
        )
    ]


def test_apache_avro_idl_schema_cannot_read_itself() -> None:
    text = (CORPUS / "apache-avro/lang/java/tools/src/test/idl/schema.avsc").read_text()
    fields = {f["name"]: f for f in json.loads(text)["fields"]}
    assert "hash" in fields and fields["nullableHash"]["aliases"] == ["hash"]  # the shape
    result = check_pair(text, text)
    assert not result.compatible
    assert all("'nullableHash' is ambiguous" in m for m in result.messages)
    assert not check_level(text, [text], "FULL").compatible
    assert check_level(text, [text], "NONE") == OK


def test_aliases_matching_two_writer_fields_are_ambiguous() -> None:
    writer = record("R", [fld("a", "int"), fld("b", "int")])
    reader = record("R", [fld("c", "int", aliases=["a", "b"])])
    assert check_pair(reader, writer) == CompatResult(
        False,
        [
            (
                "/fields/0: reader field 'c' is ambiguous: the writer has no field 'c' and its"
                " aliases match writer fields 'a', 'b'"
            )
        ],
    )
    # The path names the field wherever the record sits.
    outer_writer = record("Outer", [fld("x", "int"), fld("inner", writer)])
    outer_reader = record("Outer", [fld("x", "int"), fld("inner", reader)])
    assert check_pair(outer_reader, outer_writer).messages == [
        (
            "/fields/1/type/fields/0: reader field 'c' is ambiguous: the writer has no field 'c'"
            " and its aliases match writer fields 'a', 'b'"
        )
    ]
    # Avro's Python checker quietly takes the first alias; fastavro cannot read the data.
    assert avro_port_says_compatible(reader, writer)
    with pytest.raises(KeyError):
        resolve(writer, reader, {"a": 1, "b": 2})


def test_same_name_field_and_aliases_naming_other_fields_are_ambiguous() -> None:
    writer = record("R", [fld("a", "int"), fld("b", "int"), fld("c", "int")])
    reader = record("R", [fld("c", "int", aliases=["a", "b"])])
    assert check_pair(reader, writer).messages == [
        (
            "/fields/0: reader field 'c' is ambiguous: it matches writer field 'c' by name and"
            " writer field(s) 'a', 'b' through its aliases (Apache Avro's Java resolver rejects"
            " this; drop the alias or rename a field)"
        )
    ]
    # One alias matching, another matching nothing, one listed twice: not ambiguous.
    one = record("R", [fld("d", "int", aliases=["zzz", "b", "b"])])
    assert check_pair(one, writer) == OK


def test_own_name_and_alias_reaching_one_writer_field_are_checked_separately() -> None:
    # As in Java: 'a' reads 'a' by name, 'b' reaches 'a' through its alias; no conflict.
    writer = record("R", [fld("a", "int")])
    reader = record("R", [fld("a", "int"), fld("b", "int", default=0, aliases=["a"])])
    assert check_pair(reader, writer) == OK
    assert avro_port_says_compatible(reader, writer)
    swapped = record("R", list(reversed(reader["fields"])))
    assert check_pair(swapped, writer) == OK
    # Each is checked against the writer field on its own.
    bad_type = record("R", [fld("a", "int"), fld("b", "string", default="", aliases=["a"])])
    assert check_pair(bad_type, writer).messages == [
        "/fields/1/type: reader type 'string' cannot read writer type 'int'"
    ]
    assert not avro_port_says_compatible(bad_type, writer)


def test_two_reader_fields_reaching_one_writer_field_by_alias_are_ambiguous() -> None:
    writer = record("R", [fld("a", "int")])
    reader = record(
        "R",
        [fld("b", "int", default=0, aliases=["a"]), fld("c", "int", default=0, aliases=["a"])],
    )
    assert check_pair(reader, writer) == CompatResult(
        False,
        ["/fields/1: reader fields 'b' and 'c' both match writer field 'a' only through an alias"],
    )
    # Only one of them gets the value when the data is read.
    assert resolve(writer, reader, {"a": 7}) == {"b": 0, "c": 7}


def test_alias_repeating_the_field_name_is_not_ambiguous() -> None:
    writer = record("R", [fld("a", "int")])
    reader = record("R", [fld("a", "long", aliases=["a"])])
    assert check_pair(reader, writer) == OK


def test_missing_field_message_lists_its_aliases() -> None:
    reader = record("R", [fld("n", "int", aliases=["m", "o"])])
    assert check_pair(reader, record("R", [fld("x", "int")])).messages == [
        (
            "/fields/0: reader field 'n' has no default and the writer has no field 'n'"
            " or any of its aliases m, o"
        )
    ]


# ---------------------------------------------------------------------------- invalid defaults


@pytest.mark.parametrize(
    ("type_", "default", "reason"),
    [
        ("int", "1", '"1" is not a valid int'),
        ("int", 2**31, "2147483648 is not a valid int"),
        ("long", 2**63, "9223372036854775808 is not a valid long"),
        ("int", 1.5, "1.5 is not a valid int"),
        ("boolean", 0, "0 is not a valid boolean"),
        ("null", 0, "0 is not a valid null"),
        ("string", None, "null is not a valid string"),
        ("double", "1.0", '"1.0" is not a valid double'),
        ("bytes", "\u0100", '"\\u0100" is not a valid bytes'),
        (
            {"type": "fixed", "name": "F", "size": 2},
            "abc",
            "\"abc\" is not a string of 2 byte(s) for fixed 'F'",
        ),
        ({"type": "enum", "name": "E", "symbols": ["A"]}, "B", "\"B\" is not a symbol of enum 'E'"),
        ({"type": "array", "items": "int"}, [1, "2"], '"2" is not a valid int'),  # at .../default/1
        ({"type": "map", "values": "int"}, [], "[] is not a JSON object"),
        (record("S", [fld("x", "int")]), {}, "{} lacks field 'x', which has no default"),
        (
            ["null", "int"],
            3,
            (
                "3 does not match the first branch of the union ('null') but branch 1 ('int');"
                " a union default must match the union's first branch: put that branch first"
            ),
        ),
        (
            ["int", "null"],
            None,
            (
                "null does not match the first branch of the union ('int') but branch 1 ('null');"
                " a union default must match the union's first branch: put that branch first"
            ),
        ),
        (
            ["null", "int", "string"],
            True,
            "true matches no branch of the union ['null', 'int', 'string']",
        ),
        ({"type": "int", "logicalType": "date"}, "2020-01-01", '"2020-01-01" is not a valid int'),
    ],
    ids=lambda v: json.dumps(v)[:30],
)
def test_invalid_default_makes_the_schema_invalid(type_: Any, default: Any, reason: str) -> None:
    bad = record("R", [fld("ok", "int"), fld("f", type_, default=default)])
    good = record("R", [fld("ok", "int")])
    where = "/fields/1/default" + ("/1" if isinstance(default, list) and default else "")
    result = check_pair(bad, good)
    assert result == CompatResult(
        False, [f"reader schema is invalid at {where}: invalid default for field 'f': {reason}"]
    )
    assert check_pair(good, bad).messages == [
        f"writer schema is invalid at {where}: invalid default for field 'f': {reason}"
    ]


def test_nested_invalid_default_names_the_path_inside_the_value() -> None:
    inner = record("In", [fld("n", {"type": "array", "items": "int"})])
    bad = record("R", [fld("f", {"type": "map", "values": inner}, default={"k": {"n": [1, True]}})])
    assert check_pair(bad, bad).messages[0] == (
        "reader schema is invalid at /fields/0/default/k/n/1: invalid default for field 'f':"
        " true is not a valid int"
    )


@pytest.mark.parametrize(
    ("type_", "default"),
    [
        (["null", "string"], None),
        (["string", "null"], "x"),
        ("bytes", "\u00ff\u0000"),
        ({"type": "fixed", "name": "F", "size": 2}, "\u00ff\u0000"),
        ("float", 1),
        ("double", "NaN"),
        ("long", -(2**63)),
        (record("S", [fld("x", "int"), fld("y", "string", default="d")]), {"x": 1}),
        ({"type": "array", "items": ["null", "int"]}, [None, None]),
        ({"type": "enum", "name": "E", "symbols": ["A", "B"]}, "B"),
    ],
    ids=lambda v: json.dumps(v)[:30],
)
def test_valid_defaults_are_accepted(type_: Any, default: Any) -> None:
    reader = record("R", [fld("f", type_, default=default)])
    assert check_pair(reader, record("R", [])) == OK


def test_union_default_matching_only_a_later_branch_says_to_put_it_first() -> None:
    colour = {"type": "enum", "name": "Colour", "symbols": ["RED"]}
    bad = record("R", [fld("c", ["null", "string", colour], default="RED")])
    assert check_level(bad, [], "NONE").messages == [
        (
            "new schema is invalid at /fields/0/default: invalid default for field 'c':"
            " \"RED\" does not match the first branch of the union ('null') but branch 1"
            " ('string'); a union default must match the union's first branch: put that"
            " branch first"
        )
    ]
    # Avro 1.12 accepts a default of any branch, so its parser lets this through.
    avro.schema.parse(json.dumps(bad))
    reordered = record("R", [fld("c", ["string", "null", colour], default="RED")])
    assert check_level(reordered, [], "NONE") == OK

    # The same rule applies inside a default: here to the union items of an array.
    def items_first(first: str) -> dict[str, Any]:
        items = [first, "long" if first == "null" else "null"]
        return record("R", [fld("xs", {"type": "array", "items": items}, default=[None, 5])])

    assert check_level(items_first("null"), [], "NONE").messages == [
        (
            "new schema is invalid at /fields/0/default/1: invalid default for field 'xs':"
            " 5 does not match the first branch of the union ('null') but branch 1 ('long');"
            " a union default must match the union's first branch: put that branch first"
        )
    ]
    assert check_level(items_first("long"), [], "NONE").messages == [
        (
            "new schema is invalid at /fields/0/default/0: invalid default for field 'xs':"
            " null does not match the first branch of the union ('long') but branch 1 ('null');"
            " a union default must match the union's first branch: put that branch first"
        )
    ]


def union_default_cases() -> list[tuple[Any, Any]]:
    colour = {"type": "enum", "name": "Colour", "symbols": ["RED", "GREEN"]}
    point = record("Point", [fld("x", "int"), fld("label", ["null", "string"], default=None)])
    return [
        (["null", "int"], None),
        (["null", "int"], 1),
        (["int", "null"], 1),
        (["int", "null"], None),
        (["null", "int", "string"], "x"),
        (["string", "null"], "x"),
        (["long", "double"], 1.5),
        (["double", "long"], 1),
        ([colour, "string"], "RED"),
        (["string", colour], "RED"),
        ([colour, "null"], "BLUE"),
        ([point, "null"], {"x": 1}),
        ([point, "null"], {"x": 1, "label": "p"}),
        ([point, "null"], {"x": 1, "label": None}),
        (["null", point], {"x": 1}),
        ({"type": "array", "items": ["null", "int"]}, [None, None]),
        ({"type": "array", "items": ["null", "int"]}, [None, 2]),
        ({"type": "map", "values": ["int", "null"]}, {"k": 1}),
        ({"type": "map", "values": ["int", "null"]}, {"k": None}),
    ]


@pytest.mark.parametrize("rule", ["first-branch", "any-branch"])
@pytest.mark.parametrize(
    ("type_", "default"),
    [
        *union_default_cases(),
        ("float", "NaN"),
        ("double", "-Infinity"),
        (["null", "double"], "Infinity"),
        (["double", "null"], "Infinity"),
        ("double", "nan"),
        ("float", "1.5"),
    ],
    ids=lambda v: json.dumps(v)[:30],
)
def test_union_default_verdicts_agree_with_the_generator(
    type_: Any, default: Any, rule: str
) -> None:
    # codegen.schema.defaults is an independent implementation of the same rules; a schema
    # must be valid for both or for neither, with the same advice, under either rule.
    schema = record("R", [fld("f", type_, default=default)])
    text = json.dumps(schema)
    ours = check_level(text, [], "NONE", union_defaults=rule)
    try:
        load_sources([(Path("case.avsc"), text)], union_defaults=rule)
        generator_error = None
    except InputErrors as exc:
        generator_error = str(exc)
    assert (ours == OK) is (generator_error is None), (ours.messages, generator_error)
    if generator_error is not None:
        put_first = "put that branch first"
        assert (put_first in ours.messages[0]) is (put_first in generator_error)


def test_union_defaults_any_branch_is_avro_1_12s_rule() -> None:
    colour = {"type": "enum", "name": "Colour", "symbols": ["RED"]}
    later = record("R", [fld("c", ["null", "string", colour], default="RED")])
    old = record("R", [])
    # The default: Avro <= 1.11's first-branch rule, for every entry point.
    assert not check_pair(later, old).compatible
    assert check_pair(later, old).messages[0].startswith("reader schema is invalid at")
    assert not check_level(later, [old], "BACKWARD").compatible
    # Avro 1.12's rule, asked for: the first branch that matches (here 'string').
    assert check_pair(later, old, union_defaults="any-branch") == OK
    assert check_level(later, [old], "FULL_TRANSITIVE", union_defaults="any-branch") == OK
    assert check_level(old, [later], "BACKWARD", union_defaults="any-branch") == OK
    # A default of no branch is invalid under either rule.
    nothing = record("R", [fld("c", ["null", "string"], default=1)])
    assert "matches no branch" in check_pair(nothing, old, union_defaults="any-branch").messages[0]
    # Results are not shared between the rules (the parsed schemas are cached by text).
    assert not check_pair(later, old).compatible
    with pytest.raises(ValueError, match="unknown union-defaults rule 'first'"):
        check_pair(later, old, union_defaults="first")
    with pytest.raises(ValueError, match="unknown union-defaults rule"):
        check_level(later, [old], "BACKWARD", union_defaults="ANY")


def test_invalid_default_caught_in_a_recursive_type_and_in_a_reference() -> None:
    node = record(
        "Node", [fld("next", ["null", "Node"], default=None), fld("v", "int", default="x")]
    )
    assert check_pair(node, "int").messages == [
        "reader schema is invalid at /fields/1/default: invalid default for field 'v': \"x\" is not a valid int"
    ]


# ---------------------------------------------------------------------------------- decimals


def decimal(precision: int, scale: int, **extra: Any) -> dict[str, Any]:
    return {
        "type": "bytes",
        "logicalType": "decimal",
        "precision": precision,
        "scale": scale,
        **extra,
    }


def test_decimal_scale_change_is_incompatible_both_ways() -> None:
    writer, reader = decimal(6, 2), decimal(6, 3)
    # Resolvers that apply the reader's logical type (Java, generated decoders reading with
    # their own schema) turn the writer's unscaled 150 into 0.150.  fastavro's resolution
    # happens to convert with the writer's type, so decode with the reader schema directly.
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, fastavro.parse_schema(writer), Decimal("1.50"))
    buf.seek(0)
    assert fastavro.schemaless_reader(buf, fastavro.parse_schema(reader)) == Decimal("0.150")
    message = (
        "/scale: reader decimal scale 3 differs from writer scale 2; values would be read rescaled"
    )
    assert check_pair(reader, writer) == CompatResult(False, [message])
    assert check_pair(writer, reader).messages == [
        "/scale: reader decimal scale 2 differs from writer scale 3; values would be read rescaled"
    ]
    assert avro_port_says_compatible(reader, writer)  # the gap


def test_decimal_precision_may_grow_but_not_shrink() -> None:
    assert check_pair(decimal(10, 2), decimal(6, 2)) == OK
    assert check_pair(decimal(6, 2), decimal(10, 2)) == CompatResult(
        False, ["/precision: reader decimal precision 6 is smaller than writer precision 10"]
    )


def test_fixed_decimal_in_a_field() -> None:
    def schema(scale: int) -> dict[str, Any]:
        fixed = {
            "type": "fixed",
            "name": "Money",
            "size": 8,
            "logicalType": "decimal",
            "precision": 12,
            "scale": scale,
        }
        return record("R", [fld("amount", fixed)])

    assert check_pair(schema(2), schema(2)) == OK
    assert check_pair(schema(4), schema(2)).messages == [
        "/fields/0/type/scale: reader decimal scale 4 differs from writer scale 2; values would be read rescaled"
    ]


def test_decimal_against_plain_bytes_follows_the_underlying_type() -> None:
    assert check_pair(decimal(6, 2), "bytes") == OK
    assert check_pair("bytes", decimal(6, 2)) == OK
    assert check_pair(decimal(6, 2), "string") == OK  # string -> bytes promotion
    with pytest.warns(Warning, match="scale"):
        # Scale above precision: the spec says to ignore the logical type (plain bytes).
        assert check_pair(decimal(2, 4), decimal(6, 2)) == OK


# ------------------------------------------------------------------------------ message paths


def test_paths_name_nested_locations() -> None:
    writer = record(
        "R",
        [
            fld("xs", {"type": "array", "items": "long"}),
            fld("m", {"type": "map", "values": {"type": "fixed", "name": "F", "size": 4}}),
            fld("e", {"type": "enum", "name": "E", "symbols": ["A", "B", "C"]}),
            fld("u", ["null", "string"]),
        ],
    )
    reader = record(
        "R",
        [
            fld("xs", {"type": "array", "items": "int"}),
            fld("m", {"type": "map", "values": {"type": "fixed", "name": "F", "size": 8}}),
            fld("e", {"type": "enum", "name": "E", "symbols": ["A"]}),
            fld("u", "string"),
            fld("new", "int"),
        ],
    )
    assert check_pair(reader, writer).messages == [
        "/fields/0/type/items: reader type 'int' cannot read writer type 'long'",
        "/fields/1/type/values/size: reader fixed size 8 differs from writer size 4",
        "/fields/2/type/symbols: reader enum lacks writer symbol(s) B, C and has no default",
        "/fields/3/type/0: reader type 'string' cannot read writer type 'null' (writer union branch 0)",
        "/fields/4: reader field 'new' has no default and the writer has no field 'new'",
    ]


def test_reader_union_explains_the_closest_branch() -> None:
    def rec(x_type: str) -> dict[str, Any]:
        return record("A", [fld("x", x_type)])

    assert check_pair(["null", rec("int")], rec("string")).messages == [
        "/: reader union has no branch that can read writer type record 'A': reader branch 1 has its type but cannot read it",
        "/1/fields/0/type: reader type 'int' cannot read writer type 'string'",
    ]
    assert check_pair(["null", "int"], "string").messages == [
        "/: reader union has no branch that can read writer type 'string'"
    ]


def test_python_port_location_gap_is_closed() -> None:
    # Avro's Python checker reports "/" here; Java and we report the writer branch.
    reader = record("R", [fld("f", "long")])
    writer = record("R", [fld("f", ["int", "long", "double"])])
    assert check_pair(reader, writer).messages == [
        "/fields/0/type/2: reader type 'long' cannot read writer type 'double' (writer union branch 2)"
    ]


def test_enum_default_covers_unknown_writer_symbols() -> None:
    writer = {"type": "enum", "name": "E", "symbols": ["A", "B", "C"]}
    reader = {"type": "enum", "name": "E", "symbols": ["A", "B"], "default": "A"}
    assert check_pair(reader, writer) == OK
    assert resolve(writer, reader, "C") == "A"
    no_default = {"type": "enum", "name": "E", "symbols": ["A", "B"]}
    assert check_pair(no_default, writer).messages == [
        "/symbols: reader enum lacks writer symbol(s) C and has no default"
    ]


def test_promotions() -> None:
    for reader, writer in [
        ("long", "int"),
        ("float", "long"),
        ("double", "float"),
        ("bytes", "string"),
        ("string", "bytes"),
    ]:
        assert check_pair(reader, writer) == OK, (reader, writer)
    for reader, writer in [
        ("int", "long"),
        ("float", "double"),
        ("long", "float"),
        ("boolean", "int"),
    ]:
        assert not check_pair(reader, writer).compatible, (reader, writer)


# ------------------------------------------------------------------------------- recursion


def linked(value_type: str) -> dict[str, Any]:
    return record("Node", [fld("value", value_type), fld("next", ["null", "Node"], default=None)])


def test_recursive_schema_promotion_and_mismatch() -> None:
    assert check_pair(linked("long"), linked("int")) == OK
    assert resolve(
        linked("int"), linked("long"), {"value": 1, "next": {"value": 2, "next": None}}
    ) == {
        "value": 1,
        "next": {"value": 2, "next": None},
    }
    assert check_pair(linked("int"), linked("long")).messages == [
        "/fields/0/type: reader type 'int' cannot read writer type 'long'"
    ]


def test_mutually_recursive_schemas() -> None:
    def tree(leaf_type: str) -> dict[str, Any]:
        forest = record("Forest", [fld("trees", {"type": "array", "items": "Tree"})])
        return record("Tree", [fld("leaf", leaf_type), fld("children", ["null", forest])])

    assert check_pair(tree("double"), tree("float")) == OK
    assert check_pair(tree("float"), tree("double")).messages == [
        "/fields/0/type: reader type 'float' cannot read writer type 'double'"
    ]


# --------------------------------------------------------------------------------- input forms


@pytest.mark.parametrize(
    "schema",
    ["int", '"int"', ' "int" ', '{"type": "int"}', {"type": "int"}, b'"int"'],
    ids=[
        "bare-name",
        "json-text",
        "json-text-spaces",
        "json-object-text",
        "parsed-object",
        "bytes",
    ],
)
def test_schema_input_forms(schema: Any) -> None:
    assert check_pair(schema, "int") == OK
    assert check_pair("long", schema) == OK
    assert not check_pair(schema, "long").compatible


def test_null_given_parsed_or_as_text_is_the_null_type() -> None:
    assert check_pair("null", '"null"') == OK
    assert check_pair(["null", "int"], "null") == OK


def test_input_is_not_mutated() -> None:
    reader = record("R", [fld("a", "int", default=1)], namespace="n")
    before = json.dumps(reader, sort_keys=True)
    check_pair(reader, reader)
    check_level(reader, [reader], "FULL_TRANSITIVE")
    assert json.dumps(reader, sort_keys=True) == before


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("{not json", "schema is not valid JSON"),
        ('{"type": "nope"}', "schema is invalid: Undefined type: nope"),
        ({"type": "record", "fields": []}, "schema is invalid: "),
        (
            {"type": "enum", "name": "E", "symbols": ["A", "A"]},
            "schema is invalid: Duplicate symbol",
        ),
        (["int", "int"], "schema is invalid: int type already in Union"),
        ({"type": "array", "items": object()}, "schema is not JSON data"),
        (42, "schema is invalid"),
        (None, "schema is invalid"),
        ("com.acme.Unknown", "schema is invalid"),
        ({"type": "fixed", "name": "F", "size": -1}, "schema is invalid"),
    ],
    ids=lambda v: str(v)[:25],
)
def test_invalid_schema_input_is_reported_not_raised(bad: Any, reason: str) -> None:
    as_reader = check_pair(bad, "int")
    assert not as_reader.compatible
    assert len(as_reader.messages) == 1 and as_reader.messages[0].startswith(f"reader {reason}")
    as_writer = check_pair("int", bad)
    assert as_writer.messages[0].startswith(f"writer {reason}")
    both = check_pair(bad, bad)
    assert [m.split(" ")[0] for m in both.messages] == ["reader", "writer"]


def nested(depth: int, leaf: str) -> Any:
    schema: Any = leaf
    for i in range(depth):
        schema = record(f"R{i}", [fld("f", schema)])
    return schema


def test_deeply_nested_schemas() -> None:
    assert check_pair(nested(60, "long"), nested(60, "int")) == OK
    assert check_pair(nested(60, "int"), nested(60, "long")).messages == [
        "/"
        + "fields/0/type/" * 59
        + "fields/0/type: reader type 'int' cannot read writer type 'long'"
    ]
    assert check_pair(nested(3000, "int"), "int") == CompatResult(
        False, ["reader schema is invalid: nested too deeply"]
    )


def test_recursion_limit_while_comparing_is_reported_not_raised() -> None:
    schema = json.dumps(nested(60, "int"))
    assert check_pair(schema, schema) == OK
    # Leave room for the cached parse of the text but not for comparing 60 levels.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 120)
    try:
        result = check_pair(schema, schema)
    finally:
        sys.setrecursionlimit(limit)
    assert result == CompatResult(False, ["/: schemas are nested too deeply to compare"])


def test_avro_errors_report_the_innermost_cause() -> None:
    inner = record("Inner", [fld(f"f{i}", "int") for i in range(50)] + [fld("x", {"type": "nope"})])
    bad = record("R", [fld("inner", inner)])
    assert check_pair(bad, "int").messages == ["reader schema is invalid: Undefined type: nope"]


# ------------------------------------------------------------------------------------ levels

V1 = record("R", [fld("a", "int")])
V2 = record("R", [fld("a", "int"), fld("b", "string", default="")])  # adds b with default
V3 = record("R", [fld("a", "int"), fld("b", "string")])  # b loses its default
V_STRING = record("R", [fld("a", "string")])


def test_levels_constant() -> None:
    assert LEVELS == (
        "BACKWARD",
        "BACKWARD_TRANSITIVE",
        "FORWARD",
        "FORWARD_TRANSITIVE",
        "FULL",
        "FULL_TRANSITIVE",
        "NONE",
    )


def test_backward_forward_full_directions() -> None:
    # New reader needs b, which v1 data lacks: not backward; old readers ignore b: forward.
    assert check_level(V3, [V1], "BACKWARD").messages == [
        "reading previous[0] data with new: /fields/1: reader field 'b' has no default and the writer has no field 'b'"
    ]
    assert check_level(V3, [V1], "FORWARD") == OK
    # Removing b without a default: backward, but v3 readers cannot read new data.
    assert check_level(V1, [V3], "BACKWARD") == OK
    assert check_level(V1, [V3], "FORWARD").messages == [
        "reading new data with previous[0]: /fields/1: reader field 'b' has no default and the writer has no field 'b'"
    ]
    assert not check_level(V1, [V3], "FULL").compatible
    assert not check_level(V3, [V1], "FULL").compatible
    assert check_level(V2, [V1], "FULL") == OK


def test_non_transitive_levels_use_the_latest_only() -> None:
    history = [V_STRING, V1]  # oldest first; V_STRING is incompatible with V2
    for level in ("BACKWARD", "FORWARD", "FULL"):
        assert check_level(V2, history, level) == OK, level
    for level in ("BACKWARD_TRANSITIVE", "FORWARD_TRANSITIVE", "FULL_TRANSITIVE"):
        result = check_level(V2, history, level)
        assert not result.compatible, level
        assert all("previous[0]" in m for m in result.messages), result.messages
    # The latest is the last element, not the first.
    assert not check_level(V2, [V1, V_STRING], "BACKWARD").compatible


def test_full_transitive_reports_every_version_and_direction() -> None:
    messages = check_level(V_STRING, [V1, V1], "FULL_TRANSITIVE").messages
    assert [m.split(":")[0] for m in messages] == [
        "reading previous[0] data with new",
        "reading new data with previous[0]",
        "reading previous[1] data with new",
        "reading new data with previous[1]",
    ]


def test_empty_previous_and_none_level() -> None:
    for level in LEVELS:
        assert check_level(V3, [], level) == OK
    assert check_level(V_STRING, [V1, V3], "NONE") == OK


def test_level_names_are_case_insensitive_and_unknown_ones_raise() -> None:
    assert not check_level(V3, [V1], "backward").compatible
    assert check_level(V3, [V1], "Forward_Transitive") == OK
    for bad in ("BACKWARDS", "", "FULL TRANSITIVE"):
        with pytest.raises(ValueError, match="unknown compatibility level"):
            check_level(V1, [], bad)
    with pytest.raises(TypeError):
        check_level(V1, json.dumps(V1), "BACKWARD")


def test_invalid_schemas_in_levels_are_named() -> None:
    bad = record("R", [fld("a", "int", default="zero")])
    assert check_level(bad, [], "NONE") == CompatResult(
        False,
        [
            "new schema is invalid at /fields/0/default: invalid default for field 'a': \"zero\" is not a valid int"
        ],
    )
    result = check_level(V1, [bad, "{oops", V1], "BACKWARD_TRANSITIVE")
    assert [m.split(" schema")[0] for m in result.messages] == ["previous[0]", "previous[1]"]
    # A non-transitive check never looks at (or parses) older versions.
    assert check_level(V1, [bad, "{oops", V1], "BACKWARD") == OK


def test_json_text_and_parsed_levels_agree() -> None:
    as_text = check_level(json.dumps(V3), [json.dumps(V1)], "FULL")
    assert as_text == check_level(V3, [V1], "FULL")
    assert not as_text.compatible


def test_map_keys_in_default_paths_are_escaped() -> None:
    bad = record("R", [fld("m", {"type": "map", "values": "int"}, default={"a/b~c": "x"})])
    assert check_pair(bad, bad).messages == [
        (
            "reader schema is invalid at /fields/0/default/a~1b~0c: invalid default for field 'm':"
            ' "x" is not a valid int'
        ),
        (
            "writer schema is invalid at /fields/0/default/a~1b~0c: invalid default for field 'm':"
            ' "x" is not a valid int'
        ),
    ]


# ------------------------------------------------------------------------ real-world corpus

from tests.paths import CORPUS  # noqa: E402

STANDALONE = [
    entry["path"]
    for entry in json.loads((CORPUS / "MANIFEST.json").read_text())["files"]
    if not entry.get("needs")  # the others use types defined in other files
]


# Its field 'nullableHash' aliases the field 'hash': Java cannot read it with itself (see
# test_apache_avro_idl_schema_cannot_read_itself).
AMBIGUOUS = "apache-avro/lang/java/tools/src/test/idl/schema.avsc"


def test_standalone_corpus_is_collected() -> None:
    assert len(STANDALONE) == 95
    assert AMBIGUOUS in STANDALONE


@pytest.mark.filterwarnings("ignore::avro.errors.IgnoredLogicalType")
@pytest.mark.parametrize("path", [p for p in STANDALONE if p != AMBIGUOUS])
def test_every_standalone_corpus_schema_reads_itself(path: str) -> None:
    text = (CORPUS / path).read_text()
    assert check_pair(text, text) == OK
    # Text and parsed JSON of the same schema behave alike in every direction.
    assert check_level(text, [text, json.loads(text)], "FULL_TRANSITIVE") == OK


def test_protocol_error_type_is_a_record() -> None:
    error = {"type": "error", "name": "Failure", "fields": [fld("code", "int")]}
    as_record = {**error, "type": "record"}
    assert check_pair(as_record, error) == OK
    assert check_pair({**error, "fields": [fld("code", "long")]}, as_record) == OK
    assert not check_pair(as_record, {**error, "fields": [fld("code", "string")]}).compatible
