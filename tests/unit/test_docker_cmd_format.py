import testtools

from heat_container_hooks import errors
from heat_container_hooks.formats import docker_cmd
from heat_container_hooks import spec as spec_mod


def read_one(settings, name='c'):
    return docker_cmd.read({name: settings})[0]


class KeyMappingTest(testtools.TestCase):
    """Each docker-cmd key and what it becomes (table-driven)."""

    table = [
        # A string is split on whitespace, quotes and all, as heat-agents
        # and paunch do (str.split()); TripleO's bootstrap_host_exec relies
        # on it. The list form passes an argument holding spaces.
        ({'command': "sh -c 'echo a b'"}, 'command',
         ('sh', '-c', "'echo", "a", "b'")),
        ({'command': ' a\tb\n c  '}, 'command', ('a', 'b', 'c')),
        ({'command': ['sh', '-c', 'echo a b']}, 'command',
         ('sh', '-c', 'echo a b')),
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
        # Empty items (and the null a Heat if: leaves) are skipped as paunch
        # does; repeated ones kept once, as the docker CLI does.
        ({'volumes': ['/a:/a', '', None, '/a:/a', '/b:/b:ro']}, 'volumes',
         ('/a:/a', '/b:/b:ro')),
        ({'volumes': ['vol']}, 'volumes', ('vol',)),
        ({'volumes': ''}, 'volumes', ()),
        ({'environment': ['A=1', '', None, 'A=2']}, 'environment',
         (('A', '1'), ('A', '2'))),
        ({'env_file': ['/a.env', '', '/a.env']}, 'env_files', ('/a.env',)),
        ({'security_opt': ['label=disable', None, 'label=disable']},
         'security_opt', ('label=disable',)),
        ({'cap_add': ['IPC_LOCK', '', 'IPC_LOCK']}, 'cap_add',
         ('IPC_LOCK',)),
        ({'cap_drop': ['ALL', None]}, 'cap_drop', ('ALL',)),
        ({'group_add': ['', 'wheel', 'wheel']}, 'group_add', ('wheel',)),
        ({'volumes_from': ['db', '', 'db']}, 'volumes_from', ('db',)),
        ({'ulimit': ['nofile=1:2', '', None, 'nofile=3:4']}, 'ulimits',
         (('nofile', 3, 4),)),
        ({'extra_hosts': ['h:1.2.3.4', '']}, 'extra_hosts',
         (('h', '1.2.3.4'),)),
        # THT's default: no restriction (paunch leaves --cpuset-cpus out).
        ({'cpuset_cpus': 'all'}, 'cpuset_cpus', None),
        ({'cpuset_cpus': '0-1'}, 'cpuset_cpus', '0-1'),
        ({'pids_limit': 4096}, 'pids_limit', 4096),
        ({'pull': 'always'}, 'pull', 'always'),
    ]

    def test_table(self):
        for settings, attribute, expected in self.table:
            spec = read_one(dict(image='img', **settings))
            self.assertEqual(expected, getattr(spec, attribute),
                             '%r -> %s' % (settings, attribute))

    def test_same_target_twice_is_an_error(self):
        for volumes in (['/a:/x', '/b:/x'], ['/a:/x', '/a:/x:ro'],
                        ['/a:/x/', '/a:/x']):
            error = self.assertRaises(
                errors.InvalidDeployment, docker_cmd.read,
                {'c': {'image': 'img', 'volumes': volumes}})
            problem = error.problems[0]
            self.assertEqual('config.c.volumes', problem.field)
            self.assertIn('same target /x', problem.message)

    def test_every_bad_ulimit_is_named_at_once(self):
        error = self.assertRaises(
            errors.InvalidDeployment, docker_cmd.read,
            {'c': {'image': 'img', 'ulimit': [
                'nofile=abc', 'bogus=1', 'nproc=2048:1024', 'nofile',
                'core=-1', 'stack=8:-1']}})
        (problem,) = error.problems
        self.assertEqual('config.c.ulimit', problem.field)
        for part in ("'nofile=abc'", "'bogus=1' (unknown NAME)",
                     "'nproc=2048:1024' (the soft limit is above",
                     "'nofile' (not NAME=SOFT[:HARD])"):
            self.assertIn(part, problem.message)
        self.assertNotIn('core', problem.message.split(';')[0])
        self.assertNotIn('stack=', problem.message)

    def test_tripleo_keys_are_accepted(self):
        """Every key THT 8.x-14.x emits in docker_config is read."""
        spec = read_one({
            'image': 'img', 'config_volume': 'mysql', 'state': 'present',
            'depends_on': ['tripleo_nova_libvirt.service'],
            'systemd_exec_flags': {'RuntimeDirectory': 'redis'},
            'check_interval': 30, 'test': '/openstack/healthcheck',
            'pids_limit': 65536, 'stop_grace_period': 60,
            'security_opt': ['label=disable'], 'cap_add': ['IPC_LOCK'],
            'env_file': '/etc/environment', 'cpuset_cpus': 'all',
            'mem_limit': '512m', 'ulimit': ['nofile=1024']})
        self.assertEqual(65536, spec.pids_limit)
        self.assertIsNone(spec.healthcheck)
        self.assertIsNone(spec.cpuset_cpus)
        for key in docker_cmd.IGNORED_KEYS:
            read_one({'action': 'exec', 'command': ['db', 'true'],
                      key: 'x'})
        self.assertRaises(errors.InvalidDeployment, read_one,
                          {'image': 'img', 'no_such_key': 1})

    def test_ignored_keys_leave_the_fingerprint(self):
        plain = read_one({'image': 'img'})
        tripleo = read_one({'image': 'img', 'config_volume': 'x',
                            'state': 'present', 'cpuset_cpus': 'all'})
        self.assertEqual(plain.fingerprint(), tripleo.fingerprint())
        self.assertEqual(plain.fingerprint(),
                         read_one({'image': 'img',
                                   'pull': 'always'}).fingerprint())

    def test_fingerprint_of_containers_made_before_new_keys(self):
        """pids_limit and pull came later: a container deployed before
        them keeps its fingerprint, so an upgrade replaces nothing (the
        digest is what the previous release computed)."""
        spec = spec_mod.ContainerSpec(name='c', image='img:1',
                                      command=('sh',), volumes=('/a:/a',))
        self.assertEqual('022f7ac8a2c23b053fe9ca16b817696e',
                         spec.fingerprint())
        self.assertNotEqual(spec.fingerprint(), spec_mod.replace(
            spec, pids_limit=100).fingerprint())

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
