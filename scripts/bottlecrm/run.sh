#!/usr/bin/env bash
# Run a real BottleCRM (PyPI `django-crm`) server on loopback for integration
# tests. Idempotent: a second run reuses the venv, database, credentials and an
# already-running server.
#
#   scripts/bottlecrm/run.sh     # install + migrate + seed + start, exits 0 once it answers
#   scripts/bottlecrm/stop.sh    # stop it
#
# Environment (all optional):
#   BOTTLECRM_HOME    state dir (venv, .env, manage.py, logs, pid, credentials.json)
#                     default: <repo>/var/bottlecrm
#   BOTTLECRM_PYTHON  python >= 3.12 used to create the venv
#                     default: /root/.pyenv/versions/3.12.1/bin/python3.12, else python3.12 on PATH
#   BOTTLECRM_PORT    default 8765 (bound on 127.0.0.1 only)
#   BOTTLECRM_DB      Postgres database name, default bottlecrm
#   BOTTLECRM_DBHOST / BOTTLECRM_DBPORT / BOTTLECRM_DBUSER / BOTTLECRM_DBPASSWORD
#                     default 127.0.0.1 / 5432 / postgres / "" (trust auth)
#   BOTTLECRM_CELERY_BROKER  default memory:// (no worker is run; queued tasks
#                     such as "assigned to you" emails and webhook sends are dropped)
#   BOTTLECRM_WORKERS gunicorn workers, default 2
#   BOTTLECRM_LOCK_WAIT seconds to wait for another run.sh of the same home, default 600
#
# Output: ${BOTTLECRM_HOME}/credentials.json (also printed).
set -euo pipefail

DJANGO_CRM_VERSION="1.35.0"

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SCRIPT_DIR}/../.." && pwd)"
export BOTTLECRM_HOME="${BOTTLECRM_HOME:-${REPO_ROOT}/var/bottlecrm}"
export BOTTLECRM_PORT="${BOTTLECRM_PORT:-8765}"
BOTTLECRM_DB="${BOTTLECRM_DB:-bottlecrm}"
DBHOST="${BOTTLECRM_DBHOST:-127.0.0.1}"
DBPORT="${BOTTLECRM_DBPORT:-5432}"
DBUSER="${BOTTLECRM_DBUSER:-postgres}"
DBPASSWORD="${BOTTLECRM_DBPASSWORD:-}"
BROKER="${BOTTLECRM_CELERY_BROKER:-memory://}"
WORKERS="${BOTTLECRM_WORKERS:-2}"

log() { echo "[bottlecrm] $*" >&2; }

mkdir -p "${BOTTLECRM_HOME}"
# One run at a time (CI starts it early in the background; the test suite calls it again and
# waits here until the first has finished).
# The server started below must not inherit fd 9, or it would hold the lock for its whole life.
exec 9>"${BOTTLECRM_HOME}/.run.lock"
if ! flock -w "${BOTTLECRM_LOCK_WAIT:-600}" 9; then
  log "another run.sh still holds ${BOTTLECRM_HOME}/.run.lock after ${BOTTLECRM_LOCK_WAIT:-600} s"
  exit 1
fi
VENV="${BOTTLECRM_HOME}/venv"
PY="${VENV}/bin/python"
PIDFILE="${BOTTLECRM_HOME}/server.pid"
BASE_URL="http://127.0.0.1:${BOTTLECRM_PORT}"

# --- 1. venv + pinned django-crm -------------------------------------------
pick_python() {
  if [[ -n "${BOTTLECRM_PYTHON:-}" ]]; then echo "${BOTTLECRM_PYTHON}"; return; fi
  if [[ -x /root/.pyenv/versions/3.12.1/bin/python3.12 ]]; then
    echo /root/.pyenv/versions/3.12.1/bin/python3.12; return
  fi
  command -v python3.12 || { log "no python3.12 found; set BOTTLECRM_PYTHON"; exit 1; }
}

if [[ ! -x "${PY}" ]]; then
  BASE_PY="$(pick_python)"
  log "creating venv with ${BASE_PY}"
  "${BASE_PY}" -m venv "${VENV}"
fi
if ! "${PY}" -c "import importlib.metadata as m, sys; sys.exit(m.version('django-crm') != '${DJANGO_CRM_VERSION}')" 2>/dev/null; then
  log "installing django-crm==${DJANGO_CRM_VERSION} (takes ~30-60 s)"
  t0=$SECONDS
  "${PY}" -m pip install -q --disable-pip-version-check "django-crm==${DJANGO_CRM_VERSION}" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
  log "installed in $((SECONDS - t0)) s"
fi

# --- 2. settings: .env (found by crm/settings.py's load_dotenv walking up
#        from site-packages/crm/, i.e. this file is found first because the
#        venv lives inside BOTTLECRM_HOME) + the same values exported here ----
if [[ ! -s "${BOTTLECRM_HOME}/secret_key" ]]; then
  "${PY}" -c "import secrets; print(secrets.token_urlsafe(48))" > "${BOTTLECRM_HOME}/secret_key"
  chmod 600 "${BOTTLECRM_HOME}/secret_key"
