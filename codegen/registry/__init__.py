"""A local Confluent-compatible Schema Registry (`avrobind registry serve`)."""
