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

import os
import re
import shutil
import subprocess

from tests.functional import base
from tests.functional import podman_engine
from tests.functional import test_compose
from tests.functional import test_docker_cmd
from tests.functional import test_health_probe
from tests.functional import test_health_waits
from tests.functional import test_preview
from tests.functional import test_shared_namespaces
from tests.functional import test_tripleo_input

PodmanEngine = podman_engine.PodmanEngine


class PodmanDockerCmdPreviewTest(PodmanEngine,
                                 test_preview.DockerCmdPreviewTest):
    """``heat-container-hooks plan`` reads podman for engine = podman."""


class PodmanContainerPreviewTest(PodmanEngine,
                                 test_preview.ContainerPreviewTest):
    """``plan`` of the container group's podman tool reads podman (it
    read Docker: every kept container previewed as a create)."""


class PodmanDockerCmdTest(PodmanEngine, test_docker_cmd.DockerCmdTest):
    """create, re-run, UPDATE, DELETE, suspend, one-shots and their exit
    codes, execs, healthchecks, secrets, cleanup: on podman."""


class PodmanDockerCmdHealthTest(PodmanEngine,
                                test_health_waits.DockerCmdHealthTest):
    pass


class PodmanContainerHealthTest(PodmanEngine,
                                test_health_waits.ContainerHealthTest):
    pass


# What podman's inspect shows for a healthcheck key it was not given.
PODMAN_CHECK_DEFAULTS = {'Interval': 30000000000, 'Timeout': 30000000000,
                         'Retries': 3}


class PodmanHealthProbeTest(PodmanEngine,
                            test_health_probe.DockerCmdHealthProbeTest):

    def assert_probed(self, name, health, expected_check):
        """As on Docker, but podman's inspect fills in the healthcheck
        keys it was not given with its defaults (a difference in what it
        shows, not in what runs)."""
        attrs = self.container(name).attrs
        shown = attrs['Config']['Healthcheck']
        self.assertEqual({k: shown[k] for k in expected_check},
                         expected_check)
        for key in set(shown) - set(expected_check):
            self.assertEqual(PODMAN_CHECK_DEFAULTS[key], shown[key], key)
        attrs['Config']['Healthcheck'] = expected_check
        self.container = lambda name: _Attrs(attrs)
        try:
            super().assert_probed(name, health, expected_check)
        finally:
            del self.container


class _Attrs:
    def __init__(self, attrs):
        self.attrs = attrs


class PodmanSharedTest(PodmanEngine,
                       test_shared_namespaces.DockerCmdSharedTest):

    def test_rerun_repairs_after_pause_made_behind_our_back(self):
        """On Docker an operator may remove and remake the container whose
        namespaces another uses; podman refuses to remove it while the
        other exists, so there is nothing to repair (and the hook removes
        the dependents first when it replaces such a container itself:
        test_net, test_pid, test_ipc). ``volumes_from`` does not bind the
        two on podman (test_volumes_from)."""
        import docker.errors
        for key in ('net', 'pid', 'ipc'):
            self.run_ok(key, 'CREATE')
            pause = self.client.containers.get(self.pause)
            error = self.assertRaises(docker.errors.APIError, pause.remove,
                                      force=True, v=True)
            self.assertIn('dependent containers', str(error))
            self.run_ok(key, 'DELETE')
            self.assertEqual([], self.stack_containers())


class PodmanTripleoInput:
    """podman gives a container that sets some ulimits its built-in
    maximum for nofile and nproc when they are not among them, which this
    host refuses (the hook's error names the field: unit test
    test_podman.RlimitTest); the tests here give both."""

    def container(self, name):
        """podman's inspect adds its default mount options to a bind it
        lists (",rprivate,rbind"): shown as dockerd shows the same bind."""
        found = super().container(name)
        if found is not None:
            host = found.attrs['HostConfig']
            host['Binds'] = [b.replace(',rprivate,rbind', '')
                             for b in host.get('Binds') or ()]
        return found

    def service(self, **extra):
        ulimit = extra.get('ulimit')
        if ulimit and not any(str(u).startswith('nproc') for u in ulimit):
            extra['ulimit'] = list(ulimit) + ['nproc=1024:1024']
        return super().service(**extra)


