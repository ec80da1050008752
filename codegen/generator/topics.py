"""Render `topics.py` of a generated package: per topic a Serde, an async Producer and Consumer,
and a SyncProducer and SyncConsumer.

Each class embeds its topic, subjects, key and value types and a `TopicSpec`; the runtime
(`_runtime/serde.py`, `_runtime/kafka/`) does the work. Names come from
`naming.topic_prefix` (`telescope.commands` → `TelescopeCommandsProducer`...).

With `references = true`, a record that uses shared types gets a `Registration`: the schema
text and references that `sync` registers (`codegen.subjects.reference_forms`), so the runtime
registers and looks up exactly that.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from codegen.config import Config, TopicConfig
from codegen.errors import ConfigError, InputErrors
from codegen.generator import naming
from codegen.generator.formatting import format_code
from codegen.generator.plan import Plan
from codegen.generator.render import _environment
from codegen.schema import model as m
from codegen.schema.expand import standalone
from codegen.subjects import SubjectSchema, reference_forms

_PY_TYPES = {
    "null": "None",
    "boolean": "bool",
    "int": "int",
    "long": "int",
    "float": "float",
    "double": "float",
    "bytes": "bytes",
    "string": "str",
}
# Raw keys (Kafka's own serializers): the Python type of each.
_RAW_KEY_TYPES = {**_PY_TYPES, "uuid": "_uuid.UUID"}


@dataclass
class RoleView:
    """The key or the value of a topic, as the template prints it."""

    type_name: str  # the configured Avro type ("string", "telescope.commands.TelescopeCommand")
    hint: str  # the Python type hint
    runtime_type: str  # the Python type (KEY_TYPE/VALUE_TYPE)
    codec: str  # an expression building its codec
    raw: bool = False  # a key written by Kafka's own serializers (no subject)
    record: bool = False  # a generated record class (the only kind that may use references)


@dataclass
class RegistrationView:
    """A module-level `Registration` constant of `topics.py`."""

    const: str
    name: str  # the type's full name: the subject of a referenced type
    schema: str  # the text `sync` registers
    references: list[str]  # constants of the referenced types' registrations


class _Registrations:
    """The registrations `topics.py` needs, dependencies first, one constant per type."""

    def __init__(self, forms: dict[str, SubjectSchema], taken: set[str]) -> None:
        self.forms = forms
        self.taken = taken  # module-level names already in use
        self.views: dict[str, RegistrationView] = {}

    def const(self, type_name: str) -> str | None:
        """The constant of `type_name`'s registration; None when it references nothing (the
        runtime then registers the generated class's own schema, which is the same text)."""
        form = self.forms.get(type_name)
        if form is None or not form.references:
            return None
        return self._view(form).const

    def _view(self, form: SubjectSchema) -> RegistrationView:
        view = self.views.get(form.type_name)
        if view is None:
            refs = [self._view(self.forms[r]).const for r in form.references]
            const = "_SCHEMA_" + naming.constant_name(form.type_name)
            while const in self.taken:
                const += "_"
            self.taken.add(const)
            view = RegistrationView(const, form.type_name, form.text, refs)
            self.views[form.type_name] = view
        return view


