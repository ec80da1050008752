"""Kafka producers and consumers of typed Avro values in the Confluent wire format.

``AvroProducer[K, V]`` / ``AvroConsumer[K, V]`` (asyncio) and ``SyncAvroProducer[K, V]`` /
``SyncAvroConsumer[K, V]`` (synchronous) work on a ``TopicSpec`` (the topic and the codecs of
its keys and values); generated ``<Topic>Producer`` / ``<Topic>Consumer`` /
``<Topic>SyncProducer`` / ``<Topic>SyncConsumer`` classes embed theirs. ``KafkaAvroProducer[T]``
/ ``KafkaAvroConsumer[T]`` (and ``KafkaAvroSyncProducer`` / ``KafkaAvroSyncConsumer``) take the
arguments of the seed's classes (``topic=``, ``schema_class=`` / ``message_class=``).

- ``records``: ``Message`` (what ``send_batch`` takes), ``Record`` (what consumers yield),
  headers;
- ``core``: the consumer's semantics without I/O (commits, ``on_error``, dead letters,
  tombstones, batches), driven by both consumers;
- ``bases``: what the async and sync classes share (constructors, life cycle, encoding);
- ``producer`` / ``sync_producer``: the producers (``Tombstone...`` variants add tombstones);
- ``consumer`` / ``sync_consumer``: the consumers (thin drivers of ``core``);
- ``seed``: the seed's classes and their sync twins;
- ``logs``: rate-limited client logs;
- ``transports/``: the Kafka clients behind one interface (aiokafka, confluent-kafka).

May import: the standard library, aiokafka (confluent-kafka only lazily, inside a transport),
and the runtime's ``errors``, ``keys``, ``registry``, ``serde``, ``subject_serde`` and
``value_codec`` modules.
"""

from .bases import RegistryLike as RegistryLike
from .consumer import AvroConsumer
from .core import ERROR_HEADER_PREFIX as ERROR_HEADER_PREFIX
from .core import ON_ERROR as ON_ERROR
from .producer import AvroProducer, TombstoneAvroProducer
from .records import Headers as Headers
from .records import Message, Record
from .seed import (
    KafkaAvroConsumer,
    KafkaAvroProducer,
    KafkaAvroSyncConsumer,
    KafkaAvroSyncProducer,
)
from .sync_consumer import SyncAvroConsumer
from .sync_producer import SyncAvroProducer, TombstoneSyncAvroProducer
from .transports import Delivery

__all__ = [
    "AvroConsumer",
    "AvroProducer",
    "Delivery",
    "KafkaAvroConsumer",
    "KafkaAvroProducer",
    "KafkaAvroSyncConsumer",
    "KafkaAvroSyncProducer",
    "Message",
    "Record",
    "SyncAvroConsumer",
    "SyncAvroProducer",
    "TombstoneAvroProducer",
    "TombstoneSyncAvroProducer",
]
