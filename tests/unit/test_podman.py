"""The podman engine's own parts: podman's healthchecks run by the hook,
finding podman's socket, the systemd units, the engine and tool choice."""

import os
import shutil
import socket
import tempfile
from unittest import mock

import testtools

from heat_container_hooks import conf as conf_mod
from heat_container_hooks import dockerapi
from heat_container_hooks.engines import podman as podman_engine
from heat_container_hooks.engines import podman_service
from heat_container_hooks.engines import systemd_units
from heat_container_hooks.groups import container as container_group
from heat_container_hooks import healthprobe
from heat_container_hooks import observed as observed_mod
from heat_container_hooks import spec as spec_mod
from heat_container_hooks import values
from tests.unit import test_healthprobe


class FakeAnswer:
    def __init__(self, data):
        self.data = data

    def raise_for_status(self):
        pass

    def json(self):
        return self.data


class FakePodman(test_healthprobe.FakeApi):
    """podman as the wait sees it: health stays "starting" until the
    hook runs the check through libpod's healthcheck endpoint, which
    answers from ``checks`` (the last repeats) and records the result."""

    base_url = 'http+docker://localhost'
    api_version = '1.41'

    def __init__(self, checks, interval=0.05):
        self.checks = list(checks)
        self.runs = []
        self.interval = interval
        self.health = 'starting'
        super().__init__([])

    def version(self):
        return {'Components': [{'Name': 'Podman Engine'}]}

    def inspect_container(self, ident):
        return test_healthprobe.info(health=self.health,
                                     interval=self.interval,
                                     log=['not yet'])

    def get(self, url, timeout=None, params=None):
        self.runs.append(url)
        status = self.checks.pop(0) if len(self.checks) > 1 \
            else self.checks[0]
        if status == 'healthy':
            self.health = 'healthy'
        return FakeAnswer({'Status': status})


def wait(api, healthy_timeout=5):
    """The shared wait; the exec probe's period (1 s) is longer than the
    checks' interval, so it never runs."""
    return test_healthprobe.wait(api, period=1.0,
                                 healthy_timeout=healthy_timeout)


class EngineCheckTest(testtools.TestCase):

    def test_podman_is_told_apart_from_dockerd(self):
        self.assertFalse(healthprobe.engine_runs_checks(FakePodman([])))
        self.assertTrue(healthprobe.engine_runs_checks(
            test_healthprobe.FakeApi([])))

    def test_the_hook_has_podman_run_the_check_until_healthy(self):
        api = FakePodman(['unhealthy', 'unhealthy', 'healthy'])
        self.assertEqual(('running', 'healthy'), wait(api))
        self.assertEqual(3, len(api.runs))
        self.assertEqual('http+docker://localhost/v1.41/libpod/containers/'
                         + 'c1' * 32 + '/healthcheck', api.runs[0])
        # The exec probe did not run: the interval is under the period.
        self.assertEqual([], api.created)

    def test_never_healthy_fails_after_healthy_timeout_with_its_log(self):
        api = FakePodman(['unhealthy'])
        error = self.assertRaises(dockerapi.ContainerFailed, wait, api,
                                  healthy_timeout=0.4)
        self.assertIn('did not become healthy within 0.4s', str(error))
        self.assertIn('not yet', str(error))
        self.assertTrue(api.runs)

    def test_dockerd_runs_its_own_checks(self):
        api = test_healthprobe.FakeApi(
            [test_healthprobe.info(interval=0.05)] * 3
            + [test_healthprobe.info(health='healthy')])
        self.assertIsNone(healthprobe.engine_check(
            api, 'c1', test_healthprobe.info()))
        self.assertEqual(('running', 'healthy'), wait(api))


class ServiceTest(testtools.TestCase):

    def test_configured_url_first(self):
        self.assertEqual(('unix:///x.sock', None), podman_service.connect(
            'unix:///x.sock', 'podman', 1, '[podman] url',
            system_socket='/nonexistent'))

    def test_system_socket_when_it_answers(self):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp, True)
        path = os.path.join(tmp, 'podman.sock')
        self.assertIsNone(podman_service.running_url(None, path))
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(path)
        server.listen(1)
        self.addCleanup(server.close)
        self.assertEqual('unix://' + path,
                         podman_service.running_url(None, path))

    def test_private_service_that_cannot_start_names_the_option(self):
        error = self.assertRaises(
            podman_service.errors.EngineError, podman_service.connect,
            None, '/nonexistent/podman', 1, '[podman] url',
            system_socket='/nonexistent')
        self.assertIn('[podman] url', str(error))


def spec(name='web', **kwargs):
    return spec_mod.ContainerSpec(name=name, image='img', **kwargs)


UNIT = '''[Unit]
Description=Podman hch-web.service

[Service]
ExecStart=/usr/bin/podman start web

[Install]
WantedBy=default.target
'''


class UnitsTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir, True)

    def test_which_containers_get_a_unit(self):
        self.assertTrue(systemd_units.wanted(spec(restart='always')))
        self.assertTrue(systemd_units.wanted(spec(restart='on-failure:3')))
        self.assertTrue(systemd_units.wanted(spec(restart='unless-stopped')))
        self.assertFalse(systemd_units.wanted(spec(restart='no')))
        self.assertFalse(systemd_units.wanted(spec()))
        self.assertFalse(systemd_units.wanted(spec(restart='always',
                                                   detach=False)))

    def test_install_enables_and_remove_disables(self):
        path = systemd_units.install(self.dir, 'web', UNIT)
        self.assertEqual(os.path.join(self.dir, 'hch-web.service'), path)
        link = os.path.join(self.dir, 'default.target.wants',
                            'hch-web.service')
        self.assertEqual(path, os.readlink(link))
        with open(path) as handle:
            self.assertEqual(UNIT, handle.read())
        # Written again (a replaced container): still one link.
        systemd_units.install(self.dir, 'web', UNIT)
        self.assertTrue(systemd_units.remove(self.dir, 'web'))
        self.assertFalse(os.path.lexists(link))
        self.assertFalse(os.path.exists(path))
        self.assertFalse(systemd_units.remove(self.dir, 'web'))

    def test_generate_failure_names_the_container(self):
        error = self.assertRaises(
            systemd_units.errors.EngineError, systemd_units.generate,
            '/nonexistent/podman', None, 'web', 'always', 10)
        self.assertIn('container web', str(error))


class HealthFromLibpodTest(testtools.TestCase):

    def test_running_containers_get_libpods_health(self):
        api = mock.Mock(base_url='http+docker://x', api_version='1.41')
        api.get.return_value = FakeAnswer([
            {'Id': 'a', 'Status': 'starting'}, {'Id': 'b', 'Status': ''}])
        engine = podman_engine.PodmanEngine.__new__(podman_engine.PodmanEngine)
        engine.access = mock.Mock(api=api)
        found = [observed_mod.ObservedContainer('a', 'a', 'running'),
                 observed_mod.ObservedContainer('b', 'b', 'running'),
                 observed_mod.ObservedContainer('c', 'c', 'exited')]
        health = [c.health for c in engine._with_health(found)]
        self.assertEqual(['starting', '', ''], health)
        self.assertIn('"id": ["a", "b"]', api.get.call_args[1]['params'][
            'filters'])


class RlimitTest(testtools.TestCase):

    TEXT = ('runc create failed: error setting rlimit type 6: operation not '
            'permitted')

    def test_some_ulimits_given_names_the_field_and_what_to_add(self):
        error = podman_engine.rlimit_failure(
            spec(ulimits=(('nofile', 1024, 2048),)), 'web', self.TEXT)
        self.assertIn('config.web.ulimit: ', str(error))
        self.assertIn('give nproc in ulimit too', str(error))
        self.assertIn(self.TEXT, str(error))

    def test_no_ulimits_points_at_containers_conf(self):
        error = podman_engine.rlimit_failure(spec(), 'web', self.TEXT)
        self.assertIn('container web: podman cannot give it its resource '
                      'limits', str(error))
        self.assertIn('default_ulimits', str(error))


class DialectTest(testtools.TestCase):

    def test_log_tag_needs_journald(self):
        specs = (spec(log_tag='web'), spec('db'))
        problems = podman_engine.dialect_problems(specs, 'k8s-file').items
        self.assertEqual(['config.web.log_tag'], [p.field for p in problems])
        self.assertIn('k8s-file', str(problems[0]))
        self.assertEqual([], podman_engine.dialect_problems(
            specs, 'journald').items)
        # Not known yet (the container group's validation): left to the
        # engine's check.
        self.assertEqual([], podman_engine.dialect_problems(specs).items)


class ComposeOnPodmanTest(testtools.TestCase):

    def test_service_healthy_refused_without_systemd(self):
        from heat_container_hooks.groups import docker_compose
        compose = {'services': {
            'db': {}, 'web': {'depends_on': {
                'db': {'condition': 'service_healthy'}}},
            'app': {'depends_on': ['db']}}}
        podman = mock.Mock(engine='podman')
        with mock.patch.object(systemd_units, 'systemd_running',
                               return_value=False):
            problems = docker_compose.podman_problems(compose, podman).items
            self.assertEqual(['config.services.web.depends_on.db.condition'],
                             [p.field for p in problems])
            self.assertEqual([], docker_compose.podman_problems(
                compose, mock.Mock(engine='docker')).items)
        with mock.patch.object(systemd_units, 'systemd_running',
                               return_value=True):
            self.assertEqual([], docker_compose.podman_problems(
                compose, podman).items)


class ChoiceTest(testtools.TestCase):

    def test_engine_option_reader(self):
        self.assertEqual('podman', values.engine(' Podman'))
        self.assertRaises(values.Invalid, values.engine, 'rkt')

    def test_podman_is_a_tool_and_an_engine(self):
        self.assertIn('podman', container_group.TOOLS)
        conf = conf_mod.cfg.ConfigOpts()
        conf_mod.register_opts(conf)
        conf([])
        self.assertEqual('docker', conf.engine)
        self.assertEqual('auto', conf.podman.systemd_units)
        self.assertIn('engine', conf_mod.OVERRIDABLE)
