"""The docker-cmd hook on the real engine, run as 55-heat-config runs it."""

import json
import os

from tests.functional import base

# A service that stops promptly on SIGTERM.
SERVICE = ['sh', '-c', "trap 'exit 0' TERM; while true; do sleep 0.2; done"]


class DockerCmdTest(base.FunctionalTest):

    def service(self, **extra):
        return dict({'image': self.image, 'command': SERVICE}, **extra)

    def state(self, name):
        container = self.container(name)
        if container is None:
            return None
        return (container.id, container.attrs['State']['StartedAt'],
                container.status)

    def test_create_rerun_update_delete(self):
        a, b, c = self.name('a'), self.name('b'), self.name('c')
        config = {a: self.service(), b: self.service(start_order=1),
                  c: self.service(environment={'X': '1'})}
        created = self.run_hook(self.item(config, config_id='one',
                                          outputs=[a + '_id']))
        self.assertEqual(0, created.code, created.error)
        before = {n: self.state(n) for n in (a, b, c)}
        self.assertTrue(all(s[2] == 'running' for s in before.values()))
        self.assertEqual(before[a][0], created.reply[a + '_id'])
        for name in (a, b, c):
            self.assertIn('created %s' % name, created.stdout)

        # The same deployment again: nothing restarted.
        again = self.run_hook(self.item(config, config_id='one'))
        self.assertEqual(0, again.code, again.error)
        self.assertEqual(before, {n: self.state(n) for n in (a, b, c)})
        self.assertIn('kept %s' % a, again.stdout)

        # Heat's UPDATE: a new config id, one container changed.
        config[c] = self.service(environment={'X': '2'})
        updated = self.run_hook(self.item(config, config_id='two'))
        self.assertEqual(0, updated.code, updated.error)
        after = {n: self.state(n) for n in (a, b, c)}
        self.assertEqual(before[a], after[a])
        self.assertEqual(before[b], after[b])
        self.assertNotEqual(before[c][0], after[c][0])
        self.assertIn('replaced %s' % c, updated.stdout)
        env = self.container(c).attrs['Config']['Env']
        self.assertIn('X=2', env)

        # A container dropped from the config is removed.
        del config[b]
        dropped = self.run_hook(self.item(config, config_id='three'))
        self.assertEqual(0, dropped.code, dropped.error)
        self.assertIsNone(self.container(b))
        self.assertEqual(before[a], self.state(a))

        deleted = self.run_hook(self.item(None, config_id='four',
                                          action='DELETE'))
        self.assertEqual(0, deleted.code, deleted.error)
        self.assertEqual([], self.stack_containers())

    def test_suspend_and_resume(self):
        web = self.name('web')
        config = {web: self.service()}
        self.assertEqual(0, self.run_hook(self.item(config)).code)
        ident = self.container(web).id
        suspended = self.run_hook(self.item(config, action='SUSPEND'))
        self.assertEqual(0, suspended.code, suspended.error)
        self.assertEqual('exited', self.container(web).status)
        resumed = self.run_hook(self.item(config, action='RESUME'))
        self.assertEqual(0, resumed.code, resumed.error)
        self.assertEqual(('running', ident),
                         (self.container(web).status, self.container(web).id))

    def test_oneshot_exit_code_reaches_the_reply(self):
        job = self.name('job')
        result = self.run_hook(self.item(
            {job: {'image': self.image, 'detach': False,
                   'command': ['sh', '-c', 'echo out; echo err >&2; exit 3']}},
            outputs=[job + '_stdout', job + '_exit_code']))
        self.assertEqual(3, result.code)
        self.assertEqual(3, result.status)
        self.assertTrue(result.error.startswith(
            'container %s exited with code 3' % job), result.error)
        self.assertEqual('out\n', result.reply[job + '_stdout'])
        self.assertEqual(3, result.reply[job + '_exit_code'])
        self.assertIn('err', result.error)

    def test_oneshot_accepted_exit_code_and_remove(self):
        job = self.name('job')
        result = self.run_hook(self.item(
            {job: {'image': self.image, 'detach': False, 'remove': True,
                   'exit_codes': [0, 2], 'command': 'sh -c "exit 2"'}}))
        self.assertEqual(0, result.code, result.error)
        self.assertIsNone(self.container(job))

    def test_exec_in_a_running_container(self):
        web, step = self.name('web'), self.name('step')
        result = self.run_hook(self.item(
            {web: self.service(environment={'EMPTY': '', 'ZERO': 0}),
             step: {'action': 'exec', 'start_order': 1,
                    'command': [web, 'sh', '-c',
                                'echo "[$EMPTY][$ZERO]"; exit 0']}},
            outputs=[step + '_stdout']))
        self.assertEqual(0, result.code, result.error)
        self.assertEqual('[][0]\n', result.reply[step + '_stdout'])

    def test_exec_timeout_ends_the_run(self):
        # The exec outlives its timeout by far: the hook must reply and
        # end, not wait for it (run_hook's own timeout would fail this).
        web, step = self.name('web'), self.name('step')
        result = self.run_hook(self.item(
            {web: self.service(),
             step: {'action': 'exec', 'start_order': 1,
                    'command': [web, 'sleep', '600']}},
            options={'exec_timeout': 1}), timeout=60)
        self.assertEqual(1, result.code)
        self.assertIn('still running after 1s', result.error)

    def test_exec_in_a_container_that_is_not_running(self):
        web, step = self.name('web'), self.name('step')
        result = self.run_hook(self.item(
            {web: {'image': self.image, 'detach': False,
                   'command': ['true']},
             step: {'action': 'exec', 'start_order': 1,
                    'command': [web, 'true']}}))
        self.assertEqual(1, result.code)
        self.assertIn('exec target %s is exited, not running' % web,
                      result.error)

    def test_healthcheck_gates_later_start_orders(self):
        db, app = self.name('db'), self.name('app')
        result = self.run_hook(self.item({
            db: self.service(healthcheck={
                'test': 'test -e /ready', 'interval': '1s',
                'retries': 30},
                command=['sh', '-c', "trap 'exit 0' TERM; sleep 2; "
                         "touch /ready; while true; do sleep 0.2; "
                         "done"]),
            app: self.service(start_order=1)}))
        self.assertEqual(0, result.code, result.error)
        self.assertIn('created %s' % db, result.stdout)
        self.assertIn('running, healthy', result.stdout)
        db_health = self.container(db).attrs['State']['Health']['Status']
        self.assertEqual('healthy', db_health)
        started_db = self.container(db).attrs['State']['StartedAt']
        started_app = self.container(app).attrs['State']['StartedAt']
        self.assertLess(started_db, started_app)

    def test_unhealthy_container_times_out(self):
        db, app = self.name('db'), self.name('app')
        result = self.run_hook(self.item(
            {db: self.service(healthcheck={'test': 'false',
                                           'interval': '1s',
                                           'retries': 100}),
             app: self.service(start_order=1)},
            options={'healthy_timeout': 2}))
        self.assertEqual(1, result.code)
        self.assertIn('did not become healthy within 2s', result.error)
        self.assertIsNone(self.container(app))

    def test_oneshot_timeout(self):
        job = self.name('job')
        result = self.run_hook(self.item(
            {job: {'image': self.image, 'detach': False,
                   'command': ['sleep', '30']}},
            options={'oneshot_timeout': 1}))
        self.assertEqual(1, result.code)
        self.assertIn('still running after 1s', result.error)

    def test_service_that_exits_at_start_fails(self):
        web = self.name('web')
        result = self.run_hook(self.item(
            {web: {'image': self.image,
                   'command': ['sh', '-c', 'echo bye; exit 4']}}))
        self.assertNotEqual(0, result.code)
        self.assertIn(web, result.error.splitlines()[0])
        self.assertIn('exited with code 4', result.error)

    def test_detached_container_without_restart_may_finish(self):
        # TripleO's *_init_logs containers: detached, no restart policy,
        # done in a moment (paunch never waits on them). Exiting with an
        # accepted code is their success, and a re-run keeps them; an
        # exit with another code still fails (the test above).
        init, web = self.name('init'), self.name('web')
        config = {init: {'image': self.image,
                         'command': ['sh', '-c', 'echo chowned']},
                  web: self.service(start_order=1, restart='always')}
        result = self.run_hook(self.item(config, resource='svc'))
        self.assertEqual(0, result.code, result.error)
        first = self.state(init)
        self.assertEqual('exited', first[2])
        self.assertEqual(0, self.container(init).attrs['State']['ExitCode'])
        self.assertEqual('running', self.state(web)[2])
        again = self.run_hook(self.item(config, resource='svc'))
        self.assertEqual(0, again.code, again.error)
        self.assertEqual(first, self.state(init))

    def test_container_the_engine_cannot_start_is_not_left_behind(self):
        # docker run leaves such a container Created; the hook leaves no
        # partial state, whatever the engine refuses at start.
        for tag, settings in (('user', {'user': 'nosuchuser'}),
                              ('exe', {'command': ['/nonexistent-binary']})):
            name = self.name(tag)
            config = {name: dict(self.service(), **settings)}
            result = self.run_hook(self.item(config, resource=tag))
            self.assertEqual(1, result.code, result.error)
            self.assertIn(name, result.error)
            self.assertIsNone(self.container(name), tag)

    def test_unusable_log_file_is_a_reply_not_a_traceback(self):
        self.write_conf(log_file='/proc/nonexistent/hook.log')
        result = self.run_hook(self.item({self.name('web'): self.service()}))
        self.assertNotEqual(0, result.code)
        self.assertIn('set up logging', result.error.splitlines()[0])
        self.assertEqual([], self.stack_containers())

    def test_bad_input_touches_nothing(self):
        web, other = self.name('web'), self.name('other')
        result = self.run_hook(self.item({
            web: self.service(),
            other: {'command': 'x', 'bogus': True},
        }))
        self.assertEqual(2, result.code)
        first = result.error.splitlines()[0]
        self.assertTrue(first.startswith('invalid deployment: config.'),
                        first)
        self.assertIn('config.%s.bogus' % other, result.error)
        self.assertIn('config.%s.image' % other, result.error)
        self.assertEqual([], self.stack_containers())

    def test_missing_image_fails_clearly(self):
        web = self.name('web')
        result = self.run_hook(self.item(
            {web: {'image': 'hch-test/no-such-image:1'}}))
        self.assertEqual(1, result.code)
        self.assertIn('hch-test/no-such-image:1 is not present',
                      result.error)

    def test_name_conflict_with_a_container_we_do_not_manage(self):
        web = self.name('web')
        self.client.containers.create(self.image, name=web,
                                      command=['true'])
        result = self.run_hook(self.item({web: self.service()}))
        self.assertEqual(2, result.code)
        self.assertIn('not managed by this deployment', result.error)
        self.assertEqual('created', self.container(web).status)

    def test_secret_values_never_in_reply_log_or_labels(self):
        web = self.name('web')
        secret = 'S3cr3t-%s' % self.prefix
        result = self.run_hook(self.item(
            {web: self.service(environment={'DB_PASSWORD': secret}),
             self.name('job'): {'image': self.image, 'detach': False,
                                'command': ['sh', '-c', 'echo $P; exit 1'],
                                'environment': ['P=' + secret]}},
            inputs=[('deploy_password', secret)]))
        self.assertNotEqual(0, result.code)
        self.assertNotIn(secret, json.dumps(result.reply))
        self.assertNotIn(secret, result.stderr)
        labels = json.dumps(self.container(web).labels)
        self.assertNotIn(secret, labels)

    def test_cleanup_removes_only_gone_deployments_of_this_owner(self):
        keep, gone = self.name('keep'), self.name('gone')
        stranger = self.name('stranger')
        kept = self.item({keep: self.service()}, resource='kept')
        self.assertEqual(0, self.run_hook(kept).code)
        self.assertEqual(0, self.run_hook(self.item(
            {gone: self.service()}, resource='gone')).code)
        self.client.containers.create(
            self.image, name=stranger, command=['true'],
            labels={'managed_by': 'someone-else',
                    'deploy_stack_id': self.stack})
        heat_config = os.path.join(self.tmp, 'heat-config')
        with open(heat_config, 'w') as handle:
            json.dump([kept], handle)
        self.run_cleanup(heat_config)
        self.assertIsNotNone(self.container(keep))
        self.assertIsNone(self.container(gone))
        self.assertIsNotNone(self.container(stranger))

    def test_cleanup_with_unreadable_list_removes_nothing(self):
        keep = self.name('keep')
        self.assertEqual(0, self.run_hook(self.item(
            {keep: self.service()})).code)
        self.run_cleanup(os.path.join(self.tmp, 'missing'))
        self.assertIsNotNone(self.container(keep))

    def run_cleanup(self, heat_config):
        import subprocess
        command = self.hook_command()
        command[0] = command[0].replace('heat-config-docker-cmd',
                                        'heat-config-cleanup')
        proc = subprocess.run(command + ['--heat-config', heat_config,
                                         '--group', 'docker-cmd'],
                              stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=120)
        self.assertEqual(0, proc.returncode, proc.stderr)
        return proc


