"""The neutral container group: one deployment, three tools, the same
service, environment, reply, idempotence and DELETE; and switching tools."""

from tests.functional import base

SERVICE = ['sh', '-c', "trap 'exit 0' TERM; while true; do sleep 0.2; done"]
ENV_NAMES = ('OWN', 'EMPTY', 'greeting', 'db_password', 'answer', 'flag')


class ContainerMatrixTest(base.FunctionalTest):

    group = 'container'

    def setUp(self):
        super().setUp()
        # All three tools on this engine; the atomic tool of the container
        # group runs the label protocol natively on it.
        self.secret = 'Pw-%s' % self.prefix
        self.app = self.name('app')
        self.addCleanup(self.run_hook, self.deployment('docker', 'DELETE'))

    def deployment(self, tool, action=None, own='x', config_id=None):
        return self.item(
            {self.app: {'image': self.image, 'command': SERVICE,
                        'environment': {'OWN': own, 'EMPTY': ''}}},
            inputs=[('greeting', 'hello world; $(id)'),
                    ('db_password', self.secret), ('answer', 42),
                    ('flag', True), ('container_tool', tool)],
            outputs=['containers', self.app + '_id'], action=action,
            config_id=config_id or 'config-%s' % tool, name='matrix')

    def environment(self, ident):
        container = self.client.containers.get(ident)
        out = container.exec_run(['env']).output.decode()
        pairs = dict(line.split('=', 1) for line in out.splitlines()
                     if '=' in line)
        return {n: pairs.get(n) for n in ENV_NAMES}

    def owned(self):
        """Summaries ({Id, Names, Labels, ...}) of what this deployment
        owns, whatever tool made it."""
        return self.client.api.containers(
            all=True, filters={'label': 'heat_container_hooks.owner=%s/res'
                               % self.stack})

    def test_same_service_with_each_tool(self):
        seen = {}
        for tool in ('docker', 'compose', 'atomic'):
            created = self.run_hook(self.deployment(tool))
            self.assertEqual(0, created.code, '%s: %s' % (tool,
                                                          created.error))
            self.assertEqual(
                {'deploy_stdout', 'deploy_stderr', 'deploy_status_code',
                 'containers', self.app + '_id'}, set(created.reply), tool)
            info = created.reply['containers'][self.app]
            self.assertEqual('running', info['state'], tool)
            self.assertEqual(info['id'], created.reply[self.app + '_id'])
            seen[tool] = self.environment(info['id'])
            self.assertNotIn(self.secret, str(created.reply), tool)

            again = self.run_hook(self.deployment(tool))
            self.assertEqual(0, again.code, again.error)
            self.assertEqual(info['id'],
                             again.reply['containers'][self.app]['id'], tool)
            self.assertEqual('kept',
                             again.reply['containers'][self.app]['action'],
                             tool)

            deleted = self.run_hook(self.deployment(tool, 'DELETE'))
            self.assertEqual(0, deleted.code, deleted.error)
            self.assertEqual([], self.owned(), tool)
            self.assertRaises(base.docker.errors.NotFound,
                              self.client.containers.get, info['id'])
        expected = {'OWN': 'x', 'EMPTY': '', 'greeting': 'hello world; $(id)',
                    'db_password': self.secret, 'answer': '42',
                    'flag': 'true'}
        for tool, env in seen.items():
            self.assertEqual(expected, env, tool)

    def test_atomic_tool_settles_once_for_all(self):
        # One settle_time for every started container, not one each: the
        # hook's log says it settled all three at once.
        names = [self.name('a'), self.name('b'), self.name('c')]
        item = self.item({n: {'image': self.image, 'command': SERVICE}
                          for n in names},
                         inputs=[('container_tool', 'atomic')])
        result = self.run_hook(item)
        self.assertEqual(0, result.code, result.error)
        settles = [line for line in result.stderr.splitlines()
                   if 'settling ' in line]
        self.assertEqual(1, len(settles), settles)
        self.assertIn('settling 3 started containers', settles[0])
        deleted = self.run_hook(self.item({}, action='DELETE', inputs=[
            ('container_tool', 'atomic')]))
        self.assertEqual(0, deleted.code, deleted.error)

    def test_switching_tools_leaves_nothing_behind(self):
        previous = None
        for tool in ('docker', 'compose', 'atomic', 'docker'):
            result = self.run_hook(self.deployment(tool))
            self.assertEqual(0, result.code, '%s: %s' % (tool, result.error))
            ident = result.reply['containers'][self.app]['id']
            if previous:
                self.assertRaises(base.docker.errors.NotFound,
                                  self.client.containers.get, previous)
                self.assertIn('removed %s' % self.app, result.stdout)
            managed = {c['Labels'].get('managed_by') for c in self.owned()}
            self.assertEqual({'%s/%s' % (self.managed_by, tool)}, managed)
            previous = ident
        deleted = self.run_hook(self.deployment('atomic', 'DELETE'))
        self.assertEqual(0, deleted.code, deleted.error)
        self.assertEqual([], self.owned())

    def test_cleanup_removes_what_any_tool_made(self):
        import json
        import os
        import subprocess
        created = self.run_hook(self.deployment('compose'))
        self.assertEqual(0, created.code, created.error)
        listing = os.path.join(self.tmp, 'heat-config')
        with open(listing, 'w') as handle:
            json.dump([], handle)
        command = self.hook_command()
        command[0] = command[0].replace('heat-config-container',
                                        'heat-config-cleanup')
        proc = subprocess.run(command + ['--heat-config', listing, '--group',
                                         'container'],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=120)
        self.assertEqual(0, proc.returncode, proc.stderr)
        self.assertEqual([], self.owned())
        networks = self.client.networks.list(
            filters={'label': 'managed_by=%s/compose' % self.managed_by})
        self.assertEqual([], networks)

    def test_key_a_tool_cannot_honour_is_named(self):
        item = self.item({self.app: {'image': self.image, 'command': SERVICE,
                                     'volumes': ['/tmp:/data']}},
                         inputs=[('container_tool', 'atomic')])
        result = self.run_hook(item)
        self.assertEqual(2, result.code)
        first = result.error.splitlines()[0]
        self.assertIn('volumes', first)
        self.assertIn('atomic', first)
        self.assertEqual([], self.owned())

    def test_unknown_tool(self):
        result = self.run_hook(self.item(
            {self.app: {'image': self.image}},
            inputs=[('container_tool', 'kubernetes')]))
        self.assertEqual(2, result.code)
        self.assertIn('inputs.container_tool', result.error.splitlines()[0])
