"""Model modules are byte for byte what they were when black formatted whole modules.

`layout` keeps most top-level statements as the template wrote them and runs black only on
the others, and a body with a line too long has only its statements with such lines formatted
(`formatting.format_body`) (issue 15: black on whole modules and bodies made large ones take
minutes). The oracle, `reference_layout`, is the code as it was: black on the whole module and
on whole bodies, the old literals and schema block. Compared on the corpus, on random schemas,
and on a large namespace that has every kind of statement (kept ones and ones black must
format).
"""

from __future__ import annotations

import difflib
import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from black.strings import normalize_string_quotes, str_width
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from codegen.errors import InputErrors
from codegen.generator import formatting, layout, plan, render
from codegen.generator.literals import docstring, py_literal, string_literal
from codegen.schema.expand import check_expressible
from codegen.schema.loader import load_files
from tests.avro_strategies import avro_schema_files
from tests.fixtures_corpus import CorpusPackage
from tests.generator import reference_layout
from tests.generator.gen_support import LongBodies, long_bodies, write_schemas

# Characters that exercise quoting, escaping and width: quotes, backslashes, line breaks,
# controls, combining and East Asian wide characters, a non-BMP one, odd spaces.
_TRICKY = st.text(
    st.sampled_from("ab Z'\"\\\n\t\x00\x7f\x85\u00a0\u0301\u2028\u3000é漢字\U0001f600")
    | st.characters(),
    max_size=300,
)


def _same(actual: Mapping[str, str], expected: Mapping[str, str]) -> None:
    for path, text in expected.items():
        if actual[path] != text:
            diff = difflib.unified_diff(
                text.splitlines(), actual[path].splitlines(), "black", "layout", lineterm="", n=2
            )
            pytest.fail(
                f"{path} differs from black on the whole module:\n" + "\n".join(list(diff)[:60])
            )


def _same_bodies(bodies: LongBodies) -> None:
    """Each body is what black on the whole body gave."""
    for (lines, indent), out in bodies.items():
        assert out == reference_layout.formatted(list(lines), indent), "\n".join(lines)


# -- literals ----------------------------------------------------------------------------------


@settings(max_examples=400)
@given(text=_TRICKY)
def test_literals_are_what_black_and_the_old_escaping_give(text: str) -> None:
    assert string_literal(text) == normalize_string_quotes(repr(text))
    assert py_literal(text) == reference_layout.py_literal(text)
    assert docstring(text) == reference_layout.docstring(text)
    assert formatting.width(text) == str_width(text)


# Long runs of characters a literal holds as they are (cut without measuring), printable text
# with a few quotes, backslashes and wide characters (measured by counting them), and tricky
# text (measured on its literal).
_PLAIN_RUNS = st.text(st.sampled_from("ab Z.é-"), min_size=60, max_size=400)
_PRINTABLE = st.text(st.sampled_from("a" * 12 + " " * 4 + "'\"\\漢é"), min_size=40, max_size=300)
_SCHEMA_TEXT = _TRICKY | st.lists(_PLAIN_RUNS | _PRINTABLE | _TRICKY, min_size=1, max_size=6).map(
    "".join
)


@settings(max_examples=150)
@given(texts=st.lists(_SCHEMA_TEXT, max_size=3))
def test_schema_block_is_the_old_one(texts: list[str]) -> None:
    schemas = [(f"ns.T{i}", text * 3) for i, text in enumerate(texts)]
    assert layout.schema_block(schemas) == reference_layout.schema_block(schemas)


# -- whole modules -----------------------------------------------------------------------------


def test_corpus_modules_are_what_black_on_whole_modules_gave(
    corpus_packages: dict[str, CorpusPackage],
) -> None:
    for pkg in {id(p): p for p in corpus_packages.values()}.values():
        expected = reference_layout.model_modules(pkg.plan)
        actual = {path: (pkg.root / pkg.name / path).read_text("utf-8") for path in expected}
        _same(actual, expected)


def test_corpus_bodies_are_what_black_on_whole_bodies_gave(
    corpus_packages: dict[str, CorpusPackage],
) -> None:
    for pkg in {id(p): p for p in corpus_packages.values()}.values():
        assert pkg.long_bodies
        _same_bodies(pkg.long_bodies)