fi
cat > "${BOTTLECRM_HOME}/.env" <<EOF
SECRET_KEY=$(cat "${BOTTLECRM_HOME}/secret_key")
ENV_TYPE=dev
DEBUG=True
ALLOWED_HOSTS=localhost,127.0.0.1
DBNAME=${BOTTLECRM_DB}
DBUSER=${DBUSER}
DBPASSWORD=${DBPASSWORD}
DBHOST=${DBHOST}
DBPORT=${DBPORT}
CELERY_BROKER_URL=${BROKER}
CELERY_RESULT_BACKEND=cache+memory://
EMAIL_BACKEND=django.core.mail.backends.console.EmailBackend
DEFAULT_FROM_EMAIL=noreply@bottlecrm.local
ADMIN_EMAIL=admin@bottlecrm.local
FRONTEND_URL=http://127.0.0.1:5181
DOMAIN_NAME=${BASE_URL}
CORS_ALLOWED_ORIGINS=http://127.0.0.1:5181
EOF
set -a
# shellcheck disable=SC1091
source "${BOTTLECRM_HOME}/.env"
set +a
export DJANGO_SETTINGS_MODULE=crm.settings
# settings.LOGGING writes server.log / security_audit.log relative to the CWD.
cd "${BOTTLECRM_HOME}"

cat > "${BOTTLECRM_HOME}/manage.py" <<EOF
#!${PY}
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
from django.core.management import execute_from_command_line
execute_from_command_line(sys.argv)
EOF
chmod +x "${BOTTLECRM_HOME}/manage.py"

# --- 3. already running? ----------------------------------------------------
answers() { curl -fsS -o /dev/null --max-time 3 "${BASE_URL}/healthz/" 2>/dev/null; }
if [[ -s "${PIDFILE}" ]] && kill -0 "$(cat "${PIDFILE}")" 2>/dev/null && answers; then
  log "already running (pid $(cat "${PIDFILE}")) at ${BASE_URL}"
  "${PY}" "${SCRIPT_DIR}/seed.py" >/dev/null
  cat "${BOTTLECRM_HOME}/credentials.json"
  exit 0
fi

# --- 4. database -------------------------------------------------------------
export PGPASSWORD="${DBPASSWORD}"
if ! psql -h "${DBHOST}" -p "${DBPORT}" -U "${DBUSER}" -d postgres -tAc \
     "SELECT 1 FROM pg_database WHERE datname='${BOTTLECRM_DB}'" | grep -q 1; then
  log "creating database ${BOTTLECRM_DB}"
  createdb -h "${DBHOST}" -p "${DBPORT}" -U "${DBUSER}" "${BOTTLECRM_DB}"
fi

t0=$SECONDS
# First run on an empty database: ~2-3 min (250+ migrations, plus RLS
# policy stamping that prints a lot; kept in migrate.log).
if ! "${PY}" manage.py migrate --noinput >"${BOTTLECRM_HOME}/migrate.log" 2>&1; then
  tail -n 40 "${BOTTLECRM_HOME}/migrate.log" >&2
  exit 1
fi
log "migrate done in $((SECONDS - t0)) s (log: ${BOTTLECRM_HOME}/migrate.log)"

# --- 5. seed admin user + org + API credentials -----------------------------
"${PY}" "${SCRIPT_DIR}/seed.py" >/dev/null
log "seeded; credentials in ${BOTTLECRM_HOME}/credentials.json"

# --- 6. start ----------------------------------------------------------------
if [[ -s "${PIDFILE}" ]] && kill -0 "$(cat "${PIDFILE}")" 2>/dev/null; then
  log "stale server (pid $(cat "${PIDFILE}")) not answering; stopping it"
  "${SCRIPT_DIR}/stop.sh" || true
fi
if answers; then
  log "another server already answers on ${BASE_URL} (not this BOTTLECRM_HOME's): stop it or set BOTTLECRM_PORT"
  exit 1
fi
t0=$SECONDS
log "starting gunicorn on ${BASE_URL}"
nohup "${VENV}/bin/gunicorn" crm.wsgi:application \
  --bind "127.0.0.1:${BOTTLECRM_PORT}" --workers "${WORKERS}" --timeout 60 \
  --no-control-socket \
  --pid "${PIDFILE}" --access-logfile "${BOTTLECRM_HOME}/access.log" \
  --error-logfile "${BOTTLECRM_HOME}/gunicorn.log" \
  >>"${BOTTLECRM_HOME}/gunicorn.log" 2>&1 < /dev/null 9>&- &
for _ in $(seq 1 120); do
  if answers; then
    log "up in $((SECONDS - t0)) s: ${BASE_URL} (pid $(cat "${PIDFILE}"))"
    cat "${BOTTLECRM_HOME}/credentials.json"
    exit 0
  fi
  sleep 0.5
done
log "server did not answer within 60 s; see ${BOTTLECRM_HOME}/gunicorn.log"
tail -n 40 "${BOTTLECRM_HOME}/gunicorn.log" >&2 || true
exit 1
