"""The atomic group on the real Docker engine (native runner) and, where
podman runs, through ``podman container runlabel``.

Images are built in the test with INSTALL/RUN/UNINSTALL labels whose
commands use the docker CLI, as atomic images do, and write marker files
into a host directory (${DATADIR}, under the test's temp dir).
"""

import json
import os
import shutil
import subprocess
import time

import docker
from oslo_config import cfg

from heat_container_hooks import conf as conf_mod
from heat_container_hooks import deployment as deployment_mod
from heat_container_hooks.engines import atomic as atomic_engine
from heat_container_hooks import errors
from heat_container_hooks import spec as spec_mod
from tests.functional import base
from tests.functional import test_reliability as rel

TRICKY = 'two  words; touch /tmp/hch-pwned $(id) `id` "q" \'s\' | & > <'

INSTALL = ('docker run --net=none --rm -v ${DATADIR}:/m -e MSG ${IMAGE} '
           'sh -c \'printf "%s" "$MSG" > /m/install\'')
RUN = ('docker run --net=none -d --name ${NAME} -v ${DATADIR}:/m -e MSG '
       '-e "OPT=${OPT1}" ${IMAGE} sh -c \'printf "%s" "$MSG" > /m/run; '
       'printf "%s" "$OPT" > /m/opt1; cat /version > /m/version; '
       'exec sleep 100000\'')
UNINSTALL = ('docker run --net=none --rm -v ${DATADIR}:/m ${IMAGE} '
             'sh -c \'cat /version > /m/uninstall\'')
# A RUN label that starts the service, then keeps the hook busy once.
SLOW_RUN = ("sh -c 'docker run --net=none -d --name ${NAME} "
            "${IMAGE} sleep 100000 && if [ ! -e ${DATADIR}.slow ]; "
            "then touch ${DATADIR}.slow; sleep 60; fi'")
# A service that becomes ready (its image's HEALTHCHECK passes) once the
# test writes ${DATADIR}/go.
HEALTH_RUN = ('docker run --net=none -d --name ${NAME} -v ${DATADIR}:/m '
              '${IMAGE} sh -c \'until [ -f /m/go ]; do sleep 0.2; done; '
              'touch /ready; exec sleep 100000\'')
BROKEN_INSTALL = ('docker run --net=none --rm ${IMAGE} '
                  'sh -c \'echo install broke; exit 3\'')


def dockerfile(version, labels, extra=()):
    lines = ['FROM %s' % base.BUSYBOX_IMAGE, 'COPY version /version']
    lines += list(extra)
    for key, value in labels.items():
        escaped = value.replace('\\', '\\\\').replace('"', '\\"')
        lines.append('LABEL %s="%s"' % (key, escaped.replace('$', '\\$')))
    return lines


class AtomicTestBase(base.FunctionalTest):
    group = 'atomic'
    runner = 'docker'

    def setUp(self):
        super().setUp()
        self.data = os.path.join(self.tmp, 'data')
        self.write_conf(stop_grace_period=1)
        with open(self.conf_file, 'a') as handle:
            handle.write('[atomic]\nrunner = %s\ndatadir_base = %s\n'
                         % (self.runner, self.data))
        self.images = []
        self.addCleanup(self.remove_images)
        self.addCleanup(self.remove_test_containers)

    def build(self, version, labels, extra=(), files=None):
        tag = 'hch-test-atomic/%s:%s' % (self.prefix, version)
        files = dict(files or {}, version=(version.encode() + b'\n', 0o644))
        base.build_image(tag, dockerfile(version, labels, extra), files,
                         client=self.client)
        self.images.append(tag)
        return tag

    def remove_images(self):
        self.remove_test_containers()
        for tag in self.images:
            try:
                self.client.images.remove(tag, force=True)
            except docker.errors.APIError:
                pass

    def assert_only_the_service(self, name):
        """Exactly the service container and its record, running."""
        mine = [c['Names'][0].lstrip('/') for c in self.client.api.containers(
            all=True, filters={'name': self.prefix})]
        self.assertEqual(sorted([name, name + '.hch-atomic']), sorted(mine))
        self.assertEqual('running', self.container(name).status)

    def marker(self, name, what):
        path = os.path.join(self.data, name, what)
        if not os.path.exists(path):
            return None
        with open(path) as handle:
            return handle.read().strip()


