"""`advisor serve`'s watch over its worker: a worker that dies is started again, with backoff.

The supervisor is a thread in the serve process. It starts ``python -m service.worker``, waits for it
to answer, and when it exits (a crash, the OOM killer, ``kill -9``) logs one line with the exit code and
starts it again after a delay that doubles up to ADVISOR_WORKER_RESTART_MAX_SECONDS; a worker that stayed
up ADVISOR_WORKER_HEALTHY_SECONDS resets the delay. What it knows is published in ``supervisor.json`` in
the data dir (state, restarts, last exit code), where every API process on that dir reads it for /readyz.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from service.config import Settings
from service.worker.client import SupervisorState, supervisor_file, worker_answers

log = logging.getLogger("service.supervisor")
FIRST_DELAY_SECONDS = 1.0
POLL_SECONDS = 0.25
STOP_SECONDS = 20.0


@dataclass
class Backoff:
    """1, 2, 4 ... seconds up to ``cap``; back to the first delay once a worker stayed up ``healthy_after`` seconds."""

    cap: float
    healthy_after: float
    first: float = FIRST_DELAY_SECONDS
    current: float = 0.0

    def next_delay(self, uptime: float) -> float:
        if uptime >= self.healthy_after or self.current == 0.0:
            self.current = self.first
        else:
            self.current = min(self.current * 2, self.cap)
        return min(self.current, self.cap)


def describe_exit(code: int) -> str:
    """``-9`` reads as "code -9 (SIGKILL)": the signal is what an operator looks for."""
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"code {code} ({signal.Signals(-code).name})"
    return f"code {code}"


class Supervisor:
    """Runs the worker command until ``stop()``, restarting it when it exits."""

    def __init__(self, settings: Settings, command: Sequence[str] | None = None) -> None:
        self.settings = settings
        self.command = list(command or [sys.executable, "-m", "service.worker"])
        self.backoff = Backoff(cap=settings.worker_restart_max_seconds, healthy_after=settings.worker_healthy_seconds)
        self.restarts = 0
        self.last_exit: int | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="worker-supervisor", daemon=True)

    def start(self) -> None:
        self._publish("starting")
        self._thread.start()

    def stop(self) -> None:
        """Stop watching, then end the worker (SIGTERM, SIGKILL after STOP_SECONDS)."""
        self._stopping.set()
        self._thread.join(timeout=STOP_SECONDS + 5)
        with contextlib.suppress(FileNotFoundError):
            supervisor_file(self.settings.data_dir).unlink()

    # -- the watching thread (it starts every child: PR_SET_PDEATHSIG follows the thread that forked) --------------
    def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                started = time.monotonic()
                self.process = subprocess.Popen(self.command, preexec_fn=_die_with_parent)
                code = self._watch(self.process)
                if code is None:  # stopping
                    break
                uptime = time.monotonic() - started
                delay = self.backoff.next_delay(uptime)
                self.restarts += 1
                self.last_exit = code
                self._publish("restarting")
                log.warning(
                    "the worker (pid %s) exited with %s after %.0f s; restarting it in %.0f s (restart %d)",
                    self.process.pid,
                    describe_exit(code),
                    uptime,
                    delay,
                    self.restarts,
                )
                self._stopping.wait(delay)
        finally:
            self._end_child()

    def _watch(self, process: subprocess.Popen[bytes]) -> int | None:
        """Wait for the child to exit (its code) or for stop() (None); publish "ok" once it answers."""
        answered = False
        while not self._stopping.is_set():
            code = process.poll()
            if code is not None:
                return code
            if not answered and worker_answers(self.settings):
                answered = True
                self._publish("ok")
                if self.restarts:
                    log.info("the worker is back (pid %s) after %d restart(s)", process.pid, self.restarts)
            self._stopping.wait(POLL_SECONDS)
        return None

    def _end_child(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_SECONDS)

    def _publish(self, state: str) -> None:
        status = SupervisorState(
            pid=os.getpid(),
            state=state,
            restarts=self.restarts,
            last_exit=self.last_exit,
            worker_pid=None if self.process is None else self.process.pid,
        )
        target = supervisor_file(self.settings.data_dir)
        partial = target.with_suffix(".partial")
        self.settings.ensure_dirs()
        partial.write_text(json.dumps(status.__dict__), encoding="utf-8")
        os.replace(partial, target)


def _die_with_parent() -> None:
    """Linux: the worker gets SIGTERM if its supervising thread dies, even by SIGKILL (no orphaned store owner)."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
