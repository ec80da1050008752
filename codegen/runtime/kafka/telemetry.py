"""OpenTelemetry for the producers and consumers, when ``opentelemetry-api`` is installed
(``pip install 'avrobind[otel]'``); without it nothing is imported and every hook is skipped
(the classes hold ``None`` and test that once per message).

Traces: a producer starts a PRODUCER span ``send <topic>`` per message and injects the W3C
``traceparent`` (and ``tracestate``) into the message's headers; a consumer extracts it and runs
the handler of ``consume`` / ``consume_records`` inside a CONSUMER span ``process <topic>``
whose parent is the producer's span (and that links to it, as the messaging conventions ask),
so the handler's own spans join the producer's trace; ``consume_batches`` runs its handler in
one span linked to every record's producer. Attributes follow OpenTelemetry's messaging
semantic conventions: ``messaging.system`` (``kafka``), ``messaging.operation.type`` and
``.name``, ``messaging.destination.name``, ``messaging.destination.partition.id``,
``messaging.kafka.message.key`` (the key as text), ``messaging.kafka.offset``,
``messaging.consumer.group.name``, ``messaging.batch.message_count``, ``error.type``.

Metrics (meter ``avrobind``): ``messaging.client.sent.messages`` and
``messaging.client.consumed.messages`` (counters), ``messaging.process.duration`` (histogram,
seconds, per handler call), ``avrobind.deserialization.errors`` (by ``error.type``, the error
class) and ``avrobind.dead_lettered.messages``.

The SDK, exporters and sampling are the application's to configure (the API's no-op
providers otherwise; ``configure(tracer_provider, meter_provider)`` chooses others);
``AVROBIND_OTEL=off`` turns the hooks off where the API is installed.
"""

from __future__ import annotations

import importlib
import os
import time
from collections.abc import Sequence
from typing import Any, Final

__all__ = ["Telemetry", "configure", "load"]

INSTRUMENTATION: Final = "avrobind"
_UNSET: Final[Any] = object()
_api: Any = _UNSET  # the opentelemetry modules once looked for: a namespace, or None


def _modules() -> Any:
    global _api
    if _api is _UNSET:
        if os.environ.get("AVROBIND_OTEL", "").lower() in ("off", "0", "false", "no"):
            _api = None
            return None
        try:
            modules = {
                name: importlib.import_module(f"opentelemetry.{name}")
                for name in ("trace", "metrics", "propagate", "context")
            }
        except ImportError:
            _api = None
        else:
            _api = type("OpenTelemetry", (), {**modules, **_instruments(modules)})
    return _api


def configure(tracer_provider: Any = None, meter_provider: Any = None) -> None:
    """Use these providers rather than the global ones, for producers and consumers built from
    now on (``configure()`` goes back to the globals). Raises ImportError without
    opentelemetry-api."""
    global _api
    modules = {
        name: importlib.import_module(f"opentelemetry.{name}")
        for name in ("trace", "metrics", "propagate", "context")
    }
    _api = type(
        "OpenTelemetry",
        (),
        {**modules, **_instruments(modules, tracer_provider, meter_provider)},
    )


def _instruments(
    modules: dict[str, Any], tracer_provider: Any = None, meter_provider: Any = None
) -> dict[str, Any]:
    """The tracer and instruments, made once: the API's proxies forward to the providers an
    application sets later."""
    meter = modules["metrics"].get_meter(INSTRUMENTATION, meter_provider=meter_provider)
    counter = meter.create_counter
    return {
        "tracer": modules["trace"].get_tracer(
            INSTRUMENTATION, tracer_provider=tracer_provider
        ),
        "sent": counter("messaging.client.sent.messages", unit="{message}"),
        "consumed": counter("messaging.client.consumed.messages", unit="{message}"),
        "errors": counter("avrobind.deserialization.errors", unit="{message}"),
        "dead": counter("avrobind.dead_lettered.messages", unit="{message}"),
        "duration": meter.create_histogram("messaging.process.duration", unit="s"),
    }


def load(topic: str, group_id: str | None = None) -> Telemetry | None:
    """The hooks of one producer or consumer, or None without opentelemetry-api."""
    api = _modules()
    return None if api is None else Telemetry(api, topic, group_id)


def _key_text(key: Any) -> str | None:
    if key is None:
        return None
    if isinstance(key, bytes):
        return key.decode("utf-8", "replace")
    return str(key)


