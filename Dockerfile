# AVA's image: one image for every role (web, worker, migrations), run by the scripts docs/deploy.md describes.
# The frontend is compiled and built here, once: every web process of every container serves this one build.
#
#   docker build --build-arg AVA_PUBLIC_URL=https://ava.example.com -t ava .
#
# AVA_PUBLIC_URL is where browsers reach AVA; the build points the page's websocket there. Behind https any host
# works with the default (the page then uses its own host), so one image can serve staging and production.

# Build stage: Node for the frontend build, Debian's Python 3.11 for AVA (the runtime stage has the same Python at
# the same path, so the virtualenv moves across unchanged).
FROM node:22-bookworm-slim AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv unzip \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY requirements.txt ./
RUN python3 -m venv .venv && .venv/bin/pip install -r requirements.txt
# Reflex builds with bun; the version scripts/env.sh installs.
RUN npm install --silent --no-fund --no-audit --prefix .tools bun@1.4.5
COPY . .
ARG AVA_PUBLIC_URL=https://localhost
# Compiling imports the app, which reads AVA's settings: a throwaway dev configuration (no secret of the deployment
# is needed, none ends up in the image).
RUN AVA_ENV=dev AVA_DATA_DIR=/tmp/build-data AVA_PUBLIC_URL="$AVA_PUBLIC_URL" scripts/serve-web build \
    && rm -rf .web/node_modules .tools /tmp/build-data

# Runtime stage: no Node, no bun, no compiler; code owned by root and read-only to AVA's user.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 ca-certificates tini \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin ava \
    && mkdir -p /data && chown ava:ava /data && chmod 0700 /data
WORKDIR /app
COPY --from=build /app /app
ENV PATH=/app/.venv/bin:$PATH \
    AVA_DATA_DIR=/data \
    PYTHONUNBUFFERED=1
USER ava
EXPOSE 3000
# tini passes SIGTERM to the script and reaps its children; both scripts stop gracefully on SIGTERM.
ENTRYPOINT ["tini", "--"]
CMD ["scripts/serve-web", "--host", "0.0.0.0", "3000"]