@dataclass
class TopicView:
    name: str
    prefix: str
    spec: str  # module-level name of the TopicSpec
    key: RoleView  # a topic without `key` has raw bytes keys
    value: RoleView
    key_subject: str | None
    value_subject: str
    subject_strategy: str
    compatibility: str
    tombstones: bool

    def _what(self) -> str:
        key = (
            f"raw {self.key.type_name} keys" if self.key.raw else f"Avro {self.key.type_name} keys"
        )
        tombstones = " and tombstones" if self.tombstones else ""
        return f"{self.value.type_name} values with {key}{tombstones}"

    def classes(self) -> list[tuple[str, str, str, str]]:
        """(suffix, base class, value type, docstring) of the Serde, the async Producer and
        Consumer and the SyncProducer and SyncConsumer."""
        value = self.value.hint
        read = f"{value} | None" if self.tombstones else value
        tomb = "Tombstone" if self.tombstones else ""
        serde = "_serde.TombstoneTopicSerde" if self.tombstones else "_serde.TopicSerde"
        return [
            ("Serde", serde, value, self.serde_doc),
            ("Producer", f"_kafka.{tomb}AvroProducer", value, self.producer_doc),
            ("Consumer", "_kafka.AvroConsumer", read, self.consumer_doc),
            ("SyncProducer", f"_kafka.{tomb}SyncAvroProducer", value, self.sync_producer_doc),
            ("SyncConsumer", "_kafka.SyncAvroConsumer", read, self.sync_consumer_doc),
        ]

    @property
    def serde_doc(self) -> str:
        return (
            f"Serde of topic {self.name} ({self._what()}) for any Kafka client: "
            "serialize/deserialize values, serialize_key/deserialize_key keys."
        )

    @property
    def producer_doc(self) -> str:
        tombstone = ": send_tombstone(key) deletes a key" if self.tombstones else ""
        return (
            f"Sends {self._what()} to topic {self.name}{tombstone} (asyncio; aiokafka, or "
            'confluent-kafka with client="confluent"; see AvroProducer).'
        )

    @property
    def sync_producer_doc(self) -> str:
        tombstone = ": produce_tombstone(key) deletes a key" if self.tombstones else ""
        return (
            f"Produces {self._what()} to topic {self.name}{tombstone} (synchronous, "
            "confluent-kafka; see SyncAvroProducer)."
        )

    def _consumes(self) -> str:
        tombstones = (
            "a tombstone is a record whose value is None"
            if self.tombstones
            else "tombstones are skipped with a warning"
        )
        return f"Consumes {self._what()} from topic {self.name} in a group, at least once; {tombstones}"

    @property
    def consumer_doc(self) -> str:
        return (
            f"{self._consumes()} (asyncio; aiokafka, or confluent-kafka with "
            'client="confluent"; see AvroConsumer).'
        )

    @property
    def sync_consumer_doc(self) -> str:
        return f"{self._consumes()} (synchronous, confluent-kafka; see SyncAvroConsumer)."


def render_topics(plan: Plan, config: Config, schemas: m.SchemaSet) -> str:
    """The source of `topics.py` for the configured topics (black-formatted)."""
    imports: dict[tuple[str, ...], str] = {}
    views: list[TopicView] = []
    prefixes: dict[str, str] = {}
    errors: list[ConfigError] = []
    for topic in config.topics.values():
        prefix = naming.topic_prefix(topic.name)
        if prefix in prefixes:
            errors.append(
                ConfigError(
                    f"topics {prefixes[prefix]!r} and {topic.name!r} both give the class names "
                    f"{prefix}Producer/{prefix}Consumer/{prefix}Serde...; rename one",
                    file=config.file,
                    path=f'topics."{topic.name}"',
                )
            )
            continue
        prefixes[prefix] = topic.name
        view = _topic_view(topic, prefix, config, plan, schemas, imports)
        while view.spec in {v.spec for v in views}:
            view.spec += "_"
        views.append(view)
    # The package __init__ re-exports models and topic classes under the same names.
    clash = sorted(
        {c.name for c in plan.classes.values()} & {n for v in views for n in _class_names(v)}
    )
    if clash:
        errors.append(
            ConfigError(
                f"topic class name(s) {', '.join(clash)} are also names of generated records or enums",
                file=config.file,
                path="topics",
            )
        )
    if errors:
        raise InputErrors(errors)
    forms = reference_forms(config, schemas)
    registrations = _Registrations(forms, {v.spec for v in views})
    for role in [r for v in views for r in (v.key, v.value) if r is not None and r.record]:
        const = registrations.const(role.type_name)
        if const is not None:
            role.codec = f"_serde.RecordCodec({role.runtime_type}, {const})"
    for name in forms:  # for the seed classes (KafkaAvroProducer[Cls])
        registrations.const(name)
    module_imports = sorted((_relative(segs), segs[-1], alias) for segs, alias in imports.items())
    doc = (
        f"Kafka topics of {plan.package}: per topic a transport-free Serde, asyncio Producer and "
        "Consumer classes (aiokafka or confluent-kafka) and synchronous SyncProducer and "
        "SyncConsumer classes (confluent-kafka). Generated by avrobind from the "
        "[tool.avrobind.topics] configuration. Do not edit."
    )
    source = (
        _environment()
        .get_template("topics.py.j2")
        .render(
            module_doc=doc,
            # isort's order: `from . import shop` (a one-part namespace) before `._runtime`
            early_imports=[i for i in module_imports if i[0].lower() < "._runtime"],
            imports=[i for i in module_imports if i[0].lower() >= "._runtime"],
            registry_url=config.embedded_registry,
            topics=views,
            raw_keys=any(v.key.raw for v in views),
            uuid_keys=any(v.key.raw and v.key.type_name == "uuid" for v in views),
            registrations=list(registrations.views.values()),
        )
    )
    return format_code(source, "topics.py")


