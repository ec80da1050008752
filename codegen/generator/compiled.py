"""`avrobind generate --compile`: the package's codec modules built as C extensions (Cython).

What is compiled: every generated module holding record codecs and the runtime's ``codec.py``
(the helpers those codecs call). Cython compiles the same Python source with C types declared
for it, so the behaviour is the source's and the ``.py`` files stay what `generate` writes:
``codec.py`` with the declarations of ``codegen/runtime/codec.pxd`` (varints in C integers),
and each record module with its readers' positions, lengths and counts as C integers, ``data``
as ``bytes`` and writers' ``buf`` as ``bytearray`` (`typed_source`). Those are what made
values over the types' full range fast (64-bit ids, long strings): compiled as untyped Python
they gained little. One module has no ``.py``: ``_runtime/_speedups`` (``speedups.pyx``),
C versions of the costliest value codecs (UUIDs, timestamps) that the compiled ``codec``
takes in place of its own and that hand back to them what they do not handle. Each extension
is put beside its ``.py``; Python's import system prefers an extension module to a source file
in the same directory, and ignores one built for another interpreter, so the pure-Python
package is the fallback wherever a compiled module is absent.

The artefacts (``*.so``/``*.pyd`` and ``MANIFEST``, the digests of the sources they were built
from) are not part of the generated package: `generate --check` ignores them, they belong in
``.gitignore``, and a plain `generate` deletes them (a stale extension would shadow its new
source). `--compile` rebuilds only when a source's digest, or the typing (``codec.pxd``,
``speedups.pyx``, ``TYPING_VERSION``), differs from the manifest's.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import tokenize
from pathlib import Path

from codegen.errors import ConfigError, InputErrors

MANIFEST = ".avrobind-compiled.json"
SUFFIXES = (".so", ".pyd")
CODEC_PXD = Path(__file__).resolve().parent.parent / "runtime" / "codec.pxd"
# C versions of a few runtime codecs, built into the package as `_runtime/_speedups`.
SPEEDUPS = Path(__file__).resolve().parent / "speedups.pyx"
# Bumped when `typed_source` changes, so that `--compile` rebuilds what it built before.
TYPING_VERSION = 1


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


_DEF = re.compile(r"^(\s*)def \w+\((.*)\)")
_READER = "data: bytes, pos: int"
_COUNT = re.compile(r"\b(n\d+) = data\[pos\]")
_ENCODE = re.compile(r"\b(s\d+) = (\w+)\.encode\(\)$", re.MULTILINE)
# The readers' locals the generator names this way (`codecs.py`) and their C types: every
# one holds a byte, a position or a length within `data`, or an item count (`read_count`'s
# values fit a Py_ssize_t), so C integers change no result.
_READER_LOCALS = {
    "size": "cython.Py_ssize_t",
    "end": "cython.Py_ssize_t",
    "ln": "cython.Py_ssize_t",
    "b": "cython.long",
}


def typed_source(source: str) -> str:
    """A generated record module with ``@cython.locals`` declarations on its codec functions.

    Readers (``__avro_read__`` and the module's nested readers, ``(data: bytes, pos: int)``)
    get ``data`` as ``bytes``, ``pos`` and the locals of ``_READER_LOCALS`` and the counts as
    C integers; writers (``buf: bytearray``) get ``buf`` as a ``bytearray`` and their encoded
    strings as ``bytes``, and a string known to be a ``str`` is encoded by the C API.
    """
    lines = source.split("\n")
    out: list[str] = []
    for i, line in enumerate(lines):
        m = _DEF.match(line)
        if m and (_READER in m.group(2) or "buf: bytearray" in m.group(2)):
            indent = m.group(1)
            body: list[str] = []
            for nxt in lines[i + 1 :]:
                if nxt.strip() and not nxt.startswith(indent + " "):
                    break
                body.append(nxt)
            text = "\n".join(body)
            if _READER in m.group(2):
                decl = {"data": "bytes", "pos": "cython.Py_ssize_t"}
                decl.update(
                    (name, kind)
                    for name, kind in _READER_LOCALS.items()
                    if re.search(rf"^\s*{name}\b[^.(]*=", text, re.MULTILINE)
                )
                decl.update((n, "cython.Py_ssize_t") for n in sorted(set(_COUNT.findall(text))))
            else:
                decl = {"buf": "bytearray"}
                decl.update((s, "bytes") for s in sorted({s for s, _ in _ENCODE.findall(text)}))
            out.append(f"{indent}@cython.locals({', '.join(f'{k}={v}' for k, v in decl.items())})")
        # (always under `if type(x) is str:`: the cast lets Cython call the C API directly)
        out.append(_ENCODE.sub(r"\1 = cython.cast(str, \2).encode()", line))
    text = _bind_helpers("\n".join(out))
    future = text.find("from __future__ import annotations\n")
    at = 0 if future < 0 else future + len("from __future__ import annotations\n")
    return text[:at] + "import cython\n" + text[at:]


def _bind_helpers(text: str) -> str:
    """``_codec.write_len(...)`` as ``_codec_write_len(...)``, a module global bound at the end
    of the module: Cython caches a global's lookup, not a module attribute's (a dict lookup
    per call, ~6% of a record's writing). Code only: strings and docs are left as they are."""
    tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    spots = [
        (tokens[i].start, tokens[i + 2].end, tokens[i + 2].string)
        for i in range(len(tokens) - 2)
        if tokens[i].type == tokenize.NAME
        and tokens[i].string == "_codec"
        and tokens[i + 1].string == "."
        and tokens[i + 2].type == tokenize.NAME
    ]
    if not spots:
        return text
    prefix = "_codec_"
    while re.search(rf"\b{prefix}", text):
        prefix += "_"
    lines = text.split("\n")
    for (row, col), (_, end), name in reversed(spots):
        line = lines[row - 1]
        lines[row - 1] = line[:col] + prefix + name + line[end:]
    bound = "".join(f"{prefix}{n} = _codec.{n}\n" for n in sorted({s[2] for s in spots}))
    return "\n".join(lines).rstrip("\n") + "\n\n" + bound


def _digests(pkg_dir: Path, sources: list[Path]) -> dict[str, str]:
    return {
        p.relative_to(pkg_dir).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sources
    }


def _extension(pkg_dir: Path, source: Path) -> Path:
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    return source.with_name(source.stem + suffix)


def _manifest(pkg_dir: Path, sources: list[Path]) -> dict[str, object]:
    """What the extensions are built from: the interpreter, the sources and the typing."""
    recipe = hashlib.sha256(
        CODEC_PXD.read_bytes() + SPEEDUPS.read_bytes() + str(TYPING_VERSION).encode()
    ).hexdigest()
    return {
        "python": sys.implementation.cache_tag,
        "sources": _digests(pkg_dir, sources),
        "typing": recipe,
    }


def _units(pkg_dir: Path) -> list[tuple[Path, Path]]:
    """Each extension to build: (what Cython compiles, the module's ``.py`` path in the package;
    `_speedups` has no ``.py`` there)."""
    return [(p, p) for p in targets(pkg_dir)] + [(SPEEDUPS, pkg_dir / "_runtime" / "_speedups.py")]


def up_to_date(pkg_dir: Path) -> bool:
    """Every target has an extension for this interpreter, built from its current source."""
    sources = targets(pkg_dir)
    try:
        built = json.loads((pkg_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if built != _manifest(pkg_dir, sources):
        return False
    return all(_extension(pkg_dir, at).is_file() for _, at in _units(pkg_dir))


# Run in a child interpreter: setuptools' build machinery is global state (logging, argv).
_BUILD = """
import json, os, sys
from Cython.Build import cythonize
from setuptools import Distribution, Extension

spec = json.loads(sys.argv[1])
exts = cythonize(
    [Extension(name, [path]) for name, path in spec["modules"]],
    build_dir=spec["build"],
    # (annotations are hints for mypy; the C types are the .pxd's and `@cython.locals`)
    compiler_directives={"language_level": 3, "binding": True, "annotation_typing": False},
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
    units = [
        (".".join([package, *at.relative_to(pkg_dir).with_suffix("").parts]), source, at)
        for source, at in _units(pkg_dir)
    ]
    with tempfile.TemporaryDirectory(prefix="avrobind-compile-") as tmp:
        staged = [(name, str(_stage(Path(tmp, "src"), name, source))) for name, source, _ in units]
        spec = {"modules": staged, "build": tmp, "jobs": os.cpu_count() or 1}
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
        for name, _, at in units:
            shutil.copyfile(built[name], _extension(pkg_dir, at))
    manifest = _manifest(pkg_dir, sources)
    (pkg_dir / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return len(units)


def _stage(root: Path, name: str, source: Path) -> Path:
    """What Cython compiles for module `name`: its source typed (record modules), beside its
    declarations (the runtime's codec) or as it is (`_speedups`), in a package tree of its own
    under `root`."""
    parts = name.split(".")
    target = root.joinpath(*parts).with_suffix(source.suffix)
    target.parent.mkdir(parents=True, exist_ok=True)
    for i in range(1, len(parts)):
        root.joinpath(*parts[:i], "__init__.py").touch()
    text = source.read_text(encoding="utf-8")
    if parts[-2:] == ["_runtime", "codec"]:
        shutil.copyfile(CODEC_PXD, target.with_suffix(".pxd"))
    elif source.suffix == ".py":
        text = typed_source(text)
    target.write_text(text, encoding="utf-8")
    return target


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
