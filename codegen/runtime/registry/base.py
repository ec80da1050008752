"""What both registry clients are made of: configuration, caches, plans and transport.

The clients add only I/O: an httpx client, a way to wait, and a way for concurrent equal calls
to share one request (threads or asyncio tasks).
"""

from __future__ import annotations

from .cache import Caches
from .config import RegistryConfig
from .plans import Plans
from .transport import Transport


class ClientBase:
    """The shared state of a client; everything but I/O."""

    def __init__(self, config: RegistryConfig | str) -> None:
        self._config = (
            config if isinstance(config, RegistryConfig) else RegistryConfig(config)
        )
        self._caches = Caches(self._config.latest_ttl)
        self._transport = Transport(self._config)
        self._plans = Plans(
            self._caches, self._config.latest_ttl, self._transport.redact
        )

    @property
    def config(self) -> RegistryConfig:
        """The configuration this client was built with."""
        return self._config

    def clear_caches(self) -> None:
        """Forget every cached id, schema and lookup."""
        self._caches.clear()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(urls={list(self._config.urls)!r})"
