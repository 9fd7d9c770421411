"""A real OpenStack Heat on 127.0.0.1 for functional tests.

    from tests.heat import harness

    class MyTest(testtools.TestCase):
        def setUp(self):
            super().setUp()
            self.heat = self.useFixture(harness.LocalHeat())
            self.hc = self.heat.client()      # heatclient.v1 Client

LocalHeat makes (or reuses) the pinned Heat virtualenv (tests/heat/venv.py),
writes heat.conf / api-paste.ini / token.json into a state directory, runs
`heat-manage db_sync`, starts tests/heat/launcher.py detached from the
caller's output (stdin /dev/null, stdout+stderr to <state_dir>/heat.log, own
session) on a free port, waits for the API, and on cleanUp stops it (SIGTERM,
a bounded wait, then SIGKILL of its process group).

Options come from arguments or the environment:
    HCH_HEAT_STATE_DIR   keep each fixture's state (sqlite, heat.conf,
                         heat.log) in a new directory under this one,
                         instead of a temporary directory removed on
                         cleanUp
    HCH_HEAT_DEBUG=1     debug logging in heat.log
    HCH_CACHE            where the Heat virtualenv is cached
"""

import atexit
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import fixtures

from tests.heat import venv

HERE = os.path.dirname(os.path.abspath(__file__))
LAUNCHER = os.path.join(HERE, 'launcher.py')
PROJECT = 'admin'
TOKEN = 'heat-local'      # any token: the noauth pipeline accepts all
START_TIMEOUT = 120
STOP_TIMEOUT = 15
EXIT_PORT_TAKEN = 3


class HeatStartError(Exception):
    pass


def free_port(host='127.0.0.1'):
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def render(template, target, **values):
    with open(os.path.join(HERE, template)) as handle:
        text = handle.read()
    for key, value in values.items():
        text = text.replace('@%s@' % key, str(value))
    with open(target, 'w') as handle:
        handle.write(text)
    return target


