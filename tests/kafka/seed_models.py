"""A record written by hand as in the seed (a dataclasses-avroschema AvroModel, no generated
code). No `from __future__ import annotations`: AvroModel needs the annotations evaluated."""

from dataclasses import dataclass

from dataclasses_avroschema import AvroModel


@dataclass
class SeedCommand(AvroModel):
    command_id: str
    command_type: str
    timestamp: int

    class Meta:
        namespace = "seed"
