"""A reader in another process: decodes framed bytes with a fresh serde and nothing cached.

Writer and reader sharing a process share caches (the registry client's, the serde's, the
assembled schemas of a generated package), and a reader that registered the schema itself
never parses the writer schema it fetches by id: that is how a schema using one named type
twice went unnoticed. ``FreshReader`` starts one worker process (``python -m
tests.kafka.fresh_reader``) that, for every job, imports the generated class, builds a new
registry client and a new serde, and decodes the message WITHOUT registering or looking up
the schema, so the writer schema must come from ``GET /schemas/ids/{id}``. It answers with the
generated encoder's bytes of what it decoded: equal to the writer's body means the value
survived (the generated encoder is byte-identical to fastavro, tests/codecs).

Protocol: one JSON object per line each way. Job: ``root`` (sys.path entry), ``module`` and
``qualname`` of the class, ``registry`` (URL), ``data`` (base64 of the framed message).
Answer: ``{"body": base64, "codec": the runtime codec's file}`` or ``{"error": "ClassName:
message"}``.
"""

from __future__ import annotations

import base64
import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.paths import REPO


class FreshReader:
    """The worker process; ``read(cls, registry_url, framed) -> body bytes`` (or raises)."""

    def __init__(self) -> None:
        self.codec_file = ""  # the file of the runtime codec the last job ran (compiled or not)
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "tests.kafka.fresh_reader"],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def read(self, cls: type, registry_url: str, framed: bytes) -> bytes:
        package = sys.modules[cls.__module__.split(".")[0]]
        root = str(Path(package.__file__ or "").parents[1])
        job = {
            "root": root,
            "module": cls.__module__,
            "qualname": cls.__qualname__,
            "registry": registry_url,
            "data": base64.b64encode(framed).decode(),
        }
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(json.dumps(job) + "\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the reader process died (exit code {self._proc.poll()})")
        answer = json.loads(line)
        if "error" in answer:
            raise AssertionError(f"fresh reader of {cls.__qualname__}: {answer['error']}")
        self.codec_file = answer["codec"]
        return base64.b64decode(answer["body"])

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


def _job(job: dict[str, Any]) -> dict[str, str]:
    if job["root"] not in sys.path:
        sys.path.insert(0, job["root"])
    importlib.invalidate_caches()
    module = importlib.import_module(job["module"])
    cls: Any = module
    for part in job["qualname"].split("."):
        cls = getattr(cls, part)
    package = job["module"].split(".")[0]
    serde_mod = importlib.import_module(f"{package}._runtime.serde")
    registry_mod = importlib.import_module(f"{package}._runtime.registry")
    client = registry_mod.SchemaRegistryClient(registry_mod.RegistryConfig(url=job["registry"]))
    try:
        codec = serde_mod.RecordCodec(cls)
        # The subject is never used: nothing is registered or looked up before reading.
        serde = serde_mod.SubjectSerde(codec, "unused-by-reading", client, auto_register=False)
        value = serde.deserialize(base64.b64decode(job["data"]))
        return {
            "body": base64.b64encode(codec.encode(value)).decode(),
            "codec": importlib.import_module(f"{package}._runtime.codec").__file__ or "",
        }
    finally:
        client.close()


def main() -> None:
    for line in sys.stdin:
        try:
            answer = _job(json.loads(line))
        except Exception as exc:  # noqa: BLE001 -- reported to the test, which fails
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
