import json

import testtools

from heat_container_hooks import deployment
from heat_container_hooks import errors


class ParseTest(testtools.TestCase):

    def test_full_item(self):
        item = deployment.parse(json.dumps({
            'id': 'abc', 'name': 'dep', 'group': 'docker-cmd',
            'options': None, 'outputs': None, 'config': {'a': {}},
            'inputs': [
                {'name': 'deploy_action', 'value': 'UPDATE'},
                {'name': 'deploy_stack_id', 'value': 'st/1'},
                {'name': 'deploy_resource_name', 'value': 'res'},
                {'name': 'n', 'type': 'Number', 'value': 3}]}))
        self.assertEqual('abc', item.id)
        self.assertEqual({}, item.options)
        self.assertEqual((), item.outputs)
        self.assertIs(deployment.Action.UPDATE, item.action)
        self.assertEqual('st/1/res', item.owner_key)
        self.assertEqual(3, item.input_value('n'))

    def test_defaults_when_keys_are_missing(self):
        item = deployment.parse('{"id": "x", "name": "only-name"}')
        self.assertIs(deployment.Action.CREATE, item.action)
        self.assertEqual('name:only-name', item.owner_key)
        self.assertIsNone(item.config)

    def test_every_heat_action_is_parsed(self):
        for word in ('CREATE', 'UPDATE', 'DELETE', 'SUSPEND', 'RESUME'):
            item = deployment.from_dict({'inputs': [
                {'name': 'deploy_action', 'value': word}]})
            self.assertIs(deployment.Action(word), item.action)
            self.assertEqual(word, str(item.action))

    def test_an_unknown_action_names_the_field(self):
        for value in ('EXPLODE', 'delete', 'Update', '', 'CHECK', 5, True,
                      ['DELETE'], {'a': 1}):
            item = deployment.from_dict({'inputs': [
                {'name': 'deploy_action', 'value': value}]})
            exc = self.assertRaises(errors.InvalidDeployment,
                                    lambda: item.action)
            self.assertEqual(['inputs.deploy_action'],
                             [p.field for p in exc.problems], value)
            self.assertIn('CREATE, UPDATE, DELETE, SUSPEND, RESUME',
                          exc.problems[0].fix)

    def test_owner_is_stable_across_config_ids(self):
        def owner(config_id):
            return deployment.from_dict({
                'id': config_id, 'inputs': [
                    {'name': 'deploy_stack_id', 'value': 's/1'},
                    {'name': 'deploy_resource_name', 'value': 'r'}]}
            ).owner('docker-cmd')
        self.assertEqual(owner('one'), owner('two'))

    def test_every_problem_is_reported_at_once(self):
        exc = self.assertRaises(
            errors.InvalidDeployment, deployment.from_dict,
            {'id': [], 'options': 'x',
             'inputs': [{'value': 1}, {'name': 'a', 'type': 'Bogus'}],
             'outputs': 5})
        fields = [p.field for p in exc.problems]
        self.assertEqual(['id', 'options', 'inputs[0].name', 'inputs.a.type',
                          'outputs'], fields)
        self.assertIn('(and 4 more problems below)', str(exc))

    def test_not_json_names_stdin(self):
        for text in ('', '{', '[1]', 'null', b'\xff\xfe'):
            exc = self.assertRaises(errors.InvalidDeployment,
                                    deployment.parse, text)
            self.assertEqual('stdin', exc.problems[0].field)
            self.assertEqual(2, exc.status)

    def test_deep_nesting_is_an_error_not_a_crash(self):
        self.assertRaises(errors.InvalidDeployment, deployment.parse,
                          '[' * 100000)


class DecodeStructuredTest(testtools.TestCase):

    scenarios_table = [
        ([{'a': 1}], [{'a': 1}]),
        ('[{"a": 1}]', [{'a': 1}]),
        ("[{'file_name': 'x.env', 'content': 'A=1'}]",
         [{'file_name': 'x.env', 'content': 'A=1'}]),
        ("{'k': True, 'n': None}", {'k': True, 'n': None}),
        ('plain text', 'plain text'),
        ('[not python', '[not python'),
        ("__import__('os').system('id')", "__import__('os').system('id')"),
        (7, 7),
    ]

    def test_table(self):
        for given, expected in self.scenarios_table:
            self.assertEqual(expected, deployment.decode_structured(given),
                             given)


class LoadConfigTextTest(testtools.TestCase):

    def test_yaml_with_booleans_and_nulls(self):
        self.assertEqual({'a': {'detach': False, 'user': None}},
                         deployment.load_config_text(
                             'a:\n  detach: false\n  user: null\n'))

    def test_bad_yaml_names_the_field(self):
        exc = self.assertRaises(errors.InvalidDeployment,
                                deployment.load_config_text, 'a: [b')
        self.assertEqual('config', exc.problems[0].field)
