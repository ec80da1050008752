"""`avrobind generate --compile`: the package's codec modules built as C extensions (Cython).

What is compiled: every generated module holding record codecs and the runtime's ``codec.py``
(the helpers those codecs call), unchanged: Cython compiles the same Python source, so the
behaviour is the source's and the ``.py`` files stay what `generate` writes. Each extension is
put beside its ``.py``; Python's import system prefers an extension module to a source file
in the same directory, and ignores one built for another interpreter, so the pure-Python
package is the fallback wherever a compiled module is absent.

The artefacts (``*.so``/``*.pyd`` and ``MANIFEST``, the digests of the sources they were built
from) are not part of the generated package: `generate --check` ignores them, they belong in
``.gitignore``, and a plain `generate` deletes them (a stale extension would shadow its new
source). `--compile` rebuilds only when a source's digest differs from the manifest's.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

from codegen.errors import ConfigError, InputErrors

MANIFEST = ".avrobind-compiled.json"
SUFFIXES = (".so", ".pyd")


def is_artefact(rel: str) -> bool:
    """A file of the package (path relative to it) that `--compile` made."""
    return rel == MANIFEST or rel.endswith(SUFFIXES)


def targets(pkg_dir: Path) -> list[Path]:
    """The modules worth compiling: those with record codecs, and the runtime's helpers."""
    found = [pkg_dir / "_runtime" / "codec.py"]
    for p in sorted(pkg_dir.rglob("*.py")):
        if "_runtime" in p.relative_to(pkg_dir).parts or "__pycache__" in p.parts:
            continue
        if "def __avro_read__" in p.read_text(encoding="utf-8"):
            found.append(p)
    return found


def remove(pkg_dir: Path) -> int:
    """Delete the compiled artefacts of the package; how many there were."""
    if not pkg_dir.is_dir():
        return 0
    gone = 0
    for p in sorted(pkg_dir.rglob("*")):
        rel = p.relative_to(pkg_dir).as_posix()
        if p.is_file() and "__pycache__" not in p.parts and is_artefact(rel):
            p.unlink()
            gone += 1
    return gone


def _digests(pkg_dir: Path, sources: list[Path]) -> dict[str, str]:
    return {
        p.relative_to(pkg_dir).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sources
    }


def _extension(pkg_dir: Path, source: Path) -> Path:
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    return source.with_name(source.stem + suffix)


def up_to_date(pkg_dir: Path) -> bool:
    """Every target has an extension for this interpreter, built from its current source."""
    sources = targets(pkg_dir)
    try:
        built = json.loads((pkg_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if built != {"python": sys.implementation.cache_tag, "sources": _digests(pkg_dir, sources)}:
        return False
    return all(_extension(pkg_dir, s).is_file() for s in sources)


# Run in a child interpreter: setuptools' build machinery is global state (logging, argv).
_BUILD = """
import json, os, sys
from Cython.Build import cythonize
from setuptools import Distribution, Extension

spec = json.loads(sys.argv[1])
exts = cythonize(
    [Extension(name, [path]) for name, path in spec["modules"]],
    build_dir=spec["build"],
    compiler_directives={"language_level": 3, "binding": True},
    nthreads=spec["jobs"],
    quiet=True,
)
cmd = Distribution({"ext_modules": exts}).get_command_obj("build_ext")
cmd.build_lib = os.path.join(spec["build"], "lib")
cmd.build_temp = os.path.join(spec["build"], "temp")
cmd.parallel = spec["jobs"]
cmd.ensure_finalized()
cmd.run()
print(json.dumps({e.name: cmd.get_ext_fullpath(e.name) for e in exts}))
"""


def build(pkg_dir: Path, package: str) -> int:
    """Compile the package's targets (unless already up to date); how many were built.

    Raises ``InputErrors`` naming what is missing (Cython, a C compiler) or the compiler's
    output; nothing is put in the package unless every module compiled.
    """
    if up_to_date(pkg_dir):
        return 0
    sources = targets(pkg_dir)
    modules = [
        (".".join([package, *s.relative_to(pkg_dir).with_suffix("").parts]), str(s))
        for s in sources
    ]
    with tempfile.TemporaryDirectory(prefix="avrobind-compile-") as tmp:
        spec = {"modules": modules, "build": tmp, "jobs": os.cpu_count() or 1}
        try:
            done = subprocess.run(
                [sys.executable, "-c", _BUILD, json.dumps(spec)],
                capture_output=True,
                text=True,
                check=False,
            )
        except OSError as e:
            raise _failed(pkg_dir, str(e)) from None
        if done.returncode != 0:
            raise _failed(pkg_dir, done.stderr or done.stdout)
        built = json.loads(done.stdout.strip().splitlines()[-1])
        remove(pkg_dir)
        for name, source in modules:
            shutil.copyfile(built[name], _extension(pkg_dir, Path(source)))
    manifest = {"python": sys.implementation.cache_tag, "sources": _digests(pkg_dir, sources)}
    (pkg_dir / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return len(sources)


def _failed(pkg_dir: Path, output: str) -> InputErrors:
    if "No module named 'Cython'" in output or "No module named 'setuptools'" in output:
        reason = (
            "--compile needs Cython and setuptools in the environment that runs avrobind "
            "(pip install 'avrobind[compile]'); the package was written as pure Python"
        )
    else:
        tail = "\n".join(output.strip().splitlines()[-15:])
        reason = (
            "--compile could not build the codec modules (a C compiler and the Python "
            f"headers are needed); the package was written as pure Python:\n{tail}"
        )
    return InputErrors([ConfigError(reason, file=pkg_dir)])
