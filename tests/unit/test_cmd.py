"""The hook executables' command line: the argparse parser that --help
and the docs (doc/cli.rst) show, and a bad command line still answered
with one JSON reply."""

import json
import subprocess
import sys

import testtools

from heat_container_hooks.cmd import hooks


def run_hook(*args, stdin=b'{}'):
    return subprocess.run(
        [sys.executable, '-c', 'from heat_container_hooks.cmd import '
         'hooks; hooks.docker_cmd()'] + list(args), input=stdin,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)


class TestHookCommandLine(testtools.TestCase):

    def test_each_group_has_its_parser(self):
        for group in ('docker-cmd', 'docker-compose', 'atomic', 'container'):
            parser = hooks.build_parser(group)
            self.assertEqual('heat-config-%s' % group, parser.prog)
            args, rest = parser.parse_known_args(
                ['--config-file', 'a.conf', '--debug'])
            self.assertEqual(['a.conf'], args.config_file)
            self.assertEqual(['--debug'], rest)

    def test_help_is_the_parsers_usage(self):
        done = run_hook('--help')
        self.assertEqual(0, done.returncode, done.stderr)
        self.assertIn(b'usage: heat-config-docker-cmd', done.stdout)
        self.assertIn(b'--config-file PATH', done.stdout)

    def test_a_bad_command_line_is_a_json_reply(self):
        done = run_hook('--config-file')
        reply = json.loads(done.stdout)
        self.assertNotEqual(0, reply['deploy_status_code'])
        self.assertIn('command line', reply['deploy_stderr'])
        self.assertIn(b'--config-file', done.stderr)
        self.assertNotEqual(0, done.returncode)
        self.assertNotIn(b'Traceback', done.stderr)
