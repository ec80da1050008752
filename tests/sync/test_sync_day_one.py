"""What a new user hit on day one with `sync`, `check`, `pull` and the bare CLI (issue 13), and
credentials echoed back by a proxy (issue 15.12).

The registry is the project's own server over real HTTP (`registry_url`). Two faults it cannot
produce use small real servers instead, said where they are used: a socket that accepts
connections and never answers HTTP, and a server echoing the request's headers.
"""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.check.test_check_git import commit, git
from tests.runtime.test_registry_client_redaction import PASSWORD, TOKEN, USER, EchoServer
from tests.sync.sync_helpers import Project, avrobind, registry_get

OBSERVATION = "data/observation.avsc"


def sync(project: Project, *args: str, env: dict[str, str] | None = None) -> Any:
    return avrobind("sync", "--config", str(project.config), *args, env=env)


def errors(run: Any) -> list[str]:
    return [line for line in run.stderr.splitlines() if line.startswith("error: ")]


# --- 13.5: union-defaults, the same for generate, check, sync and the registry --------------------


LATER_BRANCH = {"name": "site", "type": ["null", "string"], "default": "La Palma"}
LATER_BRANCH_TOO = {"name": "mode", "type": ["null", "long"], "default": 2}


def test_union_defaults_any_branch_holds_for_check_and_sync(
    project: Project, registry_url: str
) -> None:
    project.write_config('union-defaults = "any-branch"\n')
    project.add_field(OBSERVATION, LATER_BRANCH)
    git(project.root, "init", "-q")
    assert avrobind("generate", "--config", str(project.config)).exit_code == 0
    commit(project.root, "v1")
    first = sync(project, "--registry", registry_url)
    assert first.exit_code == 0, first.output
    # A second version with another such default: offline check, registry check, registration.
    project.add_field(OBSERVATION, LATER_BRANCH_TOO)
    assert avrobind("generate", "--config", str(project.config)).exit_code == 0
    checked = avrobind("check", "--config", str(project.config))
    assert checked.exit_code == 0, checked.output
    assert "compatible" in checked.stdout
    second = sync(project, "--registry", registry_url)
    assert second.exit_code == 0, second.output
    assert registry_get(registry_url, "/subjects/telescope.data-value/versions") == [1, 2]
    # The same project under the default rule: every command refuses the schemas (exit 2).
    project.write_config()
    for command in (("generate",), ("check",), ("sync", "--registry", registry_url)):
        run = avrobind(*command, "--config", str(project.config))
        assert run.exit_code == 2, (command, run.output)
        assert [e for e in errors(run) if "put that branch first" in e] and len(errors(run)) == 2
    assert run.stderr.splitlines()[-1] == "avrobind: 2 error(s); nothing was registered"


# --- 13.4: textual float defaults through the registry --------------------------------------------


def test_textual_float_defaults_register_and_evolve(project: Project, registry_url: str) -> None:
    project.add_field(OBSERVATION, {"name": "extinction", "type": "double", "default": "NaN"})
    assert sync(project, "--registry", registry_url).exit_code == 0
    project.add_field(OBSERVATION, {"name": "limit", "type": "float", "default": "-Infinity"})
    run = sync(project, "--registry", registry_url)
    assert run.exit_code == 0, run.output
    latest = registry_get(registry_url, "/subjects/telescope.data-value/versions/latest")
    assert latest["version"] == 2
    fields = {f["name"]: f for f in json.loads(latest["schema"])["fields"]}
    assert fields["extinction"]["default"] == "NaN" and fields["limit"]["default"] == "-Infinity"


# --- 13.11: URL errors name their source -----------------------------------------------------------


def test_url_errors_name_where_the_url_came_from(project: Project) -> None:
    cases = [
        (("--registry", "ftp://registry:8081"), {}, "--registry"),
        ((), {"AVROBIND_REGISTRY_URL": "ftp://registry:8081"}, "AVROBIND_REGISTRY_URL"),
    ]
    for args, env, source in cases:
        for command in ("sync", "pull"):
            extra = ("--subject", "x") if command == "pull" else ()
            run = avrobind(command, "--config", str(project.config), *args, *extra, env=env)
            assert run.exit_code == 2, run.output
            assert errors(run) == [
                f"error: {source}: 'ftp://registry:8081' is not an http:// or https:// URL with a host"
            ]
    project.write_config('registry = "registry:8081"\n')
    run = sync(project)
    assert errors(run) == [
        (
            f"error: {project.config}:tool.avrobind.registry: 'registry:8081' is not an http://"
            " or https:// URL with a host"
        )
    ]
    # The flag wins over a bad variable and a bad file value alike (and says nothing of them).
    bad = sync(project, "--registry", "http://", env={"AVROBIND_REGISTRY_URL": "ftp://x"})
    assert errors(bad) == [
        "error: --registry: 'http://' is not an http:// or https:// URL with a host"
    ]


# --- 13.12: a deadline for the whole command -------------------------------------------------------


