"""The runtime that generated packages run on: ordinary, tested modules.

`avrobind generate` copies this directory (sub-packages included) verbatim into
`<package>/_runtime/`, so a generated package needs avrobind only at build time; `avrobind
sync` uses the same registry client.

- `wire`: the Confluent wire format; `errors`: the typed errors of everything here;
- `codec`, `logical`, `schema`, `model`: what generated records call (binary encoding helpers,
  logical types, schemas as fastavro sees them, the `AvroModel` base); `dicts`: the dict and
  JSON forms of records; `datagen`: random data;
- `value_codec`: values of one schema <-> Avro binary; `subject_serde`: framed under one registry
  subject; `serde`: a topic's keys and values (and adapters for confluent-kafka's serializers);
  `keys`: raw keys, as Kafka's own serializers write them;
- `registry/`: the Schema Registry client (sync and async, one plan);
- `kafka/`: the Kafka producer and consumer (and, next, their transports).

May import: only modules of this folder, by relative imports, the standard library and the
runtime dependencies (fastavro, dataclasses-avroschema, httpx, aiokafka; confluent-kafka only
inside functions). `tests/test_layout.py` enforces it.
"""
