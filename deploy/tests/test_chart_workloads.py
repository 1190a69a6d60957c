"""Deployments and Jobs: roles, security, probes, writable directories, spread, scaling."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import (
    ALL_ON,
    SERVICES,
    by_kind,
    named,
    pod_templates,
    render,
)

ROLES = {
    "auth": {"http", "grpc", "worker"},
    "users": {"http", "grpc", "worker"},
    "chat": {"http", "websocket", "worker"},
    "worker": {"http", "worker", "beat"},
}


def deployments(values: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in by_kind(render(values), "Deployment")}


def container(obj: dict[str, Any]) -> dict[str, Any]:
    containers = obj["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def env_of(c: dict[str, Any]) -> dict[str, Any]:
    return {item["name"]: item for item in c.get("env", [])}


def test_each_service_has_a_deployment_per_role_and_one_beat():
    found = {
        (d["spec"]["template"]["metadata"]["labels"]["strata.io/service"], c)
        for d in deployments().values()
        for c in [d["spec"]["template"]["metadata"]["labels"]["strata.io/role"]]
    }
    assert found == {(service, role) for service, roles in ROLES.items() for role in roles}
    beats = [d for d in deployments().values() if container(d)["args"] == ["beat"]]
    assert len(beats) == 1
    assert beats[0]["spec"]["replicas"] == 1
    assert beats[0]["spec"]["strategy"]["type"] == "Recreate"


@pytest.mark.parametrize("role", ["http", "websocket", "grpc", "worker"])
def test_each_role_has_its_own_replicas_and_resources(role):
    service = next(s for s, roles in ROLES.items() if role in roles)
    values = {
        "services": {service: {role: {"replicas": 5, "resources": {"requests": {"cpu": "123m"}}}}}
    }
    changed = deployments(values)[f"strata-{service}-{role}"]
    assert changed["spec"]["replicas"] == 5
    assert container(changed)["resources"]["requests"]["cpu"] == "123m"
    # The override is merged over the role's defaults, not instead of them.
    assert container(changed)["resources"]["limits"]["memory"]
    others = [d for name, d in deployments(values).items() if name != f"strata-{service}-{role}"]
    assert all(d["spec"]["replicas"] != 5 for d in others)


def test_a_zero_override_wins_over_a_default():
    assert (
        deployments({"services": {"worker": {"beat": {"replicas": 0}}}})["strata-worker-beat"][
            "spec"
        ]["replicas"]
        == 0
    )


def test_containers_run_the_entrypoint_role_of_their_deployment():
    for name, d in deployments().items():
        role = d["spec"]["template"]["metadata"]["labels"]["strata.io/role"]
        service = d["spec"]["template"]["metadata"]["labels"]["strata.io/service"]
        assert container(d)["args"] == [role], name
        assert container(d)["image"] == f"strata-{service}:0.1.0", name


def test_images_follow_registry_and_tag():
    values = {"image": {"registry": "registry.example.com/platform/", "tag": "1.2.3"}}
    images = {container(d)["image"] for d in deployments(values).values()}
    assert images == {f"registry.example.com/platform/strata-{s}:1.2.3" for s in SERVICES}


def test_every_pod_is_locked_down(scenario):
    _, values = scenario
    for owner, template in pod_templates(render(values)):
        name = f"{owner['kind']}/{owner['metadata']['name']}"
        spec = template["spec"]
        assert spec.get("automountServiceAccountToken") is False, name
        pod_security = spec.get("securityContext", {})
        assert pod_security.get("runAsNonRoot") is True, name
        assert pod_security.get("seccompProfile") == {"type": "RuntimeDefault"}, name
        for c in spec["containers"] + spec.get("initContainers", []):
            security = c.get("securityContext", {})
            assert security.get("readOnlyRootFilesystem") is True, name
            assert security.get("allowPrivilegeEscalation") is False, name
            assert security.get("capabilities", {}).get("drop") == ["ALL"], name
            assert not security.get("capabilities", {}).get("add"), name
            assert security.get("privileged") is not True, name
            assert c["resources"].get("requests"), name
            assert c["resources"].get("limits"), name


def test_strata_pods_write_only_to_their_emptydirs(scenario):
    _, values = scenario
    for owner, template in pod_templates(render(values)):
        labels = template["metadata"]["labels"]
        if "strata.io/service" not in labels:
            continue
        spec = template["spec"]
        mounts = {m["mountPath"]: m["name"] for m in spec["containers"][0]["volumeMounts"]}
        volumes = {v["name"]: v for v in spec["volumes"]}
        assert set(mounts) == {"/tmp", "/run/prometheus"}, owner["metadata"]["name"]
        assert all("emptyDir" in volumes[name] for name in mounts.values())
        env = env_of(spec["containers"][0])
        assert env["PROMETHEUS_MULTIPROC_DIR"]["value"] == "/run/prometheus"


def test_service_accounts_mount_no_token(scenario):
    _, values = scenario
    objects = render(values)
    for account in by_kind(objects, "ServiceAccount"):
        assert account["automountServiceAccountToken"] is False, account["metadata"]["name"]
    accounts = {a["metadata"]["name"] for a in by_kind(objects, "ServiceAccount")}
    for _owner, template in pod_templates(objects):
        if "strata.io/service" in template["metadata"]["labels"]:
            assert template["spec"]["serviceAccountName"] in accounts


@pytest.mark.parametrize("role", ["http", "websocket"])
def test_http_servers_are_probed_on_healthz_and_readyz(role):
    for d in deployments().values():
        if container(d)["args"] != [role]:
            continue
        c = container(d)
        port_names = {p["name"] for p in c["ports"]}
        for probe, path in (
            ("startupProbe", "/healthz"),
            ("livenessProbe", "/healthz"),
            ("readinessProbe", "/readyz"),
        ):
            assert c[probe]["httpGet"]["path"] == path, (d["metadata"]["name"], probe)
            assert c[probe]["httpGet"]["port"] in port_names


def test_grpc_servers_use_native_grpc_readiness():
    servers = [d for d in deployments().values() if container(d)["args"] == ["grpc"]]
    assert {d["metadata"]["name"] for d in servers} == {"strata-auth-grpc", "strata-users-grpc"}
    for d in servers:
        c = container(d)
        grpc_port = next(p["containerPort"] for p in c["ports"] if p["name"] == "grpc")
        assert c["readinessProbe"]["grpc"]["port"] == grpc_port
        # Liveness must not follow the dependencies: a database outage is no reason to restart.
        assert "tcpSocket" in c["livenessProbe"]
        assert env_of(c)["GRPC_PORT"]["value"] == str(grpc_port)


def test_workers_have_a_configurable_liveness_command():
    default = [d for d in deployments().values() if container(d)["args"] == ["worker"]]
    assert len(default) == 4
    for d in default:
        assert container(d)["livenessProbe"]["exec"]["command"] == [
            "python",
            "-m",
            "chassis.celery_liveness",
        ]
        assert container(d)["startupProbe"]["tcpSocket"]["port"] == "metrics"
    custom = {"roles": {"worker": {"livenessCommand": ["true"]}}}
    for d in deployments(custom).values():
        if container(d)["args"] == ["worker"]:
            assert container(d)["livenessProbe"]["exec"]["command"] == ["true"]
    off = {"roles": {"worker": {"livenessCommand": []}}}
    assert all(
        "livenessProbe" not in container(d)
        for d in deployments(off).values()
        if container(d)["args"] == ["worker"]
    )


def test_pods_accept_their_own_ip_as_host():
    """Kubelet probes and Prometheus send Host: <pod IP>; Django must not answer 400."""
    for d in deployments().values():
        env = env_of(container(d))
        assert env["POD_IP"]["valueFrom"]["fieldRef"]["fieldPath"] == "status.podIP"
        hosts = env["ALLOWED_HOSTS"]["value"].split(",")
        assert "$(POD_IP)" in hosts
        assert ".strata-test.svc.cluster.local" in hosts
        # $(POD_IP) expands only when POD_IP is defined before it.
        names = [item["name"] for item in container(d)["env"]]
        assert names.index("POD_IP") < names.index("ALLOWED_HOSTS")


def test_public_hosts_are_allowed():
    env = env_of(container(deployments(ALL_ON)["strata-auth-http"]))
    assert "api.example.com" in env["ALLOWED_HOSTS"]["value"].split(",")


def test_deployments_spread_over_zones_and_nodes():
    for name, d in deployments().items():
        spec = d["spec"]["template"]["spec"]
        if container(d)["args"] == ["beat"]:
            continue
        constraints = spec["topologySpreadConstraints"]
        assert {c["topologyKey"] for c in constraints} == {
            "topology.kubernetes.io/zone",
            "kubernetes.io/hostname",
        }, name
        pod_labels = d["spec"]["template"]["metadata"]["labels"]
        for constraint in constraints:
            selector = constraint["labelSelector"]["matchLabels"]
            assert selector.items() <= pod_labels.items(), name


def test_selectors_match_their_pods(scenario):
    _, values = scenario
    for owner, template in pod_templates(render(values)):
        if owner["kind"] == "Job":
            continue
        selector = owner["spec"]["selector"]["matchLabels"]
        assert selector.items() <= template["metadata"]["labels"].items()


def test_standard_labels_on_every_object(scenario):
    _, values = scenario
    for obj in render(values):
        labels = obj["metadata"].get("labels", {})
        for key in ("name", "instance", "version", "managed-by", "part-of", "component"):
            assert f"app.kubernetes.io/{key}" in labels, (obj["kind"], obj["metadata"]["name"], key)
        assert labels["app.kubernetes.io/instance"] == "strata"
        assert labels["app.kubernetes.io/managed-by"] == "Helm"
        assert "helm.sh/chart" in labels


def test_autoscaling_adds_an_hpa_per_scalable_deployment_and_drops_replicas():
    objects = render({"autoscaling": {"enabled": True}})
    hpas = {
        h["spec"]["scaleTargetRef"]["name"]: h for h in by_kind(objects, "HorizontalPodAutoscaler")
    }
    for d in by_kind(objects, "Deployment"):
        name = d["metadata"]["name"]
        if container(d)["args"] == ["beat"]:
            assert name not in hpas
            assert d["spec"]["replicas"] == 1
        else:
            assert name in hpas, name
            assert "replicas" not in d["spec"], name
            assert hpas[name]["spec"]["minReplicas"] <= hpas[name]["spec"]["maxReplicas"]
    assert not by_kind(render(), "HorizontalPodAutoscaler")


def test_disruption_budgets_cover_every_deployment_with_several_pods():
    objects = render({"podDisruptionBudget": {"enabled": True}})
    budgets = {p["metadata"]["name"]: p for p in by_kind(objects, "PodDisruptionBudget")}
    for d in by_kind(objects, "Deployment"):
        name = d["metadata"]["name"]
        if d["spec"]["replicas"] > 1:
            assert budgets[name]["spec"]["selector"] == d["spec"]["selector"]
        else:
            assert name not in budgets
    assert not by_kind(render(), "PodDisruptionBudget")


def test_services_expose_grpc_with_its_app_protocol():
    objects = render()
    for service in ("auth", "users"):
        grpc = named(objects, "Service", f"strata-{service}-grpc")
        port = next(p for p in grpc["spec"]["ports"] if p["name"] == "grpc")
        assert port["appProtocol"] == "grpc"
        assert port["port"] == 50051


def test_every_service_selects_pods_that_have_its_target_ports(scenario):
    _, values = scenario
    objects = render(values)
    templates = [t for _, t in pod_templates(objects)]
    for service in by_kind(objects, "Service"):
        selector = service["spec"]["selector"]
        matching = [t for t in templates if selector.items() <= t["metadata"]["labels"].items()]
        assert matching, service["metadata"]["name"]
        for port in service["spec"]["ports"]:
            target = port["targetPort"]
            for template in matching:
                ports = [p for c in template["spec"]["containers"] for p in c.get("ports", [])]
                assert target in {p.get("name") for p in ports} | {
                    p["containerPort"] for p in ports
                }


def test_config_reaches_every_service_and_extra_env_is_merged():
    values = {
        "config": {"extraEnv": {"AUTH_LOGIN_RATE_PER_IP": "5/min", "GRPC_DEFAULT_TIMEOUT": "2"}},
        "services": {"chat": {"extraEnv": {"GRPC_DEFAULT_TIMEOUT": "1"}}},
    }
    objects = render(values)
    for service in SERVICES:
        data = named(objects, "ConfigMap", f"strata-{service}")["data"]
        assert data["STRATA_ENV"] == "production"
        assert data["AUTH_LOGIN_RATE_PER_IP"] == "5/min"
        assert data["GRPC_DEFAULT_TIMEOUT"] == ("1" if service == "chat" else "2")
        assert data["AUTH_GRPC_TARGET"] == "strata-auth-grpc.strata-test.svc.cluster.local:50051"
        assert data["AUTH_JWKS_URL"].startswith(
            "http://strata-auth-http.strata-test.svc.cluster.local:8000/"
        )
    for d in by_kind(objects, "Deployment"):
        service = d["spec"]["template"]["metadata"]["labels"]["strata.io/service"]
        assert container(d)["envFrom"] == [{"configMapRef": {"name": f"strata-{service}"}}]


def test_a_config_change_rolls_the_pods():
    before = deployments()["strata-chat-http"]["spec"]["template"]["metadata"]["annotations"]
    after = deployments({"config": {"logLevel": "DEBUG"}})["strata-chat-http"]["spec"]["template"][
        "metadata"
    ]["annotations"]
    assert before["checksum/config"] != after["checksum/config"]