class PodmanTripleoInputTest(PodmanTripleoInput, PodmanEngine,
                             test_tripleo_input.DockerCmdTripleoInputTest):
    pass


class PodmanContainerTripleoInputTest(
        PodmanTripleoInput, PodmanEngine,
        test_tripleo_input.ContainerGroupTripleoInputTest):
    pass


COMPOSE_RECREATES = """Compose v2 (2.40.3) on podman 4.3 recreates
every service of a project whenever an ``up`` has anything to do (plain
``compose up`` does the same, measured; doc/podman.md), where on Docker
it recreates only what changed."""


class PodmanComposeV2Test(PodmanEngine, test_compose.ComposeV2Test):
    """The docker-compose group on podman: Compose v2 with DOCKER_HOST at
    podman's API."""

    def remove_image(self, ref):
        # podman's "image not known" reaches the SDK as a plain NotFound.
        import docker.errors
        try:
            super().remove_image(ref)
        except docker.errors.NotFound:
            pass

    def test_create_rerun_update_delete(self):
        config = {'services': {'web': self.service(),
                               'worker': self.service(
                                   environment={'V': '${V}'})}}

        def run(value, action='CREATE'):
            result = self.run_hook(self.compose_item(
                config, inputs=[('V', value)], action=action,
                outputs=['containers']))
            self.assertEqual(0, result.code, result.error)
            return result, {k: (c.id, c.attrs['State']['StartedAt'])
                            for k, c in self.containers().items()}
        created, before = run('1')
        self.assertIn('created web', created.stdout)
        again, kept = run('1')
        self.assertEqual(before, kept)     # nothing restarted
        self.assertIn('kept web', again.stdout)
        updated, after = run('2', 'UPDATE')
        self.assertIn('replaced worker', updated.stdout)
        # COMPOSE_RECREATES: web too (on Docker it is kept).
        self.assertIn('replaced web', updated.stdout)
        self.assertNotEqual(before['web'][0], after['web'][0])
        run('2', 'DELETE')
        self.assertEqual({}, self.containers())

    test_create_rerun_update_delete.__doc__ = COMPOSE_RECREATES

    def test_finished_oneshot_is_not_run_again(self):
        config = {'services': {
            'init': {'image': self.image, 'restart': 'no',
                     'command': ['sh', '-c', 'echo ${GREETING}'],
                     'labels': {'heat_container_hooks.oneshot': 'true'}},
            'web': self.service()}}

        def run(greeting):
            result = self.run_hook(self.compose_item(
                config, outputs=['containers'],
                inputs=[('GREETING', greeting)]))
            self.assertEqual(0, result.code, result.error)
            return result.reply['containers']
        first = run('hello')
        again = run('hello')
        self.assertEqual('kept', again['init']['action'])
        self.assertEqual(first['init']['id'], again['init']['id'])
        run('bonjour')
        self.assertEqual('bonjour\n',
                         self.containers()['init'].logs().decode())

    test_finished_oneshot_is_not_run_again.__doc__ = COMPOSE_RECREATES

    def test_healthcheck_gated_dependency_and_oneshot(self):
        """``depends_on: {condition: service_healthy}``: Compose waits for
        podman's health inside ``up``, which nothing records where systemd
        does not run: refused, naming the field, nothing made."""
        config = {'services': {
            'db': {'image': self.image, 'command': list(SERVICE),
                   'healthcheck': {'test': ['CMD', 'true'],
                                   'interval': '500ms'}},
            'web': self.service(depends_on={
                'db': {'condition': 'service_healthy'}})}}
        result = self.run_hook(self.compose_item(config))
        self.assertEqual(2, result.code, result.stdout)
        self.assertIn('config.services.web.depends_on.db.condition',
                      result.error)
        self.assertEqual({}, self.containers())

    def test_interval_less_healthcheck_passes_before_the_engines_first(self):
        """As on Docker; podman's inspect shows its defaults for the
        healthcheck keys it was not given (PODMAN_CHECK_DEFAULTS)."""
        check = ['CMD-SHELL', 'test -f /ready']
        config = {'services': {'db': {
            'image': self.image, 'healthcheck': {'test': check},
            'command': ['sh', '-c', "trap 'exit 0' TERM; sleep 1; "
                        "touch /ready; while true; do sleep 0.2; done"]}}}
        result = self.run_hook(self.compose_item(
            config, outputs=['containers']))
        self.assertEqual(0, result.code, result.error)
        self.assertEqual('passed', result.reply['containers']['db']['health'])
        db = self.containers()['db'].attrs
        self.assertEqual('starting', db['State']['Health']['Status'])
        self.assertEqual(dict(PODMAN_CHECK_DEFAULTS, Test=check),
                         db['Config']['Healthcheck'])


