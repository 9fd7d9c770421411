"""heat-container-agent on the real engine: deployments of several groups
from a local file, signalled to a loopback server; a killed agent resumes
without duplicates; a group without a hook and a 2 MB output are signalled
too."""

import json
import os
import signal
import subprocess
import sys
import time

from tests.functional import base
from tests.functional import upstream

ORDER_HOOK = '''#!%s
import json, sys
item = json.load(sys.stdin)
with open(%r, 'a') as log:
    log.write(item['name'] + '\\n')
print(json.dumps({'deploy_stdout': 'ran ' + item['name'],
                  'deploy_stderr': '', 'deploy_status_code': 0}))
'''


class AgentTest(base.FunctionalTest):

    def setUp(self):
        super().setUp()
        self.recorder = upstream.Recorder()
        self.addCleanup(self.recorder.close)
        self.hooks_dir = os.path.join(self.tmp, 'hooks')
        os.makedirs(self.hooks_dir)
        self.deployments = os.path.join(self.tmp, 'deployments.json')
        self.write_conf(managed_by=self.prefix)
        with open(self.conf_file, 'a') as handle:
            handle.write('[agent]\nstate_dir = %s\nhook_dirs = %s\n'
                         'signal_backoff = 0.2\n'
                         % (os.path.join(self.tmp, 'state'), self.hooks_dir))

    def deployment(self, name, config, group='docker-cmd',
                   transport='CFN_SIGNAL'):
        found = self.item(config, group=group, resource=name, name=name)
        found['inputs'] += upstream.signal_inputs(
            transport, self.recorder.url('/signal/%s' % name))
        return found

    def container_config(self, command, detach=False, order=0):
        # net none: the tests need no network.
        return {'image': self.image, 'command': command, 'detach': detach,
                'net': 'none', 'start_order': order}

    def start_agent(self, items):
        with open(self.deployments, 'w') as handle:
            json.dump(items, handle)
        agent = os.path.join(os.path.dirname(sys.executable),
                             'heat-container-agent')
        return subprocess.Popen(
            [agent, '--config-file', self.conf_file, '--one-time',
             '--local-path', self.deployments], stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT)

    def run_agent(self, items):
        proc = self.start_agent(items)
        log = proc.communicate(timeout=300)[0].decode('utf-8', 'replace')
        self.assertEqual(0, proc.returncode, log[-4000:])
        return log

    def wait_for_container(self, proc, name):
        """Wait until container ``name`` exists; the agent must live."""
        deadline = time.monotonic() + 120
        while self.container(name) is None:
            self.assertIsNone(proc.poll(), 'the agent ended too early')
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.1)

    def signals(self):
        return {r['path'].rsplit('/', 1)[-1]: r
                for r in self.recorder.requests}

    def test_groups_in_order_and_a_group_without_hook(self):
        order_log = os.path.join(self.tmp, 'order.log')
        hook = os.path.join(self.hooks_dir, 'hch-order')
        with open(hook, 'w') as handle:
            handle.write(ORDER_HOOK % (sys.executable, order_log))
        os.chmod(hook, 0o755)
        items = [
            self.deployment('b-2', {self.name('two'): self.container_config(
                ['echo', 'second'])}),
            self.deployment('a-2', {}, group='hch-order'),
            self.deployment('c-1', {}, group='hch-no-such-group'),
            self.deployment('b-1', {self.name('one'): self.container_config(
                ['echo', 'first'])}),
            self.deployment('a-1', {}, group='hch-order'),
        ]
        log = self.run_agent(items)

        signals = self.signals()
        self.assertEqual(['a-1', 'a-2', 'b-1', 'b-2', 'c-1'],
                         sorted(signals), log[-4000:])
        docker_cmd = [r['path'] for r in self.recorder.requests
                      if '/b-' in r['path']]
        self.assertEqual(['/signal/b-1', '/signal/b-2'], docker_cmd)
        with open(order_log) as handle:
            self.assertEqual(['a-1', 'a-2'], handle.read().split())
        for name, text in (('b-1', 'first'), ('b-2', 'second'),
                           ('a-1', 'ran a-1')):
            self.assertEqual(0, signals[name]['data']['deploy_status_code'])
            self.assertIn(text, signals[name]['data']['deploy_stdout'])
        missing = signals['c-1']['data']
        self.assertNotEqual(0, missing['deploy_status_code'])
        self.assertIn("no hook for group 'hch-no-such-group'",
                      missing['deploy_stderr'])

        # Everything is recorded as done: nothing runs or signals again.
        self.run_agent(items)
        self.assertEqual(5, len(self.recorder.requests))

    def test_big_output_is_trimmed_and_signalled(self):
        script = "head -c 2097152 /dev/zero | tr '\\0' x; echo; echo END"
        items = [self.deployment(
            'big', {self.name('big'): self.container_config(
                ['sh', '-c', script])}, transport='TEMP_URL_SIGNAL')]
        log = self.run_agent(items)

        self.assertEqual(1, len(self.recorder.requests), log[-4000:])
        request = self.recorder.requests[0]
        self.assertEqual('PUT', request['method'])
        self.assertLessEqual(request['size'], 900000)
        stdout = request['data']['deploy_stdout']
        self.assertEqual(0, request['data']['deploy_status_code'])
        # The hook's reply is bounded already (max_reply_bytes); the
        # agent trims what is still over max_signal_bytes the same way.
        self.assertRegex(stdout[:200], r'^\[(heat-container-agent: )?\d+ '
                         r'characters trimmed\]\n')
        self.assertTrue(stdout.rstrip().endswith('END'), stdout[-200:])
        self.assertGreater(len(stdout), 500000)

    def test_sigterm_lets_in_process_runs_finish(self):
        # Our groups run in the agent's threads, where the hooks' signal
        # handling (a reply for an interrupted run) does not apply: the
        # agent's own SIGTERM handling finishes the cycle, signals, exits.
        items = [self.deployment('work', {
            self.name('step'): self.container_config(['sleep', '3'])})]
        with open(self.deployments, 'w') as handle:
            json.dump(items, handle)
        agent = os.path.join(os.path.dirname(sys.executable),
                             'heat-container-agent')
        proc = subprocess.Popen(
            [agent, '--config-file', self.conf_file, '--local-path',
             self.deployments], stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        self.wait_for_container(proc, self.name('step'))
        proc.send_signal(signal.SIGTERM)
        log = proc.communicate(timeout=300)[0].decode('utf-8', 'replace')
        self.assertEqual(0, proc.returncode, log[-4000:])
        (request,) = self.recorder.requests
        self.assertEqual(0, request['data']['deploy_status_code'],
                         request['data'])
        self.assertNotIn('interrupted', log)
        self.assertEqual('exited', self.container(self.name('step')).status)

    def test_killed_agent_finishes_on_restart(self):
        items = [self.deployment('work', {
            self.name('keep'): self.container_config(
                ['sleep', '300'], detach=True, order=0),
            self.name('step'): self.container_config(
                ['sleep', '4'], order=1)})]
        proc = self.start_agent(items)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        # Kill it while the deployment's second container runs.
        self.wait_for_container(proc, self.name('step'))
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate()
        self.assertEqual([], self.recorder.requests)

        log = self.run_agent(items)

        self.assertEqual(1, len(self.recorder.requests), log[-4000:])
        self.assertEqual(
            0, self.recorder.requests[0]['data']['deploy_status_code'],
            self.recorder.requests[0]['data'])
        names = sorted(c.name for c in self.stack_containers())
        self.assertEqual(sorted([self.name('keep'), self.name('step')]),
                         names)
        self.assertEqual('running', self.container(self.name('keep')).status)
