#!/usr/bin/env bash
# Stop the BottleCRM server started by run.sh (by the pid in its pid file only).
set -euo pipefail
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SCRIPT_DIR}/../.." && pwd)"
BOTTLECRM_HOME="${BOTTLECRM_HOME:-${REPO_ROOT}/var/bottlecrm}"
PIDFILE="${BOTTLECRM_HOME}/server.pid"

if [[ ! -s "${PIDFILE}" ]]; then
  echo "[bottlecrm] not running (no ${PIDFILE})" >&2
  exit 0
fi
pid="$(cat "${PIDFILE}")"
if ! kill -0 "${pid}" 2>/dev/null; then
  echo "[bottlecrm] pid ${pid} not alive; removing stale pid file" >&2
  rm -f "${PIDFILE}"
  exit 0
fi
kill -TERM "${pid}"
for _ in $(seq 1 40); do
  kill -0 "${pid}" 2>/dev/null || break
  sleep 0.25
done
if kill -0 "${pid}" 2>/dev/null; then
  echo "[bottlecrm] pid ${pid} ignored TERM; sending KILL" >&2
  kill -KILL "${pid}" 2>/dev/null || true
fi
rm -f "${PIDFILE}"
echo "[bottlecrm] stopped (pid ${pid})" >&2
