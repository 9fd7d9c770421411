"""A real Keystone on 127.0.0.1 for the local Heat (LocalHeat(keystone=True)).

keystone from PyPI runs in the Heat virtualenv (tests/heat/venv.py), with
sqlite and fernet keys in the state directory:

    keystone = self.useFixture(LocalKeystone(venv_path, state_dir,
                                             heat_url=..., cfn_url=...))
    keystone.auth_url          # http://127.0.0.1:PORT/v3
    keystone.admin_password

Bootstrap: keystone.conf from keystone.conf.in, `keystone-manage
db_sync`, `fernet_setup`, `credential_setup`, `bootstrap` (admin user and
project, roles admin/member/reader, RegionOne, the identity endpoints), the
API (keystone_launcher.py, detached like Heat's launcher, log in
<state_dir>/keystone.log), then keystone_setup.py for what Heat needs (the
service project and heat user, the heat_stack_owner/heat_stack_user roles,
the `heat` stack user domain and its admin, the orchestration and
cloudformation endpoints).

That takes 15-30 s (minutes on a loaded machine), so its result (the
sqlite database, both key repositories, the passwords and ids) is cached
next to the Heat venv, keyed by the venv and the contents of
keystone.conf.in, keystone_setup.py and this file's CACHE_FORMAT; a start
copies it and rewrites the endpoint URLs for this run's ports. A state
directory that already holds a database (tools/heat-local --state-dir)
is bootstrapped again in place instead (every step is idempotent).
Stopped on cleanUp (SIGTERM, then SIGKILL of its process group).
"""

import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import fixtures

from tests.heat import proc as proc_mod
from tests.heat import venv as venv_mod

HERE = os.path.dirname(os.path.abspath(__file__))
LAUNCHER = os.path.join(HERE, 'keystone_launcher.py')
SETUP = os.path.join(HERE, 'keystone_setup.py')
START_TIMEOUT = 120
STOP_TIMEOUT = 10
REGION = 'RegionOne'
STACK_USER_DOMAIN = 'heat'
STACK_DOMAIN_ADMIN = 'heat_domain_admin'
HEAT_USER = 'heat'
SERVICE_PROJECT = 'service'
CACHE_FORMAT = '1'
# What a bootstrapped state is made of (copied from the cache).
STATE_FILES = ('keystone.sqlite', 'fernet-keys', 'credential-keys',
               'secrets.json')
PLACEHOLDER_HEAT_URL = 'http://127.0.0.1:1/v1/%(tenant_id)s'
PLACEHOLDER_CFN_URL = 'http://127.0.0.1:2/v1'


class KeystoneStartError(Exception):
    pass


