"""The docker-compose hook on the real engine, on Compose v2 and on
Debian's docker-compose v1, run as 55-heat-config runs it."""

import json
import os
import subprocess

import docker

from tests.functional import base
from tests.functional import upstream

# A service that stops promptly on SIGTERM.
SERVICE = ['sh', '-c', "trap 'exit 0' TERM; while true; do sleep 0.2; done"]
GROUP = 'docker-compose'


class ComposeHelpers:
    """What a docker-compose test on one Compose version stands on."""

    group = GROUP
    compose_version = None

    def write_conf(self, **extra):
        super().write_conf(**extra)
        with open(self.conf_file, 'a') as handle:
            handle.write('[compose]\nversion = %s\n' % self.compose_version)

    def setUp(self):
        super().setUp()
        self.addCleanup(self.remove_test_networks)

    def stack_containers(self, stack=None):
        return self.client.containers.list(
            all=True, ignore_removed=True, filters={
                'label': 'deploy_stack_id=%s' % (stack or self.stack)})

    def remove_image(self, ref):
        try:
            self.client.images.remove(ref, force=True)
        except docker.errors.ImageNotFound:
            pass

    def service(self, **extra):
        return dict({'image': self.image, 'command': SERVICE}, **extra)

    def compose_item(self, config, **kwargs):
        kwargs.setdefault('name', self.prefix)
        return self.item(config, **kwargs)

    def containers(self):
        """{service: container} of this test's stack."""
        return {c.labels['com.docker.compose.service']: c
                for c in self.stack_containers()}

    def project_dirs(self):
        if not os.path.isdir(self.work_dir):
            return []
        return os.listdir(self.work_dir)

    def read_project_file(self, name):
        (project,) = self.project_dirs()
        path = os.path.join(self.work_dir, project, name)
        self.assertEqual(0o600, os.stat(path).st_mode & 0o777)
        with open(path) as handle:
            return handle.read()


