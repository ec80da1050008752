"""aiokafka producers and consumers of typed Avro values in the Confluent wire format.

``AvroProducer[K, V]`` and ``AvroConsumer[K, V]`` work on a ``TopicSpec`` (the topic and
the codecs of its keys and values); generated ``<Topic>Producer`` / ``<Topic>Consumer``
classes embed theirs. ``KafkaAvroProducer[T]`` / ``KafkaAvroConsumer[T]`` take the arguments
of the seed's classes of the same names (``topic=``, ``schema_class=`` / ``message_class=``).

- ``records``: ``Message`` (what ``send_batch`` takes), ``Record`` (what consumers yield),
  headers;
- ``producer``: ``AvroProducer`` (registration at start, acknowledged sends, batches) and
  ``TombstoneAvroProducer`` (adds ``send_tombstone`` for topics with tombstones);
- ``consumer``: ``AvroConsumer`` (at-least-once commits, ``on_error``, dead letters);
- ``seed``: ``KafkaAvroProducer`` / ``KafkaAvroConsumer``.

The producer and consumer drive aiokafka directly. Other Kafka clients (confluent-kafka, an
in-memory broker for tests) are to live side by side in a ``transports`` sub-package behind one
small interface, leaving the serdes, commits and error handling here as they are.

May import: the standard library, aiokafka (confluent-kafka only lazily, inside a transport),
and the runtime's ``errors``, ``keys``, ``registry``, ``serde`` and ``value_codec`` modules.
"""

from .consumer import AvroConsumer
from .core import ERROR_HEADER_PREFIX as ERROR_HEADER_PREFIX
from .core import ON_ERROR as ON_ERROR
from .producer import AvroProducer, TombstoneAvroProducer
from .producer import RegistryLike as RegistryLike
from .records import Headers as Headers
from .records import Message, Record
from .seed import KafkaAvroConsumer, KafkaAvroProducer

__all__ = [
    "AvroConsumer",
    "AvroProducer",
    "KafkaAvroConsumer",
    "KafkaAvroProducer",
    "Message",
    "Record",
    "TombstoneAvroProducer",
]
