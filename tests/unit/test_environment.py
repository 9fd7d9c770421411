import os

import testtools

from heat_container_hooks import deployment
from heat_container_hooks import environment
from heat_container_hooks import redaction
from heat_container_hooks import spec as spec_mod


def dep(inputs, options=None):
    return deployment.from_dict({'id': 'x', 'inputs': inputs,
                                 'options': options})


class RenderTest(testtools.TestCase):

    table = [
        ('String', 'plain', 'plain'),
        ('String', "[{'a': 1}]", '[{"a":1}]'),
        ('String', 'True', 'True'),
        ('Number', 3, '3'),
        ('Number', 3.0, '3'),
        ('Number', 2.5, '2.5'),
        ('Boolean', True, 'true'),
        ('Boolean', 'False', 'false'),
        ('CommaDelimitedList', ['a', 'b'], 'a,b'),
        ('CommaDelimitedList', 'a,b', 'a,b'),
        ('Json', {'k': [1]}, '{"k":[1]}'),
        ('Json', "{'k': None}", '{"k":null}'),
        ('String', None, ''),
    ]

    def test_table(self):
        for kind, value, expected in self.table:
            self.assertEqual(expected, environment.render(kind, value),
                             (kind, value))


class FromInputsTest(testtools.TestCase):

    def test_rules(self):
        env = environment.from_inputs(dep([
            {'name': 'plain', 'value': 'x'},
            {'name': 'db_password', 'value': 'pw-secret'},
            {'name': 'custom', 'value': 'c'},
            {'name': 'bad-name', 'value': 'y'},
            {'name': 'deploy_server_id', 'value': 'srv'},
            {'name': 'deploy_password', 'value': 'dpw'},
        ]), secret_inputs=['custom'], patterns=['*password*'])
        self.assertEqual({'plain': 'x', 'db_password': 'pw-secret',
                          'custom': 'c'}, env.as_dict())
        self.assertEqual({'db_password', 'custom'}, set(env.secret_names))
        self.assertEqual((('plain', 'x'),), env.public())
        self.assertIn("'bad-name'", env.notes[0])

    def test_deploy_inputs_only_when_exposed(self):
        env = environment.from_inputs(dep(
            [{'name': 'deploy_server_id', 'value': 'srv'},
             {'name': 'deploy_password', 'value': 'dpw1'}]),
            expose=('deploy_server_id', 'deploy_password'))
        self.assertEqual({'deploy_server_id': 'srv',
                          'deploy_password': 'dpw1'}, env.as_dict())
        self.assertEqual({'deploy_password'}, set(env.secret_names))

    def test_secret_values_include_unexposed_credentials(self):
        values = environment.secret_input_values(dep(
            [{'name': 'deploy_password', 'value': 'dpw1'},
             {'name': 'deploy_signal_id', 'value': 'http://x/?sig=abc'},
             {'name': 'db_password', 'value': 'dbpw'},
             {'name': 'plain', 'value': 'p'}]), patterns=['*password*'])
        self.assertEqual((['dpw1', 'http://x/?sig=abc'], ['dbpw']), values)

    def test_rules_table_is_documented(self):
        here = os.path.dirname(__file__)
        with open(os.path.join(here, '..', '..', 'doc',
                               'environment.md')) as handle:
            doc = handle.read()
        for what, rule in environment.RULES:
            self.assertIn('| %s | %s |' % (what, rule), doc)


class ResolveTest(testtools.TestCase):

    def test_order_and_pass_through(self):
        spec = spec_mod.ContainerSpec(
            name='c', image='i', env_files=('/f',),
            environment=(('A', 'own'), ('HOSTVAR', None), ('GONE', None),
                         ('EMPTY', '')))
        resolved = environment.resolve(
            spec, {'HOSTVAR': 'h'}, {'/f': '# c\nA=file\nB=file\nC\n'},
            extra=(('B', 'input'), ('D_PASSWORD', 'pw')),
            patterns=['*password*'])
        self.assertEqual({'A': 'own', 'B': 'input', 'HOSTVAR': 'h',
                          'EMPTY': '', 'D_PASSWORD': 'pw'},
                         resolved.env_dict())
        self.assertEqual({'D_PASSWORD'}, set(resolved.secret_env))

    def test_changed_env_file_changes_the_fingerprint(self):
        spec = spec_mod.ContainerSpec(name='c', image='i', env_files=('/f',))
        one = environment.resolve(spec, {}, {'/f': 'A=1'})
        two = environment.resolve(spec, {}, {'/f': 'A=2'})
        self.assertNotEqual(one.fingerprint(), two.fingerprint())


class RedactorTest(testtools.TestCase):

    def test_masks_in_nested_data(self):
        redactor = redaction.Redactor(['hunter22', 'ab'])
        self.assertEqual({'k': ['x *** y'], '***': 'ab'},
                         redactor.data({'k': ['x hunter22 y'],
                                        'hunter22': 'ab'}))
