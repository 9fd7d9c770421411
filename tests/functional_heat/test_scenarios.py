"""End to end on a real Heat (issue 8, parts 2-6): stacks whose server is
this host (OS::Heat::DeployedServer), their deployments run by our real
``heat-container-agent`` (given only the server's os-collect-config section,
signalling through each deployment's transport) on the Keystone-authenticated
local Heat, containers on the shared Docker engine.

- ToolScenarioTest: one stack per tool (docker-cmd, docker-compose, atomic,
  and the neutral `container` group with the tool picked by a stack
  parameter) of templates/tool.yaml: CREATE_COMPLETE, the containers run,
  the deployment outputs are stack outputs; a crashing container fails the
  stack, its error in the deployment's signalled deploy_stderr; a stack
  delete removes the containers (the deployments run on DELETE:
  ``actions`` includes DELETE).
- OvercloudScenarioTest: the project's templates/overcloud.yaml with the
  containers environment deploys real MariaDB, RabbitMQ, memcached and
  Keystone from the hch-kolla images (images/kolla-base/build), then an
  update of MemcachedMaxMemory replaces only memcached and its config
  writer. Container names are fixed by the templates, so it is one test.

Every container gets a per-test ``managed_by`` label (the agent's hooks
config), which is how cleanup finds all of them.
"""

import fcntl
import os
import shutil
import socket
import subprocess
import tempfile
import time

import docker
import testtools

from tests.functional import base as functional_base
from tests.functional_heat import base
from tests.functional_heat import keystone as keystone_mod

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
KOLLA_BUILD = os.path.join(REPO, 'images', 'kolla-base', 'build')
KOLLA_IMAGES = ['hch-kolla/%s:latest' % name
                for name in ('mariadb', 'rabbitmq', 'memcached', 'keystone')]
OVERCLOUD_TIMEOUT = float(os.environ.get('HCH_OVERCLOUD_TIMEOUT', '1800'))
SLEEPER = ['sleep', '3600']


def free_ports(count):
    """count distinct free TCP ports on 127.0.0.1 (away from defaults)."""
    socks, ports = [], []
    try:
        while len(ports) < count:
            sock = socket.socket()
            sock.bind(('127.0.0.1', 0))
            socks.append(sock)
            ports.append(sock.getsockname()[1])
    finally:
        for sock in socks:
            sock.close()
    return ports


def ask(port, data, timeout=10):
    """What a TCP service on 127.0.0.1:port answers to data."""
    with socket.create_connection(('127.0.0.1', port), timeout) as sock:
        sock.sendall(data)
        return sock.recv(64)


class ScenarioBase(base.HeatTest):

    shared_heat = True

    def setUp(self):
        super().setUp()
        functional_base.ensure_busybox(self.docker)
        # Our own managed_by: every container of this test, whatever the
        # group, carries it (cleanup and the assertions find them by it).
        self.hook_conf_text += 'managed_by = %s\nstop_grace_period = 1\n' \
            % self.prefix
        with open(self.hook_conf, 'w') as handle:
            handle.write(self.hook_conf_text)
        self.addCleanup(self.remove_ours)
        self.timings = []
        self.addCleanup(lambda: self.addDetail(
            'timings', testtools.content.text_content(
                '\n'.join('%s %.1fs' % t for t in self.timings))))

    def timed(self, what, started):
        self.timings.append((what, time.monotonic() - started))

    def ours(self):
        """Our containers: managed_by is ours (the container group adds
        /<tool>), or (atomic's label commands run `docker run` themselves)
        a name of this test."""
        found = {}
        for filters in ({'label': 'managed_by'}, {'name': self.prefix}):
            # ignore_removed: the agent's cleanup removes containers while
            # this lists them.
            for container in self.docker.containers.list(
                    all=True, filters=filters, ignore_removed=True):
                owner = container.labels.get('managed_by') or ''
                if owner.split('/')[0] == self.prefix or \
                        container.name.startswith(self.prefix):
                    found[container.id] = container
        return list(found.values())

    def remove_ours(self):
        functional_base.remove_quietly(self.ours())

    def deploy(self, template, parameters=None, environment=None,
               status='CREATE_COMPLETE', timeout=base.STACK_TIMEOUT):
        """Create the stack, start our agent for its server(s) once they
        exist, wait for status; the stack id."""
        started = time.monotonic()
        stack_id = self.create_stack(template, parameters, environment)
        for server_id in self.wait_servers(stack_id):
            self.start_agent(server_id)
        stack = self.wait_stack(stack_id, (status,), agent=False,
                                timeout=timeout)
        self.timed('create %s' % status, started)
        self.assertEqual(status, stack.stack_status,
                         stack.stack_status_reason)
        return stack_id

    def delete_and_check(self, stack_id, timeout=60):
        """Delete with our agent still running: DELETE_COMPLETE; then our
        containers are removed by the agent's cleanup if it collected the
        server's list after Heat deleted the deployments and before it
        deleted the server's stack user (whose credentials are all the
        agent has; Heat does not wait for DELETE deployments of a
        DeployedServer: it asks Nova whether the server exists), else by
        the test (recorded in the details as left by the agent)."""
        started = time.monotonic()
        self.assertEqual('DELETE_COMPLETE', self.delete_stack(stack_id))
        deadline = time.monotonic() + timeout
        while self.ours() and time.monotonic() < deadline:
            time.sleep(0.5)
        self.timed('delete', started)
        left = [c.name for c in self.ours()]
        if left:
            self.addDetail('left-by-the-agent', testtools.content.text_content(
                ', '.join(left)))
            projects = set()
            for container in self.ours():
                projects.add(container.labels.get(
                    'com.docker.compose.project'))
                container.remove(force=True, v=True)
            for project in projects - {None}:
                for network in self.docker.networks.list(filters={
                        'label': 'com.docker.compose.project=%s' % project}):
                    network.remove()
        self.assertEqual([], [c.name for c in self.ours()])


