"""Every run ends with a bounded reply, whatever interrupts it; options and
inputs are validated before use; DELETE needs no valid config; named
secrets are masked whatever their length (doc/reliability.md). In-process,
without an engine."""

import json
import os
import re
import signal
import threading

import testtools

from heat_container_hooks.agent import signalling
from heat_container_hooks import deployment as deployment_mod
from heat_container_hooks.engineapi import observe
from heat_container_hooks import errors
from heat_container_hooks.formats import compose as compose_format
from heat_container_hooks import groups
from heat_container_hooks.groups import container as container_group
from heat_container_hooks import hook
from heat_container_hooks import interrupt
from heat_container_hooks import outcome
from heat_container_hooks import redaction
from heat_container_hooks import reply as reply_mod
from tests.unit import test_reliability as base

WRONG = {'wrong': ['type']}
# Inputs a group reads by name besides the deploy_* ones.
GROUP_INPUTS = {'docker-compose': (compose_format.ENV_FILES_INPUT,),
                'container': (container_group.TOOL_INPUT,)}
PACKAGE = os.path.join(os.path.dirname(__file__), '..', '..',
                       'heat_container_hooks')


def option_names(group):
    return sorted(dict(hook._OPTION_READERS,
                       **groups.get(group).option_readers))


def wrong_fields(group):
    """(field, item) for every option and input ``group`` reads, each
    given a value of the wrong type."""
    for key in option_names(group):
        item = base.valid_item(group)
        item['options'] = {key: WRONG}
        yield 'options.%s' % key, item
    item = base.valid_item(group)
    item['options'] = {'expose_inputs': 'deploy_password,deploy_stack_id'}
    yield 'options.expose_inputs', item
    for name in deployment_mod.DEPLOY_INPUTS + GROUP_INPUTS.get(group, ()):
        item = base.valid_item(group)
        item['inputs'] = [i for i in item['inputs'] if i['name'] != name]
        item['inputs'].append({'name': name, 'type': 'String',
                               'value': WRONG})
        yield 'inputs.%s' % name, item


class OptionTypesTest(testtools.TestCase):
    """Every option and input the hooks read, given a wrong type: a clear
    error naming the field, and nothing carried out."""

    def setUp(self):
        super().setUp()
        self.conf = base.make_conf(self)
        self.recorder = self.useFixture(base.RecordingGroups())

    def test_every_option_and_input_with_a_wrong_type(self):
        for group in groups.available():
            for field, item in wrong_fields(group):
                del self.recorder.converged[:]
                reply, status = hook.run(group, json.dumps(item), self.conf)
                self.assertEqual(2, status, (group, field, reply))
                first = reply['deploy_stderr'].split('\n', 1)[0]
                self.assertIn(field, first, (group, reply))
                self.assertEqual([], self.recorder.converged)
                self.assertFalse(os.path.exists(self.conf.working_dir))

    def test_every_input_read_by_name_is_walked(self):
        # A new input_value('x') in the code must be added to the walk.
        walked = set(deployment_mod.DEPLOY_INPUTS)
        for names in GROUP_INPUTS.values():
            walked.update(names)
        constants = {'ENV_FILES_INPUT': compose_format.ENV_FILES_INPUT,
                     'TOOL_INPUT': container_group.TOOL_INPUT}
        read = set()
        for root, _, files in os.walk(PACKAGE):
            for name in files:
                if not name.endswith('.py'):
                    continue
                with open(os.path.join(root, name)) as handle:
                    text = handle.read()
                for arg in re.findall(r'input_value\(\s*([^,)]+)', text):
                    arg = arg.strip()
                    if arg in ('name', 'self'):
                        continue
                    read.add(constants.get(arg, arg.strip('\'"')))
        self.assertTrue(read)
        self.assertEqual(set(), read - walked)

    def test_expose_inputs_string_exposes_nothing(self):
        item = base.valid_item('container')
        item['options'] = {'expose_inputs': 'deploy_password'}
        reply, status = hook.run('container', json.dumps(item), self.conf)
        self.assertEqual(2, status)
        self.assertIn('options.expose_inputs: is a string', reply[
            'deploy_stderr'])

    def test_expose_inputs_list_exposes_the_named_inputs(self):
        item = base.valid_item('container')
        item['options'] = {'expose_inputs': ['deploy_stack_id']}
        reply, status = hook.run('container', json.dumps(item), self.conf)
        self.assertEqual(0, status, reply)
        (job,) = self.recorder.converged
        self.assertEqual({'foo': 'bar', 'deploy_stack_id': 's/1'},
                         dict(job.inputs.variables))


