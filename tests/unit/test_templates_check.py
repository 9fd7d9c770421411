"""Mutation tests of validate-templates: each rule broken once in a
temporary copy of templates/ and environments/ gives an error naming the
file and the rule."""

import io
import os
import shutil
import tempfile

import fixtures
import testtools
import yaml

from heat_container_hooks import templates_check

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
KEYSTONE = 'templates/containers/services/keystone.yaml'
MEMCACHED = 'templates/containers/services/memcached.yaml'


class TestMutations(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.root = self.useFixture(fixtures.TempDir()).path
        for sub in ('templates', 'environments'):
            shutil.copytree(os.path.join(ROOT, sub),
                            os.path.join(self.root, sub))

    def edit(self, rel, change):
        path = os.path.join(self.root, rel)
        with open(path) as handle:
            data = yaml.safe_load(handle)
        change(data)
        with open(path, 'w') as handle:
            yaml.safe_dump(data, handle, default_flow_style=False)

    def assert_error(self, rel, rule, *words):
        found = templates_check.check(self.root)
        mine = [e for e in found if e.path == rel and e.rule == rule]
        self.assertTrue(mine, 'no %s error for %s in %s'
                        % (rule, rel, found))
        text = str(mine[0])
        self.assertTrue(text.startswith('%s: [%s] ' % (rel, rule)), text)
        for word in words:
            self.assertIn(word, text)

    def test_unchanged_copy_is_clean(self):
        self.assertEqual([], templates_check.check(self.root))

    def test_undated_version(self):
        def change(t):
            t['heat_template_version'] = 'rocky'
        self.edit(MEMCACHED, change)
        self.assert_error(MEMCACHED, 'parse', 'rocky')

    def test_unparsable_template(self):
        with open(os.path.join(self.root, MEMCACHED), 'a') as handle:
            handle.write('\n  : [unbalanced\n')
        self.assert_error(MEMCACHED, 'parse', 'does not parse')

    def test_registry_entry_without_file(self):
        def change(e):
            e['resource_registry']['OS::TripleO::Services::Keystone'] = \
                '../templates/containers/services/nokeystone.yaml'
        self.edit('environments/containers.yaml', change)
        self.assert_error('environments/containers.yaml', 'registry',
                          'OS::TripleO::Services::Keystone', 'nokeystone')

    def test_missing_common_parameter(self):
        def change(t):
            del t['parameters']['RoleParameters']
        self.edit('templates/puppet/services/memcached.yaml', change)
        self.assert_error('templates/puppet/services/memcached.yaml',
                          'common-params', 'RoleParameters')

    def test_twin_with_extra_parameter(self):
        def change(t):
            t['parameters']['KeystoneWorkers'] = {'type': 'number',
                                                  'default': 2}
        self.edit(KEYSTONE, change)
        found = [str(e) for e in templates_check.check(self.root)
                 if e.rule == 'twins']
        self.assertEqual(1, len(found), found)
        # Both twins are named: the file the error is on, and its twin.
        self.assertIn('templates/puppet/services/keystone.yaml', found[0])
        self.assertIn(KEYSTONE, found[0])
        self.assertIn('KeystoneWorkers', found[0])

    def test_parameter_declared_differently(self):
        def change(t):
            t['parameters']['MysqlPort']['default'] = 3307
        self.edit('templates/overcloud.yaml', change)
        self.assert_error('templates/overcloud.yaml', 'same-declaration',
                          'MysqlPort')

    def test_role_data_off_schema(self):
        def change(t):
            t['outputs']['role_data']['value']['docker_cfg'] = {}
        self.edit(MEMCACHED, change)
        self.assert_error(MEMCACHED, 'role-data', 'docker_cfg')

    def test_container_role_data_without_kolla_config(self):
        def change(t):
            del t['outputs']['role_data']['value']['kolla_config']
        self.edit(MEMCACHED, change)
        self.assert_error(MEMCACHED, 'role-data', 'kolla_config')

    def test_kolla_source_without_config_file(self):
        def change(t):
            files = t['resources']['KollaConfig']['properties']['value'][
                '/var/lib/kolla/config_files/keystone.json']['config_files']
            files[0]['source'] = \
                '/var/lib/kolla/config_files/src/etc/keystone/missing.conf'
        self.edit(KEYSTONE, change)
        self.assert_error(KEYSTONE, 'role-data', 'missing.conf')

    def test_same_container_name_in_two_services(self):
        def change(t):
            step = t['outputs']['role_data']['value']['docker_config']
            step['step_1']['keystone_config'] = step['step_1'].pop(
                'memcached_config')
        self.edit(MEMCACHED, change)
        found = templates_check.check(self.root)
        names = [e for e in found if e.rule == 'container-names']
        self.assertTrue(names, found)
        self.assertIn('keystone_config', str(names[0]))
        self.assertIn(names[0].path, (KEYSTONE, MEMCACHED))

    def test_container_config_the_hooks_refuse(self):
        def change(t):
            mem = t['outputs']['role_data']['value']['docker_config'][
                'step_1']['memcached']
            mem['restart'] = 'sometimes'
            mem['volume'] = ['/a:/b']
        self.edit(MEMCACHED, change)
        self.assert_error(MEMCACHED, 'container-spec',
                          'docker_config.step_1.memcached.restart')
        found = [str(e) for e in templates_check.check(self.root)]
        self.assertTrue(any('memcached.volume' in e for e in found), found)

    def test_depends_on_unknown_container(self):
        def change(t):
            mem = t['outputs']['role_data']['value']['docker_config'][
                'step_1']['memcached']
            mem['depends_on'] = ['nothere']
            mem['ports'] = ['11211:11211']
        self.edit(MEMCACHED, change)
        self.assert_error(MEMCACHED, 'container-spec', 'nothere')

    def test_list_join_of_a_number(self):
        # Heat refuses it at stack create ("Items to join must be string,
        # map or list"); the validator says so before.
        def change(t):
            t['resources']['EndpointMap']['properties']['value'][
                'PlacementPublic']['uri'] = {'list_join': [
                    '', ['http://', {'get_param': 'ServiceHost'}, ':',
                         {'get_param': 'PlacementPort'}]]}
        self.edit('templates/overcloud.yaml', change)
        self.assert_error('templates/overcloud.yaml', 'functions',
                          'EndpointMap', 'list_join', '8778')


class TestCommand(testtools.TestCase):

    def run_command(self, root):
        import argparse
        parser = argparse.ArgumentParser()
        templates_check.add_parser(parser.add_subparsers(dest='command'))
        args = parser.parse_args(['validate-templates', root])
        out = self.useFixture(fixtures.MonkeyPatch('sys.stdout',
                                                   io.StringIO())).new_value
        err = self.useFixture(fixtures.MonkeyPatch('sys.stderr',
                                                   io.StringIO())).new_value
        return templates_check.run(args, None), out.getvalue(), \
            err.getvalue()

    def test_project_ok(self):
        code, out, _ = self.run_command(ROOT)
        self.assertEqual((0, 'templates OK\n'), (code, out))

    def test_not_a_project_dir(self):
        code, _, err = self.run_command(tempfile.gettempdir())
        self.assertEqual(2, code)
        self.assertIn('no templates/ directory', err)