class ToolScenarioTest(ScenarioBase):

    def check_running(self, stack_id, names):
        """Each named container runs on the engine (compose names it
        <project>-<service>-1), with the id and state of the stack
        outputs; the outputs."""
        outputs = self.outputs(stack_id)
        self.assertEqual(0, outputs['deploy_status_code'])
        containers = outputs['containers']
        self.assertEqual(sorted(names), sorted(containers))
        for name in names:
            container = self.docker.containers.get(containers[name]['id'])
            self.assertEqual('running', container.status)
            self.assertIn(name, container.name)
            self.assertEqual('running', containers[name]['state'])
        return outputs

    def tool_stack(self, group, config, names, tool='docker'):
        id_name = names[0]
        stack_id = self.deploy('tool.yaml', {
            'group': group, 'tool': tool, 'config': config,
            'config_outputs': [{'name': 'containers'},
                               {'name': '%s_id' % id_name}],
            'id_output': '%s_id' % id_name})
        outputs = self.check_running(stack_id, names)
        self.assertEqual(outputs['containers'][id_name]['id'],
                         outputs['id'])
        self.assertEqual(len(names), len(
            [c for c in self.ours() if c.status == 'running']))
        self.delete_and_check(stack_id)

    def cmd_config(self, *names):
        return {name: {'image': base.BUSYBOX_IMAGE, 'net': 'none',
                       'command': SLEEPER} for name in names}

    def test_docker_cmd(self):
        names = ['%s-web' % self.prefix, '%s-db' % self.prefix]
        self.tool_stack('docker-cmd', self.cmd_config(*names), names)

    def test_docker_compose(self):
        config = {'services': {
            name: {'image': base.BUSYBOX_IMAGE, 'network_mode': 'none',
                   'command': SLEEPER}
            for name in ('web', 'db')}}
        # The outputs name services; the containers are <project>-<name>-1.
        self.tool_stack('docker-compose', config, ['web', 'db'])

    def test_atomic(self):
        self.hook_conf_text += '[atomic]\nrunner = docker\n' \
            'datadir_base = %s\n' % os.path.join(self.tmp, 'atomic')
        tag = 'hch-test-atomic/%s:v1' % self.prefix
        install = ('docker run --net=none --rm -v ${DATADIR}:/m ${IMAGE} '
                   'touch /m/installed')
        run = ('docker run --net=none -d --name ${NAME} ${IMAGE} '
               'sleep 3600')
        functional_base.build_image(tag, [
            'FROM %s' % base.BUSYBOX_IMAGE,
            'LABEL INSTALL="%s"' % install.replace('$', '\\$'),
            'LABEL RUN="%s"' % run.replace('$', '\\$')],
            client=self.docker)
        self.addCleanup(self.docker.images.remove, tag, force=True)
        name = '%s-atomic' % self.prefix
        self.tool_stack('atomic', {'command': 'install', 'image': tag,
                                   'name': name}, [name])
        self.assertTrue(os.path.exists(
            os.path.join(self.tmp, 'atomic', name, 'installed')))

    def test_container_group_with_docker(self):
        names = ['%s-web' % self.prefix, '%s-db' % self.prefix]
        self.tool_stack('container', self.cmd_config(*names), names)

    def test_container_group_with_compose(self):
        names = ['%s-web' % self.prefix, '%s-db' % self.prefix]
        self.tool_stack('container', self.cmd_config(*names), names,
                        tool='compose')
        # (delete_and_check: compose brought its project down, too)

    def test_crashing_container_fails_the_stack_with_its_error(self):
        name = '%s-crash' % self.prefix
        stack_id = self.deploy('tool.yaml', {
            'group': 'docker-cmd', 'config': {name: {
                'image': base.BUSYBOX_IMAGE, 'net': 'none',
                'command': ['sh', '-c',
                            'echo scenario-crash-boom >&2; exit 3']}}},
            status='CREATE_FAILED')
        self.assert_failed_with(stack_id, 'scenario-crash-boom')
        self.delete_and_check(stack_id)


