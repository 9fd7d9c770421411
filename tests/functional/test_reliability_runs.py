"""Every run ends with a reply and the next run converges; replies are
bounded; DELETE and cleanup need no valid config; options and inputs are
validated before use; named secrets are masked whatever their length; the
corpus of this turn's real inputs keeps the guarantees. On the real engine,
through the console scripts (doc/reliability.md)."""

import json
import os
import signal
import subprocess
import time
import uuid

import yaml

from heat_container_hooks import groups
from tests.functional import test_atomic
from tests.functional import test_reliability as rel
from tests.unit import test_reliability as unit
from tests.unit import test_reliability_runs as unit_runs

SIGNALS = ((signal.SIGTERM, 143), (signal.SIGINT, 130), (signal.SIGHUP, 129))
WRONG = unit_runs.WRONG


def wait_for(test, predicate, what, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    test.fail('timed out waiting for %s' % what)


class InterruptTest(rel.ReliabilityBase):
    """SIGTERM, SIGINT, SIGHUP during a run: a failure reply naming the
    step, the shell's exit status; the next run converges."""

    def running(self, name):
        container = self.container(name)
        return container is not None and container.status == 'running'

    def test_signals_during_a_slow_oneshot_then_converge(self):
        for signum, status in SIGNALS:
            tag = signal.Signals(signum).name.lower()
            svc, job = self.name(tag + '-svc'), self.name(tag + '-job')
            config = {svc: self.service(start_order=0),
                      job: dict({'image': self.image, 'detach': False,
                                 'command': ['sleep', '3'],
                                 'start_order': 1}, **rel.NET)}
            item = self.item(config, resource=tag)
            run = rel.HookProcess(self, item)
            wait_for(self, lambda: self.running(job), 'the one-shot')
            run.proc.send_signal(signum)
            result = run.finish()
            self.assertEqual(status, result.status, result.error)
            self.assertEqual(status, result.code)
            first = result.error.split('\n', 1)[0]
            # The container runs once the engine started it, a moment
            # before the hook's start call returns.
            self.assertRegex(first, r'^interrupted by %s while (waiting for '
                             r'one-shot container %s to exit|starting '
                             r'container %s) \(fix: run the deployment '
                             r'again' % (signal.Signals(signum).name, job,
                                         job))

            again = self.run_hook(item)
            self.assertEqual(0, again.code, again.error)
            mine = {c.name: c for c in self.stack_containers()
                    if c.labels.get('deploy_resource_name') == tag}
            self.assertEqual({svc, job}, set(mine))
            self.assertEqual('running', mine[svc].status)
            self.assertEqual('exited', mine[job].status)
            self.assertEqual(0, mine[job].attrs['State']['ExitCode'])

    def test_rerun_waits_for_a_oneshot_an_interrupted_run_started(self):
        # A db_sync-like one-shot in flight must finish, not be killed and
        # run again by the next run.
        job = self.name('sync')
        config = {job: dict({'image': self.image, 'detach': False,
                             'command': ['sh', '-c', 'echo start; sleep 4; '
                                         'echo end']}, **rel.NET)}
        item = self.item(config, resource='sync')
        run = rel.HookProcess(self, item)
        wait_for(self, lambda: self.running(job), 'the one-shot')
        first_id = self.container(job).id
        run.proc.send_signal(signal.SIGTERM)
        self.assertEqual(143, run.finish().status)
        self.assertEqual('running', self.container(job).status)
        again = self.run_hook(item)
        self.assertEqual(0, again.code, again.error)
        self.assertRegex(again.reply['deploy_stdout'],
                         r'kept %s \(\w+\): exited, exit code 0' % job)
        self.assertEqual(first_id, self.container(job).id)
        # It ran once, to its end: never killed and started again.
        self.assertEqual(b'start\nend\n', self.container(job).logs())

    def test_sigterm_during_a_slow_healthcheck_then_converge(self):
        svc = self.name('svc')
        slow = ("sleep 3; touch /ready; trap 'exit 0' TERM; "
                "while true; do sleep 0.2; done")
        item = self.item({svc: self.service(
            command=['sh', '-c', slow],
            healthcheck={'test': ['CMD', 'test', '-e', '/ready'],
                         'interval': '1s', 'retries': 30})})
        run = rel.HookProcess(self, item)
        wait_for(self, lambda: self.running(svc), 'the service')
        run.proc.send_signal(signal.SIGTERM)
        result = run.finish()
        self.assertEqual(143, result.status, result.error)
        self.assertRegex(result.error, r'^interrupted by SIGTERM while '
                         r'(waiting for container %s to be ready|starting '
                         r'container %s) ' % (svc, svc))
        # The next run keeps the container and finishes the wait.
        again = self.run_hook(item)
        self.assertEqual(0, again.code, again.error)
        self.assertIn('kept %s' % svc, again.stdout)
        self.assertEqual('healthy', self.container(svc).attrs['State'][
            'Health']['Status'])

    def test_sigterm_during_a_slow_compose_healthcheck_then_converge(self):
        if groups.get('docker-compose') is None:
            self.fail('the docker-compose group is missing')
        self.addCleanup(self.remove_test_networks)
        slow = ("sleep 3; touch /ready; trap 'exit 0' TERM; "
                "while true; do sleep 0.2; done")
        config = {'services': {'web': self.compose_service(
            command=['sh', '-c', slow],
            healthcheck={'test': ['CMD', 'test', '-e', '/ready'],
                         'interval': '1s', 'retries': 30})}}
        item = self.item(config, group='docker-compose', name=self.prefix)
        run = rel.HookProcess(self, item, group='docker-compose')
        wait_for(self, lambda: any(c.status == 'running'
                                   for c in self.stack_containers()),
                 'the service')
        run.proc.send_signal(signal.SIGTERM)
        result = run.finish()
        self.assertEqual(143, result.status, result.error)
        self.assertTrue(result.error.startswith(
            'interrupted by SIGTERM while '), result.error)

        again = self.run_hook(item, group='docker-compose')
        self.assertEqual(0, again.code, again.error)
        (web,) = self.stack_containers()
        self.assertEqual('healthy', web.attrs['State']['Health']['Status'])

    def test_closed_stdout_is_logged_and_the_run_converges(self):
        svc = self.name('svc')
        read_end, write_end = os.pipe()
        os.close(read_end)          # the reader is gone: EPIPE
        try:
            proc = subprocess.run(
                self.hook_command(), input=json.dumps(self.item(
                    {svc: self.service()})).encode(),
                stdout=write_end, stderr=subprocess.PIPE, timeout=300)
        finally:
            os.close(write_end)
        err = proc.stderr.decode('utf-8', 'replace')
        self.assertEqual(0, proc.returncode, err[-3000:])
        self.assertNotIn('Traceback', err)
        self.assertIn('cannot write the reply to stdout', err)
        self.assertEqual('running', self.container(svc).status)

        # Started with no stdout at all: the same.
        other = self.name('other')
        proc = subprocess.run(
            self.hook_command(), input=json.dumps(self.item(
                {other: self.service()}, resource='other')).encode(),
            stderr=subprocess.PIPE, timeout=300,
            preexec_fn=lambda: os.close(1))
        err = proc.stderr.decode('utf-8', 'replace')
        self.assertEqual(0, proc.returncode, err[-3000:])
        self.assertNotIn('Traceback', err)
        self.assertIn('cannot write the reply to stdout', err)
        self.assertEqual('running', self.container(other).status)


class BoundedReplyTest(rel.ReliabilityBase):

    def test_huge_outputs_stay_under_the_notify_limit(self):
        job = self.name('job')
        noisy = ('yes 0123456789abcdefghij | head -c 1200000; echo; '
                 'echo END-OUT; yes e | head -c 1200000 >&2; echo >&2; '
                 'echo END-ERR >&2; exit %d')
        for code in (0, 3):
            config = {job: dict({'image': self.image, 'detach': False,
                                 'command': ['sh', '-c', noisy % code],
                                 'exit_codes': [0]}, **rel.NET)}
            proc = subprocess.run(
                self.hook_command(), input=json.dumps(self.item(
                    config, outputs=[job + '_stdout', job + '_stderr'])
                ).encode(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                timeout=300)
            self.assertLess(len(proc.stdout), 950000)
            reply = rel.check_contract(
                self, proc.stdout.decode(), proc.stderr.decode(
                    'utf-8', 'replace'), proc.returncode).reply
            self.assertEqual(code, reply['deploy_status_code'])
            self.assertIn('characters trimmed]', reply['deploy_stdout'])
            self.assertTrue(reply['deploy_stdout'].endswith('END-OUT'))
            self.assertTrue(reply[job + '_stdout'].rstrip().endswith(
                'END-OUT'))
            self.assertTrue(reply['deploy_stderr'].endswith('END-ERR'))
            if code:
                self.assertTrue(reply['deploy_stderr'].startswith(
                    'container %s exited with code 3' % job))


class DeleteTest(rel.ReliabilityBase):
    """DELETE and cleanup work from the labels and the project as last
    applied, never from the current config."""

    group = 'docker-compose'

    def write_conf(self, **extra):
        # Debian's docker-compose 1.29 reads the whole file on down.
        super().write_conf(**extra)
        with open(self.conf_file, 'a') as handle:
            handle.write('[compose]\nversion = v1\n')

    def setUp(self):
        super().setUp()
        self.addCleanup(self.remove_test_networks)

    def project_leftovers(self):
        containers = self.ours()
        networks = [n.name for n in self.client.networks.list()
                    if n.name.startswith(self.prefix)]
        dirs = os.listdir(self.work_dir) if os.path.isdir(
            self.work_dir) else []
        return containers, networks, dirs

    def test_compose_delete_when_a_required_input_is_gone(self):
        config = ('services:\n  web:\n    image: %s\n    command: %s\n'
                  '    environment:\n      A: ${HCH_REQ?needs HCH_REQ}\n'
                  % (self.image, json.dumps(rel.SERVICE)))
        created = self.run_hook(self.item(config, name=self.prefix,
                                          inputs=[('HCH_REQ', 'x')]))
        self.assertEqual(0, created.code, created.error)
        self.assertEqual(1, len(self.ours()))
        deleted = self.run_hook(self.item(config, name=self.prefix,
                                          action='DELETE'))
        self.assertEqual(0, deleted.code, deleted.error)
        self.assertEqual(([], [], []), self.project_leftovers())

    def test_cleanup_of_a_project_no_longer_valid(self):
        created = self.run_hook(self.item(
            {'services': {'web': self.compose_service()}},
            name=self.prefix))
        self.assertEqual(0, created.code, created.error)
        # The project as an older release wrote it: `restart: no` read as
        # a boolean, which this Compose refuses.
        (project,) = os.listdir(self.work_dir)
        path = os.path.join(self.work_dir, project, 'docker-compose.yml')
        with open(path) as handle:
            data = yaml.safe_load(handle)
        data['services']['web']['restart'] = False
        with open(path, 'w') as handle:
            yaml.safe_dump(data, handle)
        listed = os.path.join(self.tmp, 'heat-config')
        with open(listed, 'w') as handle:
            json.dump([], handle)
        script = self.hook_command()[0].replace(
            'heat-config-docker-compose', 'heat-config-cleanup')
        proc = subprocess.run(
            [script, '--group', 'docker-compose', '--heat-config', listed,
             '--config-file', self.conf_file], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, timeout=300)
        self.assertEqual(0, proc.returncode, proc.stderr[-2000:])
        self.assertEqual(([], [], []), self.project_leftovers())

    def test_delete_of_every_group_ignores_config_and_options(self):
        bad_options = {'stop_grace_period': WRONG, 'lock_timeout': [1],
                       'expose_inputs': 'deploy_password'}
        runs = [('docker-cmd', {self.name('cmd'): self.service()}, {}),
                ('container', {self.name('ctr'): self.service()},
                 {'tool': 'nope'}),
                ('docker-compose', {'services': {
                    'web': self.compose_service()}}, {})]
        for group, config, extra in runs:
            resource = group.replace('-', '')
            created = self.run_hook(self.item(
                config, group=group, resource=resource, name=self.name(
                    resource)), group=group)
            self.assertEqual(0, created.code, (group, created.error))
            deleted = self.run_hook(self.item(
                'services: [', group=group, resource=resource,
                name=self.name(resource), action='DELETE',
                options=dict(bad_options, **extra)), group=group)
            self.assertEqual(0, deleted.code, (group, deleted.error))
            self.assertIn('ignored on DELETE', deleted.error)
            self.assertEqual([], self.ours(), group)


class AtomicDeleteTest(test_atomic.AtomicTestBase):

    def test_sigterm_during_a_label_command_then_converge(self):
        # The RUN label starts the service, then keeps the hook busy: the
        # hook is interrupted while the command runs (the command is
        # killed; a pending record was written before it ran).
        image = self.build('slow', {'RUN': test_atomic.SLOW_RUN})
        name = self.name('svc')
        os.makedirs(self.data, exist_ok=True)
        item = self.item({'command': 'run', 'image': image, 'name': name})
        run = rel.HookProcess(self, item)
        wait_for(self, lambda: os.path.exists(
            os.path.join(self.data, name + '.slow')), 'the RUN label')
        run.proc.send_signal(signal.SIGTERM)
        result = run.finish()
        self.assertEqual(143, result.status, result.error)
        self.assertTrue(result.error.startswith(
            'interrupted by SIGTERM while running the RUN command of image '
            '%s' % image), result.error)

        again = self.run_hook(item)
        self.assertEqual(0, again.code, again.error)
        self.assert_only_the_service(name)

    def test_atomic_delete_ignores_config_and_options(self):
        image = self.build('del', {'RUN': (
            'docker run --net=none -d --name ${NAME} ${IMAGE} '
            'sleep 100000')})
        name = self.name('svc')
        config = {'command': 'run', 'image': image, 'name': name}
        created = self.run_hook(self.item(config))
        self.assertEqual(0, created.code, created.error)
        self.assertIsNotNone(self.container(name))
        deleted = self.run_hook(self.item(
            'not: [a, config', action='DELETE',
            options={'stop_grace_period': WRONG}))
        self.assertEqual(0, deleted.code, deleted.error)
        self.assertIsNone(self.container(name))
        self.assertEqual([], self.client.containers.list(
            all=True, filters={'name': self.prefix}))


class OptionTypesTest(rel.ReliabilityBase):
    """Every option and input the hooks read, with a wrong type, through
    the console scripts: status 2 naming the field, nothing made."""

    def test_every_option_and_input_with_a_wrong_type(self):
        configs = {
            'docker-cmd': {self.name('a'): self.service()},
            'container': {self.name('b'): self.service()},
            'docker-compose': {'services': {'web': self.compose_service()}},
            'atomic': {'command': 'install', 'image': self.image,
                       'name': self.name('c')}}
        common = set()
        for group in groups.available():
            for field, item in unit_runs.wrong_fields(group):
                # Fields every group reads alike run once; their own and
                # expose_inputs (the reported case) on every group.
                shared = field.startswith('inputs.deploy_') or (
                    field.startswith('options.') and field not in (
                        'options.tool', 'options.expose_inputs'))
                if shared and field in common:
                    continue
                common.add(field)
                payload = self.item(configs[group], group=group,
                                    name=self.prefix)
                payload['options'] = item['options']
                wrong = [i for i in item['inputs']
                         if i['name'] == field.split('.', 1)[1]]
                payload['inputs'] = [
                    i for i in payload['inputs']
                    if i['name'] not in {w['name'] for w in wrong}] + wrong
                result = self.run_hook(payload, group=group)
                self.assertEqual(2, result.code, (group, field))
                self.assertIn(field, result.error.split('\n', 1)[0],
                              (group, field))
                self.assertEqual([], self.ours(), (group, field))
        self.assertFalse(os.path.exists(self.work_dir))


class ShortSecretTest(rel.ReliabilityBase):

    def test_named_short_secret_is_masked_pattern_short_is_not(self):
        self.write_conf(secret_inputs='hch_short')
        job = self.name('job')
        config = {job: dict({'image': self.image, 'detach': False,
                             'command': ['echo', 'short=Zq pattern=Kx']},
                            **rel.NET)}
        result = self.run_hook(self.item(
            config, inputs=[('hch_short', 'Zq'), ('hch_token', 'Kx')],
            outputs=[job + '_stdout']))
        self.assertEqual(0, result.code, result.error)
        shown = json.dumps(result.reply)
        self.assertNotIn('Zq', shown)
        self.assertNotIn('Zq', result.stderr)
        self.assertIn('short=*** pattern=Kx', result.stdout)


class CorpusTest(rel.ReliabilityBase):
    """This turn's real inputs (YAML 1.1 specials, env-file dialects,
    TripleO's docker_config keys), accepted or not: one JSON object, no
    traceback, no container from what is refused, nothing written outside
    the working dirs."""

    def test_corpus_keeps_the_guarantees(self):
        self.addCleanup(self.remove_test_networks)
        marker = 'hchcorpus%s' % uuid.uuid4().hex[:8]
        for group in unit.CORPUS:
            if groups.get(group) is None:
                self.fail('the %s group is missing' % group)
            for index, item in enumerate(unit.corpus_items(group)):
                text = json.dumps(item).replace(
                    'busybox:latest', self.image).replace(
                    'common.env', marker + '.env').replace(
                    '"web"', '"%s"' % self.name('web')).replace(
                    '"svc"', '"%s"' % self.name('svc')).replace(
                    '"other"', '"%s"' % self.name('other'))
                payload = json.loads(text)
                payload['name'] = '%s-%s-%d' % (self.prefix, marker, index)
                payload['inputs'] = [
                    i for i in payload['inputs']
                    if i['name'] not in ('deploy_stack_id',
                                         'deploy_resource_name')] + [
                    {'name': 'deploy_stack_id', 'value': self.stack},
                    {'name': 'deploy_resource_name',
                     'value': 'r%d' % index}]
                what = (group, index)
                proc = subprocess.run(
                    self.hook_command(group), input=json.dumps(
                        payload).encode(), stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE, timeout=300)
                result = rel.check_contract(
                    self, proc.stdout.decode('utf-8'),
                    proc.stderr.decode('utf-8', 'replace'), proc.returncode)
                if result.code == 2:
                    self.assertEqual([], self.ours(), what)
                    continue
                payload['inputs'].append({'name': 'deploy_action',
                                          'value': 'DELETE'})
                deleted = self.run_hook(payload, group=group)
                self.assertEqual(0, deleted.code, (what, deleted.error))
                self.assertEqual([], self.ours(), what)
        found = subprocess.run(
            ['find', '/tmp', '/work', '/etc', '/var/lib', '/root', '-xdev',
             '-name', '*%s*' % marker], stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL).stdout.decode().split()
        self.assertEqual([], [p for p in found
                              if not p.startswith(self.tmp + os.sep)])
