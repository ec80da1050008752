"""Rate-limited client logs: a broker outage must not write 80 ERROR lines a second.

aiokafka logs every failed reconnect, and librdkafka every failed connect, many times a second
while a broker is down. ``throttle(logger)`` puts a ``RateLimitFilter`` on a logger: the first
warning or error of each kind passes, then at most one per ``interval`` seconds, carrying the
count of those held back. Records below WARNING pass untouched. A "kind" is the message with
its digits blanked (node ids, ports, timings differ between otherwise equal lines).

``CLIENT_LOGGER`` is where avrobind logs the confluent-kafka (librdkafka) client's log lines and
error events (``avrobind.kafka.confluent``); ``throttle_aiokafka()`` throttles aiokafka's loggers.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from typing import Final

__all__ = [
    "CLIENT_LOGGER",
    "INTERVAL",
    "RateLimitFilter",
    "throttle",
    "throttle_aiokafka",
]

INTERVAL: Final = 10.0
CLIENT_LOGGER: Final = "avrobind.kafka.confluent"
_DIGITS = re.compile(r"\d+")
_MAX_KINDS = 1000  # forget everything beyond this many kinds (bounded memory)


class RateLimitFilter(logging.Filter):
    """Passes the first WARNING+ record of each kind, then one per ``interval`` seconds."""

    def __init__(self, interval: float = INTERVAL) -> None:
        super().__init__()
        self.interval = interval
        # (logger, level, message) -> [next allowed, held back]
        self._kinds: dict[tuple[str, int, str], list[float]] = {}
        self._lock = threading.Lock()  # librdkafka logs from its own threads

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        kind = (record.name, record.levelno, _DIGITS.sub("#", record.getMessage()))
        now = time.monotonic()
        with self._lock:
            state = self._kinds.get(kind)
            if state is not None and now < state[0]:
                state[1] += 1
                return False
            if len(self._kinds) >= _MAX_KINDS:
                self._kinds.clear()
            self._kinds[kind] = [now + self.interval, 0]
        held = int(state[1]) if state is not None else 0
        if held:
            record.msg = f"{record.getMessage()} ({held} more like this in the last {self.interval:g} s)"
            record.args = None
        return True


_installed: set[str] = set()
_install_lock = threading.Lock()


def throttle(logger: logging.Logger, interval: float = INTERVAL) -> None:
    """Put a ``RateLimitFilter`` on ``logger`` (once)."""
    with _install_lock:
        if logger.name in _installed:
            return
        _installed.add(logger.name)
        logger.addFilter(RateLimitFilter(interval))


def throttle_aiokafka() -> None:
    """Throttle every aiokafka logger (filters act on the logger a record is logged to, not on
    its parents, so each module's logger gets one)."""
    names = [
        n
        for n in logging.root.manager.loggerDict
        if n == "aiokafka" or n.startswith("aiokafka.")
    ]
    for name in names:
        throttle(logging.getLogger(name))
