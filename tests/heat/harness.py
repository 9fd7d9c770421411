"""A real OpenStack Heat on 127.0.0.1 for functional tests.

    from tests.heat import harness

    class MyTest(testtools.TestCase):
        def setUp(self):
            super().setUp()
            self.heat = self.useFixture(harness.LocalHeat())
            self.hc = self.heat.client()      # heatclient.v1 Client

LocalHeat makes (or reuses) the pinned Heat virtualenv (tests/heat/venv.py),
with keystone=True starts a real Keystone (tests/heat/local_keystone.py) and
writes heat.conf for it (heat-keystone.conf.in: Heat's own authtoken
pipeline, trusts, the stack user domain, heat-api-cfn on a second port),
else writes the noauth heat.conf / api-paste.ini / token.json into a state
directory; runs
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
    HCH_HEAT_AUTH        keystone (the default of LocalHeat()) or noauth
"""

import atexit
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import fixtures

from tests.heat import local_keystone
from tests.heat import proc as proc_mod
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


def default_keystone():
    """LocalHeat's default: Keystone unless $HCH_HEAT_AUTH is noauth."""
    auth = os.environ.get('HCH_HEAT_AUTH', 'keystone')
    if auth not in ('keystone', 'noauth'):
        raise HeatStartError('HCH_HEAT_AUTH=%s: use keystone or noauth'
                             % auth)
    return auth == 'keystone'


class LocalHeat(fixtures.Fixture):
    """A running local Heat; .endpoint is the orchestration endpoint
    (http://127.0.0.1:PORT/v1/<project id>), .client() a
    python-heatclient, .keystone the LocalKeystone (None with noauth)."""

    def __init__(self, state_dir=None, debug=None, port=None,
                 convergence=False, keystone=None):
        """state_dir: use (and keep) exactly this directory, e.g. to keep
        the database between runs of the playground. convergence: Heat's
        convergence engine instead of the (faster) legacy one, whose
        UPDATE does not carry a nested stack's changed outputs into the
        stacks that read them (the overcloud update scenario needs it).
        keystone: a real Keystone (None: default_keystone()); False is
        the noauth playground, where any token is an admin."""
        super().__init__()
        self.convergence = convergence
        self.use_keystone = default_keystone() if keystone is None \
            else keystone
        self.keystone = None
        self.cfn_port = None
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
        if self.use_keystone:
            self._start_keystone()
        for attempt in range(1 if self.use_keystone else 3):
            if attempt or self.port is None:
                self.port = self.requested_port or free_port()
            self._write_config()
            if attempt == 0:
                self._db_sync()
            try:
                self._start()
                break
            except _PortTaken:
                if self.requested_port or self.use_keystone:
                    raise HeatStartError('port %d is taken: pick another '
                                         'or none' % self.port) from None
        else:
            raise HeatStartError('no free port found in 3 attempts')
        self.timings['start'] = time.monotonic() - started

    def _start_keystone(self):
        """Keystone first: its catalog names Heat's ports (a taken Heat
        port then fails the start instead of picking another)."""
        self.port = self.requested_port or free_port()
        self.cfn_port = free_port()
        state = os.path.join(self.state_dir, 'keystone')
        os.makedirs(state, exist_ok=True)
        self.keystone = self.useFixture(local_keystone.LocalKeystone(
            self.venv, state, free_port(),
            heat_url='http://127.0.0.1:%d/v1/%%(tenant_id)s' % self.port,
            cfn_url='http://127.0.0.1:%d/v1' % self.cfn_port,
            debug=self.debug))
        self.timings['keystone'] = self.keystone.timings['start']
        self.project_id = self.keystone.ids['admin_project_id']

    def _write_config(self):
        common = dict(PORT=self.port, DIR=self.state_dir,
                      AUTH_KEY=secrets.token_hex(16),
                      DEBUG='true' if self.debug else 'false',
                      CONVERGENCE='true' if self.convergence else 'false')
        target = os.path.join(self.state_dir, 'heat.conf')
        if self.use_keystone:
            self.conf_path = render(
                'heat-keystone.conf.in', target, CFN_PORT=self.cfn_port,
                PASTE=os.path.join(self.venv, 'etc', 'heat',
                                   'api-paste.ini'),
                POLICY=os.path.join(HERE, 'heat-policy.yaml'),
                **common, **self.keystone.heat_conf_values())
            return
        self.conf_path = render(
            'heat.conf.in', target,
            PASTE=os.path.join(HERE, 'api-paste.ini'), **common)
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
        extra = ['--cfn-port', str(self.cfn_port),
                 '--no-stored-context-patch'] if self.use_keystone else []
        try:
            self.process = subprocess.Popen(
                [venv.python(self.venv), LAUNCHER,
                 '--config-file', self.conf_path, '--port', str(self.port),
                 '--stop-timeout', str(STOP_TIMEOUT - 5),
                 '--parent-pid', str(os.getpid())] + extra,
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
                if self.use_keystone:
                    self.token = self.keystone.admin_token()
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
        if proc is not None:
            proc_mod.stop_group(proc, STOP_TIMEOUT)

    # -- use -----------------------------------------------------------------

    @property
    def url(self):
        return 'http://127.0.0.1:%d/' % self.port

    @property
    def cfn_url(self):
        """heat-api-cfn (Keystone only), e.g. http://127.0.0.1:PORT/v1"""
        return self.cfn_port and 'http://127.0.0.1:%d/v1' % self.cfn_port

    project_id = PROJECT

    @property
    def endpoint(self):
        return 'http://127.0.0.1:%d/v1/%s' % (self.port, self.project_id)

    # With Keystone, an admin token (valid 24 h) once the API answers.
    token = TOKEN

    def answers(self):
        """True once the API answers (with Keystone: its version document,
        which needs no token)."""
        url = self.url if self.use_keystone else self.endpoint + '/stacks'
        request = urllib.request.Request(url,
                                         headers={'X-Auth-Token': TOKEN})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status in (200, 300)
        except urllib.error.HTTPError as exc:
            return exc.code == 300      # the version list
        except (urllib.error.URLError, OSError):
            return False

    def client(self):
        """A python-heatclient v1 Client talking to this Heat (with
        Keystone: as admin of project admin, through the catalog)."""
        from heatclient import client as heat_client
        if self.use_keystone:
            from keystoneauth1 import session
            return heat_client.Client(
                '1', session=session.Session(auth=self.keystone.admin_auth()),
                service_type='orchestration', interface='public')
        return heat_client.Client('1', endpoint=self.endpoint, token=TOKEN)

    def log_tail(self, lines=40):
        return proc_mod.tail(self.log_path, lines)

    def environ(self):
        """Variables for tools that read the usual OpenStack ones."""
        if self.use_keystone:
            return {'HCH_HEAT_ENDPOINT': self.endpoint,
                    'OS_AUTH_URL': self.keystone.auth_url,
                    'OS_USERNAME': 'admin',
                    'OS_PASSWORD': self.keystone.admin_password,
                    'OS_PROJECT_NAME': 'admin',
                    'OS_USER_DOMAIN_NAME': 'Default',
                    'OS_PROJECT_DOMAIN_NAME': 'Default',
                    'OS_IDENTITY_API_VERSION': '3',
                    'OS_REGION_NAME': local_keystone.REGION}
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
