"""Run a container's own healthcheck test ourselves, while the engine's
status is still "starting", so that a run learns its container is ready as
soon as the check would pass rather than at the engine's first check.

Why: Docker runs a container's first healthcheck only one ``interval``
after the start (30 s when the healthcheck has none, as in TripleO's service
configs), so waiting for the engine's "healthy" costs that interval per
start order even when the service is up in a second.

What runs is what dockerd's own check runs (moby ``daemon/health.go``): the
test of the container's *merged* config (``Config.Healthcheck``, which
holds the image's HEALTHCHECK unless the container set its own), through
the Engine API's exec: ``CMD-SHELL`` through the container's shell
(``Config.Shell``, else ``/bin/sh -c``), ``CMD`` as argv; as the
container's user, in its working directory, with its environment, not
privileged, no tty; the check passes on exit status 0 within the check's
``timeout`` (default 30 s). Nothing about the container changes: its
healthcheck, config and fingerprint are untouched, and the engine keeps
running its own checks on its own schedule.

A pass means only "ready for this run": the engine's status stays
"starting" until its own first check, so callers report health ``passed``
(PASSED), never "healthy", for such a container.
"""

import threading
import time
import weakref

from oslo_log import log as logging

from heat_container_hooks import dockerapi

LOG = logging.getLogger(__name__)

# The health a run reports when its own probe passed before the engine's
# first check (the engine still says "starting").
PASSED = 'passed'

# dockerd's defaults (moby api/types/container: DefaultHealthcheck*).
DEFAULT_INTERVAL = 30.0
DEFAULT_TIMEOUT = 30.0
DEFAULT_SHELL = ('/bin/sh', '-c')

OUTPUT_LIMIT = 500


def healthcheck_of(info):
    """The healthcheck in force of an inspected container (its
    ``Config.Healthcheck``, the image's merged in), or None when it has
    none or it is disabled (``NONE``)."""
    check = (info.get('Config') or {}).get('Healthcheck') or {}
    test = check.get('Test') or []
    if not test or test[0] == 'NONE':
        return None
    return check


def probe_argv(check, shell=None):
    """The argv dockerd's check runs for ``check`` (a Config.Healthcheck
    mapping): CMD -> the rest as argv; CMD-SHELL -> ``shell`` (the
    container's Config.Shell, default /bin/sh -c) + the command string.
    None for a test it would not run."""
    test = list(check.get('Test') or [])
    if len(test) < 2:
        return None
    if test[0] == 'CMD':
        return test[1:]
    if test[0] == 'CMD-SHELL':
        return list(shell or DEFAULT_SHELL) + test[1:]
    return None


def _seconds(nanoseconds, default):
    return nanoseconds / 1e9 if nanoseconds else default


def check_timeout(check):
    """Seconds one run of the check may take (its Timeout, else 30)."""
    return _seconds(check.get('Timeout'), DEFAULT_TIMEOUT)


def worth_probing(check, period):
    """Whether probing every ``period`` seconds can be sooner than the
    engine's own checks, i.e. the check's Interval (default 30 s) is longer
    than the period. A period of 0 turns probing off."""
    return period > 0 and _seconds(check.get('Interval'),
                                   DEFAULT_INTERVAL) > period


