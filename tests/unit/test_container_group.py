import testtools

from heat_container_hooks import conf as conf_mod
from heat_container_hooks import deployment
from heat_container_hooks import errors
from heat_container_hooks.formats import container as container_format
from heat_container_hooks.groups import container


def make_conf(default_tool='docker'):
    conf = conf_mod.cfg.ConfigOpts()
    conf_mod.register_opts(conf)
    conf([], default_config_files=[])
    conf.set_override('default_tool', default_tool, group='container')
    return conf


def dep(options=None, tool_input=None):
    inputs = []
    if tool_input is not None:
        inputs.append({'name': 'container_tool', 'value': tool_input})
    return deployment.from_dict({'id': 'x', 'options': options,
                                 'inputs': inputs})


class ToolChoiceTest(testtools.TestCase):

    def test_order_options_then_input_then_config(self):
        conf = make_conf('atomic')
        self.assertEqual('compose', container.choose_tool(
            dep({'tool': 'compose'}, 'docker'), conf))
        self.assertEqual('docker', container.choose_tool(
            dep(None, 'Docker'), conf))
        self.assertEqual('atomic', container.choose_tool(dep(), conf))
        self.assertEqual('atomic', container.choose_tool(dep(None, ''),
                                                         conf))

    def test_unknown_tool_names_its_source(self):
        exc = self.assertRaises(errors.InvalidDeployment,
                                container.choose_tool,
                                dep(None, 'kubernetes'), make_conf())
        self.assertEqual('inputs.container_tool', exc.problems[0].field)
        self.assertIn('docker, compose, atomic', exc.problems[0].fix)

    def test_tool_owner_keeps_the_key(self):
        owner = deployment.Owner('container', 's/1/r', 's/1', 'r')
        self.assertEqual(('container/compose', 's/1/r'),
                         (container.tool_owner(owner, 'compose').managed_by,
                          container.tool_owner(owner, 'compose').key))


class NeutralFormatTest(testtools.TestCase):

    def test_docker_cmd_keys_plus_ports_and_depends_on(self):
        specs = {s.name: s for s in container_format.read({
            'db': {'image': 'i', 'environment': {'A': '1'}},
            'api': {'image': 'i', 'depends_on': ['db'],
                    'ports': ['127.0.0.1:8080:80/tcp', '9000']},
            'web': {'image': 'i', 'start_order': 0,
                    'depends_on': {'api': {'condition':
                                           'service_healthy'}}}})}
        self.assertEqual((0, 1, 2), (specs['db'].start_order,
                                     specs['api'].start_order,
                                     specs['web'].start_order))
        self.assertEqual(('127.0.0.1:8080:80/tcp', '9000'),
                         specs['api'].ports)

    def test_tripleo_input_reads_as_in_docker_cmd(self):
        """THT's docker_config, unchanged: systemd units in depends_on are
        left out (paunch's Docker path ignores them), the other TripleO
        keys and quirks read as in the docker-cmd group."""
        specs = {s.name: s for s in container_format.read({
            'libvirt': {'image': 'i', 'cpuset_cpus': 'all',
                        'pids_limit': 100, 'config_volume': 'nova',
                        'volumes': ['/a:/a', '', None, '/a:/a']},
            'compute': {'image': 'i', 'command': "x -c 'a b'",
                        'depends_on': ['tripleo_nova_libvirt.service',
                                       'libvirt', '']}})}
        self.assertEqual(1, specs['compute'].start_order)
        self.assertEqual(('x', '-c', "'a", "b'"), specs['compute'].command)
        self.assertIsNone(specs['libvirt'].cpuset_cpus)
        self.assertEqual(100, specs['libvirt'].pids_limit)
        self.assertEqual(('/a:/a',), specs['libvirt'].volumes)

    def test_errors_name_the_container_format(self):
        exc = self.assertRaises(errors.InvalidDeployment,
                                container_format.read,
                                {'a': {'image': 'i', 'ports': ['x:y'],
                                       'bogus': 1}})
        fields = {p.field: p for p in exc.problems}
        self.assertIn('config.a.ports', fields)
        self.assertIn('doc/container.md', fields['config.a.bogus'].fix)

    def test_unknown_dependency_and_cycle(self):
        exc = self.assertRaises(errors.InvalidDeployment,
                                container_format.read,
                                {'a': {'image': 'i', 'depends_on': ['zz']}})
        self.assertEqual('config.a.depends_on', exc.problems[0].field)
        exc = self.assertRaises(errors.InvalidDeployment,
                                container_format.read,
                                {'a': {'image': 'i', 'depends_on': ['b']},
                                 'b': {'image': 'i', 'depends_on': ['a']}})
        self.assertIn('cycle', exc.problems[0].message)
