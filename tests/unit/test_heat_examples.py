"""The vendored heat-templates examples and what transform() changes
(tests/functional_heat/heat_examples.py): only what cannot exist here."""

import os
import shutil
import tempfile
from unittest import mock

import testtools

from tests.functional_heat import heat_examples

TEMPLATES = ('example-docker-compose-template.yaml',
             'example-pristine-atomic-docker-compose.yaml',
             'example-pristine-atomic-tool.yaml')


class VendoredTest(testtools.TestCase):

    def test_every_vendored_file_is_listed_with_its_checksum(self):
        listed = set(heat_examples.provenance()['sha256'])
        on_disk = set()
        for root, _, files in os.walk(heat_examples.VENDORED):
            for name in files:
                on_disk.add(os.path.relpath(os.path.join(root, name),
                                            heat_examples.VENDORED))
        self.assertEqual(on_disk - {'PROVENANCE.json'}, listed)
        for name in listed:
            heat_examples.read(name)        # raises on a mismatch

    def test_a_changed_copy_is_refused(self):
        copy = self.make_tempdir()
        name = 'example-pristine-atomic-tool.yaml'
        shutil.copy(os.path.join(heat_examples.VENDORED, 'PROVENANCE.json'),
                    copy)
        with open(os.path.join(heat_examples.VENDORED, name)) as handle:
            text = handle.read()
        with open(os.path.join(copy, name), 'w') as handle:
            handle.write(text.replace('imain/', 'other/'))
        with mock.patch.object(heat_examples, 'VENDORED', copy):
            error = self.assertRaises(heat_examples.ProvenanceError,
                                      heat_examples.read, name)
        self.assertIn('was changed', str(error))

    def make_tempdir(self):
        path = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, path, True)
        return path


class TransformTest(testtools.TestCase):

    def transformed(self, name, images=None):
        original = heat_examples.parse(heat_examples.read(name))
        return original, heat_examples.transform(original, images or {})

    def test_the_server_is_this_host_and_neutron_is_gone(self):
        for name in TEMPLATES:
            original, done = self.transformed(name)
            kinds = {r['type'] for r in done['resources'].values()}
            self.assertNotIn('OS::Nova::Server', kinds, name)
            self.assertFalse([k for k in kinds
                              if k.startswith('OS::Neutron::')], name)
            self.assertEqual({}, done['resources']['server']['properties'])
            self.assertEqual('OS::Heat::DeployedServer',
                             done['resources']['server']['type'])
            self.assertEqual(original['parameters'], done['parameters'])

    def test_configs_and_deployments_are_unchanged_but_for_images(self):
        original, done = self.transformed(
            'example-docker-compose-template.yaml',
            {'redis': 'local/redis', 'nginx': 'local/nginx'})
        config = done['resources']['config']['properties']
        self.assertEqual('local/redis', config['config']['db']['image'])
        self.assertEqual('local/nginx', config['config']['web']['image'])
        self.assertEqual(['./common.env', './apps/web.env'],
                         config['config']['db']['env_file'])
        for name in ('deployment', 'other_deployment', 'other_config'):
            self.assertEqual(original['resources'][name],
                             done['resources'][name])
        self.assertEqual(['status_code_deployment', 'stdout', 'stderr'],
                         list(done['outputs']))     # not the floating IP

    def test_the_agent_install_maps_to_a_plain_config(self):
        env = heat_examples.parse_environment(heat_examples.read(
            'example-pristine-atomic-tool_env.yaml'))
        self.assertEqual(
            {'Heat::InstallConfigAgent': 'OS::Heat::SoftwareConfig'},
            heat_examples.transform_environment(env)['resource_registry'])

    def test_write_replaces_images_in_the_compose_file_it_reads(self):
        target = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, target, True)
        heat_examples.write('example-docker-compose-template.yaml', target,
                            {'busybox': 'local/busybox'})
        with open(os.path.join(target, 'config-scripts',
                               'example-docker-compose.yml')) as handle:
            compose = handle.read()
        self.assertIn('image: local/busybox', compose)
        self.assertIn('./busybox.env', compose)
