"""The Quick start's `tools/demo stack` (issue 20, point 7) end to end:
create prints the stack's outputs, its containers and the page; a second
run shows the same stack; delete removes the stack and its containers and
stops the background process. The demo's names are fixed (port 8090,
managed_by hch-demo-stack), so the test fails when a demo stack already
runs on this host instead of touching it."""

import os
import subprocess
import sys

import docker
import fixtures
import testtools

from tests.functional import base as functional_base
from tests.functional_heat import test_scenarios

DEMO = os.path.join(test_scenarios.REPO, 'tools', 'demo-stack')
TIMEOUT = 1200


class DemoStackTest(testtools.TestCase):
    """The demo starts its own Heat and agent (no HeatTest)."""

    def setUp(self):
        super().setUp()
        self.docker = docker.from_env(timeout=120)
        functional_base.ensure_busybox(self.docker)
        self.tmp = self.useFixture(fixtures.TempDir()).path

    def demo(self, *args):
        proc = subprocess.run(
            [sys.executable, DEMO] + list(args), cwd=test_scenarios.REPO,
            env=dict(os.environ, TMPDIR=self.tmp), stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, timeout=TIMEOUT)
        return proc.returncode, proc.stdout.decode(errors='replace')

    def demo_containers(self):
        return self.docker.containers.list(
            all=True, filters={'label': 'managed_by=hch-demo-stack'},
            ignore_removed=True)

    def test_create_show_delete(self):
        self.assertEqual([], [c.name for c in self.demo_containers()],
                         'a demo stack runs on this host (fix: tools/demo '
                         'stack delete)')
        self.addCleanup(self.demo, 'delete')
        status, out = self.demo('create')
        self.addDetail('create', testtools.content.text_content(out))
        self.assertEqual(0, status, out)
        self.assertIn('demo: starting the local Heat', out)
        self.assertIn('demo: ready: stack hch-demo-stack CREATE_COMPLETE',
                      out)
        self.assertIn('"url": "http://127.0.0.1:8090/"', out)
        self.assertIn('--- http://127.0.0.1:8090/ answers: hello from a '
                      'Heat stack', out)
        running = {c.name: c.status for c in self.demo_containers()}
        self.assertEqual({'demo_stack_init': 'exited',
                          'demo_stack_web': 'running'}, running)

        status, out = self.demo()
        self.assertEqual(0, status, out)
        self.assertIn('demo: the stack exists', out)
        self.assertNotIn('starting the local Heat', out)

        status, out = self.demo('delete')
        self.addDetail('delete', testtools.content.text_content(out))
        self.assertEqual(0, status, out)
        # The agent's cleanup removed them (the demo only checks), before
        # the stack delete took the server's stack user away.
        self.assertIn('demo: the agent removed its containers', out)
        self.assertIn('demo: stack deleted', out)
        self.assertEqual([], self.demo_containers())
        status, out = self.demo('delete')
        self.assertEqual((0, 'demo: no demo stack is running\n'),
                         (status, out))
