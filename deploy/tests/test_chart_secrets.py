"""Secrets: never inline in a pod spec or ConfigMap; each from the chart or an existing Secret."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.conftest import EVALUATION, SERVICES, by_kind, named, pod_templates, render

SECRET_ENV = {
    "DJANGO_SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "INTERNAL_GRPC_TOKEN",
    "SENTRY_DSN",
    "EVENT_SECRETS_KEY",
    "FIELD_ENCRYPTION_KEYS",
    "FIELD_ENCRYPTION_ACTIVE_KEY",
    "BLIND_INDEX_KEY",
    "EMAIL_URL",
    "POSTGRES_PASSWORD",
    "REDIS_PASSWORD",
    "AUTH_DATABASE_URL",
    "USERS_DATABASE_URL",
    "CHAT_DATABASE_URL",
    "WORKER_DATABASE_URL",
}
NEEDED = {
    "auth": {"FIELD_ENCRYPTION_KEYS", "FIELD_ENCRYPTION_ACTIVE_KEY", "EVENT_SECRETS_KEY"},
    "users": {"FIELD_ENCRYPTION_KEYS", "FIELD_ENCRYPTION_ACTIVE_KEY", "BLIND_INDEX_KEY"},
    "chat": set(),
    "worker": {"EMAIL_URL", "EVENT_SECRETS_KEY"},
}
BASE = {"DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "INTERNAL_GRPC_TOKEN", "SENTRY_DSN"}


def sentinel_values() -> dict[str, Any]:
    """Every secret given inline, each with a value that can be searched for."""
    secrets: dict[str, Any] = {}
    for name in (
        "redisUrl",
        "internalGrpcToken",
        "smtpUrl",
        "eventSecretsKey",
        "fieldEncryptionKeys",
        "fieldEncryptionActiveKey",
        "blindIndexKey",
        "sentryDsn",
    ):
        secrets[name] = {"value": f"SENTINEL-{name}-0f9e8d"}
    for group in ("databaseUrl", "djangoSecretKey"):
        secrets[group] = {s: {"value": f"SENTINEL-{group}-{s}-0f9e8d"} for s in SERVICES}
    return {"secrets": secrets, "databaseBootstrap": {"enabled": True, "adminSecret": "admin"}}


def containers_of(objects):
    for owner, template in pod_templates(objects):
        for c in template["spec"]["containers"] + template["spec"].get("initContainers", []):
            yield owner, c


def test_secret_values_appear_only_in_secret_objects():
    objects = render(sentinel_values())
    for obj in objects:
        if obj["kind"] == "Secret":
            continue
        text = json.dumps(obj)
        assert "SENTINEL" not in text, (obj["kind"], obj["metadata"]["name"])
        assert base64.b64encode(b"SENTINEL").decode()[:6] not in text, obj["metadata"]["name"]
    stored = {
        base64.b64decode(v).decode()
        for s in by_kind(objects, "Secret")
        for v in s.get("data", {}).values()
    }
    assert "SENTINEL-databaseUrl-users-0f9e8d" in stored


@pytest.mark.parametrize(
    "values", [{}, EVALUATION, sentinel_values()], ids=["defaults", "evaluation", "inline"]
)
def test_secret_variables_come_from_secret_key_refs(values):
    for owner, c in containers_of(render(values)):
        for item in c.get("env", []):
            if item["name"] in SECRET_ENV:
                assert "value" not in item, (owner["metadata"]["name"], item["name"])
                assert "secretKeyRef" in item["valueFrom"], (
                    owner["metadata"]["name"],
                    item["name"],
                )
        for source in c.get("envFrom", []):
            assert "secretRef" not in source or owner["kind"] == "Job"


def test_configmaps_hold_no_secret_names(scenario):
    _, values = scenario
    for config in by_kind(render(values), "ConfigMap"):
        assert not set(config.get("data", {})) & SECRET_ENV, config["metadata"]["name"]


def test_each_service_gets_exactly_the_secrets_it_needs():
    for d in by_kind(render(), "Deployment"):
        service = d["spec"]["template"]["metadata"]["labels"]["strata.io/service"]
        env = d["spec"]["template"]["spec"]["containers"][0]["env"]
        names = {e["name"] for e in env if "secretKeyRef" in e.get("valueFrom", {})}
        assert names == BASE | NEEDED[service], d["metadata"]["name"]
        database = next(e for e in env if e["name"] == "DATABASE_URL")
        assert database["valueFrom"]["secretKeyRef"]["key"] == f"{service}-database-url"


def test_existing_secrets_are_used_per_entry():
    values = {
        "secrets": {
            "existingSecret": "platform-secrets",
            "redisUrl": {"existingSecret": "redis-credentials", "key": "url"},
            "databaseUrl": {"users": {"existingSecret": "users-db", "key": "uri"}},
        }
    }
    objects = render(values)
    assert not by_kind(objects, "Secret")
    users = named(objects, "Deployment", "strata-users-http")
    refs = {
        e["name"]: e["valueFrom"]["secretKeyRef"]
        for e in users["spec"]["template"]["spec"]["containers"][0]["env"]
        if "secretKeyRef" in e.get("valueFrom", {})
    }
    assert refs["REDIS_URL"] == {"name": "redis-credentials", "key": "url"}
    assert refs["DATABASE_URL"] == {"name": "users-db", "key": "uri"}
    assert refs["BLIND_INDEX_KEY"] == {"name": "platform-secrets", "key": "blind-index-key"}
    assert refs["SENTRY_DSN"]["optional"] is True


def test_evaluation_generates_every_secret_the_pods_read():
    objects = render(EVALUATION)
    generated = named(objects, "Secret", "strata-secrets")
    assert generated["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    keys = set(generated["data"])
    for owner, c in containers_of(objects):
        for item in c.get("env", []):
            ref = item.get("valueFrom", {}).get("secretKeyRef")
            if ref and ref["name"] == "strata-secrets" and not ref.get("optional"):
                assert ref["key"] in keys, (owner["metadata"]["name"], ref["key"])
    data = {k: base64.b64decode(v).decode() for k, v in generated["data"].items()}
    password = data["users-database-password"]
    assert (
        data["users-database-url"] == f"postgresql://users:{password}@strata-postgres:5432/strata"
    )
    keyring = json.loads(data["field-encryption-keys"])
    assert len(base64.b64decode(keyring[data["field-encryption-active-key"]])) == 32
    assert len(base64.b64decode(data["blind-index-key"])) == 32


def test_evaluation_refuses_an_operator_secret_name():
    from tests.conftest import helm

    with pytest.raises(helm().HelmError, match="existingSecret"):
        render({**EVALUATION, "secrets": {"existingSecret": "mine"}})
