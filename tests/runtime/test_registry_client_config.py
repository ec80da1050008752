"""RegistryConfig: URL lists, credentials, environment variables, TLS options, secrecy."""

from __future__ import annotations

import pickle
import ssl
import subprocess
from pathlib import Path
from typing import Any

import pytest

from codegen.runtime.errors import (
    AvrobindError,
    RegistryConfigError,
    RegistryError,
    SchemaNotFoundError,
)
from codegen.runtime.registry import (
    AsyncSchemaRegistryClient,
    CompatibilityResult,
    RegistryConfig,
    SchemaRegistryClient,
)

SECRET = "pw-0f-alice"
TOKEN = "tok-zz9-plural-z-alpha"


def test_comma_separated_urls_are_split_and_normalised() -> None:
    config = RegistryConfig(" http://a:8081/ , https://b.example/registry/,")
    assert config.urls == ("http://a:8081", "https://b.example/registry")
    assert RegistryConfig(["http://a", "http://b"]).urls == ("http://a", "http://b")


def test_credentials_in_the_url_become_basic_auth() -> None:
    config = RegistryConfig("https://alice:p%40ss%3Aword@reg.example:8081")
    assert config.urls == ("https://reg.example:8081",)
    assert (config.username, config.password) == ("alice", "p@ss:word")
    assert config.auth_kind == "basic"


def test_basic_auth_string_and_user_password_are_equivalent() -> None:
    one = RegistryConfig("http://r", basic_auth=f"alice:{SECRET}:with-colon")
    two = RegistryConfig("http://r", username="alice", password=f"{SECRET}:with-colon")
    assert (one.username, one.password) == (two.username, two.password)
    assert one.password == f"{SECRET}:with-colon"  # only the first ':' separates


@pytest.mark.parametrize(
    ("url", "options", "expected"),
    [
        (f"http://bob:{SECRET}@r", {"basic_auth": f"alice:{SECRET}"}, "in one place only"),
        (f"http://bob:{SECRET}@r", {"username": "a", "password": SECRET}, "in one place only"),
        ("http://r", {"basic_auth": "alice", "username": "x", "password": SECRET}, "not both"),
        ("http://r", {"basic_auth": SECRET}, "'user:password'"),
        ("http://r", {"username": "alice"}, "password is not set"),
        ("http://r", {"password": SECRET}, "username is not set"),
        ("http://r", {"basic_auth": f"alice:{SECRET}", "token": TOKEN}, "not both"),
        (f"http://a:{SECRET}@r1,http://b:{SECRET}x@r2", {}, "different credentials"),
        (f"bob:{SECRET}@localhost:8081", {}, "is not an http:// or https:// URL"),
        (f"http://bob:{SECRET}@host:80x1", {}, "invalid port"),
        ("http://r?x=1", {}, "query"),
        ("", {}, "no schema registry URL"),
        ("http://r", {"timeout": 0}, "timeout must be a positive"),
        ("http://r", {"retries": -1}, "retries must be"),
        ("http://r", {"backoff_base": 2.0, "backoff_max": 1.0}, "backoff_base"),
        ("http://r", {"verify": False, "ca_bundle": __file__}, "only used when"),
        ("http://r", {"key": __file__}, "key is set without cert"),
        ("http://r", {"ca_bundle": "/nonexistent/ca.pem"}, "does not exist"),
        (
            "http://r",
            {"token": TOKEN, "headers": {"authorization": "Basic eA=="}},
            "Authorization header",
        ),
    ],
)
def test_invalid_configuration_is_reported_without_secrets(
    url: str, options: dict[str, Any], expected: str
) -> None:
    with pytest.raises(RegistryConfigError) as caught:
        RegistryConfig(url, **options)
    text = str(caught.value)
    assert expected in text
    assert SECRET not in text
    assert TOKEN not in text
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, AvrobindError)


def test_config_is_immutable() -> None:
    config = RegistryConfig("http://r")
    with pytest.raises(AttributeError):
        config.timeout = 1.0