class Telemetry:
    """Spans and metrics of one producer or consumer of ``topic`` (see the module docstring)."""

    __slots__ = ("_api", "_base", "group_id", "topic")

    def __init__(self, api: Any, topic: str, group_id: str | None) -> None:
        self._api = api
        self.topic = topic
        self.group_id = group_id
        self._base: dict[str, Any] = {
            "messaging.system": "kafka",
            "messaging.destination.name": topic,
        }
        if group_id is not None:
            self._base["messaging.consumer.group.name"] = group_id

    # -- producing

    def start_send(
        self, key: Any, headers: list[tuple[str, bytes]] | None
    ) -> tuple[Any, list[tuple[str, bytes]]]:
        """A PRODUCER span for one message, and its headers with ``traceparent`` added."""
        api = self._api
        attributes = {
            **self._base,
            "messaging.operation.type": "send",
            "messaging.operation.name": "send",
        }
        text = _key_text(key)
        if text is not None:
            attributes["messaging.kafka.message.key"] = text
        span = api.tracer.start_span(
            f"send {self.topic}",
            kind=api.trace.SpanKind.PRODUCER,
            attributes=attributes,
        )
        carrier: dict[str, str] = {}
        api.propagate.inject(carrier, context=api.trace.set_span_in_context(span))
        out = [(k, v) for k, v in headers or () if k not in carrier]
        out += [(k, v.encode()) for k, v in carrier.items()]
        return span, out

    def end_send(self, span: Any, delivery: Any, error: BaseException | None) -> None:
        attributes = {**self._base, "messaging.operation.name": "send"}
        if error is None and delivery is not None:
            span.set_attribute(
                "messaging.destination.partition.id", str(delivery.partition)
            )
            span.set_attribute("messaging.kafka.offset", int(delivery.offset))
        if error is not None:
            attributes["error.type"] = type(error).__name__
            span.set_attribute("error.type", type(error).__name__)
            span.set_status(
                self._api.trace.Status(self._api.trace.StatusCode.ERROR, str(error))
            )
        span.end()
        self._api.sent.add(1, attributes)

    # -- consuming

    def consumed(self, count: int) -> None:
        self._api.consumed.add(
            count, {**self._base, "messaging.operation.name": "receive"}
        )

    def _context(self, record: Any) -> Any:
        carrier = {
            k: v.decode("latin-1") for k, v in record.headers if k in _PROPAGATED
        }
        return self._api.propagate.extract(carrier) if carrier else None

    def start_process(self, records: Sequence[Any]) -> tuple[Any, Any, float]:
        """A CONSUMER span around a handler call, made current; (span, token, start)."""
        api = self._api
        trace = api.trace
        attributes = {
            **self._base,
            "messaging.operation.type": "process",
            "messaging.operation.name": "process",
        }
        contexts = [self._context(r) for r in records]
        links = [
            trace.Link(trace.get_current_span(c).get_span_context())
            for c in contexts
            if c is not None
        ]
        parent = None
        if len(records) == 1:
            record = records[0]
            parent = contexts[0]
            attributes["messaging.destination.partition.id"] = str(record.partition)
            attributes["messaging.kafka.offset"] = record.offset
            text = _key_text(record.key)
            if text is not None:
                attributes["messaging.kafka.message.key"] = text
        else:
            attributes["messaging.batch.message_count"] = len(records)
        span = api.tracer.start_span(
            f"process {self.topic}",
            context=parent,
            kind=trace.SpanKind.CONSUMER,
            attributes=attributes,
            links=links,
        )
        token = api.context.attach(trace.set_span_in_context(span, parent))
        return span, token, time.perf_counter()

    def end_process(
        self, scope: tuple[Any, Any, float], error: BaseException | None
    ) -> None:
        span, token, start = scope
        api = self._api
        api.context.detach(token)
        attributes = {**self._base, "messaging.operation.name": "process"}
        if error is not None:
            attributes["error.type"] = type(error).__name__
            span.set_attribute("error.type", type(error).__name__)
            span.record_exception(error)
            span.set_status(api.trace.Status(api.trace.StatusCode.ERROR, str(error)))
        span.end()
        api.duration.record(time.perf_counter() - start, attributes)

    def undecodable(self, error: BaseException) -> None:
        self._api.errors.add(1, {**self._base, "error.type": type(error).__name__})

    def dead_lettered(self, dead_letter_topic: str) -> None:
        self._api.dead.add(
            1, {**self._base, "avrobind.dead_letter_topic": dead_letter_topic}
        )


_PROPAGATED: Final = frozenset({"traceparent", "tracestate", "baggage"})
