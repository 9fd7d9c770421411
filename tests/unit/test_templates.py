"""The registries as `openstack stack create -e ...` merges them: which
template each OS::TripleO::Services::* type resolves to, with and without
the containers environment and each tool environment, and the parameter
interfaces of the twins."""

import os

import testtools
import yaml

from heat_container_hooks import templates_check

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
ENV = os.path.join(ROOT, 'environments')
TPL = os.path.join(ROOT, 'templates')
SERVICES = {'MySQL': 'mysql', 'RabbitMQ': 'rabbitmq',
            'Memcached': 'memcached', 'Keystone': 'keystone',
            'Placement': 'placement'}
TOOLS = ('docker', 'compose', 'atomic', 'podman')


def env(name):
    return os.path.join(ENV, name)


def params(path):
    with open(path) as handle:
        return yaml.safe_load(handle)['parameters']


class TestRegistry(testtools.TestCase):

    def assert_services(self, registry, flavour):
        for type_name, base in SERVICES.items():
            self.assertEqual(
                os.path.join(TPL, flavour, 'services', base + '.yaml'),
                registry['OS::TripleO::Services::' + type_name], type_name)

    def test_base_registry_is_puppet(self):
        registry = templates_check.resolve_registry([env('puppet.yaml')])
        self.assert_services(registry, 'puppet')
        self.assertEqual(os.path.join(TPL, 'puppet', 'post.yaml'),
                         registry['OS::TripleO::PostDeploySteps'])
        self.assertEqual(os.path.join(TPL, 'firstboot', 'none.yaml'),
                         registry['OS::TripleO::NodeUserData'])

    def test_containers_environment_swaps_every_service(self):
        registry = templates_check.resolve_registry(
            [env('puppet.yaml'), env('containers.yaml')])
        self.assert_services(registry, 'containers')
        self.assertEqual(os.path.join(TPL, 'containers', 'post.yaml'),
                         registry['OS::TripleO::PostDeploySteps'])
        # What the swap does not touch stays as the base registry has it.
        self.assertEqual(os.path.join(TPL, 'common', 'services.yaml'),
                         registry['OS::TripleO::Services'])

    def test_tool_environments_keep_the_swap_and_set_the_tool(self):
        for tool in TOOLS:
            path = env('container-tool-%s.yaml' % tool)
            registry = templates_check.resolve_registry(
                [env('puppet.yaml'), env('containers.yaml'), path])
            self.assert_services(registry, 'containers')
            with open(path) as handle:
                self.assertEqual(
                    {'ContainerTool': tool},
                    yaml.safe_load(handle)['parameter_defaults'])
        allowed = params(os.path.join(TPL, 'overcloud.yaml'))[
            'ContainerTool']['constraints'][0]['allowed_values']
        self.assertEqual(sorted(TOOLS), sorted(allowed))

    def test_container_host_environment_maps_the_bootstrap(self):
        registry = templates_check.resolve_registry(
            [env('puppet.yaml'), env('containers.yaml'),
             env('container-host.yaml')])
        self.assertEqual(
            os.path.join(TPL, 'firstboot', 'container-host.yaml'),
            registry['OS::TripleO::NodeUserData'])

    def test_twins_have_identical_parameter_interfaces(self):
        base = templates_check.resolve_registry([env('puppet.yaml')])
        swapped = templates_check.resolve_registry(
            [env('puppet.yaml'), env('containers.yaml')])
        for type_name in SERVICES:
            name = 'OS::TripleO::Services::' + type_name
            puppet, container = params(base[name]), params(swapped[name])
            self.assertEqual(puppet, container, type_name)
            for common in templates_check.COMMON_PARAMS:
                self.assertIn(common, container)

    def test_overcloud_parses_with_heatclient(self):
        files, template = templates_check.load_template(
            os.path.join(TPL, 'overcloud.yaml'))
        self.assertEqual('2018-08-31', template['heat_template_version'])
        self.assertIn('AllNodesDeploySteps', template['resources'])


class TestProjectTemplates(testtools.TestCase):

    def test_validator_passes_on_the_project(self):
        self.assertEqual([], templates_check.check(ROOT))

    def test_every_container_step_reads_as_the_hooks_read_it(self):
        checker = templates_check.Checker(ROOT)
        checker.run()
        path = os.path.join(TPL, 'containers', 'services', 'keystone.yaml')
        data = checker.role_data_quiet(path)
        keystone = data['docker_config']['step_3']['keystone']
        self.assertEqual('hch-kolla/keystone:latest', keystone['image'])
        self.assertIn('/var/lib/kolla/config_files/keystone.json:'
                      '/var/lib/kolla/config_files/config.json:ro',
                      keystone['volumes'])
        # Secrets reach containers only through variables the hooks treat
        # as secret (*password*/*secret* patterns).
        writer = data['docker_config']['step_1']['keystone_config']
        self.assertIn('KEYSTONE_DB_PASSWORD', writer['environment'])
        self.assertNotIn('placeholder-password',
                         writer['environment']['HCH_CONFIG_DATA'])
