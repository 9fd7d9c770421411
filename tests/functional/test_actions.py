"""deploy_action on every group: the five Heat actions and nothing else.

An action that is not one of CREATE, UPDATE, DELETE, SUSPEND, RESUME (an
unknown word, a lower-case spelling, a number) fails the deployment naming
``inputs.deploy_action``, and nothing on the engine is touched: no
container made for a new deployment, none removed, stopped or replaced for
an existing one.
"""

import os

from tests.functional import base
from tests.functional import test_atomic
from tests.functional import test_compose

SERVICE = ['sh', '-c', "trap 'exit 0' TERM; while true; do sleep 0.2; done"]
BAD_ACTIONS = ('EXPLODE', 'delete', 'Update', 5)


class ActionChecks:
    """For a group: ``config()`` is a valid config of one service."""

    def owned(self):
        """{name: (id, status)} of this test's containers."""
        found = {}
        for filters in ({'name': self.prefix},
                        {'label': 'deploy_stack_id=%s' % self.stack}):
            for c in self.client.api.containers(all=True, filters=filters):
                found[c['Names'][0].lstrip('/')] = (c['Id'], c['State'])
        return found

    def deployment(self, action=None):
        return self.item(self.config(), action=action, **self.item_args())

    def item_args(self):
        return {}

    def assert_refused(self, action):
        result = self.run_hook(self.deployment(action))
        self.assertNotEqual(0, result.code, action)
        self.assertIn('inputs.deploy_action', result.error, action)
        self.assertIn('CREATE, UPDATE, DELETE, SUSPEND, RESUME',
                      result.error, action)

    def test_unknown_action_on_a_new_deployment_makes_nothing(self):
        for action in BAD_ACTIONS:
            self.assert_refused(action)
            self.assertEqual({}, self.owned(), action)

    def test_unknown_action_on_a_deployment_touches_nothing(self):
        created = self.run_hook(self.deployment('CREATE'))
        self.assertEqual(0, created.code, created.error)
        before = self.owned()
        self.assertTrue(before)
        for action in BAD_ACTIONS:
            self.assert_refused(action)
            self.assertEqual(before, self.owned(), action)
        deleted = self.run_hook(self.deployment('DELETE'))
        self.assertEqual(0, deleted.code, deleted.error)


class DockerCmdActionTest(ActionChecks, base.FunctionalTest):

    group = 'docker-cmd'

    def config(self):
        return {self.name('svc'): {'image': self.image, 'command': SERVICE}}


class ContainerActionTest(ActionChecks, base.FunctionalTest):

    group = 'container'

    def config(self):
        return {self.name('svc'): {'image': self.image, 'command': SERVICE}}

    def test_unknown_action_with_each_tool(self):
        for tool in ('docker', 'compose', 'atomic'):
            item = self.item(self.config(), action='EXPLODE',
                             inputs=[('container_tool', tool)])
            result = self.run_hook(item)
            self.assertNotEqual(0, result.code, tool)
            self.assertIn('inputs.deploy_action', result.error, tool)
            self.assertEqual({}, self.owned(), tool)


class ComposeActionTest(ActionChecks, test_compose.ComposeHelpers,
                        base.FunctionalTest):

    compose_version = 'v2'

    def config(self):
        return {'version': '3', 'services': {
            'svc': {'image': self.image, 'command': SERVICE}}}

    def item_args(self):
        return {'name': self.prefix}


class AtomicActionTest(ActionChecks, test_atomic.AtomicTestBase):

    def setUp(self):
        super().setUp()
        os.makedirs(self.data, exist_ok=True)
        self.service_image = self.build('v1', {
            'INSTALL': test_atomic.INSTALL, 'RUN': test_atomic.RUN,
            'UNINSTALL': test_atomic.UNINSTALL})

    def config(self):
        return {'command': 'install', 'image': self.service_image,
                'name': self.name('svc')}

    def item_args(self):
        return {'inputs': [('MSG', 'hi')]}

    def test_unknown_action_on_a_new_deployment_makes_nothing(self):
        super().test_unknown_action_on_a_new_deployment_makes_nothing()
        # Not even the INSTALL label ran.
        self.assertIsNone(self.marker(self.name('svc'), 'install'))
