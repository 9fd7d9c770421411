"""pbr takes the version from git: a clone of this repository built at a
tag carries the tag's version, an untagged one a development version
(never 0.0.0), and its sdist the generated ChangeLog and AUTHORS."""

import os
import re
import subprocess
import sys
import tarfile

import fixtures
import testtools

ROOT = os.path.join(os.path.dirname(__file__), '..', '..')


class TestVersionFromGit(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.clone = os.path.join(self.tmp, 'clone')
        self.git('clone', '-q', '--no-tags', os.path.abspath(ROOT),
                 self.clone, cwd=self.tmp)

    def git(self, *args, cwd=None):
        subprocess.run(['git'] + list(args), cwd=cwd or self.clone,
                       check=True, stdout=subprocess.DEVNULL)

    def build(self, *command):
        out = os.path.join(self.tmp, 'out')
        done = subprocess.run(
            [sys.executable] + list(command) + [out], cwd=self.clone,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
        self.assertEqual(0, done.returncode, done.stdout.decode()[-3000:])
        built, = os.listdir(out)
        return os.path.join(out, built)

    def wheel(self):
        # The tox env has pbr and setuptools: no download needed.
        return os.path.basename(self.build(
            '-m', 'pip', 'wheel', '-q', '--no-deps', '--no-build-isolation',
            '.', '-w'))

    def test_a_tagged_clone_builds_the_tags_version(self):
        self.git('tag', '7.8.9')
        self.assertEqual('heat_container_hooks-7.8.9-py3-none-any.whl',
                         self.wheel())

    def test_an_untagged_clone_builds_a_dev_version(self):
        version = self.wheel().split('-')[1]
        self.assertTrue(re.match(r'^\d+\.\d+\.\d+\.dev\d+$', version),
                        version)
        self.assertFalse(version.startswith('0.0.0'), version)

    def test_the_sdist_carries_changelog_and_authors(self):
        self.git('tag', '7.8.9')
        sdist = self.build('setup.py', '-q', 'sdist', '-d')
        with tarfile.open(sdist) as tar:
            names = tar.getnames()
        for name in ('ChangeLog', 'AUTHORS', 'LICENSE', 'constraints.txt'):
            self.assertIn('heat_container_hooks-7.8.9/%s' % name, names)
