"""avrobind: schema-first Avro toolchain for Python Kafka services."""

__version__ = "0.1.0"