class DeleteTest(testtools.TestCase):
    """DELETE works from what the engine holds: bad options are notes."""

    def setUp(self):
        super().setUp()
        self.conf = base.make_conf(self)
        self.recorder = self.useFixture(base.RecordingGroups())

    def delete_item(self, group, options, config='services: ['):
        item = base.valid_item(group)
        item['config'] = config
        item['options'] = options
        item['inputs'].append({'name': 'deploy_action', 'value': 'DELETE'})
        return json.dumps(item)

    def test_bad_options_and_config_do_not_block_a_delete(self):
        for group in groups.available():
            options = {'stop_grace_period': WRONG, 'lock_timeout': [1]}
            if group == 'container':
                options['tool'] = 'nope'
            del self.recorder.converged[:]
            reply, status = hook.run(group, self.delete_item(group, options),
                                     self.conf)
            self.assertEqual(0, status, (group, reply))
            self.assertEqual(1, len(self.recorder.converged), group)
            self.assertIn('options.stop_grace_period', reply['deploy_stderr'])
            self.assertIn('ignored on DELETE', reply['deploy_stderr'])

    def test_a_bad_managed_by_still_fails(self):
        reply, status = hook.run('docker-cmd', self.delete_item(
            'docker-cmd', {'managed_by': WRONG}), self.conf)
        self.assertEqual(2, status)
        self.assertIn('options.managed_by', reply['deploy_stderr'])
        self.assertEqual([], self.recorder.converged)


class ShortSecretTest(testtools.TestCase):

    def test_named_secrets_are_masked_whatever_their_length(self):
        redactor = redaction.Redactor()
        redactor.add(['Zq'], explicit=True)
        redactor.add(['Kx'])
        self.assertEqual('a *** Kx', redactor.text('a Zq Kx'))

    def test_reply_keys_survive_a_one_character_secret(self):
        conf = base.make_conf(self)
        conf.set_override('secret_inputs', ['short'])
        self.useFixture(base.RecordingGroups())
        item = base.valid_item('docker-cmd')
        item['inputs'].append({'name': 'short', 'value': 'e'})
        item['inputs'].append({'name': 'my_token', 'value': 'Kx'})
        reply, status = hook.run('docker-cmd', json.dumps(item), conf)
        self.assertEqual(0, status)
        self.assertEqual({'deploy_stdout', 'deploy_stderr',
                          'deploy_status_code', 'containers'}, set(reply))

    def test_short_named_secret_in_a_failure(self):
        conf = base.make_conf(self)
        conf.set_override('secret_inputs', ['short'])
        item = base.valid_item('docker-cmd')
        item['inputs'].append({'name': 'short', 'value': 'Zq'})
        item['inputs'].append({'name': 'my_token', 'value': 'Kx'})
        item['config'] = {'web': {'image': 'Zq Kx'}}
        reply, status = hook.run('docker-cmd', json.dumps(item), conf)
        self.assertEqual(2, status)
        self.assertNotIn('Zq', json.dumps(reply))
        self.assertIn('Kx', reply['deploy_stderr'])


class BigOutcome(base.RecordingGroups):
    """Every group's converge yields a container with huge output."""

    def converge(self, job):
        self.converged.append(job)
        result = outcome.ContainerResult(
            'web', 'created', id='x', state='exited', exit_code=3,
            stdout='o' * 700000 + 'END-OUT', stderr='e' * 700000 + 'END-ERR',
            error='container web exited with code 3')
        return outcome.Outcome(results=[result], error=errors.HookError(
            'container web exited with code 3 (fix: see below)', status=3))


class BoundedReplyTest(testtools.TestCase):

    def test_reply_is_trimmed_from_the_front_keeping_the_first_line(self):
        conf = base.make_conf(self)
        self.useFixture(BigOutcome())
        item = base.valid_item('docker-cmd')
        item['outputs'] = [{'name': 'web_stdout'}, {'name': 'web_stderr'}]
        reply, status = hook.run('docker-cmd', json.dumps(item), conf)
        self.assertEqual(3, status)
        size = len(json.dumps(reply).encode('utf-8'))
        self.assertLessEqual(size, conf.max_reply_bytes)
        self.assertLess(conf.max_reply_bytes, reply_mod.NOTIFY_LIMIT)
        self.assertTrue(reply['deploy_stderr'].startswith(
            'container web exited with code 3 (fix: see below)\n['))
        self.assertIn('characters trimmed]', reply['deploy_stderr'])
        self.assertTrue(reply['deploy_stderr'].endswith('END-ERR'))
        self.assertTrue(reply['deploy_stdout'].endswith('END-OUT'))

    def test_one_implementation_for_the_hook_and_the_agent(self):
        reply = {'deploy_stdout': 'x' * 5000, 'deploy_stderr': '',
                 'deploy_status_code': 0}
        self.assertEqual(reply_mod.trim(reply, 2048, signalling.TRIM_MARK),
                         signalling.trim(reply, 2048))
        trimmed, cut = reply_mod.trim(reply, 2048)
        self.assertTrue(trimmed['deploy_stdout'].startswith(
            '[%d characters trimmed]\n' % cut))

    def test_the_longest_outputs_are_cut_first(self):
        reply = {'deploy_stdout': 'o' * 9000 + 'OUT', 'deploy_stderr': 'e',
                 'deploy_status_code': 0, 'web_stdout': 'w' * 3000 + 'W',
                 'short': 's' * 200}
        trimmed, _ = reply_mod.trim(reply, 4096)
        self.assertLessEqual(len(json.dumps(trimmed)), 4096)
        self.assertEqual('s' * 200, trimmed['short'])
        self.assertEqual('e', trimmed['deploy_stderr'])
        self.assertTrue(trimmed['deploy_stdout'].endswith('OUT'))
        self.assertTrue(trimmed['web_stdout'].endswith('W'))


class InterruptTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.addCleanup(interrupt.reset)

    def test_signal_names_the_step_and_gives_the_shell_status(self):
        for signum, status in ((signal.SIGTERM, 143), (signal.SIGINT, 130),
                               (signal.SIGHUP, 129)):
            interrupt.reset()
            with interrupt.handlers():
                with interrupt.step('doing the thing'):
                    try:
                        os.kill(os.getpid(), signum)
                        for _ in range(1000):
                            pass
                        self.fail('not interrupted')
                    except interrupt.Interrupted as exc:
                        self.assertEqual(status, exc.status)
                        self.assertEqual('doing the thing', exc.steps)
                        self.assertIn(signal.Signals(signum).name, str(exc))
            self.assertTrue(interrupt.interrupted())

    def test_later_signals_are_ignored_while_the_reply_is_written(self):
        with interrupt.handlers():
            interrupt.replying()
            os.kill(os.getpid(), signal.SIGTERM)   # no exception

    def test_handlers_are_restored(self):
        before = signal.getsignal(signal.SIGTERM)
        with interrupt.handlers():
            self.assertIsNot(before, signal.getsignal(signal.SIGTERM))
        self.assertIs(before, signal.getsignal(signal.SIGTERM))

    def test_in_process_runs_in_threads_leave_signals_alone(self):
        # The agent runs groups through hook.run in threads: no handler may
        # be installed there (Python refuses), and its own SIGTERM
        # handling must stand.
        conf = base.make_conf(self)
        self.useFixture(base.RecordingGroups())
        before = {s: signal.getsignal(s) for s in interrupt.SIGNALS}
        result = {}

        def target():
            with interrupt.handlers():
                result['reply'] = hook.run('docker-cmd', json.dumps(
                    base.valid_item('docker-cmd')), conf)
        thread = threading.Thread(target=target)
        thread.start()
        thread.join(60)
        self.assertEqual(0, result['reply'][1], result)
        self.assertEqual(before, {s: signal.getsignal(s)
                                  for s in interrupt.SIGNALS})

    def test_interruption_in_converge_is_a_reply(self):
        conf = base.make_conf(self)
        recorder = self.useFixture(base.RecordingGroups())

        def converge(job):
            with interrupt.step('waiting for container web to be healthy'):
                raise interrupt.Interrupted(
                    signal.SIGTERM, interrupt.steps_in_progress())
        recorder.converge = converge
        reply, status = hook.run('docker-cmd', json.dumps(
            base.valid_item('docker-cmd')), conf)
        self.assertEqual(143, status)
        self.assertTrue(reply['deploy_stderr'].startswith(
            'interrupted by SIGTERM while waiting for container web to be '
            'healthy (fix: run the deployment again'))

    def test_steps_of_every_thread_are_named(self):
        ready, done = threading.Event(), threading.Event()

        def worker():
            with interrupt.step('waiting for one-shot container b to exit'):
                ready.set()
                done.wait(30)
        thread = threading.Thread(target=worker)
        thread.start()
        ready.wait(30)
        with interrupt.step('CREATE of deployment s/r'):
            self.assertEqual('CREATE of deployment s/r; waiting for one-shot '
                             'container b to exit',
                             interrupt.steps_in_progress())
        done.set()
        thread.join(30)
        self.assertEqual('', interrupt.steps_in_progress())


class CleanupReadsLenientlyTest(testtools.TestCase):

    def test_an_item_refused_by_the_hook_still_owns_its_containers(self):
        # The hook refuses a deploy_* input that is not text; cleanup,
        # which reads the whole list, must still count the item as current
        # (else it would remove that deployment's containers).
        from heat_container_hooks import cleanup
        item = base.valid_item('docker-cmd')
        item['inputs'].append({'name': 'deploy_signal_verb',
                               'value': ['PUT']})
        keys, ids = cleanup.current_owners('docker-cmd', [item])
        self.assertEqual({'s/1/r'}, keys)
        self.assertEqual({'cfg-1'}, ids)


class HealthFromStatusTest(testtools.TestCase):

    def test_list_status_gives_the_health(self):
        for status, health in (
                ('Up 3 seconds (health: starting)', 'starting'),
                ('Up 1 minute (healthy)', 'healthy'),
                ('Up 2 minutes (unhealthy)', 'unhealthy'),
                ('Up 5 seconds', ''), ('Exited (0) 1 second ago', '')):
            self.assertEqual(health, observe.health_from_status(status))
