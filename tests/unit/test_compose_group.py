"""The docker-compose group's reading step: every problem at once, the
secrets it reports for redaction, and the actions that need no config."""

import types

import testtools

from heat_container_hooks import environment
from heat_container_hooks import errors
from heat_container_hooks.groups import docker_compose
from tests.unit import test_compose_format as fmt

CONF = types.SimpleNamespace(secret_inputs=[],
                             secret_input_patterns=['*password*'])


def desired(deployment):
    inputs = environment.from_inputs(deployment, CONF.secret_inputs,
                                     CONF.secret_input_patterns)
    return docker_compose.DockerComposeGroup().desired(deployment, inputs,
                                                       CONF)


class DesiredTest(testtools.TestCase):

    def test_secrets_from_inputs_and_env_files(self):
        deployment = fmt.make_deployment(config={'a': {'image': 'i'}},
                                         inputs=[
            ('db_password', 'one-secret'),
            ('env_files', [{'file_name': 'a.env',
                            'content': 'ADMIN_PASSWORD=two-secret\nX=1'}])])
        group = docker_compose.DockerComposeGroup()
        self.assertEqual(['one-secret', 'two-secret'],
                         group.secrets(desired(deployment)))

    def test_every_problem_at_once(self):
        deployment = fmt.make_deployment(
            name='../x', config={'a': {'command': 'x'}},
            inputs=[('env_files', [{'file_name': '/etc/x'}])])
        exc = self.assertRaises(errors.InvalidDeployment, desired,
                                deployment)
        self.assertEqual(['config.services.a.image', 'name',
                          'inputs.env_files[0].file_name'],
                         fmt.problem_fields(exc))

    def test_delete_needs_no_config(self):
        deployment = fmt.make_deployment(config='', inputs=[
            ('deploy_action', 'DELETE'), ('env_files', 'garbage')])
        project = desired(deployment)
        self.assertIsNone(project.compose)
        self.assertTrue(project.name.startswith('web-app-'))

    def test_delete_of_an_unnameable_deployment_is_a_no_op(self):
        deployment = fmt.make_deployment(name='a/b', inputs=[
            ('deploy_action', 'DELETE')])
        self.assertIsNone(desired(deployment).name)
        suspend = fmt.make_deployment(name='a/b', inputs=[
            ('deploy_action', 'SUSPEND')])
        self.assertRaises(errors.InvalidDeployment, desired, suspend)


class ConfigSecretsTest(testtools.TestCase):

    def test_secret_values_written_into_the_config_are_masked_too(self):
        deployment = fmt.make_deployment(config={'services': {
            'a': {'image': 'i', 'environment': {
                'DB_PASSWORD': 'hunter22pw', 'MODE': 'fast',
                'REF_PASSWORD': '${db_password}'}},
            'b': {'image': 'i', 'environment': [
                'ADMIN_PASSWORD=list-form-pw', 'X=1']}}})
        group = docker_compose.DockerComposeGroup()
        self.assertEqual(['hunter22pw', 'list-form-pw'],
                         group.secrets(desired(deployment)))