class OvercloudScenarioTest(ScenarioBase):
    """The overcloud (docker): create, check the services, update one."""

    # Its own Heat, with the convergence engine: on the legacy engine an
    # UPDATE of MemcachedMaxMemory reaches the memcached nested stack but
    # not the deploy steps' configs (the service chain's role_data output
    # is not carried up), so nothing would be replaced.
    shared_heat = False
    heat_options = {'convergence': True}

    tool_environment = 'environments/container-tool-docker.yaml'
    # Names fixed by the templates: one overcloud on this host at a time.
    fixed_names = ('mysql', 'mysql_config', 'mysql_bootstrap', 'rabbitmq',
                   'rabbitmq_config', 'memcached', 'memcached_config',
                   'keystone', 'keystone_config', 'keystone_db_create',
                   'keystone_db_sync', 'keystone_fernet_setup',
                   'keystone_bootstrap')

    def setUp(self):
        super().setUp()
        # One overcloud at a time on this host (fixed container names):
        # the tool variants wait for each other across test workers.
        lock = open(os.path.join(tempfile.gettempdir(),
                                 'hch-overcloud-scenario.lock'), 'w')
        self.addCleanup(lock.close)
        fcntl.flock(lock, fcntl.LOCK_EX)
        self.ensure_images()
        # Another (or a killed) overcloud's containers would collide.
        taken = [n for n in self.fixed_names if self.exists(n)]
        if taken:
            self.skipTest('containers %s exist (another overcloud runs '
                          'on this host)' % ', '.join(taken))
        self.dirs = {key: os.path.join(self.tmp, key)
                     for key in ('config-data', 'kolla', 'data')}
        # The services write as their own users (mysql, rabbitmq, ...).
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def exists(self, name):
        try:
            self.docker.containers.get(name)
            return True
        except docker.errors.NotFound:
            return False

    def ensure_images(self):
        missing = []
        for tag in KOLLA_IMAGES:
            try:
                self.docker.images.get(tag)
            except docker.errors.ImageNotFound:
                missing.append(tag)
        if missing or os.environ.get('HCH_KOLLA_BUILD') == '1':
            if os.geteuid() != 0 or not shutil.which('debootstrap'):
                self.skipTest('no images %s and cannot build them (root '
                              'and debootstrap)' % missing)
            started = time.monotonic()
            subprocess.run([KOLLA_BUILD], check=True,
                           stdout=subprocess.DEVNULL, timeout=3600)
            self.timed('image build', started)

    def parameters(self):
        (mysql, rabbit, dist, epmd, memcached, keystone) = free_ports(6)
        self.ports = {'mysql': mysql, 'rabbitmq': rabbit,
                      'memcached': memcached, 'keystone': keystone}
        self.passwords = {
            'mysql_root_password': 'root_%s' % self.prefix,
            'keystone_db_password': 'ks.db-%s' % self.prefix,
            'admin_password': 'adm+%s=@%%' % self.prefix,
            'rabbit_password': 'rb:%s' % self.prefix,
            'rabbit_cookie': 'COOKIE%s' % self.prefix.upper(),
            'placement_db_password': 'pl_%s' % self.prefix,
            'placement_password': 'pl_%s' % self.prefix}
        return {
            # Placement is left out: its image needs placement-api in
            # images/kolla-base/packages.txt (a 1 GB rebuild).
            'ControllerServices': ','.join(
                'OS::TripleO::Services::%s' % s
                for s in ('MySQL', 'RabbitMQ', 'Memcached', 'Keystone')),
            'ServiceHost': '127.0.0.1', 'MysqlPort': mysql,
            'RabbitMQPort': rabbit, 'RabbitMQDistPort': dist,
            'RabbitMQEpmdPort': epmd, 'MemcachedPort': memcached,
            'KeystonePublicPort': keystone,
            'ConfigDataDir': self.dirs['config-data'],
            'KollaConfigDir': self.dirs['kolla'],
            'ContainerDataDir': self.dirs['data'],
            'DefaultPasswords': self.passwords,
            'DeploymentSignalTransport': 'HEAT_SIGNAL'}

    def create_overcloud(self, defaults):
        """stacks.create the way the templates' author documents it:
        parameter_defaults (they reach the nested templates)."""
        from heatclient.common import template_utils
        files, tpl = template_utils.get_template_contents(
            os.path.join(REPO, 'templates', 'overcloud.yaml'))
        efiles, env = template_utils.process_multiple_environments_and_files(
            [os.path.join(REPO, path) for path in (
                'environments/puppet.yaml', 'environments/containers.yaml',
                self.tool_environment)])
        env.setdefault('parameter_defaults', {}).update(defaults)
        stack = self.hc.stacks.create(
            stack_name='%s-overcloud' % self.prefix, template=tpl,
            files=dict(files, **efiles), environment=env)['stack']
        self.addCleanup(self.delete_stack, stack['id'])
        self.files, self.tpl, self.env = dict(files, **efiles), tpl, env
        return stack['id']

    def wait(self, stack_id, status):
        stack = self.wait_stack(stack_id, (status,), agent=False,
                                timeout=OVERCLOUD_TIMEOUT)
        self.assertEqual(status, stack.stack_status,
                         stack.stack_status_reason)

    @staticmethod
    def logical_name(container):
        """The template's container name: compose names its containers
        <project>-<service>-1 and labels them with the service."""
        return container.labels.get('com.docker.compose.service') or \
            container.name

    def find(self, name):
        for container in self.ours():
            if self.logical_name(container) == name:
                return container
        self.fail('no container %s of this test' % name)

    def ids(self):
        return {self.logical_name(c): c.id for c in self.ours()}

    def check_services(self, stack_id):
        outputs = self.outputs(stack_id)
        url = outputs['KeystoneURL']
        self.assertIn(':%d' % self.ports['keystone'], url)
        status, token, _ = keystone_mod.admin_token(
            url, self.passwords['admin_password'], timeout=30)
        self.assertEqual(201, status)
        self.assertTrue(token)
        self.assertTrue(ask(self.ports['memcached'],
                            b'version\r\n').startswith(b'VERSION'))
        # AMQP 0-9-1 protocol header -> connection.start (a method frame).
        self.assertEqual(b'\x01', ask(self.ports['rabbitmq'],
                                      b'AMQP\x00\x00\x09\x01')[:1])
        # db_sync and bootstrap ran against the MariaDB container.
        for oneshot in ('keystone_db_sync', 'keystone_bootstrap'):
            state = self.find(oneshot).attrs['State']
            self.assertEqual(('exited', 0),
                             (state['Status'], state['ExitCode']), oneshot)
        query = self.find('mysql').exec_run(
            ['mysql', '-uroot', '-h127.0.0.1', '-P%d' % self.ports['mysql'],
             '-N', '-e', 'SELECT name FROM keystone.local_user; '
             'SELECT COUNT(*) > 20 FROM information_schema.tables '
             'WHERE table_schema = "keystone"'],
            environment={'MYSQL_PWD': self.passwords['mysql_root_password']})
        self.assertEqual(0, query.exit_code, query.output)
        self.assertEqual(['admin', '1'], query.output.decode().split())

    def test_create_check_update_delete(self):
        defaults = self.parameters()
        started = time.monotonic()
        stack_id = self.create_overcloud(defaults)
        [server_id] = self.wait_servers(stack_id)
        self.start_agent(server_id)
        self.wait(stack_id, 'CREATE_COMPLETE')
        self.timed('overcloud create', started)
        self.check_services(stack_id)
        before = self.ids()
        for name in self.fixed_names:
            self.assertIn(name, before)

        # Update: one service's parameter -> only its containers replaced.
        started = time.monotonic()
        env = dict(self.env, parameter_defaults=dict(
            self.env['parameter_defaults'], MemcachedMaxMemory=32))
        self.hc.stacks.update(stack_id, template=self.tpl, files=self.files,
                              environment=env)
        self.wait(stack_id, 'UPDATE_COMPLETE')
        self.timed('overcloud update', started)
        after = self.ids()
        changed = sorted(n for n in before if after.get(n) != before[n])
        self.assertEqual(['memcached', 'memcached_config'], changed)
        self.assertEqual(sorted(before), sorted(after))
        self.assertIn('-m 32', ' '.join(
            self.find('memcached').top()['Processes'][0]))
        self.check_services(stack_id)

        # Delete: the agent's cleanup removes every container (the
        # overcloud's deployments have no DELETE action, as in THT).
        self.delete_and_check(stack_id, timeout=300)
        self.assertEqual([], [n for n in self.fixed_names
                              if self.exists(n)])


class OvercloudComposeScenarioTest(OvercloudScenarioTest):
    """The same overcloud with ContainerTool: compose."""

    tool_environment = 'environments/container-tool-compose.yaml'