@pytest.fixture
def silent_url() -> Iterator[str]:
    """A port that accepts connections and never answers (as a Kafka port does to HTTP).

    A test double of a sort: a real listening socket, for a fault no registry produces."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_a_registry_that_never_answers_meets_the_deadline(
    project: Project, silent_url: str
) -> None:
    run = sync(project, "--registry", silent_url, "--deadline", "1.5")
    assert run.exit_code == 3, run.output
    [line] = errors(run)
    assert line.startswith(f"error: schema registry at {silent_url} did not answer in time: ")
    assert "deadline of 1.5 s (from --deadline;" in line
    # What did not answer: the first requests, to that URL.
    assert f"no answer to GET {silent_url}/config/telescope.commands-key" in line
    assert "not, say, a Kafka port" in line
    # The same from the variable and from the config file, for sync and pull.
    env = {"AVROBIND_REGISTRY_DEADLINE": "1"}
    run = sync(project, "--registry", silent_url, "--format", "json", env=env)
    assert run.exit_code == 3 and run.json()["exit_code"] == 3
    assert "deadline of 1 s (from AVROBIND_REGISTRY_DEADLINE;" in run.json()["error"]
    project.write_config("registry-deadline = 1\n")
    pulled = avrobind(
        "pull", "--config", str(project.config), "--registry", silent_url, "--subject", "x"
    )
    assert pulled.exit_code == 3, pulled.output
    assert (
        f"deadline of 1 s (from {project.config}:tool.avrobind.registry-deadline;" in pulled.stderr
    )
    assert f"no answer to GET {silent_url}/subjects" in pulled.stderr


@pytest.mark.parametrize(
    ("args", "env", "source"),
    [
        (("--deadline", "0"), {}, "--deadline"),
        ((), {"AVROBIND_REGISTRY_DEADLINE": "soon"}, "AVROBIND_REGISTRY_DEADLINE"),
    ],
)
def test_bad_deadlines_are_bad_input(
    project: Project, args: tuple[str, ...], env: dict[str, str], source: str
) -> None:
    run = sync(project, "--registry", "http://127.0.0.1:9", *args, env=env)
    assert run.exit_code == 2
    assert errors(run)[0].startswith(f"error: {source}: must be a positive number of seconds")


# --- 13.13: the command line ------------------------------------------------------------------------


def test_bare_avrobind_prints_the_usage() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "codegen"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Usage: avrobind [OPTIONS] [COMMAND] [ARGS]...")
    assert "generate" in done.stdout and "sync" in done.stdout and not done.stderr


@pytest.mark.parametrize("command", ["sync", "lint", "pull", "docs"])
def test_help_lists_only_options_the_command_uses(command: str) -> None:
    run = avrobind(command, "--help")
    assert run.exit_code == 0
    assert "--package" not in run.stdout
    if command in ("sync", "lint"):
        assert "--out" not in run.stdout
    assert "--config" in run.stdout and "--schemas" in run.stdout


def test_sync_without_topics_warns_and_contacts_nothing(project: Project) -> None:
    text = project.config.read_text()
    project.config.write_text(text[: text.index("[tool.avrobind.topics")])
    # Port 9 (discard) on loopback: nothing listens; a request would fail with exit 3.
    run = sync(project, "--registry", "http://127.0.0.1:9")
    assert run.exit_code == 0, run.output
    assert run.stderr == (
        f"warning: no topics are configured ([tool.avrobind.topics] in {project.config}): "
        "nothing to sync\n"
    )
    assert "registered" not in run.stdout
    as_json = sync(project, "--registry", "http://127.0.0.1:9", "--format", "json")
    assert as_json.exit_code == 0 and as_json.json()["subjects"] == []
    assert as_json.json()["notes"] == [as_json.stderr.removeprefix("warning: ").strip()]


def test_sync_bad_input_says_nothing_was_registered(project: Project) -> None:
    project.edit(OBSERVATION, lambda d: d["fields"].append({"name": "x", "type": "Strng"}))
    run = sync(project, "--registry", "http://127.0.0.1:9")
    assert run.exit_code == 2
    assert run.stderr.splitlines()[-1] == "avrobind: 1 error(s); nothing was registered"
    generate = avrobind("generate", "--config", str(project.config))
    assert generate.stderr.splitlines()[-1] == "avrobind: 1 error(s); nothing was written"


# --- 15.12: credentials echoed by a proxy never reach sync's output --------------------------------


@pytest.mark.parametrize(
    ("env", "secrets"),
    [
        (
            {"AVROBIND_REGISTRY_BASIC_AUTH": f"{USER}:{PASSWORD}"},
            [PASSWORD, base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()],
        ),
        ({"AVROBIND_REGISTRY_TOKEN": TOKEN}, [TOKEN]),
    ],
    ids=["basic", "bearer"],
)
@pytest.mark.parametrize("fmt", ["text", "json", "github"])
@pytest.mark.parametrize(("status", "shape"), [(401, "message"), (503, "object"), (404, "html")])
def test_sync_output_never_shows_echoed_credentials(
    project: Project, env: dict[str, str], secrets: list[str], fmt: str, status: int, shape: str
) -> None:
    echo = EchoServer()  # see tests/runtime/test_registry_client_redaction.py: a real server
    echo.status, echo.shape = status, shape
    try:
        run = sync(
            project,
            "--registry",
            echo.url,
            "--format",
            fmt,
            env={**env, "AVROBIND_REGISTRY_RETRIES": "1"},
        )
    finally:
        echo.close()
    assert run.exit_code == 3, run.output
    assert "***" in run.output  # the echo reached the output, masked
    for secret in secrets:
        assert secret not in run.output
