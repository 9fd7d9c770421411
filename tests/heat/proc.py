"""Small helpers for the detached service processes of the tests (the
local Heat, Keystone, agents, the upstream chain)."""

import os
import signal
import subprocess


def tail(path, lines=40):
    """The last ``lines`` lines of a log file ('' when there is none)."""
    try:
        with open(path, errors='replace') as handle:
            return ''.join(handle.readlines()[-lines:])
    except OSError:
        return ''


def stop_group(proc, timeout):
    """SIGTERM to the process group of ``proc`` (started with
    start_new_session), at most ``timeout`` seconds of waiting, then
    SIGKILL of the group; returns when ``proc`` is reaped."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()