class LocalKeystone(fixtures.Fixture):
    """A running Keystone with Heat's users, roles, domain and endpoints.

    venv_path: the Heat virtualenv (keystone installed in it); state_dir:
    an existing directory for keystone.conf, the sqlite database, the key
    repositories and keystone.log; port: 127.0.0.1 port (taken: the start
    fails, KeystoneStartError); heat_url / cfn_url: the orchestration
    endpoint (with ``%(tenant_id)s``) and the cloudformation one (.../v1)
    registered in the catalog.
    """

    def __init__(self, venv_path, state_dir, port, heat_url, cfn_url,
                 debug=False):
        super().__init__()
        self.venv = venv_path
        self.state_dir = state_dir
        self.port = port
        self.heat_url = heat_url
        self.cfn_url = cfn_url
        self.debug = debug
        self.process = None
        self.timings = {}
        self.log_path = os.path.join(state_dir, 'keystone.log')
        self.out_path = os.path.join(state_dir, 'keystone.out')
        self.conf_path = os.path.join(state_dir, 'keystone.conf')
        self.admin_password = secrets.token_hex(12)
        self.heat_password = secrets.token_hex(12)
        self.domain_admin_password = secrets.token_hex(12)

    @property
    def url(self):
        return 'http://127.0.0.1:%d' % self.port

    @property
    def auth_url(self):
        return self.url + '/v3'

    def _setUp(self):
        started = time.monotonic()
        self.addCleanup(self.stop)
        if os.path.exists(os.path.join(self.state_dir, 'keystone.sqlite')):
            self._bootstrap(self.heat_url, self.cfn_url)
        else:
            cached = bootstrapped_state(self.venv, self.debug)
            for name in STATE_FILES:
                source = os.path.join(cached, name)
                target = os.path.join(self.state_dir, name)
                if os.path.isdir(source):
                    shutil.copytree(source, target)
                else:
                    shutil.copy(source, target)
            self._write_conf()
            self._load_secrets()
            self._set_endpoints()
            self._start()
        self.timings['start'] = time.monotonic() - started

    def _bootstrap(self, heat_url, cfn_url):
        """Every step from scratch (idempotent), the API left running."""
        for name in ('fernet-keys', 'credential-keys'):
            os.makedirs(os.path.join(self.state_dir, name), mode=0o700,
                        exist_ok=True)
        self._write_conf()
        user = ['--keystone-user', str(os.getuid()),
                '--keystone-group', str(os.getgid())]
        self._manage('db_sync')
        for command, keys in (('fernet_setup', 'fernet-keys'),
                              ('credential_setup', 'credential-keys')):
            if not os.listdir(os.path.join(self.state_dir, keys)):
                self._manage(command, *user)
        self._manage('bootstrap', '--bootstrap-password',
                     self.admin_password, '--bootstrap-region-id', REGION,
                     *['--bootstrap-%s-url=%s' % (i, self.auth_url)
                       for i in ('admin', 'internal', 'public')])
        self._start()
        self._setup_for_heat(heat_url, cfn_url)
        with open(os.path.join(self.state_dir, 'secrets.json'), 'w') as out:
            json.dump({'admin_password': self.admin_password,
                       'heat_password': self.heat_password,
                       'domain_admin_password': self.domain_admin_password,
                       'ids': self.ids}, out)

    def _write_conf(self):
        with open(os.path.join(HERE, 'keystone.conf.in')) as handle:
            text = handle.read()
        text = text.replace('@DIR@', self.state_dir).replace(
            '@DEBUG@', 'true' if self.debug else 'false')
        with open(self.conf_path, 'w') as handle:
            handle.write(text)

    def _load_secrets(self):
        with open(os.path.join(self.state_dir, 'secrets.json')) as handle:
            found = json.load(handle)
        self.admin_password = found['admin_password']
        self.heat_password = found['heat_password']
        self.domain_admin_password = found['domain_admin_password']
        self.ids = found['ids']

    def _set_endpoints(self):
        """This run's URLs in the catalog (the cached database holds
        placeholders); Keystone is not running yet."""
        urls = {'identity': self.auth_url, 'orchestration': self.heat_url,
                'cloudformation': self.cfn_url}
        with sqlite3.connect(os.path.join(self.state_dir,
                                          'keystone.sqlite')) as db:
            for kind, url in urls.items():
                db.execute('UPDATE endpoint SET url = ? WHERE service_id IN '
                           '(SELECT id FROM service WHERE type = ?)',
                           (url, kind))

    def _manage(self, *args):
        with open(self.out_path, 'a') as out:
            proc = subprocess.run(
                [os.path.join(self.venv, 'bin', 'python'), '-c',
                 'import sys; from keystone.cmd.manage import main; '
                 'sys.argv[0] = "keystone-manage"; sys.exit(main())',
                 '--config-file', self.conf_path] + list(args),
                stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, timeout=300)
        if proc.returncode:
            raise KeystoneStartError(
                'keystone-manage %s failed (%d); see %s and %s:\n%s'
                % (args[0], proc.returncode, self.out_path, self.log_path,
                   self.log_tail()))

    def _start(self):
        with open(self.out_path, 'a') as out:
            self.process = subprocess.Popen(
                [os.path.join(self.venv, 'bin', 'python'), LAUNCHER,
                 '--config-file', self.conf_path, '--port', str(self.port),
                 '--parent-pid', str(os.getpid())],
                stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True,
                close_fds=True, cwd=self.state_dir)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            status = self.process.poll()
            if status is not None:
                raise KeystoneStartError(
                    'keystone exited with %d (3: port %d taken); see %s:\n%s'
                    % (status, self.port, self.out_path, self.log_tail()))
            if self.answers():
                return
            time.sleep(0.2)
        raise KeystoneStartError('keystone did not answer on port %d within '
                                 '%ds; see %s' % (self.port, START_TIMEOUT,
                                                  self.log_path))

    def _setup_for_heat(self, heat_url, cfn_url):
        spec = {'auth_url': self.auth_url,
                'admin_password': self.admin_password,
                'heat_password': self.heat_password,
                'domain_admin_password': self.domain_admin_password,
                'heat_url': heat_url, 'cfn_url': cfn_url}
        proc = subprocess.run(
            [os.path.join(self.venv, 'bin', 'python'), SETUP],
            input=json.dumps(spec).encode(), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, timeout=300)
        if proc.returncode:
            raise KeystoneStartError(
                'keystone_setup.py failed (%d):\n%s\n%s' % (
                    proc.returncode, proc.stderr.decode(errors='replace')
                    [-3000:], self.log_tail()))
        self.ids = json.loads(proc.stdout)

    def answers(self):
        try:
            with urllib.request.urlopen(self.auth_url, timeout=5) as answer:
                return answer.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def stop(self):
        """SIGTERM, a bounded wait, SIGKILL of the process group."""
        proc, self.process = self.process, None
        if proc is not None:
            proc_mod.stop_group(proc, STOP_TIMEOUT)

    def log_tail(self, lines=40):
        return proc_mod.tail(self.log_path, lines)

    def admin_auth(self):
        """keystoneauth1 Password plugin for admin in project admin."""
        from keystoneauth1.identity import v3
        return v3.Password(auth_url=self.auth_url, username='admin',
                           password=self.admin_password,
                           user_domain_id='default', project_name='admin',
                           project_domain_id='default')

    def heat_conf_values(self):
        """The @NAME@ values of heat-keystone.conf.in."""
        return {'KEYSTONE_URL': self.url, 'AUTH_URL': self.auth_url,
                'HEAT_PASSWORD': self.heat_password,
                'HEAT_USER': HEAT_USER, 'SERVICE_PROJECT': SERVICE_PROJECT,
                'STACK_USER_DOMAIN': STACK_USER_DOMAIN,
                'STACK_DOMAIN_ADMIN': STACK_DOMAIN_ADMIN,
                'DOMAIN_ADMIN_PASSWORD': self.domain_admin_password,
                'REGION': REGION}

    def admin_token(self):
        """A fresh admin token (project admin), valid 24 hours."""
        from keystoneauth1 import session
        return session.Session(auth=self.admin_auth()).get_token()