def test_repr_and_str_never_show_credentials() -> None:
    configs = [
        RegistryConfig(f"http://alice:{SECRET}@r:8081", key_password=None),
        RegistryConfig("http://r", basic_auth=f"alice:{SECRET}", headers={"X-Api-Key": TOKEN}),
        RegistryConfig("http://r", token=TOKEN),
    ]
    for config in configs:
        for text in (repr(config), str(config)):
            assert SECRET not in text
            assert TOKEN not in text
            assert "alice" not in text  # Confluent Cloud uses an API key as the user name
            assert "r" in text
        for client in (SchemaRegistryClient(config), AsyncSchemaRegistryClient(config)):
            assert SECRET not in repr(client) and TOKEN not in repr(client)
            assert "alice" not in str(client)
    assert "X-Api-Key" in repr(configs[1])  # header names stay visible, values do not
    assert repr(configs[0]).startswith("RegistryConfig(urls=['http://r:8081'], auth='basic'")


def test_from_env_reads_every_documented_variable(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("placeholder")
    cert = tmp_path / "client.pem"
    cert.write_text("placeholder")
    key = tmp_path / "client.key"
    key.write_text("placeholder")
    env = {
        "AVROBIND_REGISTRY_URL": "https://a:8081,https://b:8081",
        "AVROBIND_REGISTRY_USERNAME": "alice",
        "AVROBIND_REGISTRY_PASSWORD": SECRET,
        "AVROBIND_REGISTRY_CA_BUNDLE": str(ca),
        "AVROBIND_REGISTRY_CERT": str(cert),
        "AVROBIND_REGISTRY_KEY": str(key),
        "AVROBIND_REGISTRY_KEY_PASSWORD": "kp-123",
        "AVROBIND_REGISTRY_VERIFY": "TRUE",
        "AVROBIND_REGISTRY_TIMEOUT": "2.5",
        "AVROBIND_REGISTRY_RETRIES": "5",
        "AVROBIND_REGISTRY_LATEST_TTL": "30",
        "AVROBIND_REGISTRY_TOKEN": "",  # empty means unset
    }
    config = RegistryConfig.from_env(environ=env)
    assert config.urls == ("https://a:8081", "https://b:8081")
    assert (config.username, config.password, config.token) == ("alice", SECRET, None)
    assert (config.ca_bundle, config.cert, config.key) == (str(ca), str(cert), str(key))
    assert config.key_password == "kp-123"
    assert (config.verify, config.timeout, config.retries, config.latest_ttl) == (
        True,
        2.5,
        5,
        30.0,
    )

    token = RegistryConfig.from_env(
        environ={"AVROBIND_REGISTRY_URL": "http://r", "AVROBIND_REGISTRY_TOKEN": TOKEN}
    )
    assert token.token == TOKEN and token.auth_kind == "bearer"
    basic = RegistryConfig.from_env(
        environ={"AVROBIND_REGISTRY_URL": "http://r", "AVROBIND_REGISTRY_BASIC_AUTH": "u:p:q"}
    )
    assert (basic.username, basic.password) == ("u", "p:q")
    unverified = RegistryConfig.from_env(
        environ={"AVROBIND_REGISTRY_URL": "http://r", "AVROBIND_REGISTRY_VERIFY": "0"}
    )
    assert unverified.verify is False


def test_from_env_url_precedence_and_prefix() -> None:
    env = {"AVROBIND_REGISTRY_URL": "http://from-env", "MY_SR_URL": "http://mine"}
    assert RegistryConfig.from_env(environ=env).urls == ("http://from-env",)
    assert RegistryConfig.from_env(environ=env, url="http://explicit").urls == ("http://explicit",)
    assert RegistryConfig.from_env(environ=env, default_url="http://d").urls == ("http://from-env",)
    assert RegistryConfig.from_env(environ={}, default_url="http://d").urls == ("http://d",)
    assert RegistryConfig.from_env("MY_SR_", environ=env).urls == ("http://mine",)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "AVROBIND_REGISTRY_URL is not set"),
        ({"AVROBIND_REGISTRY_TIMEOUT": "soon"}, "AVROBIND_REGISTRY_TIMEOUT must be a number"),
        ({"AVROBIND_REGISTRY_RETRIES": "many"}, "AVROBIND_REGISTRY_RETRIES must be a whole"),
        ({"AVROBIND_REGISTRY_VERIFY": "maybe"}, "AVROBIND_REGISTRY_VERIFY must be true or false"),
        ({"AVROBIND_REGISTRY_BASIC_AUTH": SECRET}, "AVROBIND_REGISTRY_BASIC_AUTH must look like"),
        ({"AVROBIND_REGISTRY_USERNAME": "alice"}, "AVROBIND_REGISTRY_PASSWORD is not set"),
        ({"AVROBIND_REGISTRY_CA_BUNDLE": "/nope/ca.pem"}, "AVROBIND_REGISTRY_CA_BUNDLE: '/nope"),
        (
            {"AVROBIND_REGISTRY_BASIC_AUTH": f"a:{SECRET}", "AVROBIND_REGISTRY_TOKEN": TOKEN},
            "bearer token (AVROBIND_REGISTRY_TOKEN)",
        ),
    ],
)
def test_from_env_errors_name_the_variable(env: dict[str, str], expected: str) -> None:
    if env:
        env = {"AVROBIND_REGISTRY_URL": "http://r", **env}
    with pytest.raises(RegistryConfigError) as caught:
        RegistryConfig.from_env(environ=env)
    assert expected in str(caught.value)
    assert SECRET not in str(caught.value) and TOKEN not in str(caught.value)


