# One image for every process type: web (the default CMD), worker and beat (override the command,
# see docker-compose.yml and Procfile). Production settings; configuration comes from the
# environment (docs/operations.md).

# --- Front-end packages: pinned by package-lock.json, copied into static/vendor -----------------
FROM python:3.11-slim-bookworm AS frontend
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY scripts/ scripts/
RUN npm run build

# --- Runtime ------------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=prm.settings.production \
    PRM_DATA_DIR=/app/var \
    PORT=8000

# Pango/HarfBuzz for WeasyPrint PDFs (libharfbuzz-subset0 avoids its font-subsetting warning).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first so code changes reuse this layer: exactly the runtime lock (every package
# pinned with its hashes by `make lock`; no dev tools). The code itself runs from /app.
COPY requirements/main.txt requirements/main.txt
RUN pip install --require-hashes --no-deps -r requirements/main.txt

COPY . .
COPY --from=frontend /app/static/vendor/ static/vendor/

# Settings need these to import; collectstatic touches neither the database nor Redis.
RUN SECRET_KEY=build-only-not-secret \
    ALLOWED_HOSTS=localhost \
    DATABASE_URL=postgres://build:build@localhost:5432/build \
    REDIS_URL=redis://localhost:6379/0 \
    EMAIL_URL=consolemail:// \
    PRM_BASE_DOMAIN=build.invalid \
    python manage.py collectstatic --noinput -v0

# Non-root. /app/var holds the beat schedule (and anything else settings keep under PRM_DATA_DIR).
RUN useradd --create-home --home-dir /home/prm --uid 10001 --user-group prm \
    && mkdir -p /app/var \
    && chown -R prm:prm /app/var
USER prm

EXPOSE 8000
# exec: gunicorn gets SIGTERM directly and shuts down gracefully. Workers: WEB_CONCURRENCY (read
# by gunicorn itself), default 3 here.
CMD ["sh", "-c", "exec gunicorn prm.wsgi --bind 0.0.0.0:${PORT} --workers ${WEB_CONCURRENCY:-3} --access-logfile - --timeout 30 --worker-tmp-dir /dev/shm"]
