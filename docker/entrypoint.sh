#!/bin/sh
# The one entrypoint of every Strata image: `strata-entrypoint ROLE [EXTRA ARGS...]`.
#
#   http       the REST API under WSGI (granian) on $HTTP_PORT (8000)
#   websocket  chat's WebSockets under ASGI (uvicorn) on $WS_PORT (8001)
#   grpc       the gRPC server on $GRPC_PORT (50051), metrics on $GRPC_METRICS_PORT (9100)
#   worker     a Celery worker on the service's queue, metrics on $CELERY_METRICS_PORT (9100)
#   beat       the platform's Celery beat (worker image only, exactly one per platform)
#   migrate    migrate the service's own schema, then exit
#   manage     any other management command: `strata-entrypoint manage rotate_encryption_key`
#
# Extra arguments go to the server command. The image sets STRATA_SERVICE.
set -eu

die() {
    echo "strata-entrypoint: $*" >&2
    exit 64
}

service="${STRATA_SERVICE:-}"
[ -n "$service" ] || die "STRATA_SERVICE is not set (each Strata image sets it)"
package="${service}_service"
role="${1:-http}"
[ "$#" -eq 0 ] || shift

# A restarted container keeps its emptyDir: metric files of the dead processes would be
# summed into the new ones, so the directory starts empty on every start.
fresh_metrics_dir() {
    if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
        mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
        find "$PROMETHEUS_MULTIPROC_DIR" -mindepth 1 -delete
    fi
}

case "$role" in
    http)
        fresh_metrics_dir
        exec granian --interface wsgi --host 0.0.0.0 --port "${HTTP_PORT:-8000}" \
            --workers "${HTTP_WORKERS:-2}" --blocking-threads "${HTTP_BLOCKING_THREADS:-4}" \
            --respawn-failed-workers --no-access-log "$@" "${package}.wsgi:application"
        ;;
    websocket)
        [ "$service" = chat ] || die "the websocket role belongs to chat, not $service"
        fresh_metrics_dir
        # No access log: a WebSocket URL may carry ?token=<access token>.
        exec uvicorn "${package}.asgi:application" --host 0.0.0.0 --port "${WS_PORT:-8001}" \
            --no-access-log --timeout-graceful-shutdown "${WS_SHUTDOWN_TIMEOUT:-20}" "$@"
        ;;
    grpc)
        case "$service" in
            auth | users) ;;
            *) die "$service has no gRPC server" ;;
        esac
        fresh_metrics_dir
        exec python manage.py grpcserver --host 0.0.0.0 --port "${GRPC_PORT:-50051}" \
            --metrics-port "${GRPC_METRICS_PORT:-9100}" "$@"
        ;;
    worker)
        fresh_metrics_dir
        CELERY_METRICS_PORT="${CELERY_METRICS_PORT:-9100}"
        export CELERY_METRICS_PORT
        exec celery -A "$package" worker --queues "$service" \
            --concurrency "${CELERY_CONCURRENCY:-2}" --hostname "${service}@%h" \
            --without-mingle --without-gossip --loglevel "${LOG_LEVEL:-INFO}" "$@"
        ;;
    beat)
        [ "$service" = worker ] || die "beat runs from the worker image only"
        exec celery -A "$package" beat --schedule "${CELERY_BEAT_SCHEDULE:-/tmp/celerybeat-schedule}" \
            --loglevel "${LOG_LEVEL:-INFO}" "$@"
        ;;
    migrate)
        exec python manage.py migrate --noinput "$@"
        ;;
    manage)
        exec python manage.py "$@"
        ;;
    *)
        die "unknown role '$role' (http, websocket, grpc, worker, beat, migrate, manage)"
        ;;
esac
