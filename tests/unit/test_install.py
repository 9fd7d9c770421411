"""install-hooks: wrapper scripts named after the groups, the cleanup
step that can never fail, and no clobbering of files it did not write."""

import os
import subprocess

import fixtures
import testtools

from heat_container_hooks import install


class TestInstall(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.hooks = os.path.join(self.tmp, 'hooks')
        self.configure = os.path.join(self.tmp, 'configure.d')

    def install(self, **kwargs):
        return install.install(self.hooks, self.configure,
                               ['docker-cmd', 'atomic'], **kwargs)

    def test_writes_executable_wrappers_and_cleanup(self):
        done = self.install(hooks_config='/etc/hch.conf')
        self.assertEqual(['written'] * 3, [what for _, what in done])
        hook = os.path.join(self.hooks, 'docker-cmd')
        self.assertTrue(os.access(hook, os.X_OK))
        with open(hook) as handle:
            text = handle.read()
        self.assertIn('exec ', text)
        self.assertIn('heat-config-docker-cmd', text)
        self.assertIn('HEAT_CONTAINER_HOOKS_CONFIG=/etc/hch.conf', text)
        cleanup = os.path.join(self.configure, install.CLEANUP_SCRIPT)
        with open(cleanup) as handle:
            text = handle.read()
        self.assertIn('--group docker-cmd --group atomic', text)
        self.assertIn('HEAT_SHELL_CONFIG', text)

    def test_second_install_changes_nothing(self):
        self.install()
        self.assertEqual(['unchanged'] * 3,
                         [what for _, what in self.install()])

    def test_refuses_to_replace_a_foreign_hook(self):
        os.makedirs(self.hooks)
        foreign = os.path.join(self.hooks, 'docker-cmd')
        with open(foreign, 'w') as handle:
            handle.write('#!/usr/bin/env python3\n# upstream hook\n')
        error = self.assertRaises(install.InstallError, self.install)
        self.assertIn('--force', str(error))
        with open(foreign) as handle:
            self.assertIn('upstream hook', handle.read())
        self.install(force=True)
        with open(foreign) as handle:
            self.assertIn(install.MARKER, handle.read())

    def test_cleanup_step_exits_zero_when_cleanup_fails(self):
        self.useFixture(fixtures.MockPatchObject(
            install, 'console_script', lambda name: '/bin/false'))
        self.install()
        proc = subprocess.run(
            [os.path.join(self.configure, install.CLEANUP_SCRIPT)],
            env=dict(os.environ, HEAT_SHELL_CONFIG='/nonexistent'))
        self.assertEqual(0, proc.returncode)
