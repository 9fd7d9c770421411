import testtools

from heat_container_hooks import errors
from heat_container_hooks.formats import docker_cmd
from heat_container_hooks import spec as spec_mod


def read_one(settings, name='c'):
    return docker_cmd.read({name: settings})[0]


class KeyMappingTest(testtools.TestCase):
    """Each docker-cmd key and what it becomes (table-driven)."""

    table = [
        ({'command': "sh -c 'echo a b'"}, 'command', ('sh', '-c', 'echo a b')),
        ({'command': ['ls', 1]}, 'command', ('ls', '1')),
        ({'environment': ['A=1', 'B=', 'C']}, 'environment',
         (('A', '1'), ('B', ''), ('C', None))),
        ({'environment': {'A': '', 'B': 0, 'C': None, 'D': True}},
         'environment', (('A', ''), ('B', '0'), ('C', None), ('D', 'true'))),
        ({'environment': ['X=a=b']}, 'environment', (('X', 'a=b'),)),
        ({'stop_grace_period': '1m30s'}, 'stop_grace_period', 90),
        ({'stop_grace_period': 2.5}, 'stop_grace_period', 3),
        ({'stop_grace_period': '500ms'}, 'stop_grace_period', 1),
        ({'detach': False}, 'detach', False),
        ({'detach': 'false'}, 'detach', False),
        ({'exit_codes': [0, 3]}, 'exit_codes', (0, 3)),
        ({'env_file': '/a.env'}, 'env_files', ('/a.env',)),
        ({'env_file': ['/a.env', '/b.env']}, 'env_files',
         ('/a.env', '/b.env')),
        ({'net': 'host'}, 'network_mode', 'host'),
        ({'pid': 'host'}, 'pid_mode', 'host'),
        ({'ipc': 'host'}, 'ipc_mode', 'host'),
        ({'uts': 'host'}, 'uts_mode', 'host'),
        ({'volumes_from': ['db']}, 'volumes_from', ('db',)),
        ({'restart': 'on-failure:3'}, 'restart', 'on-failure:3'),
        ({'ulimit': ['nofile=1024:2048']}, 'ulimits',
         (('nofile', 1024, 2048),)),
        ({'ulimit': 'nproc=5'}, 'ulimits', (('nproc', 5, 5),)),
        ({'extra_hosts': ['h:1.2.3.4']}, 'extra_hosts', (('h', '1.2.3.4'),)),
        ({'extra_hosts': {'h': '1.2.3.4'}}, 'extra_hosts',
         (('h', '1.2.3.4'),)),
        ({'mem_limit': '512m'}, 'mem_limit', '512m'),
        ({'mem_limit': 1048576}, 'mem_limit', '1048576'),
        ({'cpu_shares': '512'}, 'cpu_shares', 512),
        ({'log_tag': 't'}, 'log_tag', 't'),
        ({'healthcheck': {'test': 'true', 'interval': '5s',
                          'retries': 3}},
         'healthcheck', spec_mod.Healthcheck(('CMD-SHELL', 'true'),
                                             interval=5.0, retries=3)),
        ({'healthcheck': {'test': ['CMD', 'true']}}, 'healthcheck',
         spec_mod.Healthcheck(('CMD', 'true'))),
        ({'privileged': True}, 'privileged', True),
        ({'remove': True}, 'remove', True),
        ({'tty': True, 'interactive': True}, 'tty', True),
        ({'security_opt': ['label=disable']}, 'security_opt',
         ('label=disable',)),
        ({'cap_add': ['NET_ADMIN']}, 'cap_add', ('NET_ADMIN',)),
        ({'group_add': ['wheel']}, 'group_add', ('wheel',)),
    ]

    def test_table(self):
        for settings, attribute, expected in self.table:
            spec = read_one(dict(image='img', **settings))
            self.assertEqual(expected, getattr(spec, attribute),
                             '%r -> %s' % (settings, attribute))

    def test_exec_targets_first_command_item(self):
        spec = read_one({'action': 'exec',
                         'command': ['db', 'mysql', '-e', 'select 1']})
        self.assertTrue(spec.is_exec)
        self.assertEqual('db', spec.exec_target)
        self.assertEqual(('mysql', '-e', 'select 1'), spec.command)

    def test_string_and_empty_configs(self):
        self.assertEqual((), docker_cmd.read(None))
        self.assertEqual((), docker_cmd.read(''))
        self.assertEqual((), docker_cmd.read({}))
        specs = docker_cmd.read('web:\n  image: img\n  detach: true\n')
        self.assertEqual('web', specs[0].name)


class ValidationTest(testtools.TestCase):

    def problems(self, config):
        exc = self.assertRaises(errors.InvalidDeployment, docker_cmd.read,
                                config)
        return {p.field: p for p in exc.problems}

    def test_all_errors_together(self):
        found = self.problems({
            'a': {'image': 'i', 'bogus': 1},
            'b': {'command': 'x'},
            'c': {'action': 'restart', 'image': 'i'},
            'd': {'action': 'exec'},
            'e': {'image': 'i', 'stop_grace_period': 'soon'},
            'bad name': {'image': 'i'},
        })
        self.assertEqual({'config.a.bogus', 'config.b.image',
                          'config.c.action', 'config.d.command',
                          'config.e.stop_grace_period', 'config.bad name'},
                         set(found))
        self.assertIn('remove it', found['config.a.bogus'].fix)

    def test_exec_without_target_command(self):
        found = self.problems({'x': {'action': 'exec', 'command': ['db']}})
        self.assertIn('target', found['config.x.command'].message)

    def test_key_that_does_not_apply_to_exec(self):
        found = self.problems({'x': {'action': 'exec', 'image': 'i',
                                     'command': ['db', 'ls']}})
        self.assertIn('config.x.image', found)

    def test_config_that_is_not_a_mapping(self):
        found = self.problems(['a'])
        self.assertIn('config', found)

    def test_bad_environment_values(self):
        found = self.problems({'x': {'image': 'i',
                                     'environment': {'A': [1]}}})
        self.assertIn('config.x.environment', found)
        found = self.problems({'x': {'image': 'i',
                                     'environment': ['1BAD=x']}})
        self.assertIn('config.x.environment', found)

    def test_bad_restart_policy(self):
        found = self.problems({'x': {'image': 'i', 'restart': 'sometimes'}})
        self.assertIn('config.x.restart', found)
