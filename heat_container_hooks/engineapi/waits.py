"""The waits that decide success on the engine: running, healthy (with the
hook's own probe of a check still starting), a one-shot's exit, an exec's
end, and the last check of the started containers (settle)."""

import threading
import time

from oslo_log import log as logging

from heat_container_hooks.engineapi import observe
from heat_container_hooks.engineapi import transport
from heat_container_hooks import errors
from heat_container_hooks import interrupt

LOG = logging.getLogger(__name__)


LOG_TAIL_LINES = 20


def logs_tail(api, ident, lines=LOG_TAIL_LINES):
    try:
        data = api.logs(ident, stdout=True, stderr=True, tail=lines)
    except transport.engine_errors():
        return ''
    return data.decode('utf-8', 'replace').strip()


def _health_log(info):
    entries = ((info.get('State') or {}).get('Health') or {}).get('Log') or []
    if not entries:
        return ''
    return (entries[-1].get('Output') or '').strip()[-500:]


class ContainerFailed(errors.HookError):
    def __init__(self, message, exit_code=None):
        super().__init__(message)
        self.exit_code = exit_code


def wait_ready(api, ident, name, start_timeout, healthy_timeout,
               probe_period=0, finished_codes=()):
    """Wait until the container runs, and is healthy when it has a
    healthcheck in force (its own or its image's, per the engine's inspect
    data; a ``NONE`` test means none), or, for a container that may finish
    (a detached one without a restart policy), has exited with one of
    ``finished_codes``. Returns (state, health). Raises ContainerFailed if
    it exits otherwise, turns unhealthy, or the timeout (``start_timeout``,
    or ``healthy_timeout`` with a healthcheck; seconds) passes.

    While the engine's health is still "starting", the container's own
    check is also run through exec every ``probe_period`` seconds
    (healthprobe.HealthProbe; 0: never): once a run passes, the container
    is ready and its health is returned as ``passed``."""
    with interrupt.step('waiting for container %s to be ready' % name):
        return _wait_ready(api, ident, name, start_timeout, healthy_timeout,
                           probe_period, finished_codes)


def _wait_ready(api, ident, name, start_timeout, healthy_timeout,
                probe_period, finished_codes):
    from heat_container_hooks import healthprobe
    started = time.monotonic()
    delay = 0.05
    probe = checker = None
    while True:
        interrupt.check()
        info = api.inspect_container(ident)
        status, health, exit_code = observe.state_of(info)
        healthy = healthprobe.healthcheck_of(info) is not None
        deadline = started + (healthy_timeout if healthy else start_timeout)
        if status == 'exited' and exit_code in finished_codes:
            return status, health
        if status in ('exited', 'dead'):
            raise ContainerFailed(
                'container %s exited with code %s while starting%s'
                % (name, exit_code, _logs_suffix(api, ident)), exit_code)
        if status == 'running':
            if not healthy or health == 'healthy':
                return status, health
            if health == 'unhealthy':
                raise ContainerFailed(
                    'container %s is unhealthy: %s' % (name,
                                                       _health_log(info)))
            if probe is None:
                probe = healthprobe.HealthProbe(api, ident, info,
                                                probe_period)
                # podman's checks are run by the hook (its timers need
                # systemd): on the check's interval, recorded by podman.
                checker = healthprobe.engine_check(api, ident, info)
            if checker is not None:
                checker.poll()
            if probe.poll():
                LOG.info('container %s: its healthcheck passed (run by '
                         'the hook; the engine still says %s)', name,
                         health or 'nothing')
                return status, healthprobe.PASSED
        if time.monotonic() >= deadline:
            what = 'healthy' if healthy else 'running'
            detail = ((probe.last_output if probe else '')
                      or _health_log(info)) if healthy else ''
            raise ContainerFailed(
                'container %s did not become %s within %gs (state %s%s)%s '
                '(fix: check the container, or raise %s_timeout)'
                % (name, what, deadline - started, status,
                   ', health ' + health if health else '',
                   ': ' + detail if detail else '',
                   'healthy' if healthy else 'start'))
        if probe is not None:
            probe.wait(delay)
        else:
            time.sleep(delay)
        delay = min(delay * 1.5, 0.5)