def cache_key(venv_path):
    """Hash of what a bootstrapped state depends on."""
    digest = hashlib.sha256(os.path.basename(venv_path).encode())
    digest.update(CACHE_FORMAT.encode())
    for name in ('keystone.conf.in', 'keystone_setup.py'):
        with open(os.path.join(HERE, name), 'rb') as handle:
            digest.update(handle.read())
    return digest.hexdigest()[:12]


def bootstrapped_state(venv_path, debug=False):
    """The cached bootstrapped state for this venv (made when missing by
    a throw-away Keystone on a free port): a directory holding
    STATE_FILES."""
    import socket

    def build(path):
        work = tempfile.mkdtemp(prefix='hch-keystone-')
        try:
            with socket.socket() as sock:
                sock.bind(('127.0.0.1', 0))
                port = sock.getsockname()[1]
            maker = LocalKeystone(venv_path, work, port,
                                  PLACEHOLDER_HEAT_URL, PLACEHOLDER_CFN_URL,
                                  debug=debug)
            try:
                maker._bootstrap(PLACEHOLDER_HEAT_URL, PLACEHOLDER_CFN_URL)
            finally:
                maker.stop()
            os.makedirs(path)
            for name in STATE_FILES:
                source = os.path.join(work, name)
                if os.path.isdir(source):
                    shutil.copytree(source, os.path.join(path, name))
                else:
                    shutil.copy(source, os.path.join(path, name))
        finally:
            shutil.rmtree(work, ignore_errors=True)

    return venv_mod.build_once(
        os.path.join(venv_mod.cache_root(),
                     'keystone-state-%s' % cache_key(venv_path)), build)
