"""Crash consistency and a lost engine: a hook killed mid-apply, and a
dockerd that stops before or during a run (a private dockerd, never the
shared one), then runs that converge (doc/reliability.md)."""

import os
import random
import shutil
import signal
import subprocess
import tempfile
import time

import docker
import fixtures
from testtools import content

from tests.functional import base
from tests.functional import test_reliability

SERVICE = test_reliability.SERVICE
NET = test_reliability.NET


class PrivateDockerd(fixtures.Fixture):
    """A dockerd of its own: own data/exec roots, pidfile and socket under
    a temp dir, in its own network namespace (a dockerd started with
    --bridge=none deletes the host's docker0 bridge otherwise)."""

    def __init__(self, image):
        super().__init__()
        self.image = image
        self.proc = None

    def _setUp(self):
        for tool in ('dockerd', 'unshare', 'docker'):
            if shutil.which(tool) is None:
                raise Unavailable('%s is not installed' % tool)
        if os.geteuid() != 0:
            raise Unavailable('a private dockerd needs root')
        # Short: a unix socket path has at most 107 bytes.
        self.dir = tempfile.mkdtemp(prefix='hchrel-', dir='/tmp')
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.sock = os.path.join(self.dir, 'docker.sock')
        self.url = 'unix://' + self.sock
        self.addCleanup(self.stop)
        self.start()
        self.load_image()

    def start(self):
        log = open(os.path.join(self.dir, 'dockerd.log'), 'ab')
        self.proc = subprocess.Popen(
            ['unshare', '--net', '--', 'dockerd',
             '--data-root', os.path.join(self.dir, 'data'),
             '--exec-root', os.path.join(self.dir, 'exec'),
             '--pidfile', os.path.join(self.dir, 'docker.pid'),
             '-H', self.url, '--bridge=none', '--iptables=false',
             '--ip6tables=false', '--ip-masq=false',
             '--storage-driver=vfs', '--shutdown-timeout=1'],
            stdout=log, stderr=log, start_new_session=True)
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                client = docker.APIClient(base_url=self.url, timeout=5)
                client.ping()
                client.close()
                return
            except Exception:
                time.sleep(0.2)
        self.stop()
        raise Unavailable('a private dockerd did not start: %s'
                          % self.log_tail())

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(30)

    def load_image(self):
        save = subprocess.Popen(['docker', 'save', self.image],
                                stdout=subprocess.PIPE)
        load = subprocess.run(['docker', '-H', self.url, 'load'],
                              stdin=save.stdout, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=120)
        save.stdout.close()
        save.wait(120)
        if load.returncode:
            raise Unavailable('cannot load %s into a private dockerd: %s'
                              % (self.image, load.stderr.decode()[-500:]))

    def log_tail(self):
        try:
            with open(os.path.join(self.dir, 'dockerd.log'), 'rb') as log:
                return log.read()[-1500:].decode('utf-8', 'replace')
        except OSError:
            return ''

    def client(self):
        return docker.DockerClient(base_url=self.url, timeout=60)


class Unavailable(Exception):
    pass


