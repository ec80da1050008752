"""codegen.compat on very large schemas: linear work, same verdicts (issue 15, item 2).

avro 1.12 checks duplicate field names against a list, so parsing a record was quadratic in its
fields (a 100k-field second version took 394 s in the registry); enum symbols were compared the
same way (minutes for the enum below). These tests show the verdicts are unchanged at that
scale; the speed is measured by `make bench` (bench/registry_load.py), not asserted here.
"""

from __future__ import annotations

import json

from codegen.compat import check_level, check_pair
from codegen.schema.compat import load

FIELDS = 40_000


def _record(fields: int, default: bool) -> str:
    extra = {"default": 0} if default else {}
    body = [{"name": f"f{i}", "type": "int", **extra} for i in range(fields)]
    return json.dumps({"type": "record", "name": "Wide", "fields": body})


def test_a_record_of_many_fields() -> None:
    small, wide = _record(10, False), _record(FIELDS, True)
    assert check_level(wide, [small], "FULL").compatible
    # Reading wide data without the defaults of the reader's extra fields: one message each.
    assert check_pair(small, wide).compatible
    missing = check_pair(_record(FIELDS, False), small)
    assert not missing.compatible and len(missing.messages) == FIELDS - 10
    assert missing.messages[-1].startswith(f"/fields/{FIELDS - 1}: reader field 'f{FIELDS - 1}'")


def test_duplicate_fields_are_still_found() -> None:
    fields = [{"name": f"f{i}", "type": "int"} for i in range(FIELDS)] + [
        {"name": "f7", "type": "int"}
    ]
    text = json.dumps({"type": "record", "name": "Dup", "fields": fields})
    result = check_pair(text, text)
    assert not result.compatible
    assert result.messages == [
        "reader schema is invalid: Field name f7 already in use.",
        "writer schema is invalid: Field name f7 already in use.",
    ]


def test_an_enum_of_many_symbols() -> None:
    symbols = [f"S{i}" for i in range(FIELDS)]
    old = json.dumps({"type": "enum", "name": "E", "symbols": symbols})
    new = json.dumps({"type": "enum", "name": "E", "symbols": [*symbols, "EXTRA"]})
    assert check_pair(new, old).compatible
    narrowed = check_pair(old, new)
    assert narrowed.messages == [
        "/symbols: reader enum lacks writer symbol(s) EXTRA and has no default"
    ]


def test_loaded_schemas_are_checked_like_text() -> None:
    v1, v2 = _record(10, False), _record(20, True)
    loaded = [load(v1), load(v2)]
    for level in ("BACKWARD", "FORWARD_TRANSITIVE", "FULL_TRANSITIVE"):
        assert check_level(loaded[1], loaded[:1], level) == check_level(v2, [v1], level)
        assert check_level(loaded[0], loaded[1:], level) == check_level(v1, [v2], level)
    invalid = load('{"type": "record", "name": "X"}')
    assert invalid.schema is None and invalid.problem
    assert check_pair(invalid, v1) == check_pair('{"type": "record", "name": "X"}', v1)
