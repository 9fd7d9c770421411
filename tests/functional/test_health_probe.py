"""Healthy without the idle interval, on the real engine: a healthcheck
without an ``interval`` (as TripleO writes them) is first run by dockerd 30 s
after the start; the hooks run the container's own check themselves
meanwhile (dockerapi.wait_ready + healthprobe) and reply as soon as it
passes, leaving the container's healthcheck as it was.

Assertions are on behaviour, not time: the reply says ``passed`` while the
engine's status is still ``starting`` (without the probe the hook would
wait for the engine's ``healthy``), and the container's config is what the
deployment asked for.
"""

import json

from tests.functional import base
from tests.functional import test_atomic

READY = 'hch18-ready'
# Ready 1 s after the start; stops promptly on SIGTERM.
SERVICE = ['sh', '-c', "trap 'exit 0' TERM; sleep 1; touch /%s; "
           "while true; do sleep 0.2; done" % READY]
SHELL_CHECK = 'test -f /%s && echo ok' % READY


class HealthProbeMixin:

    def assert_probed(self, name, health, expected_check):
        """The hook's reply came while the engine still said "starting",
        and the container's healthcheck is the one asked for."""
        self.assertEqual('passed', health)
        attrs = self.container(name).attrs
        self.assertEqual('starting', attrs['State']['Health']['Status'])
        self.assertEqual(expected_check, attrs['Config']['Healthcheck'])


class DockerCmdHealthProbeTest(HealthProbeMixin, base.FunctionalTest):

    def test_interval_less_check_passes_before_the_engines_first(self):
        db, app = self.name('db'), self.name('app')
        result = self.run_hook(self.item(
            {db: {'image': self.image, 'command': SERVICE,
                  'healthcheck': {'test': SHELL_CHECK}},
             app: {'image': self.image, 'command': SERVICE,
                   'start_order': 1}},
            outputs=[db + '_health']))
        self.assertEqual(0, result.code, result.error)
        self.assert_probed(db, result.reply[db + '_health'],
                           {'Test': ['CMD-SHELL', SHELL_CHECK]})
        self.assertIn('running, passed', result.stdout)
        # The next start order ran once the check had passed.
        self.assertEqual('running', self.container(app).status)

    def test_check_that_never_passes_fails_with_its_output(self):
        db, app = self.name('db'), self.name('app')
        check = 'echo hch18-not-ready-yet >&2; exit 1'
        result = self.run_hook(self.item(
            {db: {'image': self.image, 'command': SERVICE,
                  'healthcheck': {'test': check}},
             app: {'image': self.image, 'command': SERVICE,
                   'start_order': 1}},
            options={'healthy_timeout': 3}))
        self.assertEqual(1, result.code)
        self.assertIn('did not become healthy within 3s', result.error)
        self.assertIn('hch18-not-ready-yet', result.error)
        self.assertIsNone(self.container(app))

    def test_image_healthcheck_counts_and_none_disables(self):
        tag = 'hch-test-probe/%s:1' % self.prefix
        base.build_image(tag, [
            'FROM %s' % self.image,
            'HEALTHCHECK CMD ["test", "-f", "/%s"]' % READY],
            client=self.client)
        self.addCleanup(self.client.images.remove, tag, force=True)
        self.addCleanup(self.remove_test_containers)    # before the image
        svc, off = self.name('svc'), self.name('off')
        result = self.run_hook(self.item(
            {svc: {'image': tag, 'command': SERVICE},
             off: {'image': tag, 'command': ['sleep', '1000'],
                   'healthcheck': {'disable': True}}},
            outputs=[svc + '_health', off + '_health']))
        self.assertEqual(0, result.code, result.error)
        self.assert_probed(svc, result.reply[svc + '_health'],
                           {'Test': ['CMD', 'test', '-f', '/' + READY]})
        self.assertEqual('', result.reply[off + '_health'])
        self.assertEqual(['NONE'], self.container(off).attrs['Config'][
            'Healthcheck']['Test'])

    def test_probe_period_zero_leaves_the_check_to_the_engine(self):
        db = self.name('db')
        result = self.run_hook(self.item(
            {db: {'image': self.image, 'command': SERVICE,
                  'healthcheck': {'test': SHELL_CHECK}}},
            options={'health_probe_period': 0, 'healthy_timeout': 3}))
        self.assertEqual(1, result.code)
        self.assertIn('did not become healthy within 3s', result.error)


class AtomicHealthProbeTest(HealthProbeMixin, test_atomic.AtomicTestBase):

    def test_image_healthcheck_passes_before_the_engines_first(self):
        # The RUN label starts the image's CMD; its HEALTHCHECK has no
        # interval.
        image = self.build('probe', {
            'RUN': 'docker run --net=none -d --name ${NAME} ${IMAGE}'},
            extra=[
            'HEALTHCHECK CMD test -f /%s' % READY,
            'CMD %s' % json.dumps(SERVICE)])
        name = self.name('svc')
        result = self.run_hook(self.item(
            {'command': 'run', 'image': image, 'name': name},
            outputs=[name + '_health']))
        self.assertEqual(0, result.code, result.error)
        self.assert_probed(name, result.reply[name + '_health'], {
            'Test': ['CMD-SHELL', 'test -f /%s' % READY]})
