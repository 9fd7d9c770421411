"""The pipeline's contract, with a fake group (no engine)."""

import json

import fixtures
import testtools

from heat_container_hooks import conf as conf_mod
from heat_container_hooks import errors
from heat_container_hooks import groups
from heat_container_hooks import hook
from heat_container_hooks import outcome


class FakeGroup(groups.Group):
    name = 'fake'
    fail_with = None

    def desired(self, deployment, inputs, conf):
        if deployment.config == 'invalid':
            raise errors.InvalidDeployment([errors.Problem(
                'config.x', 'is wrong', 'fix it')])
        return deployment.config

    def converge(self, job):
        if self.fail_with is not None:
            raise self.fail_with
        result = outcome.Outcome(results=[outcome.ContainerResult(
            'web', 'created', id='abc123', state='running')])
        result.notes.append('saw %s' % json.dumps(job.inputs.as_dict()))
        return result


class HookTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.conf = conf_mod.cfg.ConfigOpts()
        tmp = self.useFixture(fixtures.TempDir()).path
        conf_mod.register_opts(self.conf)
        self.conf([], default_config_files=[])
        self.conf.set_override('lock_dir', tmp)
        self.group = FakeGroup()
        self.useFixture(fixtures.MockPatchObject(
            groups, 'get', lambda name: self.group if name == 'fake'
            else None))

    def run_hook(self, item, group='fake'):
        return hook.run(group, json.dumps(item), self.conf)

    def test_success_reply_and_outputs(self):
        reply, status = self.run_hook({
            'id': '1', 'config': {}, 'outputs': [
                {'name': 'web_id'}, {'name': 'containers'},
                {'name': 'unknown'}],
            'inputs': [{'name': 'foo', 'value': 'bar'}]})
        self.assertEqual(0, status)
        self.assertEqual(0, reply['deploy_status_code'])
        self.assertEqual('abc123', reply['web_id'])
        self.assertEqual('running', reply['containers']['web']['state'])
        self.assertNotIn('unknown', reply)
        self.assertIn('created web (abc123): running',
                      reply['deploy_stdout'])

    def test_secrets_are_masked_everywhere(self):
        self.conf.set_override('secret_inputs', ['api_key'])
        reply, _ = self.run_hook({
            'id': '1', 'config': {},
            'options': {'expose_inputs': ['deploy_password']},
            'inputs': [{'name': 'api_key', 'value': 'k-123456'},
                       {'name': 'deploy_password', 'value': 'pw-98765'}]})
        text = json.dumps(reply)
        self.assertNotIn('k-123456', text)
        self.assertNotIn('pw-98765', text)
        self.assertIn('***', text)

    def test_invalid_config_and_options_reported_together(self):
        reply, status = self.run_hook({'id': '1', 'config': 'invalid',
                                       'options': {'bogus': 1}})
        self.assertEqual(2, status)
        first = reply['deploy_stderr'].splitlines()[0]
        self.assertIn('invalid deployment: options.bogus', first)
        self.assertIn('config.x: is wrong (fix: fix it)',
                      reply['deploy_stderr'])

    def test_option_override_is_validated(self):
        reply, status = self.run_hook({'id': '1', 'config': {},
                                       'options': {'start_timeout': 'soon'}})
        self.assertEqual(2, status)
        self.assertIn('options.start_timeout', reply['deploy_stderr'])

    def test_unknown_group(self):
        reply, status = self.run_hook({'id': '1'}, group='nope')
        self.assertEqual(1, status)
        self.assertIn("no hook for group 'nope'", reply['deploy_stderr'])

    def test_internal_error_is_a_reply_not_a_traceback(self):
        self.group.fail_with = KeyError('boom')
        reply, status = self.run_hook({'id': '1', 'config': {}})
        self.assertEqual(1, status)
        self.assertTrue(reply['deploy_stderr'].startswith(
            'internal error in the fake hook: KeyError'))
        self.assertNotIn('Traceback', reply['deploy_stderr'])

    def test_hook_error_status_is_the_exit_status(self):
        self.group.fail_with = errors.HookError('failed (fix: x)', status=3)
        reply, status = self.run_hook({'id': '1', 'config': {}})
        self.assertEqual((3, 3), (status, reply['deploy_status_code']))


class GroupLoadingTest(testtools.TestCase):

    def test_a_broken_group_import_fails_loudly(self):
        # It used to pass for a missing group (None), which turned the
        # tests that need the group into skips.
        self.useFixture(fixtures.MockPatchObject(groups, 'GROUPS', {
            'broken': 'heat_container_hooks.no_such_module:Group'}))
        self.assertRaises(ImportError, groups.get, 'broken')
        self.assertIsNone(groups.get('unknown'))
