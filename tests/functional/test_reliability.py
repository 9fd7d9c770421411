"""Reliability and security of the hooks on the real engine, run as
55-heat-config runs them: bad input, hostile names, secrets, concurrent
runs (doc/reliability.md)."""

import json
import os
import stat
import subprocess
import time
import uuid

import hypothesis

from heat_container_hooks import groups
from heat_container_hooks import hook
from tests.functional import base
from tests.unit import test_reliability as unit

SERVICE = ['sh', '-c', "trap 'exit 0' TERM; while true; do sleep 0.2; done"]
# No network: what these tests prove does not depend on the host's bridge.
NET = {'net': 'none'}


class HookProcess:
    """A hook run in the background."""

    def __init__(self, test, payload, group=None):
        self.test = test
        self.proc = subprocess.Popen(
            test.hook_command(group), stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.proc.stdin.write(json.dumps(payload).encode('utf-8'))
        self.proc.stdin.close()

    def kill(self):
        """SIGKILL, as an agent's timeout or the OOM killer does."""
        self.proc.kill()
        self.proc.wait(30)
        self.proc.stdout.close()
        self.proc.stderr.close()

    def finish(self, timeout=120):
        """The reply, with the stdout contract checked."""
        self.proc.wait(timeout)
        out = self.proc.stdout.read().decode('utf-8')
        err = self.proc.stderr.read().decode('utf-8', 'replace')
        self.proc.stdout.close()
        self.proc.stderr.close()
        return check_contract(self.test, out, err, self.proc.returncode)


def check_contract(test, out, err, returncode):
    """One JSON object on one line, no traceback, exit status = code; a
    failure has a readable first line."""
    try:
        reply = json.loads(out)
    except ValueError:
        test.fail('stdout is not one JSON object: %r\nstderr: %s'
                  % (out[:2000], err[-2000:]))
    test.assertIsInstance(reply, dict)
    test.assertEqual(0, out.strip().count('\n'))
    test.assertNotIn('Traceback', err + reply['deploy_stderr'])
    code = reply['deploy_status_code']
    test.assertEqual(bool(code), returncode != 0, err[-2000:])
    if code:
        first = reply['deploy_stderr'].split('\n', 1)[0]
        test.assertTrue(first.strip())
        test.assertLess(len(first), unit.MAX_FIRST_LINE)
    return base.HookResult(reply, returncode, err)


class ReliabilityBase(base.FunctionalTest):
    """What the reliability tests share (no tests of its own)."""

    def service(self, **extra):
        return dict({'image': self.image, 'command': SERVICE}, **NET,
                    **extra)

    def compose_service(self, **extra):
        return dict({'image': self.image, 'command': SERVICE,
                     'network_mode': 'none'}, **extra)

    def ours(self):
        """Every container carrying this test's managed_by."""
        return self.client.containers.list(all=True, filters={
            'label': 'managed_by=%s' % self.managed_by})


class ReliabilityTest(ReliabilityBase):

    # -- bad input ---------------------------------------------------------

    def test_fuzzed_stdin_keeps_the_stdout_contract(self):
        # A sample of the unit fuzzer's inputs, through the real console
        # scripts: only inputs the pipeline refuses (nothing may be
        # created for them).
        conf = unit.make_conf(self)
        recorder = self.useFixture(unit.RecordingGroups())
        present = [g for g in unit.SEEDS if groups.get(g) is not None]

        @hypothesis.settings(max_examples=3, deadline=None, database=None,
                             suppress_health_check=list(
                                 hypothesis.HealthCheck))
        @hypothesis.given(text=hypothesis.strategies.data())
        def check(text):
            for group in present:
                payload = text.draw(unit.stdin_texts(group))
                del recorder.converged[:]
                hook.run(group, payload, conf)
                if recorder.converged:
                    continue        # valid: carried out, not our subject
                if isinstance(payload, str):
                    payload = payload.encode('utf-8')
                proc = subprocess.run(
                    self.hook_command(group), input=payload,
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                    timeout=120)
                check_contract(self, proc.stdout.decode('utf-8'),
                               proc.stderr.decode('utf-8', 'replace'),
                               proc.returncode)
        check()
        self.assertEqual([], self.ours())

    # -- hostile input -----------------------------------------------------

    def test_hostile_names_write_nothing_outside_the_working_dir(self):
        marker = 'hchmark%s' % uuid.uuid4().hex[:8]
        escapes = ['../../%s' % marker, '/tmp/%s/../%s' % (marker, marker)]
        runs = []
        for path in escapes:
            runs.append(('docker-cmd', {path: self.service()}, path, ()))
            runs.append(('docker-cmd', {self.name('a'): self.service(
                env_file=path + '.env')}, 'ok', ()))
            if groups.get('docker-compose') is not None:
                runs.append(('docker-compose', {'services': {
                    'web': self.compose_service()}}, path, ()))
                runs.append(('docker-compose', {'services': {
                    'web': self.compose_service()}}, self.prefix, [(
                        'env_files', json.dumps([{
                            'file_name': path + '.env',
                            'content': 'A=1'}]))]))
            if groups.get('atomic') is not None:
                runs.append(('atomic', {'command': 'install',
                                        'image': self.image,
                                        'name': path}, 'ok', ()))
        for group, config, name, inputs in runs:
            result = self.run_hook(self.item(config, group=group, name=name,
                                             inputs=inputs), group=group)
            self.assertNotEqual(0, result.code, (group, config, name))
        found = subprocess.run(
            ['find', '/tmp', '/work', '/etc', '/var/lib', '/root', '-xdev',
             '-name', '*%s*' % marker], stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL).stdout.decode()
        self.assertEqual('', found)
        self.assertEqual([], self.ours())

    def test_nothing_is_interpreted_by_a_shell(self):
        job = self.name('job')
        canary = os.path.join(self.tmp, 'canary')
        value = 'a=b\nC=d; $(touch %s) `touch %s` | true' % (canary, canary)
        split = self.name('split')
        result = self.run_hook(self.item({job: {
            'image': self.image, 'detach': False, **NET,
            'environment': {'X': value, 'Y': 'p=q'},
            'command': ['printf', '%s|%s|%s', '$(id)', '`id`;x', value]},
            # A string command is split on white space (as heat-agents and
            # paunch do, and TripleO relies on), never run by a shell.
            split: {'image': self.image, 'detach': False, **NET,
                    'command': "printf '%%s|' '$(id)' `id` 'a;b' "
                               "\"touch %s\"" % canary}},
            outputs=[job + '_stdout', split + '_stdout']))
        self.assertEqual(0, result.code, result.error)
        self.assertEqual('$(id)|`id`;x|%s' % value, result.reply[
            job + '_stdout'])
        words = ["'$(id)'", '`id`', "'a;b'", '"touch', canary + '"']
        self.assertEqual(''.join("'%s|'" % w for w in words),
                         result.reply[split + '_stdout'])
        env = self.container(job).attrs['Config']['Env']
        self.assertIn('X=%s' % value, env)
        self.assertIn('Y=p=q', env)
        self.assertFalse(os.path.exists(canary))

    def test_smuggled_options_run_nothing(self):
        def ids():
            # Summaries only: other tests remove theirs meanwhile.
            return {c['Id'] for c in self.client.api.containers(all=True)}
        before = ids()
        for image in ('--privileged', '--privileged %s' % self.image,
                      '%s --privileged' % self.image):
            result = self.run_hook(self.item({self.name('x'): {
                'image': image, 'command': SERVICE}}))
            self.assertEqual(2, result.code, result.error)
            self.assertIn('image', result.error.split('\n')[0])
        self.assertEqual([], self.ours())
        # Other tests on this engine may start privileged containers of
        # their own meanwhile: what counts is a container made from the
        # smuggled input (its name, or an image reference with the flag).
        smuggled = []
        for ident in ids() - before:
            try:
                info = self.client.api.inspect_container(ident)
            except base.docker.errors.NotFound:
                continue
            if info['Name'].lstrip('/') == self.name('x') or \
                    '--privileged' in (info['Config'].get('Image') or ''):
                smuggled.append(info['Name'])
        self.assertEqual([], smuggled)

    # -- secrets -----------------------------------------------------------

    def test_secrets_appear_nowhere_but_where_they_are_needed(self):
        marker = 'Mk%s' % uuid.uuid4().hex
        self.write_conf(secret_inputs='app_key')
        secrets = {'deploy_password': marker + 'pw',
                   'deploy_signal_id': 'http://x/?sig=%ssig' % marker,
                   'deploy_auth_url': 'http://%sauth/' % marker,
                   'deploy_username': marker + 'user',
                   'deploy_user_id': marker + 'uid',
                   'deploy_queue_id': marker + 'queue',
                   'app_key': marker + 'key',
                   'db_password': marker + 'db'}
        job, web = self.name('job'), self.name('web')
        config = {
            web: self.service(environment={'DB_PASSWORD': marker + 'db',
                                           'API_TOKEN': marker + 'tok'}),
            job: {'image': self.image, 'detach': False, **NET,
                  'environment': ['DB_PASSWORD=%sdb' % marker],
                  'command': ['sh', '-c', 'echo "$DB_PASSWORD"; '
                              'echo "$DB_PASSWORD" >&2; exit 3']}}
        outputs = [job + '_stdout', job + '_stderr', 'containers']
        replies, logs = [], []
        for action in ('CREATE', 'CREATE', 'DELETE'):
            result = self.run_hook(self.item(
                config, inputs=sorted(secrets.items()), outputs=outputs,
                action=action))
            replies.append(json.dumps(result.reply))
            logs.append(result.stderr)
            if action == 'CREATE':
                self.assertEqual(3, result.code)
                labels = [json.dumps(c.attrs['Config']['Labels'])
                          for c in self.stack_containers()]
                self.assertEqual(2, len(labels))
                for text in labels:
                    self.assertNotIn(marker, text)
        if groups.get('docker-compose') is not None:
            result = self.run_hook(self.item(
                {'services': {'web': self.compose_service(
                    env_file=['app.env'])}}, group='docker-compose',
                name=self.prefix, resource='compose',
                inputs=sorted(secrets.items()) + [('env_files', json.dumps(
                    [{'file_name': 'app.env',
                      'content': 'DB_PASSWORD=%sdb\n' % marker}]))]),
                group='docker-compose')
            replies.append(json.dumps(result.reply))
            logs.append(result.stderr)
            for container in self.stack_containers():
                self.assertNotIn(marker, json.dumps(
                    container.attrs['Config']['Labels']))
        # The neutral group: inputs reach every container's environment,
        # through a 0600 env file with compose, through the label command's
        # environment (names only on its argv) with atomic.
        self.addCleanup(self.remove_test_networks)
        with open(self.conf_file, 'a') as handle:
            handle.write('[atomic]\ndatadir_base = %s\nlogdir_base = %s\n'
                         % (self.tmp, self.tmp))
        for tool, settings in (('compose', self.service()),
                               ('atomic', {'image': self.image,
                                           'command': SERVICE})):
            name = self.name('n' + tool)
            for action in ('CREATE', 'DELETE'):
                result = self.run_hook(self.item(
                    {name: settings}, group='container', resource=tool,
                    name=self.prefix + tool, outputs=['containers'],
                    action=action, inputs=sorted(secrets.items()) + [
                        ('container_tool', tool)]), group='container')
                self.assertEqual(0, result.code, result.error)
                replies.append(json.dumps(result.reply))
                logs.append(result.stderr)
                if action == 'DELETE':
                    continue
                inside = self.client.containers.get(
                    result.reply['containers'][name]['id'])
                self.assertIn('db_password=%sdb' % marker,
                              inside.attrs['Config']['Env'])
                for container in self.client.api.containers(all=True):
                    self.assertNotIn(marker, json.dumps(
                        container.get('Labels') or {}))
        for text in replies + logs:
            self.assertNotIn(marker, text)
        # Files: only root may read one that holds a secret.
        for root, _, names in os.walk(self.tmp):
            for name in names:
                path = os.path.join(root, name)
                info = os.lstat(path)
                if not stat.S_ISREG(info.st_mode):
                    continue
                with open(path, 'rb') as handle:
                    if marker.encode() not in handle.read():
                        continue
                self.assertEqual(0, info.st_uid, path)
                self.assertEqual(0, info.st_mode & 0o077,
                                 '%s is mode %o' % (path, info.st_mode))

    # -- concurrency -------------------------------------------------------

    def test_same_deployment_twice_at_once(self):
        a, b = self.name('a'), self.name('b')
        config = {a: self.service(), b: self.service(start_order=1)}
        runs = [HookProcess(self, self.item(config, config_id='one'))
                for _ in range(2)]
        results = [r.finish() for r in runs]
        for result in results:
            self.assertEqual(0, result.code, result.error)
        names = sorted(c.name for c in self.stack_containers())
        self.assertEqual([a, b], names)
        # One created, the other found them running and kept them.
        acts = sorted(r.stdout.split()[0] for r in results)
        self.assertEqual(['created', 'kept'], acts)

    def test_same_compose_deployment_twice_at_once(self):
        if groups.get('docker-compose') is None:
            self.skipTest('no docker-compose group')
        self.addCleanup(self.remove_test_networks)
        item = self.item({'services': {'a': self.compose_service(),
                                       'b': self.compose_service()}},
                         group='docker-compose', name=self.prefix)
        runs = [HookProcess(self, item, group='docker-compose')
                for _ in range(2)]
        for result in [r.finish() for r in runs]:
            self.assertEqual(0, result.code, result.error)
        services = sorted(c.labels['com.docker.compose.service']
                          for c in self.stack_containers())
        self.assertEqual(['a', 'b'], services)

    def test_lock_timeout_gives_a_clear_message(self):
        job = self.name('job')
        slow = HookProcess(self, self.item({job: {
            'image': self.image, 'detach': False, **NET,
            'command': ['sleep', '4']}}))
        deadline = time.monotonic() + 60
        while self.container(job) is None and time.monotonic() < deadline:
            time.sleep(0.1)
        waiting = self.run_hook(self.item(
            {job: {'image': self.image, 'detach': False, **NET,
                   'command': ['sleep', '4']}},
            options={'lock_timeout': 0.5}))
        self.assertEqual(1, waiting.code)
        first = waiting.error.split('\n')[0]
        self.assertIn('held its lock', first)
        self.assertIn('lock_timeout', first)
        self.assertEqual(0, slow.finish().code)
        self.assertEqual(1, len(self.stack_containers()))

    def test_two_deployments_racing_for_one_name(self):
        web = self.name('web')
        runs = [HookProcess(self, self.item({web: self.service()},
                                            resource='res%d' % i))
                for i in range(2)]
        results = [r.finish() for r in runs]
        codes = sorted(r.code for r in results)
        self.assertEqual(0, codes[0], [r.error for r in results])
        self.assertNotEqual(0, codes[1])
        loser = [r for r in results if r.code][0]
        self.assertIn(web, loser.error.split('\n')[0])
        self.assertEqual([web], [c.name for c in self.stack_containers()])
