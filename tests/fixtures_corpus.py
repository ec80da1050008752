"""The real-world corpus generated once per test session (shared by the generator and codec
tests): a few packages of non-colliding files, each generated and imported."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from codegen.generator.plan import Plan
from tests.generator.gen_support import (
    LongBodies,
    corpus_groups,
    generate_plan,
    generated_types,
    group_files,
    import_package,
    long_bodies,
)


class CorpusPackage:
    def __init__(
        self, root: Path, name: str, members: list[dict[str, Any]], plan: Plan, bodies: LongBodies
    ) -> None:
        self.root, self.name, self.members = root, name, members
        # What it was generated from (for tests/generator/test_model_layout.py).
        self.plan, self.long_bodies = plan, bodies
        self.module = import_package(root, name)
        self.types = generated_types(self.module)


@pytest.fixture(scope="session")
def corpus_packages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CorpusPackage]:
    """Corpus entry path -> the package its files were generated into."""
    out = tmp_path_factory.mktemp("corpus")
    by_entry: dict[str, CorpusPackage] = {}
    for i, members in enumerate(corpus_groups()):
        name = f"corpus_group_{i}"
        with long_bodies(limit=80) as bodies:
            _, plan = generate_plan(group_files(members), out, name)
        pkg = CorpusPackage(out, name, members, plan, bodies)
        for e in members:
            by_entry[e["path"]] = pkg
    return by_entry


MAX_RECORDS = 30


def sample_records(records: list[str], rng: random.Random) -> list[str]:
    """At most MAX_RECORDS of a corpus file's records: the first (outermost, whose data nest
    the others) and a sample. Files defining hundreds of records would otherwise dominate the
    suite's time, since each record costs a parse and a data generator over the whole schema."""
    if len(records) <= MAX_RECORDS:
        return records
    return records[:1] + rng.sample(records[1:], MAX_RECORDS - 1)
