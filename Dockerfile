# syntax=docker/dockerfile:1
# hoa's images. `docker build --target app .` (the default, last stage) runs `hoa`; the nginx
# and pgbouncer targets carry ops/ for compose.yaml.

# ---- the web app (Vite build into web/dist) ----
FROM node:20-bookworm-slim AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY web/ ./
RUN npm run build

# ---- Python dependencies and the project, into /app/.venv ----
FROM python:3.11-slim-bookworm AS build
RUN pip install --no-cache-dir uv==0.13.9
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --locked --no-dev --no-install-project
COPY alembic.ini ./
COPY migrations ./migrations
COPY src ./src
RUN uv sync --locked --no-dev

# ---- nginx in front (ops/nginx/hoa.conf), with the hashed assets it serves itself ----
FROM nginx:1.27-bookworm AS nginx
COPY ops/nginx/hoa.conf /etc/nginx/conf.d/default.conf
COPY ops/nginx/upstreams.conf ops/nginx/live.conf /etc/nginx/hoa/
COPY ops/nginx/hoactl /usr/local/bin/hoactl
COPY --from=web /src/web/dist /srv/hoa/web/dist

# ---- pgbouncer from Debian (ops/pgbouncer) ----
FROM debian:bookworm-slim AS pgbouncer
RUN apt-get update \
    && apt-get install -y --no-install-recommends pgbouncer=1.18.* \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --user-group --uid 10002 --home-dir /nonexistent bouncer \
    && mkdir -p /var/run/postgresql /var/log/postgresql \
    && chown 10002:10002 /var/run/postgresql /var/log/postgresql /etc/pgbouncer
COPY --chown=10002:10002 ops/pgbouncer/pgbouncer.ini /etc/pgbouncer/pgbouncer.ini
USER 10002:10002
EXPOSE 6432
CMD ["pgbouncer", "/etc/pgbouncer/pgbouncer.ini"]

# ---- the app: `hoa serve` by default; `hoa worker`, `hoa migrate`, `hoa backup` ... ----
FROM python:3.11-slim-bookworm AS app
# pg_dump/pg_restore for `hoa backup`/`hoa restore` (match the server's major version) and age
# for encrypted backups.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client-15=15.* age=1.1.* \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --user-group --uid 10001 --home-dir /app --shell /usr/sbin/nologin hoa
WORKDIR /app
COPY --from=build --chown=10001:10001 /app /app
COPY --from=web --chown=10001:10001 /src/web/dist /app/web/dist
RUN mkdir -p /app/var && chown 10001:10001 /app/var
ENV PATH=/app/.venv/bin:$PATH PYTHONUNBUFFERED=1 HOA_ENV=production HOA_WEB_DIST=/app/web/dist
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=3).status != 200)"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["hoa"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
