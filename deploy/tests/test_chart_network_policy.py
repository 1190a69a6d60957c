"""NetworkPolicies: every pod covered, default deny, and egress limited to what each needs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ALL_ON, EVALUATION, by_kind, pod_templates, render


def selects(policy: dict[str, Any], labels: dict[str, str]) -> bool:
    selector = policy["spec"]["podSelector"]
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expression in selector.get("matchExpressions", []):
        present = expression["key"] in labels
        if expression["operator"] == "Exists" and not present:
            return False
    return True


def policies_for(objects, labels):
    return [p for p in by_kind(objects, "NetworkPolicy") if selects(p, labels)]


def egress_ports(policies) -> set[int]:
    return {
        port["port"]
        for p in policies
        for rule in p["spec"].get("egress", [])
        for port in rule.get("ports", [])
    }


@pytest.mark.parametrize("values", [ALL_ON, EVALUATION], ids=["all-on", "evaluation"])
def test_every_pod_is_covered_for_ingress_and_egress(values):
    objects = render(values)
    templates = list(pod_templates(objects))
    assert templates
    for owner, template in templates:
        labels = template["metadata"]["labels"]
        policies = policies_for(objects, labels)
        own = [p for p in policies if "component" in str(p["spec"]["podSelector"])]
        assert own, f"{owner['kind']}/{owner['metadata']['name']} has no policy of its own"
        types = {t for p in policies for t in p["spec"]["policyTypes"]}
        assert types == {"Ingress", "Egress"}, owner["metadata"]["name"]


@pytest.mark.parametrize("values", [ALL_ON, EVALUATION], ids=["all-on", "evaluation"])
def test_egress_is_never_wide_open(values):
    for policy in by_kind(render(values), "NetworkPolicy"):
        for rule in policy["spec"].get("egress", []):
            assert rule, f"{policy['metadata']['name']}: an empty rule allows all egress"
            assert rule.get("ports"), f"{policy['metadata']['name']}: egress on every port"


def test_default_deny_covers_the_release():
    (deny,) = [
        p
        for p in by_kind(render(ALL_ON), "NetworkPolicy")
        if p["metadata"]["name"].endswith("default-deny")
    ]
    assert set(deny["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny["spec"]
    assert "egress" not in deny["spec"]


def component_policies(values):
    objects = render(values)
    result = {}
    for _owner, template in pod_templates(objects):
        labels = template["metadata"]["labels"]
        result[labels["app.kubernetes.io/component"]] = policies_for(objects, labels)
    return result


def test_each_pod_reaches_only_what_it_needs():
    policies = component_policies(ALL_ON)
    dns, postgres, redis, smtp, http, grpc = 53, 5432, 6379, 587, 8000, 50051
    for component, found in policies.items():
        ports = egress_ports(found)
        if component.endswith("-migrate") or component == "db-bootstrap":
            assert ports == {dns, postgres}, component
        elif component == "worker-beat":
            assert ports == {dns, redis}, component
        elif component == "worker-worker":
            assert ports == {dns, postgres, redis, http, grpc, smtp}, component
        else:
            assert ports == {dns, postgres, redis, http, grpc}, component


def test_external_backends_are_limited_to_the_given_addresses():
    policies = component_policies(ALL_ON)["users-http"]
    rules = [r for p in policies for r in p["spec"].get("egress", [])]
    postgres_rule = next(r for r in rules if r["ports"][0]["port"] == 5432)
    assert postgres_rule["to"] == [{"ipBlock": {"cidr": "10.20.0.0/24"}}]


def test_only_the_gateway_reaches_the_public_servers():
    objects = render(ALL_ON)
    controller = ALL_ON.get("networkPolicy", {}).get("ingressController") or {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}
    }
    for _owner, template in pod_templates(objects):
        component = template["metadata"]["labels"]["app.kubernetes.io/component"]
        sources = [
            peer
            for p in policies_for(objects, template["metadata"]["labels"])
            for rule in p["spec"].get("ingress", [])
            for peer in rule.get("from", [])
        ]
        public = component in {"auth-http", "users-http", "chat-http", "chat-websocket"}
        assert (controller in sources) == public, component


def test_grpc_servers_accept_only_strata_pods_on_the_grpc_port():
    objects = render(ALL_ON)
    for _owner, template in pod_templates(objects):
        if template["metadata"]["labels"].get("strata.io/role") != "grpc":
            continue
        rules = [
            r
            for p in policies_for(objects, template["metadata"]["labels"])
            for r in p["spec"].get("ingress", [])
        ]
        grpc_rules = [r for r in rules if any(port["port"] == 50051 for port in r["ports"])]
        assert len(grpc_rules) == 1
        (peer,) = grpc_rules[0]["from"]
        assert peer["podSelector"]["matchLabels"]["app.kubernetes.io/instance"] == "strata"


def test_evaluation_backends_are_reached_in_the_release():
    policies = component_policies(EVALUATION)["chat-http"]
    rules = [r for p in policies for r in p["spec"].get("egress", [])]
    postgres_rule = next(r for r in rules if r["ports"][0]["port"] == 5432)
    selector = postgres_rule["to"][0]["podSelector"]["matchLabels"]
    assert selector["app.kubernetes.io/component"] == "postgres"


def test_no_policies_unless_enabled():
    assert not by_kind(render(), "NetworkPolicy")
