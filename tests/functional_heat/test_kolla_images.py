"""The locally built service images keep Kolla's image contract.

Docker only, no Heat: MariaDB and Keystone started by kolla_start from a
config.json (mounted at /var/lib/kolla/config_files/, or given in
$KOLLA_CONFIG), Keystone's db_sync / fernet_setup / bootstrap against the
MariaDB container, a token from Keystone; memcached and RabbitMQ answer.

The images come from images/kolla-base/build (about 2 minutes, cached by a
content key). These tests skip when the images are missing, unless
HCH_KOLLA_BUILD=1, which builds them first (a no-op when up to date).
"""

import json
import os
import socket
import subprocess
import time
import urllib.request
import uuid

import docker
import fixtures
import testtools

from tests.functional_heat import keystone as keystone_mod

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, 'images', 'kolla-base', 'build')
SERVICES = ('mariadb', 'rabbitmq', 'memcached', 'keystone')
READY_TIMEOUT = 240
DB_PASSWORD = 'hch-db-%s' % uuid.uuid4().hex[:8]
ADMIN_PASSWORD = 'hch-admin-%s' % uuid.uuid4().hex[:8]
KEYSTONE_CMD = ('uwsgi --http-socket 0.0.0.0:5000 --plugin python3 '
                '--wsgi-file /usr/bin/keystone-wsgi-public --processes 1 '
                '--threads 2 --master --die-on-term')


def image(service):
    return 'hch-kolla/%s:latest' % service


def ensure_images(client):
    missing = [s for s in SERVICES if not _exists(client, image(s))]
    if os.environ.get('HCH_KOLLA_BUILD', '') not in ('', '0'):
        started = time.monotonic()
        subprocess.run([BUILD], check=True, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL)
        return time.monotonic() - started
    if missing:
        raise testtools.TestCase.skipException(
            'images %s missing: run images/kolla-base/build or set '
            'HCH_KOLLA_BUILD=1' % ', '.join(image(s) for s in missing))
    return None


def _exists(client, name):
    try:
        client.images.get(name)
        return True
    except docker.errors.ImageNotFound:
        return False


class KollaImageTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.docker = docker.from_env(timeout=300)
        self.build_seconds = ensure_images(self.docker)
        self.prefix = 'hchk%s' % uuid.uuid4().hex[:8]
        self.tmp = self.useFixture(fixtures.TempDir()).path
        os.chmod(self.tmp, 0o755)
        self.network = self.docker.networks.create(self.prefix + '-net')
        self.addCleanup(self.network.remove)
        self.addCleanup(self._remove_containers)

    def _remove_containers(self):
        for container in self.docker.containers.list(
                all=True, filters={'name': self.prefix},
                ignore_removed=True):
            container.remove(force=True, v=True)

    def _remove_volume(self, volume):
        self._remove_containers()
        volume.remove(force=True)

    def _logs(self, container):
        try:
            container.reload()
            return '%s (%s):\n%s' % (container.name, container.status,
                                     container.logs(tail=60).decode(
                                         'utf-8', 'replace'))
        except docker.errors.NotFound:
            return '%s is gone' % container.name

    def config_dir(self, service, config, files=None):
        """A Kolla config directory: config.json plus source files."""
        path = os.path.join(self.tmp, service)
        os.makedirs(path)
        with open(os.path.join(path, 'config.json'), 'w') as handle:
            json.dump(config, handle)
        for name, text in (files or {}).items():
            with open(os.path.join(path, name), 'w') as handle:
                handle.write(text)
        for name in os.listdir(path):
            os.chmod(os.path.join(path, name), 0o644)
        return path

    def run_service(self, service, config_dir=None, environment=None,
                    name_suffix=None, volumes=None, **kwargs):
        volumes = dict(volumes or {})
        if config_dir:
            volumes[config_dir] = {'bind': '/var/lib/kolla/config_files',
                                   'mode': 'ro'}
        env = {'KOLLA_CONFIG_STRATEGY': 'COPY_ALWAYS'}
        env.update(environment or {})
        container = self.docker.containers.run(
            image(service), name='%s-%s%s' % (
                self.prefix, service,
                '-' + name_suffix if name_suffix else ''),
            hostname=service, network=self.network.name, detach=True,
            environment=env, volumes=volumes, **kwargs)
        self.addOnException(lambda exc_info: self.addDetail(
            '%s-logs' % container.name,
            testtools.content.text_content(self._logs(container))))
        return container

    def run_exec(self, container, command, user='root', check=True):
        code, output = container.exec_run(command, user=user)
        output = output.decode('utf-8', 'replace')
        if check and code != 0:
            self.fail('%s in %s exited %d:\n%s\n%s'
                      % (command, container.name, code, output[-3000:],
                         self._logs(container)))
        return code, output

    def wait_for(self, what, probe, container):
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            container.reload()
            if container.status not in ('created', 'running'):
                self.fail('%s: container stopped:\n%s'
                          % (what, self._logs(container)))
            if probe():
                return
            time.sleep(1)
        self.fail('%s: not ready after %ds:\n%s'
                  % (what, READY_TIMEOUT, self._logs(container)))

    def address(self, container):
        container.reload()
        return container.attrs['NetworkSettings']['Networks'][
            self.network.name]['IPAddress']

    def port_answers(self, container, port):
        try:
            with socket.create_connection((self.address(container), port),
                                          timeout=2):
                return True
        except OSError:
            return False

    # -- MariaDB ---------------------------------------------------------

    def start_mariadb(self):
        cnf = '[mysqld]\nbind-address = 0.0.0.0\nskip-name-resolve\n' \
              'innodb_buffer_pool_size = 32M\nperformance_schema = off\n'
        config = {
            'command': '/usr/sbin/mysqld',
            'config_files': [{
                'source': '/var/lib/kolla/config_files/hch.cnf',
                'dest': '/etc/mysql/mariadb.conf.d/99-hch.cnf',
                'owner': 'mysql', 'perm': '0640'}],
            'permissions': [{'path': '/var/lib/mysql',
                             'owner': 'mysql:mysql', 'recurse': True}]}
        container = self.run_service(
            'mariadb', self.config_dir('mariadb', config, {'hch.cnf': cnf}))
        self.wait_for('mariadb', lambda: self.run_exec(
            container, 'mysqladmin ping', check=False)[0] == 0, container)
        return container

    def test_mariadb_config_files_and_permissions(self):
        container = self.start_mariadb()
        # config_files: copied with its owner and perm, and in effect.
        _, out = self.run_exec(
            container, 'stat -c %U:%a /etc/mysql/mariadb.conf.d/99-hch.cnf')
        self.assertEqual('mysql:640', out.strip())
        _, out = self.run_exec(
            container, ['mysql', '-N', '-e', 'SELECT @@bind_address'])
        self.assertEqual('0.0.0.0', out.strip())
        # The command replaced kolla_start (pid 1) and runs as the image's
        # user, as in Kolla's image.
        _, out = self.run_exec(container, 'stat -c %U /proc/1')
        self.assertEqual('mysql', out.strip())
        _, out = self.run_exec(container, 'cat /proc/1/comm')
        self.assertIn('mysqld', out)

    def test_keystone_issues_a_token_from_mariadb(self):
        db = self.start_mariadb()
        self.run_exec(db, ['mysql', '-e',
                           "CREATE DATABASE keystone; "
                           "CREATE USER 'keystone'@'%%' IDENTIFIED BY '%s'; "
                           "GRANT ALL ON keystone.* TO 'keystone'@'%%';"
                           % DB_PASSWORD])
        keystone_conf = (
            '[DEFAULT]\nuse_stderr = true\n'
            '[database]\nconnection = mysql+pymysql://keystone:%s@%s/'
            'keystone\n'
            '[token]\nprovider = fernet\n' % (DB_PASSWORD, db.name))
        files = [{'source': '/var/lib/kolla/config_files/keystone.conf',
                  'dest': '/etc/keystone/keystone.conf',
                  'owner': 'keystone:keystone', 'perm': '0600'}]
        keys = [{'path': '/etc/keystone/%s-keys' % kind,
                 'owner': 'keystone:keystone', 'perm': '0700'}
                for kind in ('fernet', 'credential')]
        config_dir = self.config_dir('keystone', {'command': '/bin/false'},
                                     {'keystone.conf': keystone_conf})
        volumes = {}
        for kind in ('fernet', 'credential'):
            volume = self.docker.volumes.create('%s-%s' % (self.prefix, kind))
            self.addCleanup(self._remove_volume, volume)
            volumes[volume.name] = {'bind': '/etc/keystone/%s-keys' % kind,
                                    'mode': 'rw'}
        # Bootstrap as TripleO does: one-shot containers of the service
        # image, each its own config.json (the same files, another
        # command), sharing the key volumes with the service.
        for step, command in enumerate((
                'keystone-manage db_sync',
                'keystone-manage fernet_setup --keystone-user keystone '
                '--keystone-group keystone',
                'keystone-manage credential_setup --keystone-user keystone '
                '--keystone-group keystone',
                'keystone-manage bootstrap --bootstrap-password %s '
                '--bootstrap-admin-url http://keystone:5000/v3 '
                '--bootstrap-public-url http://keystone:5000/v3 '
                '--bootstrap-region-id RegionOne' % ADMIN_PASSWORD)):
            once = self.run_service(
                'keystone', config_dir, name_suffix='bootstrap%d' % step,
                volumes=volumes, environment={'KOLLA_CONFIG': json.dumps({
                    'command': command, 'config_files': files,
                    'permissions': keys})})
            status = once.wait(timeout=READY_TIMEOUT)['StatusCode']
            self.assertEqual(0, status, '%s:\n%s'
                             % (command.split(' --')[0], self._logs(once)))
        # The service; KOLLA_CONFIG (the JSON in the environment) wins over
        # the mounted config.json (whose command is /bin/false).
        keystone = self.run_service(
            'keystone', config_dir, volumes=volumes, environment={
                'KOLLA_CONFIG': json.dumps({
                    'command': KEYSTONE_CMD, 'config_files': files,
                    'permissions': keys})})
        root = 'http://%s:5000' % self.address(keystone)
        self.wait_for('keystone', lambda: self._answers(root + '/v3'),
                      keystone)
        status, subject, token = keystone_mod.admin_token(root,
                                                          ADMIN_PASSWORD)
        self.assertEqual(201, status)
        self.assertTrue(subject)
        self.assertEqual('admin', token['project']['name'])
        self.assertIn('admin', [r['name'] for r in token['roles']])

    def _answers(self, url):
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    def test_memcached_and_rabbitmq_answer(self):
        memcached = self.run_service('memcached', environment={
            'KOLLA_CONFIG': json.dumps({
                'command': 'memcached -l 0.0.0.0 -p 11211 -m 16'})})
        rabbit = self.run_service('rabbitmq', environment={
            'KOLLA_CONFIG': json.dumps({'command': 'rabbitmq-server'}),
            'HOME': '/var/lib/rabbitmq'})
        self.wait_for('memcached', lambda: self.port_answers(
            memcached, 11211), memcached)
        with socket.create_connection((self.address(memcached), 11211),
                                      timeout=10) as sock:
            sock.sendall(b'version\r\n')
            self.assertTrue(sock.recv(100).startswith(b'VERSION '))
        self.wait_for('rabbitmq', lambda: self.port_answers(rabbit, 5672),
                      rabbit)
        with socket.create_connection((self.address(rabbit), 5672),
                                      timeout=10) as sock:
            sock.sendall(b'AMQP\x00\x00\x09\x01')
            self.assertEqual(b'\x01\x00\x00', sock.recv(3))  # method frame

    def test_missing_strategy_fails_naming_the_fix(self):
        container = self.run_service('memcached', environment={
            'KOLLA_CONFIG_STRATEGY': '',
            'KOLLA_CONFIG': json.dumps({'command': 'memcached'})})
        self.assertEqual(1, container.wait(timeout=120)['StatusCode'])
        logs = container.logs().decode()
        self.assertIn('KOLLA_CONFIG_STRATEGY', logs)
        self.assertIn('COPY_ALWAYS', logs)
        self.assertNotIn('Traceback', logs)
