# syntax=docker/dockerfile:1.7
# One image for the nippo service (default command) and the scheduled
# migration task (ECS overrides the command with `dbtier migrate run`).
# Stage 1 resolves and installs from uv.lock; stage 2 carries only the
# virtual environment and runs as an unprivileged user. No credentials are
# baked in: ECS injects the database secret at run time.

ARG PYTHON_IMAGE=python:3.12-slim-bookworm

FROM ghcr.io/astral-sh/uv:0.13.9 AS uv

FROM ${PYTHON_IMAGE} AS build
COPY --from=uv /uv /usr/local/bin/uv
# mysqlclient (the MySQL/MariaDB driver, docs/performance.md) is built from source
# against MariaDB Connector/C: a compiler, its headers and pkg-config, build stage only.
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev libmariadb-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
# Dependencies first, so a source change does not reinstall them.
COPY pyproject.toml uv.lock README.md ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project
COPY src ./src
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable
# Record what this image's code maps (its Alembic head and every table/column
# of its models): the migration job's lint gate checks pending revisions
# against the code that is running (docs/migrations.md, "Deployed-code
# compatibility").
RUN /app/.venv/bin/dbtier migrate manifest --output /app/dbtier-deployed.json

FROM ${PYTHON_IMAGE} AS runtime
# The runtime stage needs only Connector/C's shared library for mysqlclient.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libmariadb3 \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 dbtier \
 && useradd --system --uid 10001 --gid dbtier --no-create-home --shell /usr/sbin/nologin dbtier
COPY --from=build /app/.venv /app/.venv
COPY --from=build /app/dbtier-deployed.json /app/dbtier-deployed.json
ENV PATH=/app/.venv/bin:$PATH \
    DBTIER_DEPLOYED_MANIFEST=/app/dbtier-deployed.json \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DBTIER_DATA_DIR=/tmp/dbtier
WORKDIR /app
USER 10001:10001
EXPOSE 8000
CMD ["uvicorn", "nippo.app:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000", \
     "--proxy-headers", "--forwarded-allow-ips", "*"]
