"""The local Confluent-compatible Schema Registry server (`avrobind registry serve`).

Not the registry *client*: that is `codegen.runtime.registry`, which generated packages and
`avrobind sync` use to talk to any registry, this one included.

- `server`: `serve(host, port, data)`, uvicorn in the foreground;
- `app`: the Starlette routes (Confluent's REST contract, error bodies included);
- `service`: the behaviour behind them (identity, ids, versions, references, deletes, levels,
  modes);
- `state`: the in-memory index of the stored schemas and versions;
- `store`: SQLite persistence (`:memory:` unless `--data FILE`), one server per file;
- `asgi`, `auth`: what wraps the routes (URL decoding, basic auth, body limit, workers);
- `errors`: Confluent's error codes.

Schema parsing and the canonical/normalized/expanded forms are `codegen.schema.forms`,
compatibility `codegen.schema.compat`. May import: `codegen.schema`, `codegen.errors`, and
starlette/uvicorn (the `registry` extra); never the other job folders (`generator`,
`workflow`) nor `codegen.runtime`. (`__main__` only hands over to the CLI command.)
"""
