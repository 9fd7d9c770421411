"""Every container of a run is waited on to what it promises, whatever
defines its healthcheck (the config, its image, the compose file, the
compose file over the image's), and whether the run created it or kept it.

A service here becomes healthy only once the test writes a flag into a bind
mount: with ``healthy_timeout: 3`` and no flag, a run that waits fails
naming the container; a run that does not wait replies success while it is
still "starting". No assertion depends on how long anything takes.
"""

import os
import time

from tests.functional import base
from tests.functional import test_compose
from tests.functional import test_reliability as rel

WAIT = ('until [ -f /flag/go ]; do sleep 0.2; done; touch /ready; '
        "trap 'exit 0' TERM; while true; do sleep 0.2; done")
CHECK = ['CMD-SHELL', 'test -f /ready']


class HealthChecks:
    """``config(key, health)`` is a deployment of one service ``key``;
    ``health`` is 'config' (the deployment's own check), 'image' (the
    image's HEALTHCHECK) or 'both' (the config's settings over the
    image's test)."""

    def setUp(self):
        super().setUp()
        self.flags = os.path.join(self.tmp, 'flags')
        os.makedirs(self.flags)
        self.probe_image = 'hch-test-health16/%s:1' % self.prefix
        base.build_image(self.probe_image, [
            'FROM %s' % self.image,
            'HEALTHCHECK CMD test -f /ready'], client=self.client)
        self.addCleanup(self.client.images.remove, self.probe_image,
                        force=True)
        self.addCleanup(self.remove_test_containers)    # before the image

    def service(self, health):
        service = {'image': self.image if health == 'config'
                   else self.probe_image,
                   'command': ['sh', '-c', WAIT],
                   'volumes': ['%s:/flag' % self.flags]}
        if health == 'config':
            service['healthcheck'] = {'test': CHECK}
        elif health == 'both':
            service['healthcheck'] = {'retries': 50}
        return service

    def run_health(self, health, timeout=3):
        return self.run_hook(self.deployment(health, timeout))

    def assert_waited(self, health):
        """Not ready: the run fails naming it. Ready: it succeeds with
        the container's health."""
        result = self.run_health(health)
        self.assertEqual(1, result.code, '%s: %s' % (health, result.stdout))
        self.assertIn('healthy within 3s', result.error, health)
        with open(os.path.join(self.flags, 'go'), 'w'):
            pass
        result = self.run_health(health, timeout=120)
        self.assertEqual(0, result.code, result.error)
        self.assertIn(self.health_of(result), ('passed', 'healthy'), health)
        os.unlink(os.path.join(self.flags, 'go'))

    def test_config_healthcheck(self):
        self.assert_waited('config')

    def test_image_healthcheck(self):
        self.assert_waited('image')

    def test_config_over_image_healthcheck(self):
        self.assert_waited('both')

    def test_kept_while_starting_after_sigkill(self):
        run = rel.HookProcess(self, self.deployment('config', 120))
        for _ in range(1200):
            if any(c.status == 'running' for c in self.stack_containers()):
                break
            time.sleep(0.1)
        run.kill()
        (before,) = self.stack_containers()
        # The next run keeps it, and waits: not ready, it fails.
        result = self.run_health('config')
        self.assertEqual(1, result.code, result.stdout)
        self.assertIn('healthy within 3s', result.error)
        (after,) = self.stack_containers()
        self.assertEqual(before.id, after.id)
        with open(os.path.join(self.flags, 'go'), 'w'):
            pass
        result = self.run_health('config', timeout=120)
        self.assertEqual(0, result.code, result.error)
        self.assertIn('kept', result.stdout)
        self.assertIn(self.health_of(result), ('passed', 'healthy'))


class DockerCmdHealthTest(HealthChecks, base.FunctionalTest):

    group = 'docker-cmd'

    def deployment(self, health, timeout):
        self.svc = self.name('svc')
        return self.item({self.svc: self.service(health)},
                         options={'healthy_timeout': timeout},
                         outputs=[self.svc + '_health'])

    def health_of(self, result):
        return result.reply[self.svc + '_health']

    def test_config_over_image_healthcheck(self):
        # docker-cmd's healthcheck (as paunch's) always has its test: one
        # without is refused, naming it, not half-merged with the image's.
        result = self.run_health('both')
        self.assertEqual(2, result.code, result.stdout)
        self.assertIn('%s.healthcheck: test' % self.svc, result.error)
        self.assertEqual([], self.stack_containers())


class ContainerHealthTest(DockerCmdHealthTest):

    group = 'container'


class ComposeV2HealthTest(HealthChecks, test_compose.ComposeHelpers,
                          base.FunctionalTest):

    compose_version = 'v2'

    def deployment(self, health, timeout):
        return self.item({'services': {'svc': self.service(health)}},
                         name=self.prefix,
                         options={'healthy_timeout': timeout},
                         outputs=['containers'])

    def health_of(self, result):
        return result.reply['containers']['svc']['health']
