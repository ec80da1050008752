"""A telescope controller service: it consumes `TelescopeCommand`s and answers each with a
`CommandAcknowledgment` (key: the command's key). Commands that cannot be decoded go to a
dead-letter topic; a command is committed only once its acknowledgment is on the broker.

Its configuration is all that differs between production and its tests
(`examples/test_telescope_controller.py`, with avrobind's pytest fixtures):

    controller = Controller("kafka-1:9092", "http://registry:8081")   # production
    controller = Controller(avrobind_kafka, avrobind_registry)          # tests: memory://, mock://
"""

from __future__ import annotations

import datetime
from types import TracebackType
from typing import Any, Self

from telescope_schemas import (
    AckStatus,
    CommandAcknowledgment,
    CommandType,
    TelescopeAcknowledgmentsProducer,
    TelescopeCommand,
    TelescopeCommandsConsumer,
)
from telescope_schemas.runtime import Record

DEAD_LETTERS = "telescope.commands.dead-letters"


def acknowledge(command: TelescopeCommand) -> CommandAcknowledgment:
    """The controller's answer: a slew needs a target."""
    rejected = command.command_type is CommandType.SLEW and command.target is None
    return CommandAcknowledgment(
        command_id=command.command_id,
        status=AckStatus.REJECTED if rejected else AckStatus.ACCEPTED,
        received_at=datetime.datetime.now(datetime.UTC),
        message="a slew needs a target" if rejected else None,
    )


class Controller:
    """`async with Controller(...) as c: await c.run()` handles commands until cancelled."""

    def __init__(
        self,
        bootstrap_servers: str,
        schema_registry_url: str | None = None,
        *,
        group_id: str = "telescope-controller",
        name: str = "controller",
        **options: Any,
    ) -> None:
        self.name = name
        self.handled = 0
        self._acks = TelescopeAcknowledgmentsProducer(bootstrap_servers, schema_registry_url)
        self._commands = TelescopeCommandsConsumer(
            bootstrap_servers,
            schema_registry_url,
            group_id,
            dead_letter_topic=DEAD_LETTERS,
            **options,
        )

    async def __aenter__(self) -> Self:
        await self._acks.start()
        await self._commands.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            await self._commands.stop()  # commits what was handled
        finally:
            await self._acks.stop()

    async def run(self) -> None:
        await self._commands.consume_records(self._handle)

    async def _handle(self, record: Record[str, TelescopeCommand]) -> None:
        await self._acks.send(
            acknowledge(record.value), key=record.key, headers={"controller": self.name}
        )
        self.handled += 1
