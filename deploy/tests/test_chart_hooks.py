"""Migrations and the database bootstrap as Helm hooks, and what they need before they run.

The classic bug of Django charts: a pre-install migration Job reads a ConfigMap or Secret
that the chart also creates, but as an ordinary object, which Helm applies only after the
pre-install hooks. The Job then never starts. Here every chart object a hook Job reads must
itself be a hook of the same phase with a lower weight.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ALL_ON, EVALUATION, SERVICES, by_kind, hook_of, named, render

INLINE = {
    "secrets": {
        "redisUrl": {"value": "redis://:pw@redis.example.com:6379/0"},
        "databaseUrl": {"auth": {"value": "postgresql://auth:pw@db.example.com/strata"}},
    }
}


def references(job: dict[str, Any]) -> set[tuple[str, str]]:
    """(kind, name) of every ConfigMap, Secret and ServiceAccount a Job's pods read."""
    spec = job["spec"]["template"]["spec"]
    found = {("ServiceAccount", spec["serviceAccountName"])}
    for volume in spec.get("volumes", []):
        if "configMap" in volume:
            found.add(("ConfigMap", volume["configMap"]["name"]))
        if "secret" in volume:
            found.add(("Secret", volume["secret"]["secretName"]))
    for c in spec["containers"]:
        for source in c.get("envFrom", []):
            if "configMapRef" in source:
                found.add(("ConfigMap", source["configMapRef"]["name"]))
            if "secretRef" in source:
                found.add(("Secret", source["secretRef"]["name"]))
        for item in c.get("env", []):
            ref = item.get("valueFrom", {})
            if "secretKeyRef" in ref:
                found.add(("Secret", ref["secretKeyRef"]["name"]))
            if "configMapKeyRef" in ref:
                found.add(("ConfigMap", ref["configMapKeyRef"]["name"]))
    return found


@pytest.mark.parametrize(
    "values",
    [{}, ALL_ON, INLINE, {**ALL_ON, **INLINE}],
    ids=["defaults", "all-on", "inline", "all-on-inline"],
)
def test_hook_jobs_only_read_what_already_exists(values):
    objects = render(values)
    rendered = {(o["kind"], o["metadata"]["name"]): o for o in objects}
    jobs = [j for j in by_kind(objects, "Job") if hook_of(j)]
    assert jobs
    for job in jobs:
        phases, weight = hook_of(job)
        assert "pre-install" in phases
        for ref in references(job):
            if ref not in rendered:
                continue  # made by the operator before installing (documented)
            hook = hook_of(rendered[ref])
            assert hook is not None, f"{job['metadata']['name']} reads {ref}, which is no hook"
            ref_phases, ref_weight = hook
            assert phases <= ref_phases, (job["metadata"]["name"], ref)
            assert ref_weight < weight, (job["metadata"]["name"], ref, ref_weight, weight)


def test_one_migration_job_per_service():
    jobs = {j["metadata"]["name"]: j for j in by_kind(render(), "Job")}
    for service in SERVICES:
        job = jobs[f"strata-{service}-migrate"]
        annotations = job["metadata"]["annotations"]
        assert set(annotations["helm.sh/hook"].split(",")) == {"pre-install", "pre-upgrade"}
        assert "before-hook-creation" in annotations["helm.sh/hook-delete-policy"].split(",")
        assert job["spec"]["activeDeadlineSeconds"] > 0
        spec = job["spec"]["template"]["spec"]
        assert spec["restartPolicy"] == "Never"
        assert spec["serviceAccountName"] == f"strata-{service}-migrate"
        container = spec["containers"][0]
        assert container["args"] == ["migrate"]
        assert container["image"] == f"strata-{service}:0.1.0"
        assert container["envFrom"] == [{"configMapRef": {"name": f"strata-{service}-hooks"}}]


def test_hook_config_is_the_release_config():
    objects = render(ALL_ON)
    for service in SERVICES:
        release = named(objects, "ConfigMap", f"strata-{service}")
        hook = named(objects, "ConfigMap", f"strata-{service}-hooks")
        assert release["data"] == hook["data"]
        assert hook_of(release) is None


def test_inline_secrets_have_a_hook_copy_with_the_same_data():
    objects = render(INLINE)
    release = named(objects, "Secret", "strata-inline")
    hook = named(objects, "Secret", "strata-inline-hooks")
    assert release["data"] == hook["data"]
    migrate = named(objects, "Job", "strata-auth-migrate")
    env = {e["name"]: e for e in migrate["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"] == "strata-inline-hooks"
    assert env["DJANGO_SECRET_KEY"]["valueFrom"]["secretKeyRef"]["name"] == "strata-secrets"


def test_database_bootstrap_runs_before_the_migrations():
    objects = render(ALL_ON)
    bootstrap = named(objects, "Job", "strata-db-bootstrap")
    _, bootstrap_weight = hook_of(bootstrap)
    for service in SERVICES:
        _, weight = hook_of(named(objects, "Job", f"strata-{service}-migrate"))
        assert bootstrap_weight < weight
    container = bootstrap["spec"]["template"]["spec"]["containers"][0]
    assert container["envFrom"] == [{"secretRef": {"name": "strata-postgres-admin"}}]
    names = {e["name"] for e in container["env"]}
    assert {f"{s.upper()}_DATABASE_URL" for s in SERVICES} <= names
    script = named(objects, "ConfigMap", "strata-db-bootstrap")["data"]["bootstrap-database.sh"]
    assert "CREATE SCHEMA IF NOT EXISTS" in script
    assert not [j for j in by_kind(render(), "Job") if "bootstrap" in j["metadata"]["name"]]


def test_database_bootstrap_needs_an_admin_secret():
    from tests.conftest import helm

    with pytest.raises(helm().HelmError, match="adminSecret"):
        render({"databaseBootstrap": {"enabled": True}})


def test_evaluation_mode_migrates_after_install_when_its_database_exists():
    objects = render(EVALUATION)
    for service in SERVICES:
        phases, _ = hook_of(named(objects, "Job", f"strata-{service}-migrate"))
        assert phases == {"post-install", "pre-upgrade"}
    assert named(objects, "StatefulSet", "strata-postgres")
    assert named(objects, "StatefulSet", "strata-redis")


def test_migrations_can_be_turned_off():
    objects = render({"migrations": {"enabled": False}})
    assert not by_kind(objects, "Job")
    assert not [o for o in objects if hook_of(o)]