class PodmanComposeV2HealthTest(PodmanEngine,
                                test_health_waits.ComposeV2HealthTest):

    def test_kept_while_starting_after_sigkill(self):
        """The run after a killed one waits for the container, as on
        Docker; COMPOSE_RECREATES: Compose's ``up`` recreates it."""
        self.assert_waited('config')


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
                     'restart': 'always',
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


class PodmanUnitsTest(PodmanEngine, base.FunctionalTest):
    """Restarts after a reboot: with ``systemd_units = always`` (systemd
    does not run here) each container with a restart policy gets an
    enabled unit that ``systemd-analyze verify`` accepts, written again
    when the container is replaced and removed with it."""

    def setUp(self):
        super().setUp()
        self.unit_dir = os.path.join(self.tmp, 'units')
        with open(self.conf_file, 'a') as handle:
            handle.write('[podman]\nsystemd_units = always\n'
                         'unit_dir = %s\n' % self.unit_dir)

    def unit(self, name):
        return os.path.join(self.unit_dir, 'hch-%s.service' % name)

    def verify(self, path):
        analyze = shutil.which('systemd-analyze')
        self.assertIsNotNone(analyze, 'systemd-analyze is not installed '
                             '(bindep: systemd; run tools/setup-host)')
        proc = subprocess.run([analyze, 'verify', path],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=120)
        self.assertEqual(0, proc.returncode, proc.stdout.decode())
        # A unit with a wrong key is refused: verify does check.
        bad = os.path.join(self.tmp, 'hch-bad.service')
        with open(path) as handle, open(bad, 'w') as out:
            out.write(handle.read().replace('ExecStart=', 'ExecStart=/no/'))
        proc = subprocess.run([analyze, 'verify', bad],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=120)
        self.assertNotEqual(0, proc.returncode, proc.stdout.decode())

    def test_units_written_replaced_and_removed(self):
        svc, plain = self.name('svc'), self.name('plain')

        def config(version):
            return {svc: {'image': self.image, 'command': SERVICE,
                          'restart': 'always',
                          'environment': {'V': version}},
                    plain: {'image': self.image, 'command': SERVICE}}
        created = self.run_hook(self.item(config('1'), outputs=['containers']))
        self.assertEqual(0, created.code, created.error)
        self.assertNotIn('reboot', created.error)
        first = created.reply['containers'][svc]['id']
        path = self.unit(svc)
        with open(path) as handle:
            text = handle.read()
        self.assertIn('podman start %s' % svc, text)
        self.assertIn(first, text)          # its PIDFile: this container
        self.assertIn('Restart=always', text)
        self.assertEqual(path, os.readlink(os.path.join(
            self.unit_dir, 'default.target.wants', 'hch-%s.service' % svc)))
        self.assertFalse(os.path.exists(self.unit(plain)))
        self.verify(path)

        updated = self.run_hook(self.item(config('2'), action='UPDATE',
                                          outputs=['containers']))
        self.assertEqual(0, updated.code, updated.error)
        second = updated.reply['containers'][svc]['id']
        self.assertNotEqual(first, second)
        with open(path) as handle:
            self.assertIn(second, handle.read())

        deleted = self.run_hook(self.item(config('2'), action='DELETE'))
        self.assertEqual(0, deleted.code, deleted.error)
        self.assertFalse(os.path.exists(path))
        self.assertFalse(os.path.lexists(os.path.join(
            self.unit_dir, 'default.target.wants', 'hch-%s.service' % svc)))

    def test_without_systemd_the_reply_says_so(self):
        self.write_conf()       # systemd_units = auto; systemd does not run
        svc = self.name('svc')
        result = self.run_hook(self.item({svc: {
            'image': self.image, 'command': SERVICE, 'restart': 'always'}}))
        self.assertEqual(0, result.code, result.error)
        self.assertIn(podman_engine_note(), result.error)
        self.assertFalse(os.path.exists(self.unit(svc)))