class ComposeTestMixin(ComposeHelpers):
    """Tests that run on each Compose version."""

    def test_create_rerun_update_delete(self):
        # v3 layout, as a string; inputs reach ${VAR}; env_files as the
        # dispatcher's Python repr.
        config = {'version': '3.8', 'services': {
            'web': self.service(environment={'GREETING': '${GREETING}',
                                             'PW': '${db_password}'}),
            'worker': self.service(env_file=['app.env'])}}
        env_files = [{'file_name': 'app.env',
                      'content': 'LONGVALUE=abcdef\nMODE=one\n'}]
        inputs = [('GREETING', 'hello $ world'),
                  ('env_files', repr(env_files)),
                  ('db_password', 'se$cret #1')]
        created = self.run_hook(self.compose_item(
            json.dumps(config), inputs=inputs, config_id='one',
            outputs=['containers', 'web_id']))
        self.assertEqual(0, created.code, created.error)
        before = self.containers()
        self.assertEqual({'web', 'worker'}, set(before))
        self.assertEqual(before['web'].id, created.reply['web_id'])
        self.assertEqual('running',
                         created.reply['containers']['worker']['state'])
        self.assertIn('created web', created.stdout)
        self.assertIn('GREETING=hello $ world',
                      before['web'].attrs['Config']['Env'])
        self.assertIn('MODE=one', before['worker'].attrs['Config']['Env'])
        # The secret input reaches the container through Compose's
        # environment: not in a project file, the reply or the log.
        self.assertIn('PW=se$cret #1', before['web'].attrs['Config']['Env'])
        (project,) = self.project_dirs()
        for name in os.listdir(os.path.join(self.work_dir, project)):
            self.assertNotIn('se$cret', self.read_project_file(name))
        self.assertNotIn('se$cret', json.dumps(created.reply))
        self.assertNotIn('se$cret', created.stderr)
        self.assertIn('up -d --remove-orphans --no-build (Compose %s.'
                      % self.compose_version[1], created.error)

        # The same deployment again (Heat's new config id): nothing
        # restarts.
        again = self.run_hook(self.compose_item(
            json.dumps(config), inputs=inputs, config_id='two'))
        self.assertEqual(0, again.code, again.error)
        self.assertEqual({k: (c.id, c.attrs['State']['StartedAt'])
                          for k, c in before.items()},
                         {k: (c.id, c.attrs['State']['StartedAt'])
                          for k, c in self.containers().items()})
        self.assertIn('kept web', again.stdout)

        # UPDATE of one service; the env file, now shorter and given as
        # JSON, is rewritten with no residue.
        env_files = [{'file_name': 'app.env', 'content': 'B=1'}]
        inputs[1] = ('env_files', json.dumps(env_files))
        updated = self.run_hook(self.compose_item(
            json.dumps(config), inputs=inputs, config_id='three'))
        self.assertEqual(0, updated.code, updated.error)
        after = self.containers()
        self.assertEqual(before['web'].id, after['web'].id)
        self.assertNotEqual(before['worker'].id, after['worker'].id)
        self.assertIn('replaced worker', updated.stdout)
        self.assertEqual('B=1', self.read_project_file('app.env'))
        env = after['worker'].attrs['Config']['Env']
        self.assertIn('B=1', env)
        self.assertFalse([e for e in env if e.startswith('LONGVALUE')])

        deleted = self.run_hook(self.compose_item(
            {}, inputs=inputs, action='DELETE', config_id='four'))
        self.assertEqual(0, deleted.code, deleted.error)
        self.assertEqual([], self.stack_containers())
        self.assertEqual([], [n for n in self.client.networks.list()
                              if n.name.startswith(self.prefix)])
        self.assertEqual([], self.project_dirs())

    def test_v1_layout_string_with_booleans_and_nulls(self):
        text = '\n'.join([
            'app:',
            '  image: %s' % self.image,
            '  command: %s' % json.dumps(SERVICE),
            '  privileged: false',
            '  tty: false',
            '  net: none',
            '  environment:',
            '    FLAG: true',
            '    SWITCH: no',
            '    EMPTY: null',
            '    FROM_FILE: ${FROM_INPUT}',
            '  env_file: conf/app.env',
        ])
        env_files = [{'file_name': 'conf/app.env', 'content': 'K=v\n'}]
        result = self.run_hook(self.compose_item(
            text, inputs=[('env_files', env_files), ('FROM_INPUT', '7')]))
        self.assertEqual(0, result.code, result.error)
        app = self.containers()['app'].attrs
        self.assertEqual('none', app['HostConfig']['NetworkMode'])
        env = app['Config']['Env']
        # YAML 1.2, as Compose v2 reads it: no is a string.
        for expected in ('FLAG=true', 'SWITCH=no', 'K=v', 'FROM_FILE=7'):
            self.assertIn(expected, env)
        self.assertFalse([e for e in env if e.startswith('EMPTY=')])

    def test_healthcheck_gated_dependency_and_oneshot(self):
        ready = ('sh', '-c', 'sleep 1; touch /ready; '
                 "trap 'exit 0' TERM; while true; do sleep 0.2; done")
        config = {'services': {
            'init': {'image': self.image, 'command': ['sh', '-c', 'exit 2'],
                     'restart': 'no',
                     'labels': {'heat_container_hooks.oneshot': 'true',
                                'heat_container_hooks.exit_codes': '0,2'}},
            'db': {'image': self.image, 'command': list(ready),
                   'healthcheck': {'test': ['CMD', 'test', '-f',
                                            '/ready'],
                                   'interval': '500ms', 'retries': 30}},
            'web': self.service(depends_on={
                'db': {'condition': 'service_healthy'}})}}
        result = self.run_hook(self.compose_item(
            config, outputs=['containers']))
        self.assertEqual(0, result.code, result.error)
        out = result.reply['containers']
        self.assertEqual('healthy', out['db']['health'])
        self.assertEqual(2, out['init']['exit_code'])
        self.assertEqual('running', out['web']['state'])
        db = self.containers()['db'].attrs
        web = self.containers()['web'].attrs
        # web was started only once db's healthcheck had passed.
        first_ok = min(e['End'] for e in db['State']['Health']['Log']
                       if e['ExitCode'] == 0)
        self.assertGreater(web['State']['StartedAt'][:26], first_ok[:26])

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
            started = {name: c.attrs['State']['StartedAt']
                       for name, c in self.containers().items()}
            return result.reply['containers'], started

        first, started = run('hello')
        again, started_again = run('hello')
        self.assertEqual(started, started_again)
        self.assertEqual('kept', again['init']['action'])
        self.assertEqual(first['init']['id'], again['init']['id'])
        changed, started_changed = run('bonjour')
        self.assertNotEqual(started['init'], started_changed['init'])
        self.assertEqual(started['web'], started_changed['web'])
        self.assertEqual('bonjour\n',
                         self.containers()['init'].logs().decode())

    def test_failing_service_fails_the_deployment(self):
        config = {'services': {
            'ok': self.service(),
            'bad': {'image': self.image,
                    'command': ['sh', '-c', 'echo broken >&2; exit 3']}}}
        result = self.run_hook(self.compose_item(
            config, outputs=['containers']))
        self.assertEqual(3, result.code, result.error)
        self.assertEqual(3, result.status)
        self.assertIn('bad exited with code 3', result.error.split('\n')[0])
        self.assertIn('broken', result.error)
        self.assertIn('FAILED', result.stdout)

    def test_rerun_runs_compose_only_when_up_would_change_something(self):
        # A tag of our own, so the test can move it to another image.
        ref = '%s-img:1' % self.prefix
        self.client.images.get(self.image).tag(ref)
        self.addCleanup(self.remove_image, ref)
        config = {'services': {'web': dict(self.service(), image=ref)}}

        def run():
            result = self.run_hook(self.compose_item(
                config, outputs=['containers']))
            self.assertEqual(0, result.code, result.error)
            self.assertEqual('running',
                             result.reply['containers']['web']['state'])
            return result, self.containers()['web']

        created, web = run()
        self.assertIn(' up -d ', created.error)

        again, same = run()
        self.assertIn('compose up not run', again.error)
        self.assertNotIn(' up -d ', again.error)
        self.assertEqual('kept', again.reply['containers']['web']['action'])
        self.assertEqual(web.attrs['State']['StartedAt'],
                         same.attrs['State']['StartedAt'])

        # Stopped behind the hook's back: compose brings it up again.
        web.stop(timeout=1)
        restarted, web = run()
        self.assertIn(' up -d ', restarted.error)

        # The tag now names another image: the container is recreated.
        newer = web.commit(repository='%s-img' % self.prefix, tag='1')
        self.addCleanup(self.remove_image, newer.id)
        self.addCleanup(self.remove_test_containers)    # before the images
        moved, recreated = run()
        self.assertIn(' up -d ', moved.error)
        self.assertNotEqual(web.id, recreated.id)
        self.assertEqual(newer.id, recreated.image.id)

    def test_interval_less_healthcheck_passes_before_the_engines_first(self):
        # dockerd runs a check without an interval 30 s after the start;
        # the hook runs it itself meanwhile (healthprobe) and replies while
        # the engine still says "starting", the healthcheck unchanged.
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
        self.assertEqual({'Test': check}, db['Config']['Healthcheck'])

    def test_service_names_with_digits_and_underscores(self):
        # Issue 16's input first: compose made worker_2, the hook said it
        # had not; then digits and underscores wherever a name may have
        # them (result names are compose's service labels, never parsed
        # back from container names).
        exact = {'version': '3', 'services': {'worker_2': {
            'image': self.image, 'command': ['sleep', '300']}}}
        result = self.run_hook(self.compose_item(
            exact, outputs=['containers']))
        self.assertEqual(0, result.code, result.error)
        self.assertEqual(['worker_2'], list(result.reply['containers']))
        self.assertEqual('running',
                         result.reply['containers']['worker_2']['state'])
        names = ['worker_2', 'my_service_1', '2worker', 'a_1_b', 'x_2_3',
                 'svc_10', 'web1']
        config = {'version': '3', 'services': {
            n: self.service() for n in names}}
        result = self.run_hook(self.compose_item(
            config, outputs=['containers']))
        self.assertEqual(0, result.code, result.error)
        self.assertEqual(sorted(names), sorted(result.reply['containers']))
        self.assertEqual(sorted(names), sorted(self.containers()))
        again = self.run_hook(self.compose_item(
            config, outputs=['containers']))
        self.assertEqual(0, again.code, again.error)
        self.assertEqual({'kept'}, {c['action'] for c in
                                    again.reply['containers'].values()})

    def test_scaled_service_beside_a_service_named_like_its_container(self):
        # Issue 16: a service worker_2 beside worker scaled to 2 collided
        # in the outputs and in the plan (result names were built as
        # service_N strings). Results are named from compose's labels:
        # worker, worker[2] (no service name can hold brackets), worker_2.
        config = {'version': '2.4', 'services': {
            'worker': self.service(scale=2), 'worker_2': self.service()}}
        names = {'worker', 'worker[2]', 'worker_2'}
        item = self.compose_item(config, outputs=['containers'])
        code, out, err = self.run_plan(item, '--format', 'json')
        self.assertEqual(2, code, err)
        self.assertEqual({'worker', 'worker_2'}, {
            s['container'] for s in json.loads(out)['steps']})
        result = self.run_hook(item)
        self.assertEqual(0, result.code, result.error)
        found = result.reply['containers']
        self.assertEqual(names, set(found))
        by_id = {c.id: c.labels for c in self.stack_containers()}
        self.assertEqual(set(by_id), {c['id'] for c in found.values()})
        for name, container in found.items():
            labels = by_id[container['id']]
            self.assertEqual(
                name, labels['com.docker.compose.service'] + (
                    '[%s]' % labels['com.docker.compose.container-number']
                    if name.endswith(']') else ''))
            self.assertEqual(('created', 'running'),
                             (container['action'], container['state']))
        again = self.run_hook(item)
        self.assertEqual(0, again.code, again.error)
        self.assertEqual({n: 'kept' for n in names}, {
            n: c['action'] for n, c in again.reply['containers'].items()})
        code, out, err = self.run_plan(item, '--format', 'json')
        self.assertEqual(0, code, err)
        self.assertEqual({n: 'keep' for n in names}, {
            s['container']: s['action'] for s in json.loads(out)['steps']})


