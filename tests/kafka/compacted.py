"""A shop project with compacted and raw-keyed topics, generated from its `pyproject.toml`.

The config is parsed by `load_config` (the same path as `avrobind generate`), so the keys
`key-format` and `tombstones` are read as a user writes them. Each call generates a package
with a fresh name (tests that import two never share a module).
"""

from __future__ import annotations

import importlib
import json
import sys
import uuid
from pathlib import Path
from types import ModuleType

from codegen.config import load_config
from codegen.generate import generate

STOCK = {
    "type": "record",
    "name": "Stock",
    "namespace": "shop",
    "fields": [{"name": "sku", "type": "string"}, {"name": "count", "type": "int"}],
}
SKU_KEY = {
    "type": "record",
    "name": "SkuKey",
    "namespace": "shop",
    "fields": [{"name": "sku", "type": "string"}],
}

# topic: extra lines of its table ("value" is always shop.Stock)
TOPICS = {
    # the usual compacted topic: StringSerializer keys, null values delete them
    "shop.stock": 'key = "string"\nkey-format = "raw"\ntombstones = true',
    "shop.events": 'key = "string"\nkey-format = "raw"',  # string keys, no tombstones
    "shop.by-int": 'key = "int"\nkey-format = "raw"',
    "shop.by-long": 'key = "long"\nkey-format = "raw"',
    "shop.by-float": 'key = "float"\nkey-format = "raw"',
    "shop.by-double": 'key = "double"\nkey-format = "raw"\ntombstones = true',
    "shop.by-uuid": 'key = "uuid"\nkey-format = "raw"',
    "shop.by-bytes": 'key = "bytes"\nkey-format = "raw"',
    "shop.no-key": "",  # no key: bytes keys
    "shop.avro-keyed": 'key = "string"',  # key-format "avro" by default: framed, a key subject
    "shop.record-keyed": 'key = "shop.SkuKey"\ntombstones = true',  # Avro record keys, compacted
}


def write_project(root: Path, package: str) -> Path:
    """The project's pyproject.toml (and avsc/); returns the config file."""
    (root / "avsc").mkdir(parents=True)
    (root / "avsc" / "stock.avsc").write_text(json.dumps(STOCK), encoding="utf-8")
    (root / "avsc" / "sku_key.avsc").write_text(json.dumps(SKU_KEY), encoding="utf-8")
    tables = "".join(
        f'\n[tool.avrobind.topics."{topic}"]\nvalue = "shop.Stock"\n{extra}\n'
        for topic, extra in TOPICS.items()
    )
    config = root / "pyproject.toml"
    config.write_text(
        f'[tool.avrobind]\nschemas = "avsc"\nout = "out"\npackage = "{package}"\n{tables}',
        encoding="utf-8",
    )
    return config


def generate_package(root: Path) -> ModuleType:
    """Generate the shop project into a fresh package under `root` and import it."""
    package = f"shop_{uuid.uuid4().hex[:8]}"
    config = load_config(write_project(root, package))
    generate(config)
    sys.path.insert(0, str(config.out))
    try:
        return importlib.import_module(package)
    finally:
        sys.path.remove(str(config.out))