class ReplaceNamesTheFieldsTest(base.FunctionalTest):
    """Issue 16, point 5: every replace names the fields that differ, in
    deploy_stdout and in the ``containers`` output, never their values;
    a container made by an earlier release (its label holds the
    fingerprint alone) is kept while its config is unchanged."""

    def deployment(self, env, volumes, secret='s3cret-16'):
        return self.item(
            {self.web: {'image': self.image, 'command': SERVICE,
                        'environment': {'A': env, 'KEEP': 'same'},
                        'volumes': volumes}},
            inputs=[('db_password', secret)], outputs=['containers'])

    def test_replace_names_fields_and_old_labels_are_read(self):
        self.web = self.name('web')
        first = self.run_hook(self.deployment('1', ['/etc/hosts:/h1:ro']))
        self.assertEqual(0, first.code, first.error)
        again = self.run_hook(self.deployment(
            '2', ['/etc/hosts:/h1:ro', '/etc/hostname:/h2:ro']))
        self.assertEqual(0, again.code, again.error)
        info = again.reply['containers'][self.web]
        self.assertEqual(('replaced', ['environment.A', 'volumes[1]']),
                         (info['action'], info['changes']))
        self.assertIn('(changed: environment.A, volumes[1])', again.stdout)
        self.assertNotIn('s3cret', json.dumps(again.reply))

        # As an earlier release labelled it: the fingerprint alone.
        old = self.container(self.web)
        labels = dict(old.labels)
        key = 'heat_container_hooks.fingerprint'
        labels[key] = labels[key].split(' ', 1)[0]
        old.remove(force=True)
        made = self.client.containers.run(
            self.image, SERVICE, name=self.web, labels=labels, detach=True)
        same = self.deployment(
            '2', ['/etc/hosts:/h1:ro', '/etc/hostname:/h2:ro'])
        kept = self.run_hook(same)
        self.assertEqual(0, kept.code, kept.error)
        self.assertEqual(('kept', made.id), (
            kept.reply['containers'][self.web]['action'],
            kept.reply['containers'][self.web]['id']))