class ComposeV2Test(ComposeTestMixin, base.FunctionalTest):
    compose_version = 'v2'

    def test_path_traversal_rejected_nothing_written(self):
        config = {'services': {'web': self.service(
            env_file=['../outside.env'],
            volumes=['../../etc:/host'])}}
        env_files = [{'file_name': '../../x.env', 'content': 'A=1'},
                     {'file_name': '/etc/evil.env', 'content': 'A=1'},
                     {'file_name': './docker-compose.yml', 'content': 'A=1'}]
        result = self.run_hook(self.compose_item(
            config, name='../evil', inputs=[('env_files', env_files)]))
        self.assertEqual(2, result.code)
        for field in ('name:', 'inputs.env_files[0].file_name',
                      'inputs.env_files[1].file_name',
                      'inputs.env_files[2].file_name',
                      'config.services.web.env_file[0]',
                      'config.services.web.volumes[0]'):
            self.assertIn(field, result.error)
        self.assertFalse(os.path.exists(self.work_dir))
        self.assertFalse(os.path.exists(os.path.join(self.tmp, 'x.env')))
        self.assertEqual([], self.stack_containers())

    def test_suspend_resume_and_cleanup_of_gone_deployments(self):
        config = {'services': {'web': self.service()}}
        self.assertEqual(0, self.run_hook(self.compose_item(config)).code)
        suspended = self.run_hook(self.compose_item(
            config, action='SUSPEND'))
        self.assertEqual(0, suspended.code, suspended.error)
        self.assertEqual('exited', self.containers()['web'].status)
        resumed = self.run_hook(self.compose_item(config, action='RESUME'))
        self.assertEqual(0, resumed.code, resumed.error)
        self.assertEqual('running', self.containers()['web'].status)

        # Still listed: kept. Gone from the list: down, files removed.
        listed = os.path.join(self.tmp, 'heat-config')
        with open(listed, 'w') as handle:
            json.dump([self.compose_item(config)], handle)
        self.cleanup_with(listed)
        self.assertEqual(1, len(self.stack_containers()))
        with open(listed, 'w') as handle:
            json.dump([], handle)
        self.cleanup_with(listed)
        self.assertEqual([], self.stack_containers())
        self.assertEqual([], self.project_dirs())

    def test_renamed_deployment_leaves_one_project(self):
        config = {'services': {'web': self.service()}}
        first = self.run_hook(self.compose_item(config))
        self.assertEqual(0, first.code, first.error)
        renamed = self.run_hook(self.compose_item(
            config, name=self.prefix + '-renamed'))
        self.assertEqual(0, renamed.code, renamed.error)
        self.assertIn('removed web', renamed.stdout)
        (container,) = self.stack_containers()
        self.assertIn('-renamed-', container.name)
        (project,) = self.project_dirs()
        self.assertIn('-renamed-', project)

    def cleanup_with(self, listed):
        script = self.hook_command()[0].replace(
            'heat-config-docker-compose', 'heat-config-cleanup')
        proc = subprocess.run(
            [script, '--group', GROUP, '--heat-config', listed,
             '--config-file', self.conf_file], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, timeout=120)
        self.assertEqual(0, proc.returncode, proc.stderr[-2000:])

    def test_through_upstream_dispatcher(self):
        dispatcher = upstream.Dispatcher(
            os.path.join(self.tmp, 'agent'),
            {GROUP: self.hook_command()[0]},
            env={'HEAT_CONTAINER_HOOKS_CONFIG': self.conf_file})
        env_files = [{'file_name': 'a.env', 'content': 'A=from-file'}]
        item = self.compose_item(
            'services:\n  web:\n    image: %s\n    command: %s\n'
            '    env_file: a.env\n' % (self.image, json.dumps(SERVICE)),
            outputs=['containers'])
        # The dispatcher turns this list into its Python repr.
        item['inputs'].append({'name': 'env_files', 'type': 'String',
                               'value': env_files})
        proc = dispatcher.run([item])
        self.assertEqual(0, proc.returncode, proc.stderr[-3000:])
        (signal,) = dispatcher.signals()
        self.assertEqual(0, signal['deploy_status_code'],
                         signal['deploy_stderr'])
        web = self.containers()['web']
        self.assertEqual(web.id, signal['containers']['web']['id'])
        self.assertIn('A=from-file', web.attrs['Config']['Env'])
        self.assertNotIn('DEBUG', signal['deploy_stderr'])


class ComposeV1Test(ComposeTestMixin, base.FunctionalTest):
    compose_version = 'v1'
