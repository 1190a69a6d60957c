from chassis.testing.ops_suite import OpsEndpointsSuite


class TestOps(OpsEndpointsSuite):
    service = "users"