def _class_names(view: TopicView) -> list[str]:
    return [f"{view.prefix}{kind}" for kind, _, _, _ in view.classes()]


def _relative(segs: tuple[str, ...]) -> str:
    return "." + ".".join(segs[:-1])


def _topic_view(
    topic: TopicConfig,
    prefix: str,
    config: Config,
    plan: Plan,
    schemas: m.SchemaSet,
    imports: dict[tuple[str, ...], str],
) -> TopicView:
    assert topic.value is not None or topic.key is not None
    if topic.key is None:
        key = _raw_key("bytes")
    elif topic.key_format == "raw":
        key = _raw_key(topic.key)
    else:
        key = _role(topic.key, plan, schemas, imports)
    # A topic with only a key schema still needs a value type: raw bytes are not supported.
    if topic.value is None:
        raise InputErrors(
            [
                ConfigError(
                    "a topic needs a value schema for its generated classes",
                    file=config.file,
                    path=f'topics."{topic.name}".value',
                )
            ]
        )
    value = _role(topic.value, plan, schemas, imports)
    value_subject = topic.subject_name("value", topic.value)
    key_subject = topic.subject_name("key", topic.key) if topic.key_subject and topic.key else None
    return TopicView(
        name=topic.name,
        prefix=prefix,
        spec="_" + naming.constant_name(prefix),
        key=key,
        value=value,
        key_subject=key_subject,
        value_subject=value_subject,
        subject_strategy=topic.subject_strategy,
        compatibility=topic.compatibility or config.compatibility,
        tombstones=topic.tombstones,
    )


def _raw_key(kind: str) -> RoleView:
    """A key written by Kafka's own serializer of its type (validated by `config`)."""
    hint = _RAW_KEY_TYPES[kind]
    return RoleView(
        type_name=kind, hint=hint, runtime_type=hint, codec=f"_keys.RawKey({kind!r})", raw=True
    )


def _role(
    type_name: str, plan: Plan, schemas: m.SchemaSet, imports: dict[tuple[str, ...], str]
) -> RoleView:
    if type_name in m.PRIMITIVES:
        py = _PY_TYPES[type_name]
        return RoleView(
            type_name=type_name,
            hint=py,
            runtime_type="type(None)" if py == "None" else py,
            codec=f"_serde.PlainCodec({json.dumps(type_name)!r})",
        )
    cls = plan.classes.get(type_name)
    if cls is not None:
        segs = cls.module.segments
        alias = imports.get(segs)
        if alias is None:
            alias = "_ns_" + "_".join(segs)
            while alias in imports.values():
                alias += "_"
            imports[segs] = alias
        ref = f"{alias}.{cls.name}"
        codec = "RecordCodec" if cls.kind == "record" else "EnumCodec"
        return RoleView(
            type_name=type_name,
            hint=ref,
            runtime_type=ref,
            codec=f"_serde.{codec}({ref})",
            record=cls.kind == "record",
        )
    named = schemas.get(type_name)
    assert isinstance(named, m.Fixed), f"{type_name} is neither a class nor a fixed type"
    text = json.dumps(standalone(named), ensure_ascii=False, separators=(",", ":"))
    return RoleView(
        type_name=type_name,
        hint="bytes",
        runtime_type="bytes",
        codec=f"_serde.PlainCodec({text!r})",
    )