def exec_exit_code(api, exec_id, patience=10.0):
    """The exit code of a finished exec (int; None if the engine still
    reports it running after ``patience`` seconds). The engine can end an
    exec's output stream a moment before it records the exit code (seen
    under load), so this polls ``exec_inspect`` until Running is false."""
    deadline = time.monotonic() + patience
    delay = 0.02
    while True:
        info = api.exec_inspect(exec_id)
        if not info.get('Running') or time.monotonic() >= deadline:
            return info.get('ExitCode')
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


def run_exec(api, ident, command, timeout, user='', privileged=False,
             environment=None):
    """Run ``command`` (argv list) in the running container ``ident``, as
    ``docker exec`` does; returns (stdout, stderr, exit code), or None when
    it is still running after ``timeout`` seconds (it is left running: it
    runs in its own daemon thread, which the run does not wait for).
    Raises engine errors."""
    created = api.exec_create(ident, list(command), user=user or '',
                              privileged=privileged, environment=environment)
    done = {}

    def run():
        try:
            done['output'] = api.exec_start(created['Id'], demux=True)
        except Exception as exc:    # raised below, in the caller's thread
            done['error'] = exc
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout)
    if 'error' in done:
        raise done['error']
    if worker.is_alive():
        return None
    out, err = done['output']
    return ((out or b'').decode('utf-8', 'replace'),
            (err or b'').decode('utf-8', 'replace'),
            exec_exit_code(api, created['Id']))


def wait_exit(api, ident, name, timeout):
    """Wait for a one-shot container to exit; returns its exit code."""
    import requests.exceptions
    try:
        with interrupt.step('waiting for one-shot container %s to exit'
                            % name):
            result = api.wait(ident, timeout=timeout)
    except requests.exceptions.ConnectionError as exc:
        if 'timed out' in str(exc).lower():
            raise ContainerFailed(
                'container %s was still running after %gs (fix: check the '
                'command, or raise oneshot_timeout)' % (name, timeout))
        raise
    except requests.exceptions.ReadTimeout:
        raise ContainerFailed(
            'container %s was still running after %gs (fix: check the '
            'command, or raise oneshot_timeout)' % (name, timeout))
    return result.get('StatusCode')


def settle(api, items, settle_time, finished_codes=None):
    """Check the started long-running containers (ContainerResults) once
    more, just before the run replies: each must still be up (running, or
    restarting under its restart policy), or, for one that may finish
    (``finished_codes``: {container id: accepted exit codes}), have exited
    with an accepted code. ``settle_time`` > 0 first gives them that many
    seconds in which to fail. One list query for all of them; logs are
    read only for those that failed."""
    items = list(items)
    if not items:
        return items
    LOG.debug('settling %d started containers (%s) for %gs', len(items),
              ', '.join(item.name for item in items), settle_time)
    if settle_time > 0:
        time.sleep(settle_time)
    found = {c['Id']: c for c in api.containers(
        all=True, filters={'id': [item.id for item in items]})}
    for item in items:
        listed = found.get(item.id)
        state = listed.get('State', '') if listed else 'removed'
        if state in ('running', 'restarting'):
            continue
        item.state = state
        item.exit_code = observe.exit_code_from_status(
            listed.get('Status', '')) if listed else None
        if state == 'exited' and item.exit_code in \
                (finished_codes or {}).get(item.id, ()):
            continue
        if item.exit_code is not None:
            what = 'exited with code %s' % item.exit_code
        elif listed:
            what = 'is %s' % state
        else:
            what = 'was removed'   # e.g. auto-removed when it exited
        item.error = 'container %s %s right after starting%s' % (
            item.name, what, _logs_suffix(api, item.id) if listed else '')
    return items


def split_logs(api, ident):
    """(stdout, stderr) of a finished container, as text."""
    try:
        out = api.logs(ident, stdout=True, stderr=False)
        err = api.logs(ident, stdout=False, stderr=True)
    except transport.engine_errors():
        return '', ''
    return (out.decode('utf-8', 'replace'), err.decode('utf-8', 'replace'))


def _logs_suffix(api, ident):
    tail = logs_tail(api, ident)
    if not tail:
        return ''
    return '; its last log lines: ' + ' | '.join(tail.splitlines()[-5:])
