# syntax=docker/dockerfile:1.7
#
# Strata's service images: one target per service, built from the repository root.
#
#   docker build --target auth   -t strata-auth .
#   docker build --target users  -t strata-users .
#   docker build --target chat   -t strata-chat .
#   docker build --target worker -t strata-worker .
#
# Dependencies come from uv.lock alone (uv sync --frozen) and an image holds its service's
# runtime dependencies only. The dependency layers are built from the lock file and the
# pyproject files before any source is copied, so a code change rebuilds one thin layer.
# The images run as UID 10001, read nothing from the network at run time and write
# nowhere but /tmp (and the Prometheus directory, /tmp/prometheus unless told otherwise).

ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.9

FROM ${UV_IMAGE} AS uv

# ---------------------------------------------------------------- build: the virtualenvs
FROM ${PYTHON_IMAGE} AS build-base
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
# uv reads the whole workspace, so every member's pyproject.toml comes along; no source yet.
COPY uv.lock pyproject.toml ./
COPY devstack/pyproject.toml devstack/
COPY libs/chassis/pyproject.toml libs/chassis/
COPY libs/contracts/pyproject.toml libs/contracts/
COPY services/auth/pyproject.toml services/auth/
COPY services/users/pyproject.toml services/users/
COPY services/chat/pyproject.toml services/chat/
COPY services/worker/pyproject.toml services/worker/

FROM build-base AS build-auth
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-workspace --package strata-auth
COPY libs/ libs/
COPY services/auth/ services/auth/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --package strata-auth

FROM build-base AS build-users
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-workspace --package strata-users
COPY libs/ libs/
COPY services/users/ services/users/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --package strata-users

FROM build-base AS build-chat
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-workspace --package strata-chat
COPY libs/ libs/
COPY services/chat/ services/chat/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --package strata-chat

FROM build-base AS build-worker
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-workspace --package strata-worker
COPY libs/ libs/
COPY services/worker/ services/worker/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --package strata-worker

# ------------------------------------------------------------- runtime: what every image has
FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 strata \
    && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
       --shell /usr/sbin/nologin strata
# Bytecode is compiled at build time; a read-only root file system must not be written to.
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    STRATA_ENV=production \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus
COPY --chmod=0755 docker/entrypoint.sh /usr/local/bin/strata-entrypoint
COPY --chmod=0755 docker/healthcheck.py /usr/local/bin/strata-healthcheck
ENTRYPOINT ["strata-entrypoint"]
CMD ["http"]

# ------------------------------------------------ one target per service (files owned by root)
FROM runtime AS auth
ENV STRATA_SERVICE=auth
WORKDIR /app/services/auth
COPY --from=build-auth /app/.venv /app/.venv
COPY services/auth/manage.py ./
EXPOSE 8000 50051 9100
USER 10001:10001

FROM runtime AS users
ENV STRATA_SERVICE=users
WORKDIR /app/services/users
COPY --from=build-users /app/.venv /app/.venv
COPY services/users/manage.py ./
EXPOSE 8000 50051 9100
USER 10001:10001

FROM runtime AS chat
ENV STRATA_SERVICE=chat
WORKDIR /app/services/chat
COPY --from=build-chat /app/.venv /app/.venv
COPY services/chat/manage.py ./
EXPOSE 8000 8001 9100
USER 10001:10001

FROM runtime AS worker
ENV STRATA_SERVICE=worker
WORKDIR /app/services/worker
COPY --from=build-worker /app/.venv /app/.venv
COPY services/worker/manage.py ./
EXPOSE 8000 9100
USER 10001:10001