def test_from_env_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVROBIND_REGISTRY_URL", "http://os-env:8081")
    assert RegistryConfig.from_env().urls == ("http://os-env:8081",)


# --- TLS options (unit level; a real TLS exchange is in test_registry_client_faults.py) -------


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "ca.pem", tmp_path / "ca.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=avrobind-unit-ca", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def test_verify_false_disables_certificate_checks() -> None:
    context = RegistryConfig("https://r", verify=False).ssl_context()
    assert context.verify_mode == ssl.CERT_NONE
    assert context.check_hostname is False


def test_default_context_verifies() -> None:
    context = RegistryConfig("https://r").ssl_context()
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True


def test_ca_bundle_is_the_trust_store(tmp_path: Path) -> None:
    ca, _ = _self_signed(tmp_path)
    context = RegistryConfig("https://r", ca_bundle=ca).ssl_context()
    subjects = [dict(i[0] for i in c["subject"]) for c in context.get_ca_certs()]  # type: ignore[misc]
    assert subjects == [{"commonName": "avrobind-unit-ca"}]
    assert context.verify_mode == ssl.CERT_REQUIRED


def test_client_certificate_is_loaded_or_reported(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    RegistryConfig("https://r", cert=cert, key=key).ssl_context()  # loads without error
    with pytest.raises(RegistryConfigError, match="cannot load the client certificate"):
        RegistryConfig("https://r", cert=key, key=cert).ssl_context()


# --- small public types -----------------------------------------------------------------------


def test_compatibility_result_truth_value_and_unpacking() -> None:
    bad = CompatibilityResult(False, ("field x: no default",))
    ok, messages = bad
    assert not bad and ok is False and messages == ("field x: no default",)
    assert CompatibilityResult(True)


def test_registry_errors_survive_pickling() -> None:
    error = SchemaNotFoundError(
        42, "schema registry at http://r has no schema with id 42", url="http://r/schemas/ids/42"
    )
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is SchemaNotFoundError
    assert str(copy) == str(error)
    assert (copy.schema_id, copy.status, copy.error_code, copy.url) == (
        42,
        404,
        40403,
        "http://r/schemas/ids/42",
    )
    assert isinstance(copy, RegistryError)
    assert str(SchemaNotFoundError(7)) == "the schema registry has no schema with id 7"