class CrashTest(test_reliability.ReliabilityBase):
    """SIGKILL at random points of an apply, then a run that converges."""

    def config(self, generation):
        a, b, c, d = (self.name(x) for x in 'abcd')
        return {a: self.service(),
                b: self.service(start_order=1),
                c: self.service(environment={'GEN': str(generation % 3)}),
                d: {'image': self.image, 'detach': False, 'start_order': 2,
                    'command': ['true'], **NET}}

    def assert_converged(self, generation):
        config = self.config(generation)
        ours = self.ours()
        self.assertEqual(sorted(config), sorted(c.name for c in ours),
                         'duplicate or orphaned containers')
        for container in ours:
            state = container.attrs['State']
            if container.name == self.name('d'):
                self.assertEqual(('exited', 0),
                                 (state['Status'], state['ExitCode']))
            else:
                self.assertEqual('running', state['Status'])
        env = self.container(self.name('c')).attrs['Config']['Env']
        self.assertIn('GEN=%d' % (generation % 3), env)

    def test_sigkill_at_random_points_then_converge(self):
        seed = random.randrange(1 << 30)
        rng = random.Random(seed)
        self.addDetail('seed', content.text_content(
            str(seed)))
        for generation in range(10):
            item = self.item(self.config(generation),
                             config_id='gen%d' % generation)
            victim = test_reliability.HookProcess(self, item)
            time.sleep(rng.uniform(0.3, 3.0))
            victim.kill()
            result = self.run_hook(item)
            self.assertEqual(0, result.code, 'seed %d generation %d: %s\n'
                             'containers: %s\nlog: %s'
                             % (seed, generation, result.error, [
                                 (c.name, c.status, c.labels.get(
                                     'heat_container_hooks.owner'))
                                 for c in self.ours()],
                                 result.stderr[-3000:]))
            self.assert_converged(generation)
        # A DELETE killed halfway, then run again: nothing is left.
        item = self.item(None, config_id='delete', action='DELETE')
        victim = test_reliability.HookProcess(self, item)
        time.sleep(rng.uniform(0.3, 2.5))
        victim.kill()
        result = self.run_hook(item)
        self.assertEqual(0, result.code, result.error)
        self.assertEqual([], self.ours())


class EngineLossTest(test_reliability.ReliabilityBase):
    """The engine going away, on a private dockerd."""

    def setUp(self):
        super().setUp()
        try:
            self.dockerd = self.useFixture(PrivateDockerd(self.image))
        except Unavailable as exc:
            self.skipTest(str(exc))
        except fixtures.MultipleExceptions as exc:
            if isinstance(exc.args[0][1], Unavailable):
                self.skipTest(str(exc.args[0][1]))
            raise
        self.write_conf(docker_url=self.dockerd.url, docker_api_timeout=15)
        self.private = self.dockerd.client()
        self.addCleanup(self.private.close)

    def private_state(self, name):
        try:
            return self.private.containers.get(name).status
        except docker.errors.NotFound:
            return None

    def assert_engine_failure(self, result, killed=None):
        """A failure that says what happened: the engine failed, or
        (when it stopped the container on its way down) the container
        ``killed`` did not finish."""
        self.assertNotEqual(0, result.code)
        self.assertNotIn('internal error', result.error)
        first = result.error.split('\n')[0]
        if killed and 'engine' not in first.lower():
            self.assertIn('container %s exited with code' % killed, first)
        else:
            self.assertEqual(1, result.code)
            self.assertIn('engine', first.lower())

    def stopped_then_back(self, item, group=None):
        """Run ``item`` with the engine stopped (an engine failure), then
        with the engine back (success); returns the failed run."""
        self.dockerd.stop()
        down = self.run_hook(item, group=group, timeout=120)
        self.assert_engine_failure(down)
        self.dockerd.start()
        back = self.run_hook(item, group=group, timeout=120)
        self.assertEqual(0, back.code, back.error)
        return down

    def test_engine_stopped_before_the_run(self):
        web = self.name('web')
        down = self.stopped_then_back(self.item({web: self.service()}))
        self.assertIn('docker_url', down.error.split('\n')[0])
        self.assertEqual('running', self.private_state(web))

    def test_engine_that_hangs(self):
        # dockerd frozen (SIGSTOP): the socket accepts, nothing answers.
        self.write_conf(docker_url=self.dockerd.url, docker_api_timeout=3)
        web = self.name('web')
        item = self.item({web: self.service()})
        os.kill(self.dockerd.proc.pid, signal.SIGSTOP)
        try:
            hung = self.run_hook(item, timeout=90)
        finally:
            os.kill(self.dockerd.proc.pid, signal.SIGCONT)
        self.assert_engine_failure(hung)
        back = self.run_hook(item, timeout=90)
        self.assertEqual(0, back.code, back.error)
        self.assertEqual('running', self.private_state(web))

    def test_compose_engine_stopped_before_the_run(self):
        item = self.item({'services': {'web': self.compose_service()}},
                         group='docker-compose', name=self.prefix)
        self.stopped_then_back(item, group='docker-compose')
        running = [c for c in self.private.containers.list()
                   if c.labels.get('deploy_stack_id') == self.stack]
        self.assertEqual(['web'], [c.labels['com.docker.compose.service']
                                   for c in running])

    def test_container_group_engine_stopped_before_the_run(self):
        web = self.name('web')
        item = self.item({web: self.service()}, group='container',
                         inputs=[('container_tool', 'docker')])
        self.stopped_then_back(item, group='container')
        self.assertEqual('running', self.private_state(web))

    def test_atomic_engine_stopped_before_the_run(self):
        # An image whose RUN label starts the service, on the private
        # engine; its label commands reach that engine too (DOCKER_HOST).
        tag = 'hch-test-atomic/%s:loss' % self.prefix
        run = ('docker run --net=none -d --name ${NAME} ${IMAGE} '
               'sleep 100000')
        self.private.images.build(
            fileobj=base._context_tar({'Dockerfile': (
                ('FROM %s\nLABEL RUN="%s"\n' % (
                    self.image, run.replace('$', '\\$'))).encode(),
                0o644)}), custom_context=True, tag=tag, rm=True)
        with open(self.conf_file, 'a') as handle:
            handle.write('[atomic]\nrunner = docker\n')
        name = self.name('svc')
        item = self.item({'command': 'run', 'image': tag, 'name': name},
                         group='atomic')
        self.stopped_then_back(item, group='atomic')
        self.assertEqual('running', self.private_state(name))

    def test_engine_stopped_during_the_run(self):
        job, web = self.name('job'), self.name('web')
        item = self.item({
            job: {'image': self.image, 'detach': False, **NET,
                  'command': ['sleep', '2']},
            web: self.service(start_order=1)})
        slow = dict(item, config={
            job: dict(item['config'][job], command=['sleep', '60']),
            web: item['config'][web]})
        run = test_reliability.HookProcess(self, slow)
        deadline = time.monotonic() + 60
        while self.private_state(job) != 'running':
            self.assertLess(time.monotonic(), deadline, 'job never ran')
            time.sleep(0.1)
        self.dockerd.stop()
        self.assert_engine_failure(run.finish(timeout=90), killed=job)
        self.dockerd.start()
        self.private.close()
        self.private = self.dockerd.client()
        back = self.run_hook(item, timeout=90)
        self.assertEqual(0, back.code, back.error)
        self.assertEqual('running', self.private_state(web))
        self.assertEqual('exited', self.private_state(job))
        names = sorted(c.name for c in self.private.containers.list(
            all=True))
        self.assertEqual(sorted([job, web]), names)


