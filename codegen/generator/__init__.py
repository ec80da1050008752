"""The build-time generator: `.avsc` files → a typed Python package (`avrobind generate`).

The data flows one way. `codegen.schema` loads the schemas into a typed model; `naming` turns
Avro names into Python identifiers and modules; `plan` decides what each module contains
(classes, fields, how each Avro type, logical types included, becomes a Python type hint,
defaults, the `to_avro`/`from_avro` conversions); `codecs` writes each record's binary
encoder/decoder bodies, `dicts` its dict form (`to_dict`, `parse_obj`); `render` prints the plan through `templates/`, formats it and writes
the package atomically (or diffs it for `--check`), copying `runtime/` in as `_runtime/`;
`topics` renders the per-topic classes of `topics.py`; `generate` is the driver.

May import: `codegen.schema`, `codegen.config`, `codegen.subjects` (what each subject
registers, embedded in `topics.py`), `codegen.errors` and `codegen.runtime` (what the
generated code runs on); never the other job folders (`workflow`, `registry_server`) nor
`codegen.cli`.
"""
