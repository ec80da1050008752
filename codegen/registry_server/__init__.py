"""A local Confluent-compatible Schema Registry (`avrobind registry serve`).

- `server`: `serve(host, port, data)`, uvicorn in the foreground;
- `app`: the Starlette routes (Confluent's REST contract, error bodies included);
- `registry`: the behaviour (identity, ids, versions, references, deletes, levels, modes);
- `avro_schema`: parsing, validation and the canonical/normalized/expanded schema forms;
- `store`: SQLite persistence (`:memory:` unless `--data FILE`);
- `errors`: Confluent's error codes.
"""
