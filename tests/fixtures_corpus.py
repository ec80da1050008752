"""The real-world corpus generated once per test session (shared by the generator and codec
tests): a few packages of non-colliding files, each generated and imported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.generator.gen_support import (
    corpus_groups,
    generate_files,
    generated_types,
    group_files,
    import_package,
)


class CorpusPackage:
    def __init__(self, root: Path, name: str, members: list[dict[str, Any]]) -> None:
        self.root, self.name, self.members = root, name, members
        self.module = import_package(root, name)
        self.types = generated_types(self.module)


@pytest.fixture(scope="session")
def corpus_packages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CorpusPackage]:
    """Corpus entry path -> the package its files were generated into."""
    out = tmp_path_factory.mktemp("corpus")
    by_entry: dict[str, CorpusPackage] = {}
    for i, members in enumerate(corpus_groups()):
        name = f"corpus_group_{i}"
        generate_files(group_files(members), out, name)
        pkg = CorpusPackage(out, name, members)
        for e in members:
            by_entry[e["path"]] = pkg
    return by_entry