class ComposeCrashTest(test_reliability.ReliabilityBase):
    """The same for docker-compose: the hook (and the compose process it
    runs) killed mid-apply, then a run that converges."""

    group = 'docker-compose'

    def setUp(self):
        super().setUp()
        self.addCleanup(self.remove_test_networks)

    def config(self, generation):
        return {'services': {
            'a': self.compose_service(),
            'b': self.compose_service(environment={
                'GEN': str(generation % 3)}, depends_on=['a'])}}

    def test_sigkill_at_random_points_then_converge(self):
        seed = random.randrange(1 << 30)
        rng = random.Random(seed)
        for generation in range(5):
            item = self.item(self.config(generation), name=self.prefix,
                             config_id='gen%d' % generation)
            victim = test_reliability.HookProcess(self, item)
            time.sleep(rng.uniform(0.5, 4.0))
            # The hook only: a compose process it started may still be
            # running when the next run starts.
            victim.kill()
            result = self.run_hook(item)
            ours = self.stack_containers()
            self.assertEqual(0, result.code, 'seed %d generation %d: %s\n'
                             'containers: %s\nlog: %s'
                             % (seed, generation, result.error, [
                                 (c.name, c.status) for c in ours],
                                 result.stderr[-3000:]))
            services = sorted(c.labels['com.docker.compose.service']
                              for c in ours)
            self.assertEqual(['a', 'b'], services,
                             'seed %d generation %d' % (seed, generation))
            for container in ours:
                self.assertEqual('running', container.status)
                if container.labels['com.docker.compose.service'] == 'b':
                    self.assertIn('GEN=%d' % (generation % 3),
                                  container.attrs['Config']['Env'])
