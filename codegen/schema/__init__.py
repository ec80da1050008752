"""Avro schemas as data, shared by every job (generator, workflow commands, registry server).

- `model`, `loader`, `defaults`: `.avsc` files loaded into a typed model (named types resolved
  across files, defaults validated, every node keeping its source JSON and location);
- `expand`: the self-contained JSON of a named type (what is registered and embedded);
- `forms`: schema text as a registry holds it (canonical, identity, normalized, expanded);
- `compat`: offline reader/writer compatibility and the Confluent levels (public API re-exported
  as `codegen.compat`).

May import: `codegen.errors` and `codegen.runtime` (the one schema expansion that generated
packages also run); nothing else of avrobind.
"""
