"""A raw grpcio ``UserDirectory`` that answers ``GetUser`` with a constant user.

Same thread pool size and server options as the services' gRPC servers
(``chassis.grpc.server``), none of their interceptors, no database: the floor under the
users service's ``GetUser``. Run: ``python -m bench.baselines.grpc_echo --port N``.
"""

from __future__ import annotations

import argparse
import signal
import threading
from concurrent import futures

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from chassis.grpc.server import _SERVER_OPTIONS, DEFAULT_MAX_WORKERS
from strata.users.v1 import user_directory_pb2 as pb
from strata.users.v1 import user_directory_pb2_grpc as pb_grpc

_STAMP = Timestamp(seconds=1_767_225_600)


class EchoDirectory(pb_grpc.UserDirectoryServicer):
    def CreateUser(  # noqa: N802 - the RPC name protoc generated
        self, request: pb.CreateUserRequest, context: grpc.ServicerContext
    ) -> pb.User:
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "echo only answers GetUser")

    def BatchGetUsers(  # noqa: N802 - the RPC name protoc generated
        self, request: pb.BatchGetUsersRequest, context: grpc.ServicerContext
    ) -> pb.BatchGetUsersResponse:
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "echo only answers GetUser")

    def GetUser(  # noqa: N802 - the RPC name protoc generated
        self, request: pb.GetUserRequest, context: grpc.ServicerContext
    ) -> pb.User:
        return pb.User(
            id=request.id,
            email="bench@example.com",
            name="Bench User",
            phone="+15550100000",
            role=pb.ROLE_USER,
            is_active=True,
            created_at=_STAMP,
            updated_at=_STAMP,
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=DEFAULT_MAX_WORKERS, thread_name_prefix="grpc"),
        options=_SERVER_OPTIONS,
    )
    pb_grpc.add_UserDirectoryServicer_to_server(EchoDirectory(), server)
    server.add_insecure_port(f"{args.host}:{args.port}")
    server.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.stop(2).wait()


if __name__ == "__main__":
    main()
