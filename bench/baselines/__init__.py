"""The baselines each Strata figure is held against, each as small as it can be.

They run under the same server and worker settings as the service they stand for (see
``bench.servers``), against the same Postgres and Redis as the dev stack.
"""