class HealthProbe:
    """Runs one container's healthcheck test through exec, at most every
    ``period`` seconds, one run at a time, each in a background thread so
    the caller keeps watching the engine's status meanwhile.

    ``api`` is a docker.APIClient; ``info`` the container's inspect data.
    ``poll()`` starts a run when one is due and tells whether a run has
    passed; ``wait(seconds)`` sleeps until then or until a run ends;
    ``last_output`` holds the last failed run's output (trimmed to 500
    characters) for an error message. Engine errors inside a run count as
    a failed run (their text is its output), never raise.

    A run that outlives the check's timeout counts as failed, as in
    dockerd; the Engine API cannot end an exec, so that process is left to
    finish inside the container, and no other run starts before it does.
    """

    def __init__(self, api, ident, info, period):
        config = info.get('Config') or {}
        self.check = healthcheck_of(info) or {}
        self.argv = probe_argv(self.check, config.get('Shell'))
        self.api = api
        self.ident = ident
        self.user = config.get('User') or ''
        self.workdir = config.get('WorkingDir') or None
        self.period = period
        self.timeout = check_timeout(self.check)
        self.enabled = bool(self.argv) and worth_probing(self.check, period)
        self.passed = False
        self.last_output = ''
        self.runs = 0
        self._ended = threading.Event()
        self._thread = None
        self._started_at = None
        self._timed_out = False
        self._next = 0.0

    def poll(self):
        """True once a run has passed; otherwise start one if due."""
        if self.passed or not self.enabled:
            return self.passed
        now = time.monotonic()
        if self._thread is not None:
            if self._thread.is_alive():
                if now - self._started_at > self.timeout and \
                        not self._timed_out:
                    self._timed_out = True
                    self.last_output = ('the check did not finish within '
                                        '%gs' % self.timeout)
                return False
            self._thread = None
            self._next = max(self._started_at + self.period, now)
        if now >= self._next:
            self._start(now)
        return self.passed

    def wait(self, seconds):
        """Sleep up to ``seconds``, less when a run ends meanwhile."""
        if self._thread is not None and self._thread.is_alive():
            self._ended.wait(seconds)
        else:
            time.sleep(seconds)

    def _start(self, now):
        self._ended.clear()
        self._started_at = now
        self._timed_out = False
        self.runs += 1
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name='health-probe-%s'
                                        % self.ident[:12])
        self._thread.start()

    def _execute(self):
        """One run of the test: (exit code or None, output bytes)."""
        created = self.api.exec_create(
            self.ident, self.argv, stdout=True, stderr=True,
            stdin=False, tty=False, privileged=False, user=self.user,
            workdir=self.workdir)
        output = self.api.exec_start(created['Id'])
        return dockerapi.exec_exit_code(self.api, created['Id']), output

    def _run(self):
        started = self._started_at
        try:
            code, output = self._execute()
        except dockerapi.engine_errors() as exc:
            code, output = None, dockerapi.reason(exc).encode()
        text = (output or b'').decode('utf-8', 'replace').strip()
        in_time = time.monotonic() - started <= self.timeout
        LOG.debug('health probe of %s: exit %s%s', self.ident[:12], code,
                  '' if in_time else ' (too late)')
        if code == 0 and in_time:
            self.passed = True
        elif in_time:
            self.last_output = text[-OUTPUT_LIMIT:] or \
                'the check exited with code %s' % code
        self._ended.set()


class EngineCheck(HealthProbe):
    """Has the engine run a container's healthcheck, on the check's own
    schedule, for an engine that does not run it by itself: podman runs
    healthchecks from systemd timers, so where systemd does not run (or
    the container was started through the API without one) its health
    stays "starting" for ever.

    Each run is podman's ``healthcheck run`` (the libpod endpoint
    ``GET /libpod/containers/{id}/healthcheck``): podman runs the test,
    honours its timeout and retries and records the result, so the
    engine's own status (``healthy``/``unhealthy``) and log change as
    they would under podman's timer, and the wait reads them as on
    Docker. The first run is one ``Interval`` (default 30 s) after the
    probe is made, the next ones one Interval apart, as podman's timer
    and dockerd schedule them; ``poll()``'s answer is not used (the
    engine's status is).
    """

    def __init__(self, api, ident, info):
        check = healthcheck_of(info) or {}
        interval = _seconds(check.get('Interval'), DEFAULT_INTERVAL)
        super().__init__(api, ident, info, interval)
        self.enabled = bool(self.argv)
        self._next = time.monotonic() + interval

    def _execute(self):
        url = '%s/v%s/libpod/containers/%s/healthcheck' % (
            self.api.base_url, self.api.api_version, self.ident)
        answer = self.api.get(url, timeout=self.timeout + 30)
        answer.raise_for_status()
        status = (answer.json() or {}).get('Status')
        return (0 if status == 'healthy' else 1), b''


# Whether an API client talks to an engine that runs healthchecks by
# itself; asked once per client.
_RUNS_CHECKS = weakref.WeakKeyDictionary()


def engine_runs_checks(api):
    """False for podman (its ``/version`` names a "Podman Engine"
    component), True for dockerd and anything else. Engine errors count
    as True (the wait reports them where it reads the engine)."""
    if api not in _RUNS_CHECKS:
        try:
            components = api.version().get('Components') or []
        except dockerapi.engine_errors():
            return True
        _RUNS_CHECKS[api] = not any(
            (item.get('Name') or '').startswith('Podman')
            for item in components)
    return _RUNS_CHECKS[api]


def engine_check(api, ident, info):
    """An EngineCheck for a container with a healthcheck on an engine that
    does not run it by itself, else None."""
    if healthcheck_of(info) is None or engine_runs_checks(api):
        return None
    return EngineCheck(api, ident, info)
