"""The docker-cmd and container groups on podman (engine = podman; the
container group's podman tool), as real processes on Debian's podman, each
run with its own private ``podman system service``.

The functional matrix of both groups runs again on podman (the classes
below reuse the Docker tests unchanged), and one deployment with a
healthchecked service and a one-shot goes from CREATE through an unchanged
re-run, an UPDATE of one container and DELETE on both engines, with the
same replies (ids aside, and podman's note that restarts after a reboot
are not arranged where systemd does not run).
"""

import re

from tests.functional import base
from tests.functional import podman_engine
from tests.functional import test_docker_cmd
from tests.functional import test_health_probe
from tests.functional import test_health_waits
from tests.functional import test_shared_namespaces
from tests.functional import test_tripleo_input

PodmanEngine = podman_engine.PodmanEngine


class PodmanDockerCmdTest(PodmanEngine, test_docker_cmd.DockerCmdTest):
    """create, re-run, UPDATE, DELETE, suspend, one-shots and their exit
    codes, execs, healthchecks, secrets, cleanup: on podman."""


class PodmanDockerCmdHealthTest(PodmanEngine,
                                test_health_waits.DockerCmdHealthTest):
    pass


class PodmanContainerHealthTest(PodmanEngine,
                                test_health_waits.ContainerHealthTest):
    pass


class PodmanHealthProbeTest(PodmanEngine,
                            test_health_probe.DockerCmdHealthProbeTest):
    pass


class PodmanSharedTest(PodmanEngine,
                       test_shared_namespaces.DockerCmdSharedTest):
    pass


class PodmanTripleoInputTest(PodmanEngine,
                             test_tripleo_input.DockerCmdTripleoInputTest):
    pass


class PodmanContainerTripleoInputTest(
        PodmanEngine, test_tripleo_input.ContainerGroupTripleoInputTest):
    pass


SERVICE = ['sh', '-c', "trap 'exit 0' TERM; touch /ready; "
           "while true; do sleep 0.2; done"]
HEX_ID = re.compile(r'\b[0-9a-f]{12,64}\b')


def comparable(reply, prefix):
    """A reply with container ids and the test's name prefix masked, and
    podman's reboot note left out: what must be the same on both
    engines."""
    reply = dict(reply)
    note = podman_engine_note()
    reply['deploy_stderr'] = reply['deploy_stderr'].replace(
        note + '\n', '').replace(note, '')
    text = HEX_ID.sub('<id>', repr(sorted(reply.items())))
    return text.replace(prefix, '<prefix>')


def podman_engine_note():
    from heat_container_hooks.engines import podman
    return podman.NO_REBOOT_NOTE


class SameRepliesChecks:
    """One deployment through its life on this engine; the replies."""

    def lifecycle(self):
        db, web, job = self.name('db'), self.name('web'), self.name('job')

        def config(web_env):
            return {
                db: {'image': self.image, 'command': SERVICE,
                     'healthcheck': {'test': 'test -e /ready',
                                     'interval': '1s', 'retries': 30}},
                web: {'image': self.image, 'command': SERVICE,
                      'environment': {'V': web_env}, 'start_order': 1},
                job: {'image': self.image, 'detach': False, 'start_order': 2,
                      'command': ['sh', '-c', 'echo out-$P; echo err >&2; '
                                  'exit 3'],
                      'environment': {'DB_PASSWORD': 's3cr3t-value',
                                      'P': 's3cr3t-value'},
                      'exit_codes': [0, 3]}}
        outputs = ['containers', db + '_id', web + '_health']
        inputs = [('deploy_password', 's3cr3t-value')]
        replies = []
        for action, web_env, config_id in (('CREATE', '1', 'one'),
                                           ('CREATE', '1', 'one'),
                                           ('UPDATE', '2', 'two'),
                                           ('DELETE', '2', 'three')):
            result = self.run_hook(self.item(
                config(web_env), action=action, config_id=config_id,
                outputs=outputs, inputs=inputs))
            self.assertEqual(0, result.code, result.error)
            self.assertNotIn('s3cr3t-value', repr(result.reply))
            replies.append(result.reply)
        self.assertEqual([], self.stack_containers())
        return replies


class DockerLifecycleTest(SameRepliesChecks, base.FunctionalTest):

    def test_same_replies_on_docker_and_podman(self):
        on_docker = self.lifecycle()
        on_podman = PodmanLifecycle('run_lifecycle')
        result = on_podman.run()
        self.assertTrue(result.wasSuccessful(),
                        [str(e[1]) for e in result.errors + result.failures])
        self.assertEqual(
            [comparable(r, self.prefix) for r in on_docker],
            [comparable(r, on_podman.prefix) for r in on_podman.replies])
        # The one-shot's exit code and output, the health, the actions.
        created = on_docker[0]['containers']
        self.assertEqual(3, created[self.name('job')]['exit_code'])
        self.assertEqual('healthy', created[self.name('db')]['health'])
        kept = on_podman.replies[1]['containers']
        self.assertEqual({'kept'}, {c['action'] for c in kept.values()})
        updated = on_podman.replies[2]['containers']
        self.assertEqual('replaced',
                         updated[on_podman.name('web')]['action'])
        self.assertEqual('kept', updated[on_podman.name('db')]['action'])
        self.assertIn(podman_engine_note(),
                      on_podman.replies[0]['deploy_stderr'])


class PodmanLifecycle(SameRepliesChecks, PodmanEngine, base.FunctionalTest):
    """Run by DockerLifecycleTest (not collected on its own: no test_
    method)."""

    def run_lifecycle(self):
        self.replies = self.lifecycle()