def _render(
    paths: list[Path], package: str, bodies: int | None = None
) -> tuple[plan.Plan, dict[str, str]]:
    """Plan and render; the first `bodies` different bodies with a line too long compared."""
    schemas = load_files(paths)
    check_expressible(schemas)
    with long_bodies(bodies) as seen:
        the_plan = plan.build(schemas, package)
        files = render.render(the_plan).files
    _same_bodies(seen)
    return the_plan, files


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=avro_schema_files(cycles=False))
def test_random_schemas_are_laid_out_as_black_lays_out_whole_modules(
    files: list[tuple[str, Any]],
) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="avrobind-layout-"))
    try:
        the_plan, files_out = _render(write_schemas(tmp, dict(files)), "laid")
    except InputErrors:
        reject()  # (the one valid input with no self-contained form: see test_properties.py)
    _same(files_out, reference_layout.model_modules(the_plan))


_DOCS = [
    None,
    "A record.",
    '"Quoted" at both ends"',
    "it's a 'doc' with \\ and \"\"\" inside",
    "two\nlines\tand a tab",
    " padded ",
    "漢字 wide " * 30,  # a long line of wide characters: black never splits a docstring
    "x" * 200,
    "\x00 control \u2028 separator",
]


def _big_namespace(count: int) -> dict[str, Any]:
    """`count` records in one namespace with every kind of class statement: docs of all
    forms, field docs, aliases, defaults black leaves alone and defaults it rewrites (`1e+16`),
    unions that need helper functions (every twentieth record), empty records, names too long for
    one line."""
    files: dict[str, Any] = {
        "Color.avsc": {
            "type": "enum",
            "name": "Color",
            "namespace": "big",
            "symbols": ["RED", "GREEN", "_BLUE"],
            "doc": "Colours.",
        },
        "Empty.avsc": {"type": "enum", "name": "Lonely", "namespace": "big", "symbols": ["ONLY"]},
    }

    def name(i: int) -> str:
        return f"Rec{i}" + ("_" + "x" * 80 if i % 97 == 5 else "")

    for i in range(count):
        doc = _DOCS[i % len(_DOCS)]
        fields: list[dict[str, Any]] = []
        if i % 50 != 7:  # (every 50th record is empty)
            fields = [
                {"name": "id", "type": "long", "doc": _DOCS[(i + 3) % len(_DOCS)] or "Id."},
                {
                    "name": "label",
                    "type": "string",
                    "default": ["plain", "it's", 'say "hi"'][i % 3],
                },
                {"name": "ratio", "type": "double", "default": [0.5, 1e16, -2.0, 1e-7][i % 4]},
                {"name": "color", "type": "big.Color", "default": "GREEN"},
            ]
            if i % 20 == 1:
                fields += [
                    {
                        "name": "tags",
                        "type": {"type": "array", "items": "string"},
                        "default": ["a"],
                    },
                    {"name": "blob", "type": "bytes", "default": "\u00ff\u0000"},
                    {"name": "either", "type": ["int", "string", "big.Color"]},
                    {
                        "name": "counts",
                        "type": {"type": "map", "values": ["null", "long", "double"]},
                    },
                ]
            if i:
                fields.append(
                    {"name": "prev", "type": ["null", f"big.{name(i - 1)}"], "default": None}
                )
        schema: dict[str, Any] = {
            "type": "record",
            "name": name(i),
            "namespace": "big",
            "fields": fields,
        }
        if doc is not None:
            schema["doc"] = doc
        if i % 7 == 3:
            schema["aliases"] = [f"Old{i}"] if i % 2 else [f"Old{i}", f"older.Old{i}"]
        files[f"rec{i}.avsc"] = schema
    return files


def test_a_large_namespace_is_what_black_on_the_whole_module_gave(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    formatted: list[str] = []
    format_all = layout.format_all

    def counting(sources: list[tuple[str, str]]) -> list[str]:
        formatted.extend(src for src, _ in sources)
        return format_all(sources)

    monkeypatch.setattr(layout, "format_all", counting)
    the_plan, files = _render(write_schemas(tmp_path, _big_namespace(300)), "big_ns", bodies=100)
    _same(files, reference_layout.model_modules(the_plan))
    # Both ways were taken: most classes kept as written, the others formatted by black.
    classes = sum(len(m.classes) for m in the_plan.modules)
    blacked = sum(src.startswith(("class ", "@")) for src in formatted)
    assert 0 < blacked < classes // 2, (blacked, classes)


def test_a_long_doc(tmp_path: Path) -> None:
    doc = "".join(
        f'Line {i}: it\'s "quoted", a \\ back\\slash, 漢字, \t tab.\n' for i in range(5_000)
    )
    schema = {
        "type": "record",
        "name": "Doc",
        "namespace": "d",
        "doc": doc,
        "fields": [{"name": "x", "type": "int", "doc": doc}],
    }
    (tmp_path / "doc.avsc").write_text(json.dumps(schema), "utf-8")
    the_plan, files = _render([tmp_path / "doc.avsc"], "docs")
    _same(files, reference_layout.model_modules(the_plan))
