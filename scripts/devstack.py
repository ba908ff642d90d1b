"""`make run`'s process manager: honcho, with two changes so that stopping stops everything.

- Grace: honcho sends SIGTERM to each process group, then SIGKILL after 5 seconds. A Celery
  worker's warm shutdown (finish the running task, leave the broker) often takes longer than that
  on a busy laptop, so the worker was killed mid-shutdown with errors in the log. Here the grace is
  PRM_DEV_STOP_GRACE seconds (default 20); the worker normally stops in 2-3.
- SIGHUP (the terminal closed): honcho does not handle it, so it died and left web, worker and
  beat running in their own sessions. Here it stops them like SIGTERM.

Usage (the Makefile `exec`s it, so make's SIGTERM and the terminal's Ctrl-C reach it directly):
    python scripts/devstack.py start -f Procfile.dev --port 8000
"""

from __future__ import annotations

import os
import signal
import sys

import honcho.command
import honcho.manager


def main(argv: list[str]) -> None:
    honcho.manager.KILL_WAIT = float(os.environ.get("PRM_DEV_STOP_GRACE", "20"))
    # Manager.loop() installs its own SIGTERM/SIGINT handlers; SIGHUP is turned into SIGTERM.
    signal.signal(signal.SIGHUP, lambda signum, frame: os.kill(os.getpid(), signal.SIGTERM))
    honcho.command.main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