class AtomicDockerTest(AtomicTestBase):

    def config(self, image, **extra):
        config = {'command': 'install', 'image': image,
                  'name': self.name('svc')}
        config.update(extra)
        return config

    def test_plan_then_run(self):
        # heat-container-hooks plan for the atomic group: what a run would
        # do, touching nothing; exit 0 when it would change nothing.
        image = self.build('p1', {'RUN': RUN})
        name = self.name('svc')

        def preview(config, action=None):
            code, out, err = self.run_plan(
                self.item(config, action=action), '--format', 'json')
            self.assertIn(code, (0, 2), err)
            return code, {s['container']: s['action']
                          for s in json.loads(out)['steps']}
        self.assertEqual((2, {name: 'create'}), preview(self.config(image)))
        self.assertIsNone(self.container(name))
        self.assertEqual(0, self.run_hook(self.item(self.config(image))).code)
        ident = self.container(name).id
        self.assertEqual((0, {name: 'keep'}), preview(self.config(image)))
        self.assertEqual((2, {name: 'replace'}),
                         preview(self.config(image, opt1='changed')))
        self.assertEqual((2, {name: 'remove'}),
                         preview(self.config(image), action='DELETE'))
        self.assertEqual(ident, self.container(name).id)
        # Suspended: a CREATE or RESUME would start it (it said keep).
        self.assertEqual(0, self.run_hook(self.item(
            self.config(image), action='SUSPEND')).code)
        self.assertEqual((2, {name: 'start'}), preview(self.config(image)))
        self.assertEqual((2, {name: 'start'}),
                         preview(self.config(image), action='RESUME'))
        self.assertEqual('exited', self.container(name).status)

    def test_kept_while_starting_after_sigkill(self):
        # Issue 16: a run killed while it waits for a container to become
        # healthy (its image's HEALTHCHECK), then run again: the second
        # run keeps the container and waits for it (it used to reply
        # success while it was still "starting").
        image = self.build('h1', {'RUN': HEALTH_RUN},
                           extra=['HEALTHCHECK CMD test -f /ready'])
        name = self.name('svc')
        item = self.item(self.config(image, command='run'),
                         options={'healthy_timeout': 120})
        run = rel.HookProcess(self, item)
        for _ in range(1200):       # until the run waits on it, recorded
            found = self.container(name)
            record = self.container(name + '.hch-atomic')
            if found is not None and found.status == 'running' and \
                    record is not None and record.labels.get(
                        'heat_container_hooks.atomic.container_id') == \
                    found.id:
                break
            time.sleep(0.1)
        run.kill()
        before = self.container(name).id
        item = self.item(self.config(image, command='run'),
                         options={'healthy_timeout': 3},
                         outputs=['containers'])
        result = self.run_hook(item)
        self.assertEqual(1, result.code, result.stdout)
        self.assertIn('healthy within 3s', result.error)
        self.assertEqual(before, self.container(name).id)
        with open(os.path.join(self.data, name, 'go'), 'w'):
            pass
        item['options']['healthy_timeout'] = 120
        result = self.run_hook(item)
        self.assertEqual(0, result.code, result.error)
        self.assertEqual(('kept', before), (
            result.reply['containers'][name]['action'],
            result.reply['containers'][name]['id']))
        self.assertIn(result.reply['containers'][name]['health'],
                      ('passed', 'healthy'))

    def test_killed_while_its_run_label_runs_then_converges(self):
        # The first RUN starts the service, then keeps the hook busy: the
        # hook is killed after the container exists and before its record
        # is final. The next run must take that container for its own.
        image = self.build('slow', {'RUN': SLOW_RUN})
        name = self.name('svc')
        os.makedirs(self.data, exist_ok=True)
        item = self.item(self.config(image, command='run'))
        victim = subprocess.Popen(self.hook_command(),
                                  stdin=subprocess.PIPE,
                                  stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        victim.stdin.write(json.dumps(item).encode())
        victim.stdin.close()
        for _ in range(300):
            if os.path.exists(os.path.join(self.data, name + '.slow')):
                break
            time.sleep(0.1)
        victim.kill()
        victim.wait()
        self.assertIsNotNone(self.container(name))

        result = self.run_hook(item)
        self.assertEqual(0, result.code, result.error)
        self.assert_only_the_service(name)
        again = self.run_hook(item)
        self.assertEqual(0, again.code, again.error)
        self.assertIn('kept %s' % name, again.stdout)

    def test_install_run_rerun_update_delete(self):
        labels = {'INSTALL': INSTALL, 'RUN': RUN, 'UNINSTALL': UNINSTALL}
        v1 = self.build('v1', labels)
        name = self.name('svc')
        inputs = [('MSG', TRICKY)]
        config = self.config(v1, opt1=TRICKY)

        result = self.run_hook(self.item(config, inputs=inputs,
                                         config_id='c1'))
        self.assertEqual(0, result.code, result.error)
        service = self.container(name)
        self.assertEqual('running', service.status)
        # Inputs reach the label commands as environment variables, OPT1
        # as one argv item; the hook interpreted neither.
        self.assertEqual(TRICKY, self.marker(name, 'install'))
        self.assertEqual(TRICKY, self.marker(name, 'run'))
        self.assertEqual(TRICKY, self.marker(name, 'opt1'))
        self.assertEqual('v1', self.marker(name, 'version'))
        self.assertFalse(os.path.exists('/tmp/hch-pwned'))
        self.assertIn('INSTALL', result.error)       # the label's log

        # The same deployment again: nothing is run, nothing restarted.
        os.remove(os.path.join(self.data, name, 'install'))
        again = self.run_hook(self.item(config, inputs=inputs,
                                        config_id='c1'))
        self.assertEqual(0, again.code, again.error)
        self.assertIn('kept %s' % name, again.stdout)
        self.assertIsNone(self.marker(name, 'install'))
        self.assertEqual(service.id, self.container(name).id)

        # UPDATE to a new image: v1 is uninstalled first, then v2 runs.
        v2 = self.build('v2', labels)
        update = self.run_hook(self.item(
            self.config(v2, opt1=TRICKY), inputs=inputs, action='UPDATE',
            config_id='c2'))
        self.assertEqual(0, update.code, update.error)
        self.assertEqual('v1', self.marker(name, 'uninstall'))
        self.assertEqual('v2', self.marker(name, 'version'))
        self.assertNotEqual(service.id, self.container(name).id)
        self.assertIn('replaced %s' % name, update.stdout)

        # DELETE: UNINSTALL runs, and nothing of ours is left.
        delete = self.run_hook(self.item(
            self.config(v2), inputs=inputs, action='DELETE', config_id='c3'))
        self.assertEqual(0, delete.code, delete.error)
        self.assertEqual('v2', self.marker(name, 'uninstall'))
        self.assertEqual([], self.client.containers.list(
            all=True, filters={'name': self.prefix}))
        self.assertEqual([], self.stack_containers())

    def test_failing_install_fails_and_runs_nothing(self):
        image = self.build('bad', {'INSTALL': BROKEN_INSTALL, 'RUN': RUN})
        result = self.run_hook(self.item(self.config(image)))
        self.assertNotEqual(0, result.code)
        self.assertIn('INSTALL command of image %s' % image, result.error)
        self.assertIn('exited with code 3', result.error)
        self.assertIn('install broke', result.error)
        self.assertIsNone(self.container(self.name('svc')))

    def test_no_labels_runs_default_and_delete_removes_it(self):
        if not os.path.exists('/sys/class/net/docker0'):
            self.skipTest('atomic\'s default run command uses the default '
                          'bridge network, and docker0 is missing here')
        image = self.build('plain', {}, ['CMD ["sleep", "100000"]'])
        config = {'command': 'run', 'image': image, 'name': self.name('svc')}
        result = self.run_hook(self.item(config))
        self.assertEqual(0, result.code, result.error)
        self.assertEqual('running', self.container(self.name('svc')).status)
        delete = self.run_hook(self.item(config, action='DELETE'))
        self.assertEqual(0, delete.code, delete.error)
        self.assertIsNone(self.container(self.name('svc')))
        self.assertEqual([], self.stack_containers())

    def test_default_name_suspend_resume_and_cleanup(self):
        # base gives each test a managed_by of its own, so cleanup of an
        # empty list only sees this test's deployments.
        image = self.build('v1', {'RUN': RUN, 'UNINSTALL': UNINSTALL})
        config = {'command': 'run', 'image': image}
        # No name: upstream's default, the deployment's (first) id.
        name = self.name('cfg1')
        created = self.run_hook(self.item(config, config_id=name))
        self.assertEqual(0, created.code, created.error)
        first = self.container(name)
        self.assertEqual('running', first.status)
        # Heat's UPDATE brings a new id; the name (and container) stay.
        update = self.run_hook(self.item(config, config_id=self.name('cfg2'),
                                         action='UPDATE'))
        self.assertEqual(0, update.code, update.error)
        self.assertIn('kept %s' % name, update.stdout)
        suspend = self.run_hook(self.item(config, action='SUSPEND'))
        self.assertEqual(0, suspend.code, suspend.error)
        self.assertEqual('exited', self.container(name).status)
        resume = self.run_hook(self.item(config, action='RESUME'))
        self.assertEqual(0, resume.code, resume.error)
        self.assertEqual('running', self.container(name).status)
        self.assertEqual(first.id, self.container(name).id)

        listing = os.path.join(self.tmp, 'heat-config')
        with open(listing, 'w') as handle:
            handle.write('[]')
        subprocess.run(['heat-config-cleanup', '--group', 'atomic',
                        '--heat-config', listing, '--config-file',
                        self.conf_file], check=True, timeout=120,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.assertEqual('v1', self.marker(name, 'uninstall'))
        self.assertEqual([], self.client.containers.list(
            all=True, filters={'name': self.prefix}))

    def test_container_specs_through_the_label_protocol(self):
        image = self.build('spec', {'RUN': RUN})
        conf = cfg.ConfigOpts()
        conf_mod.register_opts(conf)
        conf(['--config-file', self.conf_file])
        settings = conf_mod.settings_for(conf, 'container', {})
        owner = deployment_mod.Owner(settings.managed_by,
                                     'spec:%s' % self.prefix, self.stack,
                                     'res')
        name = self.name('spec')
        spec = spec_mod.ContainerSpec(name=name, image=image,
                                      environment=(('MSG', TRICKY),))
        result = atomic_engine.converge_specs([spec], owner, 'c1', settings,
                                              conf, 'CREATE')
        self.assertIsNone(result.error, result.log)
        self.assertEqual('running', self.container(name).status)
        self.assertEqual(TRICKY, self.marker(name, 'run'))

        bad = spec_mod.replace(spec, volumes=('/x:/y',))
        exc = self.assertRaises(errors.InvalidDeployment,
                                atomic_engine.converge_specs, [bad], owner,
                                'c2', settings, conf, 'UPDATE')
        self.assertIn('config.%s.volumes' % name, str(exc))
        self.assertIn('native runner', str(exc))

        gone = atomic_engine.converge_specs([], owner, 'c3', settings, conf,
                                            'DELETE')
        self.assertIsNone(gone.error)
        self.assertIsNone(self.container(name), [
            r.summary() for r in gone.results])

    def test_foreign_container_of_that_name_is_never_touched(self):
        image = self.build('v1', {'INSTALL': INSTALL, 'RUN': RUN,
                                  'UNINSTALL': UNINSTALL})
        name = self.name('svc')
        foreign = self.client.containers.create(self.image, 'true',
                                                name=name)
        result = self.run_hook(self.item(self.config(image)))
        self.assertNotEqual(0, result.code)
        self.assertIn('container %s already exists and is not one this '
                      'deployment installed' % name, result.error)
        self.assertIsNone(self.marker(name, 'install'))
        for action in ('SUSPEND', 'DELETE'):
            other = self.run_hook(self.item(self.config(image),
                                            action=action))
            self.assertEqual(0, other.code, other.error)
        self.assertEqual(foreign.id, self.container(name).id)
        self.assertIsNone(self.marker(name, 'uninstall'))

    def test_invalid_config_names_every_problem(self):
        result = self.run_hook(self.item({'command': 'explode',
                                          'name': 'bad name', 'colour': 1}))
        self.assertEqual(2, result.code)
        for field in ('config.command', 'config.image', 'config.name',
                      'config.colour'):
            self.assertIn(field, result.error)


def _podman_usable():
    podman = shutil.which('podman')
    if podman is None:
        return 'podman is not installed'
    try:
        proc = subprocess.run([podman, 'info'], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 'podman info failed: %s' % exc
    if proc.returncode:
        return 'podman info failed: %s' % proc.stderr.decode()[-300:]
    return None


class AtomicPodmanTest(AtomicTestBase):
    runner = 'podman'

    def setUp(self):
        reason = _podman_usable()
        if reason:
            self.skipTest('podman runlabel path not testable here: ' + reason)
        super().setUp()
        # Debian's podman needs these ulimits on these machines.
        self.containers_conf = os.path.join(self.tmp, 'containers.conf')
        with open(self.containers_conf, 'w') as handle:
            handle.write('[containers]\ndefault_ulimits = ["nofile=1024:1024",'
                         ' "nproc=1024:1024"]\n')
        self.addCleanup(self.podman_cleanup)

    def podman(self, *args, **kwargs):
        return subprocess.run(
            ['podman'] + list(args), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, timeout=120,
            env=dict(os.environ, CONTAINERS_CONF=self.containers_conf),
            **kwargs)

    def podman_cleanup(self):
        names = self.podman('ps', '-a', '--format', '{{.Names}}')
        for line in names.stdout.decode().split():
            if line.startswith(self.prefix):
                self.podman('rm', '-f', line)
        for tag in self.images:
            self.podman('rmi', '-f', tag)

    def test_runlabel_install_run_delete(self):
        name = self.name('svc')
        marks = os.path.join(self.data, name)
        os.makedirs(marks)
        # podman runlabel substitutes only IMAGE, NAME and OPT1..3, so the
        # marker directory is written into the labels.
        # It also joins and re-splits the line after expanding, so quoted
        # shell scripts do not survive it: the scripts live in the image.
        labels = {
            'INSTALL': 'docker run --net=none --rm -v %s:/m -e MSG ${IMAGE} '
                       '/install.sh' % marks,
            'RUN': 'docker run --net=none -d --name ${NAME} -v %s:/m '
                   '-e MSG ${IMAGE} /run.sh ${OPT1}' % marks,
            'UNINSTALL': 'docker run --net=none --rm -v %s:/m ${IMAGE} '
                         '/uninstall.sh' % marks}
        scripts = {
            'install.sh': 'printf "%s" "$MSG" > /m/install',
            'run.sh': 'printf "%s" "$MSG" > /m/run; printf "%s" "$1" > '
                      '/m/opt1; exec sleep 100000',
            'uninstall.sh': 'cat /version > /m/uninstall'}
        files = {name: (b'#!/bin/sh\n' + text.encode() + b'\n', 0o755)
                 for name, text in scripts.items()}
        image = self.build('pm', labels, ['COPY *.sh /'], files)
        save = subprocess.Popen(['docker', 'save', image],
                                stdout=subprocess.PIPE)
        load = self.podman('load', stdin=save.stdout)
        save.wait()
        self.assertEqual(0, load.returncode, load.stderr)
        env = {'CONTAINERS_CONF': self.containers_conf}
        config = {'command': 'install', 'image': image, 'name': name,
                  'opt1': 'one-arg'}
        inputs = [('MSG', TRICKY)]

        result = self.run_hook(self.item(config, inputs=inputs), env=env)
        self.assertEqual(0, result.code, result.error)
        self.assertEqual(TRICKY, self.marker(name, 'install'))
        self.assertEqual(TRICKY, self.marker(name, 'run'))
        self.assertEqual('one-arg', self.marker(name, 'opt1'))
        state = self.podman('inspect', '--format', '{{.State.Status}}', name)
        self.assertEqual('running', state.stdout.decode().strip())

        again = self.run_hook(self.item(config, inputs=inputs), env=env)
        self.assertEqual(0, again.code, again.error)
        self.assertIn('kept %s' % name, again.stdout)

        delete = self.run_hook(self.item(config, inputs=inputs,
                                         action='DELETE'), env=env)
        self.assertEqual(0, delete.code, delete.error)
        self.assertEqual('pm', self.marker(name, 'uninstall'))
        names = self.podman('ps', '-a', '--format', '{{.Names}}')
        self.assertNotIn(self.prefix, names.stdout.decode())
