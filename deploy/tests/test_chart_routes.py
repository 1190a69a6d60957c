"""The Ingress and HTTPRoute route exactly what the dev gateway routes (CONTRACT section 0)."""

from __future__ import annotations

from devstack.gateway import ROUTES
from tests.conftest import ALL_ON, by_kind, named, render

# The dev gateway's upstream names -> the chart's component Services.
UPSTREAM_TO_SERVICE = {
    "auth": "strata-auth-http",
    "users": "strata-users-http",
    "chat": "strata-chat-http",
    "chat-ws": "strata-chat-websocket",
}
EXPECTED = {route.prefix: UPSTREAM_TO_SERVICE[route.upstream] for route in ROUTES}
NEVER_ROUTED = ("/metrics", "/healthz", "/readyz", "/admin")


def ingress_routes(objects):
    routes = {}
    for ingress in by_kind(objects, "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                assert path["pathType"] == "Prefix"
                backend = path["backend"]["service"]
                routes[path["path"]] = (backend["name"], backend["port"]["number"], ingress)
    return routes


def test_ingress_routes_are_the_dev_gateway_routes():
    routes = ingress_routes(render(ALL_ON))
    assert {path: name for path, (name, _, _) in routes.items()} == EXPECTED


def test_ingress_backends_are_rendered_services_and_ports():
    objects = render(ALL_ON)
    for path, (name, port, _) in ingress_routes(objects).items():
        service = named(objects, "Service", name)
        assert port in {p["port"] for p in service["spec"]["ports"]}, path


def test_only_the_websocket_route_gets_long_timeouts():
    routes = ingress_routes(render(ALL_ON))
    for path, (_, _, ingress) in routes.items():
        annotations = ingress["metadata"].get("annotations", {})
        timeout = annotations.get("nginx.ingress.kubernetes.io/proxy-read-timeout")
        if path == "/ws/chat":
            assert int(timeout) >= 3600
        else:
            assert timeout is None, path


def test_ingress_class_hosts_tls_and_annotations_are_configurable():
    values = {
        **ALL_ON,
        "ingress": {**ALL_ON["ingress"], "annotations": {"example.com/team": "platform"}},
    }
    for ingress in by_kind(render(values), "Ingress"):
        assert ingress["spec"]["ingressClassName"] == "nginx"
        assert [r["host"] for r in ingress["spec"]["rules"]] == ["api.example.com"]
        assert ingress["spec"]["tls"] == [
            {"secretName": "strata-tls", "hosts": ["api.example.com"]}
        ]
        assert ingress["metadata"]["annotations"]["example.com/team"] == "platform"


def test_nothing_operational_is_routed():
    routes = ingress_routes(render(ALL_ON))
    for path in routes:
        assert not path.startswith(NEVER_ROUTED), path
    http_route = named(render(ALL_ON), "HTTPRoute", "strata")
    for rule in http_route["spec"]["rules"]:
        for match in rule["matches"]:
            assert not match["path"]["value"].startswith(NEVER_ROUTED)


def test_http_route_routes_like_the_dev_gateway():
    objects = render(ALL_ON)
    route = named(objects, "HTTPRoute", "strata")
    assert route["apiVersion"] == "gateway.networking.k8s.io/v1"
    assert route["spec"]["parentRefs"] == ALL_ON["httpRoute"]["parentRefs"]
    assert route["spec"]["hostnames"] == ["api.example.com"]
    found = {}
    for rule in route["spec"]["rules"]:
        (backend,) = rule["backendRefs"]
        service = named(objects, "Service", backend["name"])
        assert backend["port"] in {p["port"] for p in service["spec"]["ports"]}
        for match in rule["matches"]:
            assert match["path"]["type"] == "PathPrefix"
            found[match["path"]["value"]] = (backend["name"], rule)
    assert {path: name for path, (name, _) in found.items()} == EXPECTED
    _, websocket_rule = found["/ws/chat"]
    assert websocket_rule["timeouts"]["request"] == "0s"
    assert all("timeouts" not in rule for path, (_, rule) in found.items() if path != "/ws/chat")
    assert len(route["spec"]["rules"]) <= 16  # the Gateway API's limit


def test_routes_are_off_by_default():
    objects = render()
    assert not by_kind(objects, "Ingress")
    assert not by_kind(objects, "HTTPRoute")
