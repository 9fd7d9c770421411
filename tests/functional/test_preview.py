"""``heat-container-hooks plan`` on the real engine: what a run would do,
with terraform's detailed exit status (0 no change, 2 changes, 1 error),
and nothing touched."""

import json

from tests.functional import base
from tests.functional import test_compose

SERVICE = ['sh', '-c', "trap 'exit 0' TERM; while true; do sleep 0.2; done"]


class PreviewHelpers:

    def plan(self, payload, *extra):
        return self.run_plan(payload, *extra)

    def preview(self, payload):
        code, out, err = self.plan(payload, '--format', 'json')
        self.assertIn(code, (0, 2), err)
        found = json.loads(out)
        self.assertEqual(code == 2, found['changes'])
        return code, {s['container']: s['action'] for s in found['steps']}

    def ids(self):
        return sorted(c.id for c in self.stack_containers())


class PreviewChecks(PreviewHelpers):

    def deployment(self, env='1', with_b=True, action=None):
        config = {self.a: {'image': self.image, 'command': SERVICE,
                           'environment': {'V': env}}}
        if with_b:
            # A restart policy: stopped, it is started again (without
            # one, a detached container may finish and is kept).
            config[self.b] = {'image': self.image, 'command': SERVICE,
                              'restart': 'always'}
        return self.item(config, action=action)

    def test_plan_then_run(self):
        self.a, self.b = self.name('a'), self.name('b')
        code, steps = self.preview(self.deployment())
        self.assertEqual((2, {self.a: 'create', self.b: 'create'}),
                         (code, steps))
        self.assertEqual([], self.ids())
        code, out, _ = self.plan(self.deployment())
        self.assertEqual(2, code)
        self.assertIn('create %s (new)' % self.a, out)

        self.assertEqual(0, self.run_hook(self.deployment()).code)
        before = self.ids()
        self.assertEqual((0, {self.a: 'keep', self.b: 'keep'}),
                         self.preview(self.deployment()))
        self.assertEqual((2, {self.a: 'replace', self.b: 'keep'}),
                         self.preview(self.deployment(env='2')))
        self.assertEqual((2, {self.a: 'keep', self.b: 'remove'}),
                         self.preview(self.deployment(with_b=False)))
        self.client.containers.get(self.b).stop(timeout=5)
        self.assertEqual((2, {self.a: 'keep', self.b: 'start'}),
                         self.preview(self.deployment()))
        self.assertEqual((2, {self.a: 'remove', self.b: 'remove'}),
                         self.preview(self.deployment(action='DELETE')))
        # Nothing was touched by any of it.
        self.assertEqual(before, self.ids())
        self.assertEqual('exited', self.client.containers.get(self.b).status)

    def test_errors_exit_1(self):
        self.a, self.b = self.name('a'), self.name('b')
        code, _, err = self.plan(self.deployment(action='EXPLODE'))
        self.assertEqual(1, code)
        self.assertIn('inputs.deploy_action', err)
        # Every problem is listed, not only the first.
        bad = self.item({self.a: {'command': SERVICE},
                         self.b: {'command': SERVICE}})
        code, _, err = self.plan(bad)
        self.assertEqual(1, code)
        self.assertIn('more problem', err)
        self.assertIn('%s.image: is missing' % self.a, err)
        self.assertIn('%s.image: is missing' % self.b, err)
        self.assertEqual([], self.ids())


class DockerCmdPreviewTest(PreviewChecks, base.FunctionalTest):

    group = 'docker-cmd'


class ContainerPreviewTest(PreviewChecks, base.FunctionalTest):

    group = 'container'


class ComposePreviewTest(PreviewChecks, test_compose.ComposeHelpers,
                         base.FunctionalTest):
    """Compose decides per service on ``up``; the preview reuses the run's
    no-op check (the last successful up's digest) to say "nothing"."""

    compose_version = 'v2'

    def compose(self, env='1', with_b=True):
        services = {'a': {'image': self.image, 'command': SERVICE,
                          'environment': {'V': env}}}
        if with_b:
            services['b'] = {'image': self.image, 'command': SERVICE}
        return self.item({'version': '3', 'services': services},
                         name=self.prefix)

    def test_plan_then_run(self):
        self.assertEqual((2, {'a': 'create', 'b': 'create'}),
                         self.preview(self.compose()))
        self.assertEqual([], self.ids())
        self.assertEqual(0, self.run_hook(self.compose()).code)
        before = self.ids()
        self.assertEqual((0, {'a': 'keep', 'b': 'keep'}),
                         self.preview(self.compose()))
        self.assertEqual((2, {'a': 'up', 'b': 'up'}),
                         self.preview(self.compose(env='2')))
        code, steps = self.preview(self.compose(with_b=False))
        self.assertEqual((2, 'up'), (code, steps['a']))
        item = self.compose()
        item['inputs'].append({'name': 'deploy_action', 'value': 'DELETE'})
        self.assertEqual((2, {'a': 'remove', 'b': 'remove'}),
                         self.preview(item))
        self.assertEqual(before, self.ids())
        self.assertEqual(0, self.run_hook(item).code)


class ContainerToolsPreviewTest(PreviewHelpers, base.FunctionalTest):
    """The container group's compose and atomic tools preview too (the
    docker tool: ContainerPreviewTest; the atomic group: test_atomic)."""

    group = 'container'

    def tool_deployment(self, tool, env='1', action=None):
        return self.item(
            {self.a: {'image': self.image, 'command': SERVICE,
                      'environment': {'V': env}}},
            inputs=[('container_tool', tool)], action=action,
            config_id='config-%s' % tool, name=self.prefix)

    def check_tool(self, tool, changed):
        self.a = self.name('a')
        self.addCleanup(self.run_hook, self.tool_deployment(tool,
                                                            action='DELETE'))
        self.assertEqual((2, {self.a: 'create'}),
                         self.preview(self.tool_deployment(tool)))
        self.assertEqual([], self.ids())
        self.assertEqual(0, self.run_hook(self.tool_deployment(tool)).code)
        before = self.ids()
        self.assertEqual((0, {self.a: 'keep'}),
                         self.preview(self.tool_deployment(tool)))
        self.assertEqual((2, {self.a: changed}),
                         self.preview(self.tool_deployment(tool, env='2')))
        self.assertEqual((2, {self.a: 'remove'}), self.preview(
            self.tool_deployment(tool, action='DELETE')))
        self.assertEqual(before, self.ids())

    def test_compose_tool(self):
        self.check_tool('compose', 'up')

    def test_atomic_tool(self):
        self.check_tool('atomic', 'replace')
