"""The registry's schema forms (canonical, identity, normalized, expanded), in-process."""

from __future__ import annotations

import json

import fastavro
import pytest

from codegen.schema.forms import SchemaInvalid, parse

NESTED = {
    "type": "record",
    "name": "Outer",
    "namespace": "a.b",
    "fields": [
        {"name": "same_ns", "type": {"type": "enum", "name": "Color", "symbols": ["RED"]}},
        {"name": "other_ns", "type": {"type": "fixed", "name": "x.y.Hash", "size": 2}},
        {
            "name": "no_ns",
            "type": {"type": "record", "name": "Bare", "namespace": "", "fields": []},
        },
        {"name": "again", "type": "Color"},
        {"name": "hash_again", "type": "x.y.Hash"},
        {"name": "next", "type": ["null", "Outer"], "default": None},
    ],
}


def test_canonical_keeps_names_relative_like_avro_java() -> None:
    canonical = json.loads(parse(json.dumps(NESTED)).canonical)
    fields = {f["name"]: f["type"] for f in canonical["fields"]}
    assert (canonical["name"], canonical["namespace"]) == ("Outer", "a.b")
    assert fields["same_ns"] == {"type": "enum", "name": "Color", "symbols": ["RED"]}
    assert fields["other_ns"] == {"type": "fixed", "name": "Hash", "namespace": "x.y", "size": 2}
    assert fields["no_ns"] == {"type": "record", "name": "Bare", "namespace": "", "fields": []}
    assert (fields["again"], fields["hash_again"]) == ("Color", "x.y.Hash")
    assert fields["next"] == ["null", "Outer"]


def test_canonical_text_is_a_fixed_point() -> None:
    first = parse(json.dumps(NESTED, indent=3))
    second = parse(first.canonical)
    assert second.canonical == first.canonical
    assert second.identity == first.identity


def test_identity_ignores_spelling_but_not_meaning() -> None:
    base = {
        "type": "record",
        "name": "R",
        "fields": [{"name": "a", "type": "int", "x-owner": "me", "x-team": "t"}],
    }
    spelled = {
        "fields": [{"x-team": "t", "type": {"type": "int"}, "x-owner": "me", "name": "a"}],
        "type": "record",
        "name": "R",
        "namespace": "",
    }
    assert parse(json.dumps(base)).identity == parse(json.dumps(spelled)).identity
    changed = [
        {**base, "doc": "d"},
        {**base, "fields": [{**base["fields"][0], "default": 1}]},
        {**base, "fields": [{**base["fields"][0], "x-owner": "you"}]},
        {**base, "aliases": ["Old"]},
        {**base, "fields": [{**base["fields"][0], "order": "descending"}]},
    ]
    identities = {parse(json.dumps(s)).identity for s in changed}
    assert len(identities) == len(changed)
    assert parse(json.dumps(base)).identity not in identities


def test_normalized_form_uses_full_names_and_sorts() -> None:
    schema = {**NESTED, "aliases": ["Z", "A"], "zprop": 1, "aprop": 2}
    normalized = json.loads(parse(json.dumps(schema)).normalized)
    assert normalized["name"] == "a.b.Outer" and "namespace" not in normalized
    assert normalized["aliases"] == ["a.b.A", "a.b.Z"]
    keys = list(normalized)
    assert keys.index("aprop") < keys.index("zprop")
    fields = {f["name"]: f["type"] for f in normalized["fields"]}
    assert fields["same_ns"]["name"] == "a.b.Color" and fields["again"] == "a.b.Color"
    assert fields["next"] == ["null", "a.b.Outer"]


def test_expanded_form_inlines_referenced_types_once_and_fastavro_reads_it() -> None:
    shared = parse(
        json.dumps(
            {"type": "record", "name": "s.Money", "fields": [{"name": "cents", "type": "long"}]}
        )
    )
    user = parse(
        json.dumps(
            {
                "type": "record",
                "name": "Order",
                "namespace": "shop",
                "fields": [
                    {"name": "total", "type": "s.Money"},
                    {"name": "tax", "type": "s.Money"},
                ],
            }
        ),
        shared.definitions(),
    )
    expanded = user.expanded()
    assert expanded["fields"][0]["type"]["name"] == "s.Money"
    assert expanded["fields"][1]["type"] == "s.Money"
    parsed = fastavro.parse_schema(expanded)
    assert fastavro.validate({"total": {"cents": 5}, "tax": {"cents": 1}}, parsed)


@pytest.mark.parametrize(
    "schema",
    [
        {
            "type": "record",
            "name": "R",
            "fields": [{"name": "a", "type": "int"}, {"name": "a", "type": "int"}],
        },
        {"type": "record", "name": "R", "fields": [{"name": "a-b", "type": "int"}]},
        {"type": "record", "name": "R", "namespace": "bad-ns", "fields": []},
        {"type": "enum", "name": "E", "symbols": ["A"], "default": "B"},
        {"type": "array"},
        {"type": "map"},
        [["int"]],
        {"type": {"type": "int"}},
        {"type": "record", "name": "R", "fields": [{"name": "a", "type": "int", "order": "up"}]},
        {
            "type": "record",
            "name": "R",
            "fields": [{"name": "r", "type": {"type": "record", "name": "R", "fields": []}}],
        },
    ],
)
def test_structurally_invalid_schemas_are_refused(schema: object) -> None:
    with pytest.raises(SchemaInvalid):
        parse(json.dumps(schema))


def test_defaults_are_validated_by_fastavro() -> None:
    bad = parse(
        json.dumps(
            {
                "type": "record",
                "name": "R",
                "fields": [{"name": "a", "type": "long", "default": "0"}],
            }
        )
    )
    with pytest.raises(SchemaInvalid):
        bad.validate()