class LocalHeat(fixtures.Fixture):
    """A running local Heat; .endpoint is the orchestration endpoint
    (http://127.0.0.1:PORT/v1/admin), .client() a python-heatclient."""

    def __init__(self, state_dir=None, debug=None, port=None,
                 convergence=False):
        """state_dir: use (and keep) exactly this directory, e.g. to keep
        the database between runs of the playground. convergence: Heat's
        convergence engine instead of the (faster) legacy one, whose
        UPDATE does not carry a nested stack's changed outputs into the
        stacks that read them (the overcloud update scenario needs it)."""
        super().__init__()
        self.convergence = convergence
        self.state_dir = state_dir
        self.keep_under = os.environ.get('HCH_HEAT_STATE_DIR')
        if debug is None:
            debug = os.environ.get('HCH_HEAT_DEBUG', '') not in ('', '0')
        self.debug = debug
        self.requested_port = port
        self.process = None
        self.port = None
        self.timings = {}

    # -- lifecycle ---------------------------------------------------------

    def _setUp(self):
        started = time.monotonic()
        if self.state_dir:
            os.makedirs(self.state_dir, exist_ok=True)
        elif self.keep_under:
            os.makedirs(self.keep_under, exist_ok=True)
            self.state_dir = tempfile.mkdtemp(prefix='heat-',
                                              dir=self.keep_under)
        else:
            self.state_dir = tempfile.mkdtemp(prefix='hch-heat-')
            self.addCleanup(shutil.rmtree, self.state_dir, True)
        self.log_path = os.path.join(self.state_dir, 'heat.log')
        with open(os.path.join(self.state_dir, 'venv.log'), 'a') as log:
            self.venv = venv.ensure_venv(log)
        self.timings['venv'] = time.monotonic() - started
        for attempt in range(3):
            self.port = self.requested_port or free_port()
            self._write_config()
            if attempt == 0:
                self._db_sync()
            try:
                self._start()
                break
            except _PortTaken:
                if self.requested_port:
                    raise HeatStartError('port %d is taken: pick another '
                                         'or none' % self.port) from None
        else:
            raise HeatStartError('no free port found in 3 attempts')
        self.timings['start'] = time.monotonic() - started

    def _write_config(self):
        self.conf_path = render(
            'heat.conf.in', os.path.join(self.state_dir, 'heat.conf'),
            PORT=self.port, DIR=self.state_dir,
            PASTE=os.path.join(HERE, 'api-paste.ini'),
            AUTH_KEY=secrets.token_hex(16),
            DEBUG='true' if self.debug else 'false')
        if self.convergence:
            with open(self.conf_path) as handle:
                text = handle.read()
            with open(self.conf_path, 'w') as handle:
                handle.write(text.replace('convergence_engine = false',
                                          'convergence_engine = true'))
        render('token.json.in', os.path.join(self.state_dir, 'token.json'),
               PORT=self.port)

    def _db_sync(self):
        started = time.monotonic()
        with open(self.log_path, 'a') as log:
            proc = subprocess.run(
                [venv.python(self.venv), '-c',
                 'import sys; from heat.cmd.manage import main; '
                 'sys.argv[0] = "heat-manage"; sys.exit(main())',
                 '--config-file', self.conf_path, 'db_sync'],
                stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, timeout=300)
        if proc.returncode:
            raise HeatStartError('heat-manage db_sync failed (%d); see %s:\n'
                                 '%s' % (proc.returncode, self.log_path,
                                         self.log_tail()))
        self.timings['db_sync'] = time.monotonic() - started

    def _start(self):
        log = open(self.log_path, 'a')
        try:
            self.process = subprocess.Popen(
                [venv.python(self.venv), LAUNCHER,
                 '--config-file', self.conf_path, '--port', str(self.port),
                 '--stop-timeout', str(STOP_TIMEOUT - 5),
                 '--parent-pid', str(os.getpid())],
                stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
                close_fds=True, cwd=self.state_dir)
        finally:
            log.close()
        self.addCleanup(self.stop)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            status = self.process.poll()
            if status == EXIT_PORT_TAKEN:
                raise _PortTaken()
            if status is not None:
                raise HeatStartError('heat-local exited with %d; see %s:\n%s'
                                     % (status, self.log_path,
                                        self.log_tail()))
            if self.answers():
                return
            time.sleep(0.2)
        self.stop()
        raise HeatStartError('heat-local did not answer on port %d within '
                             '%ds; see %s:\n%s' % (self.port, START_TIMEOUT,
                                                   self.log_path,
                                                   self.log_tail()))

    def stop(self):
        """SIGTERM (the launcher bounds the engine's stop), then SIGKILL of
        the whole process group. Idempotent."""
        proc, self.process = self.process, None
        if proc is None:
            return
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait()

    # -- use -----------------------------------------------------------------

    @property
    def url(self):
        return 'http://127.0.0.1:%d/' % self.port

    @property
    def endpoint(self):
        return 'http://127.0.0.1:%d/v1/%s' % (self.port, PROJECT)

    token = TOKEN

    def answers(self):
        request = urllib.request.Request(self.endpoint + '/stacks',
                                         headers={'X-Auth-Token': TOKEN})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def client(self):
        """A python-heatclient v1 Client talking to this Heat."""
        from heatclient import client as heat_client
        return heat_client.Client('1', endpoint=self.endpoint, token=TOKEN)

    def log_tail(self, lines=40):
        try:
            with open(self.log_path, errors='replace') as handle:
                return ''.join(handle.readlines()[-lines:])
        except OSError:
            return ''

    def environ(self):
        """Variables for tools that read the usual OpenStack ones."""
        return {'HCH_HEAT_ENDPOINT': self.endpoint,
                'OS_ENDPOINT': self.endpoint, 'OS_TOKEN': TOKEN,
                'OS_AUTH_TYPE': 'none'}


class _PortTaken(Exception):
    pass


_SHARED = []


def shared():
    """One LocalHeat for the whole test process (a stestr worker), started
    on first use and stopped at exit; saves the start-up per test. Tests
    that share it must use unique stack names."""
    if not _SHARED:
        heat = LocalHeat()
        heat.setUp()
        atexit.register(heat.cleanUp)
        _SHARED.append(heat)
    return _SHARED[0]
