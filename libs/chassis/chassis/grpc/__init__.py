"""gRPC for Strata services: the server bootstrap, its interceptors and the client factory.

``chassis.grpc.server`` builds and runs a server with the health service, reflection in
debug, and interceptors for the internal service credential, request ids, metrics and
Django database connections. ``chassis.grpc.client`` hands out one cached channel per
target with deadlines, retries on UNAVAILABLE and request-id propagation.
"""
