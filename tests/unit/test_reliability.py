"""Reliability of the pipeline for every hook, without an engine:
random and mutated deployments never crash a hook, hostile names are
refused before anything is touched, secrets stay out of replies and
logs, and the per-owner lock serialises runs (doc/reliability.md)."""

import copy
import io
import json
import logging
import os
import threading
import time
from unittest import mock

import fixtures
import hypothesis
from hypothesis import strategies as st
from oslo_log import formatters
from oslo_log import log as oslo_log
import testtools

from heat_container_hooks import conf as conf_mod
from heat_container_hooks import deployment as deployment_mod
from heat_container_hooks import errors
from heat_container_hooks import groups
from heat_container_hooks import hook
from heat_container_hooks import lock
from heat_container_hooks import outcome
from heat_container_hooks import reply as reply_mod

SECRET = 'S3cr3tMarker-7f1d'

# A valid config of each group, the seed that mutations start from.
SEEDS = {
    'docker-cmd': {'web': {'image': 'busybox:latest',
                           'command': ['sleep', '1'],
                           'environment': {'A': '1'}, 'start_order': 1}},
    'docker-compose': {'services': {'web': {
        'image': 'busybox:latest', 'command': 'sleep 1',
        'environment': ['A=1']}}},
    'atomic': {'command': 'install', 'image': 'busybox:latest',
               'name': 'web'},
    'container': {'web': {'image': 'busybox:latest',
                          'command': ['sleep', '1']}},
}

# Real inputs of this turn that other branches are making valid (YAML 1.1
# specials in compose text, env-file dialects, every key TripleO's
# docker_config emits): each is a config (and extra inputs) that the
# guarantees must hold for, accepted or not; mutations start from them too.
IMG = 'busybox:latest'
COMPOSE_TEXT = ('services:\n  web:\n    image: %s\n    command: sleep 1\n'
                '    network_mode: none\n' % IMG)
ENV_FILE_DIALECTS = [
    {'file_name': 'common.env',
     'content': '\ufeffA=1\nexport B=2\nC="quoted value"\nD=\'single\'\n'
                '# comment\n\nE\n'},
    {'file_name': './common.env', 'content': 'export  F = spaced \r\n'},
    {'file_name': 'sub/x.env', 'content': 'G="multi\nline"\nH=${A}\n'},
]
TRIPLEO_CONTAINER = {
    'image': IMG, 'command': ['sleep', '600'], 'net': 'none',
    'config_volume': 'keystone', 'depends_on': ['other'], 'pids_limit': 64,
    'state': 'running', 'cpuset_cpus': 'all', 'stop_grace_period': 1,
    'security_opt': ['label=disable'], 'cap_add': ['NET_ADMIN'],
    'volumes': ['', '/etc/hosts:/etc/hosts:ro', '/etc/hosts:/etc/hosts:ro',
                ''],
    'privileged': False, 'restart': 'always', 'detach': True,
    'start_order': 2, 'user': '0',
    'healthcheck': {'test': 'true', 'interval': '1s'},
    'environment': ['KOLLA_CONFIG_STRATEGY=COPY_ALWAYS', 'EMPTY=', 'BARE'],
    'ulimit': ['nofile=1024'], 'log_tag': 'keystone', 'cap_drop': ['ALL'],
    'mem_limit': '64m', 'cpu_shares': 512, 'stop_signal': 'SIGTERM',
    'hostname': 'svc', 'extra_hosts': ['a:127.0.0.1'], 'tty': False,
}
CORPUS = {
    'docker-compose': [
        (COMPOSE_TEXT + '    restart: no\n', ()),
        (COMPOSE_TEXT + '    ports: [47:47]\n', ()),
        (COMPOSE_TEXT + '    environment:\n      ENABLED: yes\n      '
         'OFF: off\n      N: ~\n      OCT: 0755\n', ()),
        (COMPOSE_TEXT + '    restart: "no"\n    labels: {a: yes}\n', ()),
        ({'services': {'web': {'image': IMG, 'restart': False,
                               'network_mode': 'none'}}}, ()),
        (COMPOSE_TEXT + '    environment: [A=${REQ?needs REQ}]\n', ()),
        (COMPOSE_TEXT + '    env_file: [common.env, ./common.env, '
         'sub/x.env]\n', [('env_files', json.dumps(ENV_FILE_DIALECTS))]),
        (COMPOSE_TEXT, [('env_files', repr(ENV_FILE_DIALECTS))]),
    ],
    'docker-cmd': [
        ({'svc': dict(TRIPLEO_CONTAINER)}, ()),
        ({'svc': dict(TRIPLEO_CONTAINER, volumes=[], cpuset_cpus='0'),
          'other': {'image': IMG, 'command': 'sleep 1', 'net': 'none',
                    'detach': False, 'start_order': 1}}, ()),
        ({'svc': dict(TRIPLEO_CONTAINER, env_file='./common.env')}, ()),
        ({'svc': dict(TRIPLEO_CONTAINER, environment={
            'A': 'yes', 'B': 0, 'C': None, 'D': ''},
            volumes=['', '', '/etc/hosts:/etc/hosts:ro'],
            action='run', depends_on=[])}, ()),
    ],
    'container': [
        ({'svc': dict(TRIPLEO_CONTAINER)}, ()),
        ({'svc': dict(TRIPLEO_CONTAINER, ports=['47:47'])}, ()),
    ],
    'atomic': [
        ({'command': 'install', 'image': IMG, 'name': 'web',
          'privileged': 'yes', 'installcmd': ''}, ()),
    ],
}

# A reply's first line is read by a person in Heat's event list: short
# enough to read, and the whole reply must stay far below
# heat-config-notify's 950,000 byte limit.
MAX_FIRST_LINE = 4096
MAX_REPLY = 200000

scalars = (st.none() | st.booleans() | st.integers()
           | st.floats(allow_nan=False, allow_infinity=False)
           | st.text(max_size=40)
           | st.sampled_from(['', '..', '../../etc/x', '/etc/passwd',
                              'a\0b', 'a\nb', '$(id)', '`id`', ';rm -rf /',
                              '--privileged', '\u202e\U0001f600', ' ',
                              'x' * 300000, '1m30s', '-1', 'true', '[]',
                              "[{'file_name': '../x', 'content': 'A=1'}]",
                              '{}', 'services: [', '!!python/object:os.system',
                              SECRET]))
json_values = st.recursive(
    scalars, lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12) | st.sampled_from(
        ['image', 'command', 'name', 'environment', 'services', 'action',
         'env_file', 'volumes', 'file_name', 'content', 'value', 'type']),
        children, max_size=4), max_leaves=12)


def _deep(depth):
    value = 'x'
    for _ in range(depth):
        value = {'a': [value]}
    return value


def valid_item(group, config=None, inputs=()):
    if config is None:
        config = SEEDS[group]
    return {'id': 'cfg-1', 'name': 'dep-1', 'group': group,
            'options': None, 'config': copy.deepcopy(config),
            'outputs': [{'name': 'containers'}],
            'inputs': [{'name': 'foo', 'type': 'String', 'value': 'bar'},
                       {'name': 'deploy_stack_id', 'value': 's/1'},
                       {'name': 'deploy_resource_name', 'value': 'r'},
                       {'name': 'deploy_password', 'value': SECRET}] + [
                {'name': n, 'type': 'String', 'value': v}
                for n, v in inputs]}


def corpus_items(group):
    """The group's corpus entries as heat-config items."""
    return [valid_item(group, config, inputs)
            for config, inputs in CORPUS.get(group, ())]


def _paths(value, prefix=()):
    """Every path into a JSON-like value (down to a depth of 8)."""
    yield prefix
    if len(prefix) >= 8:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, prefix + (index,))


@st.composite
def mutated(draw, group):
    """A valid item (or a corpus one) with a few values replaced, removed
    or added."""
    item = draw(st.sampled_from([valid_item(group)] + corpus_items(group)))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(item) if p]
        path = draw(st.sampled_from(paths))
        parent = item
        for key in path[:-1]:
            parent = parent[key]
        how = draw(st.sampled_from(['replace', 'delete', 'add', 'deep']))
        if how == 'delete':
            del parent[path[-1]]
        elif how == 'add' and isinstance(parent, dict):
            parent[draw(st.text(max_size=10))] = draw(json_values)
        elif how == 'deep':
            parent[path[-1]] = _deep(draw(st.integers(50, 400)))
        else:
            parent[path[-1]] = draw(json_values)
    return item


def stdin_texts(group):
    """What a hook may find on its stdin."""
    as_json = st.builds(json.dumps, mutated(group) | json_values)
    return st.one_of(
        as_json, as_json,
        st.builds(lambda t: t.encode('utf-8'), as_json),
        st.binary(max_size=64),
        st.text(max_size=64),
        st.sampled_from(['', '{', 'null', '[' * 100000 + ']' * 100000,
                         '{"config": ' * 3000 + '1' + '}' * 3000,
                         '{"a": 1} {"b": 2}', '\ufeff{}']))


class RecordingGroups(fixtures.Fixture):
    """Every group, with converge replaced by a recorder (no engine)."""

    def _setUp(self):
        self.converged = []
        real_get = groups.get

        def get(name):
            group = real_get(name)
            if group is not None:
                group.converge = self.converge
            return group
        self.useFixture(fixtures.MockPatchObject(groups, 'get', get))

    def converge(self, job):
        self.converged.append(job)
        return outcome.Outcome()


def make_conf(test):
    conf = conf_mod.cfg.ConfigOpts()
    conf_mod.register_opts(conf)
    conf([], default_config_files=[])
    tmp = test.useFixture(fixtures.TempDir()).path
    conf.set_override('lock_dir', tmp + '/locks')
    conf.set_override('working_dir', tmp + '/work')
    conf.set_override('lock_timeout', 5)
    return conf


class CapturedLog(fixtures.Fixture):
    """Everything logged at DEBUG, through a root handler (which is where
    the redacting filter is attached)."""

    def _setUp(self):
        self.stream = io.StringIO()
        handler = logging.StreamHandler(self.stream)
        # oslo.log's formatter, as the hooks use it: it adds text of its
        # own (the active exception's message on WARNING and ERROR lines).
        conf = conf_mod.cfg.ConfigOpts()
        oslo_log.register_options(conf)
        conf([], default_config_files=[])
        handler.setFormatter(formatters.ContextFormatter(config=conf))
        root = logging.getLogger()
        previous = root.level
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)
        self.addCleanup(root.removeHandler, handler)
        self.addCleanup(root.setLevel, previous)

    @property
    def text(self):
        return self.stream.getvalue()


class FuzzTest(testtools.TestCase):
    """Bad input never crashes a hook and never reaches the engine."""

    def setUp(self):
        super().setUp()
        self.conf = make_conf(self)
        self.recorder = self.useFixture(RecordingGroups())
        self.log = self.useFixture(CapturedLog())

    def check_reply(self, group, text):
        del self.recorder.converged[:]
        reply, status = hook.run(group, text, self.conf)
        encoded = json.dumps(reply)
        self.assertLess(len(encoded), MAX_REPLY)
        self.assertIsInstance(reply['deploy_stdout'], str)
        self.assertIsInstance(reply['deploy_stderr'], str)
        code = reply['deploy_status_code']
        self.assertIsInstance(code, int)
        self.assertEqual(reply_mod.exit_status(code), status)
        stderr = reply['deploy_stderr']
        for crash in ('Traceback', 'internal error'):
            self.assertNotIn(crash, stderr)
        self.assertNotIn(SECRET, encoded)
        if code:
            first = stderr.split('\n', 1)[0]
            self.assertTrue(first.strip(), 'empty first line: %r' % stderr)
            self.assertLess(len(first), MAX_FIRST_LINE, first[:300])
        if code == errors.InvalidDeployment.status:
            self.assertEqual([], self.recorder.converged,
                             'an invalid deployment reached converge')
            # Reading and validating writes nothing either.
            self.assertEqual([], os.listdir(self.conf.working_dir)
                             if os.path.isdir(self.conf.working_dir) else [])
        if self.recorder.converged:
            # Only a deployment that read as valid is carried out.
            self.assertEqual(0, code, stderr)
        return reply, status

    def fuzz(self, group):
        if groups.get(group) is None:
            self.skipTest('the %s group is not there yet' % group)

        @hypothesis.settings(max_examples=80, deadline=None,
                             suppress_health_check=list(
                                 hypothesis.HealthCheck),
                             database=None)
        @hypothesis.given(stdin_texts(group))
        def check(text):
            self.check_reply(group, text)
        check()
        self.assertNotIn('Traceback', self.log.text)
        self.assertNotIn(SECRET, self.log.text)

    def test_docker_cmd(self):
        self.fuzz('docker-cmd')

    def test_docker_compose(self):
        self.fuzz('docker-compose')

    def test_atomic(self):
        self.fuzz('atomic')

    def test_container(self):
        self.fuzz('container')

    def test_corpus_of_real_inputs_keeps_the_guarantees(self):
        # Accepted or refused (other branches make them valid), each keeps
        # the reply contract, and a refused one reaches nothing.
        for group in CORPUS:
            if groups.get(group) is None:
                continue
            for item in corpus_items(group):
                self.check_reply(group, json.dumps(item))
                text = dict(item, config=json.dumps(item['config']))
                self.check_reply(group, json.dumps(text))
        self.assertNotIn('Traceback', self.log.text)

    def test_huge_values_give_a_short_first_line(self):
        huge = 'x' * 500000
        for group in SEEDS:
            if groups.get(group) is None:
                continue
            item = valid_item(group)
            item['config'] = {huge: {'image': huge, 'start_order': huge}}
            item['options'] = {'lock_timeout': huge, huge: 1}
            item['inputs'].append({'name': huge, 'value': huge})
            reply, status = self.check_reply(group, json.dumps(item))
            self.assertNotEqual(0, status)

    def test_seeds_are_valid(self):
        # The mutations start from deployments that are carried out, so a
        # failure found by the fuzzer is the mutation's doing.
        for group in SEEDS:
            if groups.get(group) is None:
                continue
            reply, status = self.check_reply(group,
                                             json.dumps(valid_item(group)))
            self.assertEqual(0, status, '%s: %s' % (group,
                                                    reply['deploy_stderr']))
            self.assertEqual(1, len(self.recorder.converged))


class HostileInputTest(testtools.TestCase):
    """Names that would reach a path, a shell or another option are refused
    before anything is touched."""

    def setUp(self):
        super().setUp()
        self.conf = make_conf(self)
        self.recorder = self.useFixture(RecordingGroups())

    def run_item(self, group, config, name='dep-1', inputs=()):
        item = valid_item(group)
        item['config'], item['name'] = config, name
        item['inputs'] += [dict(i) for i in inputs]
        reply, status = hook.run(group, json.dumps(item), self.conf)
        return reply, status

    def assert_refused(self, reply, status, *words):
        self.assertEqual(errors.InvalidDeployment.status, status,
                         reply['deploy_stderr'])
        self.assertEqual([], self.recorder.converged)
        first = reply['deploy_stderr'].split('\n', 1)[0]
        self.assertIn('invalid deployment', first)
        for word in words:
            self.assertIn(word, reply['deploy_stderr'])

    HOSTILE_NAMES = ['../x', 'a/b', '/etc', 'a\0b', 'a\nb', 'a;id', '$(id)',
                     '`id`', 'a b', '-x', '.hidden', '..', 'a|b', 'a&b',
                     'x' * 200]

    def test_docker_cmd_container_names(self):
        for name in self.HOSTILE_NAMES:
            reply, status = self.run_item(
                'docker-cmd', {name: {'image': 'busybox'}})
            self.assert_refused(reply, status, 'not a valid container name')

    def test_smuggled_image_options(self):
        for image in ('--privileged', '-v/:/host', 'busybox --privileged',
                      'busybox\n--privileged', ' busybox'):
            reply, status = self.run_item(
                'docker-cmd', {'web': {'image': image}})
            self.assert_refused(reply, status, 'config.web.image')

    def test_docker_cmd_env_names(self):
        for name in ('A=B', 'A\nB', '../x', 'A B', '$(id)', ''):
            reply, status = self.run_item(
                'docker-cmd', {'web': {'image': 'busybox',
                                       'environment': {name: 'v'}}})
            self.assert_refused(reply, status, 'config.web.environment')

    def test_env_values_with_equals_and_newlines_are_kept(self):
        value = 'a=b\nC=d; $(id)'
        reply, status = self.run_item(
            'docker-cmd', {'web': {'image': 'busybox',
                                   'environment': {'X': value}}})
        self.assertEqual(0, status, reply['deploy_stderr'])
        spec, = self.recorder.converged[0].desired
        self.assertEqual([('X', value)], list(spec.environment))

    def test_input_names_never_become_odd_variables(self):
        # Inputs become variables for the groups that pass them: a name
        # that is not a variable name is left out with a note.
        if groups.get('docker-compose') is None:
            self.skipTest('no docker-compose group yet')
        bad = [{'name': n, 'value': 'v'} for n in
               ('../x', 'a/b', 'a\nb', 'A=B', '$(id)', 'a\0b')]
        reply, status = self.run_item('docker-compose',
                                      SEEDS['docker-compose'], inputs=bad)
        self.assertEqual(0, status, reply['deploy_stderr'])
        job = self.recorder.converged[0]
        names = [n for n, _ in job.inputs.variables]
        self.assertEqual(['foo'], names)

    def test_compose_project_names(self):
        if groups.get('docker-compose') is None:
            self.skipTest('no docker-compose group yet')
        for name in ('../x', 'a/../../b', '..', 'a\0b', 'a\nb', '/abs'):
            reply, status = self.run_item(
                'docker-compose', SEEDS['docker-compose'], name=name)
            self.assert_refused(reply, status)

    def test_compose_env_file_names(self):
        if groups.get('docker-compose') is None:
            self.skipTest('no docker-compose group yet')
        for file_name in ('../x.env', '../../etc/passwd', '/etc/x.env',
                          'a/../../b.env', 'a\0b', 'a\nb', '..', ''):
            files = [{'file_name': file_name, 'content': 'A=1'}]
            reply, status = self.run_item(
                'docker-compose', SEEDS['docker-compose'],
                inputs=[{'name': 'env_files', 'value': json.dumps(files)}])
            self.assert_refused(reply, status, 'env_files')

    def test_atomic_names(self):
        if groups.get('atomic') is None:
            self.skipTest('no atomic group yet')
        for name in self.HOSTILE_NAMES:
            config = dict(SEEDS['atomic'], name=name)
            reply, status = self.run_item('atomic', config)
            self.assert_refused(reply, status, 'name')
        for image in ('--privileged', 'busybox --privileged', '-x'):
            config = dict(SEEDS['atomic'], image=image)
            reply, status = self.run_item('atomic', config)
            self.assert_refused(reply, status, 'image')


class SecretTest(testtools.TestCase):
    """Secret values never reach a reply or the log, at DEBUG, even through
    an error message or an internal error."""

    def setUp(self):
        super().setUp()
        self.conf = make_conf(self)
        self.conf.set_override('secret_inputs', ['app_key'])
        self.recorder = self.useFixture(RecordingGroups())
        self.log = self.useFixture(CapturedLog())

    def item(self, config, inputs=()):
        item = valid_item('docker-cmd')
        item['config'] = config
        item['inputs'] += list(inputs)
        return json.dumps(item)

    def assert_hidden(self, reply):
        self.assertNotIn(SECRET, json.dumps(reply))
        self.assertNotIn(SECRET, self.log.text)

    def test_secret_inputs_in_error_messages(self):
        inputs = [{'name': 'app_key', 'value': SECRET},
                  {'name': 'db_password', 'value': SECRET + 'x'}]
        # Invalid values that the error messages quote.
        config = {'web': {'image': 'busybox', 'start_order': SECRET,
                          'restart': SECRET + 'x', 'mem_limit': SECRET}}
        reply, status = hook.run('docker-cmd', self.item(config, inputs),
                                 self.conf)
        self.assertEqual(2, status)
        self.assertIn('start_order', reply['deploy_stderr'])
        self.assert_hidden(reply)

    def test_secret_environment_in_error_messages(self):
        # The config's own secret variable, when another key is invalid.
        config = {'web': {'image': 'busybox', 'restart': 'bogus',
                          'environment': {'DB_PASSWORD': SECRET}},
                  'other': {'image': 'busybox', 'stop_signal': SECRET,
                            'detach': 'maybe'}}
        reply, status = hook.run('docker-cmd', self.item(config), self.conf)
        self.assertEqual(2, status)
        self.assert_hidden(reply)

    def test_internal_error_with_a_secret_in_its_message(self):
        def converge(job):
            raise RuntimeError('boom %s' % SECRET)
        self.recorder.converge = converge
        reply, status = hook.run(
            'docker-cmd', self.item({'web': {'image': 'busybox'}}),
            self.conf)
        self.assertEqual(1, status)
        self.assertIn('internal error', reply['deploy_stderr'])
        self.assertIn('Traceback', self.log.text)
        self.assert_hidden(reply)

    def test_warning_logged_while_handling_a_secret_error(self):
        def converge(job):
            try:
                raise RuntimeError('engine said %s' % SECRET)
            except RuntimeError:
                logging.getLogger('heat_container_hooks.x').warning(
                    'retrying')
            return outcome.Outcome()
        self.recorder.converge = converge
        reply, status = hook.run(
            'docker-cmd', self.item({'web': {'image': 'busybox'}}),
            self.conf)
        self.assertEqual(0, status, reply['deploy_stderr'])
        self.assertIn('retrying', self.log.text)
        self.assert_hidden(reply)

    def test_engine_outcome_with_secrets(self):
        def converge(job):
            result = outcome.Outcome(results=[outcome.ContainerResult(
                'web', 'created', state='exited', exit_code=3,
                stdout='pw=%s' % SECRET, stderr=SECRET)])
            result.error = errors.HookError('failed with %s' % SECRET, 3)
            return result
        self.recorder.converge = converge
        config = {'web': {'image': 'busybox',
                          'environment': ['API_TOKEN=%s' % SECRET]}}
        item = json.loads(self.item(config))
        item['outputs'] = [{'name': 'web_stdout'}, {'name': 'containers'}]
        reply, status = hook.run('docker-cmd', json.dumps(item), self.conf)
        self.assertEqual(3, status)
        self.assert_hidden(reply)


class LockTest(testtools.TestCase):
    """Runs of one owner are serialised; other owners do not wait."""

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.owner = deployment_mod.Owner('test', 'stack/1/res')

    def test_timeout_names_the_deployment_and_the_fix(self):
        with lock.held(self.dir, self.owner, 5):
            exc = self.assertRaises(errors.LockTimeout, self._enter,
                                    self.owner, 0.2)
        self.assertIn('stack/1/res', str(exc))
        self.assertIn('lock_timeout', str(exc))

    def _enter(self, owner, timeout):
        with lock.held(self.dir, owner, timeout):
            pass

    def test_other_owner_does_not_wait(self):
        other = deployment_mod.Owner('test', 'stack/1/other')
        with lock.held(self.dir, self.owner, 5):
            self._enter(other, 0)
            # Same key, other managed_by: another owner too.
            self._enter(deployment_mod.Owner('else', 'stack/1/res'), 0)

    def test_second_run_waits_for_the_first(self):
        events = []
        inside = threading.Event()

        def first():
            with lock.held(self.dir, self.owner, 5):
                events.append('first in')
                inside.set()
                time.sleep(0.3)
                events.append('first out')
        thread = threading.Thread(target=first)
        thread.start()
        inside.wait(5)
        with lock.held(self.dir, self.owner, 10):
            events.append('second in')
        thread.join()
        self.assertEqual(['first in', 'first out', 'second in'], events)

    def test_lock_dir_that_cannot_be_made(self):
        exc = self.assertRaises(errors.HookError, self._enter_in,
                                '/proc/nonexistent/locks')
        self.assertIn('lock_dir', str(exc))

    def _enter_in(self, path):
        with lock.held(path, self.owner, 1):
            pass

    def test_lock_timeout_reply(self):
        conf = make_conf(self)
        conf.set_override('lock_dir', self.dir)
        conf.set_override('lock_timeout', 0.2)
        self.useFixture(RecordingGroups())
        item = valid_item('docker-cmd')
        owner = deployment_mod.Owner('docker-cmd', 's/1/r')
        with lock.held(self.dir, owner, 5):
            reply, status = hook.run('docker-cmd', json.dumps(item), conf)
        self.assertNotEqual(0, status)
        first = reply['deploy_stderr'].split('\n', 1)[0]
        self.assertIn('held its lock', first)
        self.assertIn('lock_timeout', first)


class FakeAPI:
    """Engine API calls _create makes: create answers 409 while a
    container of that name is there; inspect finds it by name."""

    def __init__(self, existing=None, appears_after=0):
        self.existing = existing
        self.appears_after = appears_after
        self.created, self.removed = [], []

    def create_host_config(self, **kwargs):
        return kwargs

    def create_container(self, **kwargs):
        import docker.errors
        if self.existing is not None or self.appears_after:
            response = mock.Mock(status_code=409)
            raise docker.errors.APIError('Conflict', response=response)
        self.created.append(kwargs['name'])
        return {'Id': 'new-id'}

    def inspect_container(self, name):
        import docker.errors
        if self.appears_after:
            self.appears_after -= 1
            if not self.appears_after:
                raise docker.errors.NotFound('gone')
        if self.existing is None:
            raise docker.errors.NotFound('No such container')
        return self.existing

    def remove_container(self, ident, **kwargs):
        self.removed.append(ident)
        self.existing = None


class NameConflictTest(testtools.TestCase):
    """A create that meets a container of the same name: one a killed run
    of the same deployment left (taken over or replaced, never
    duplicated), or another deployment's (a clear failure)."""

    def setUp(self):
        super().setUp()
        from heat_container_hooks.engines import docker as docker_engine
        from heat_container_hooks import labels as labels_mod
        from heat_container_hooks import spec as spec_mod
        self.useFixture(fixtures.MockPatch('time.sleep'))
        self.labels_mod = labels_mod
        self.owner = deployment_mod.Owner('test', 's/1/r', 's/1', 'r')
        self.spec = spec_mod.ContainerSpec(name='web', image='busybox')
        self.labels = labels_mod.for_container(
            self.owner, 'cfg', 'web', self.spec.fingerprint(), 10)
        settings = conf_mod.Settings(
            managed_by='test', working_dir='/nonexistent',
            lock_dir='/nonexistent', lock_timeout=1, start_timeout=1,
            healthy_timeout=1, oneshot_timeout=1, exec_timeout=1,
            stop_grace_period=1, settle_time=0)
        self.make = lambda api: docker_engine.DockerEngine(settings, api=api)

    def existing(self, **labels):
        return {'Id': 'old-id', 'State': {'Status': 'created'},
                'Config': {'Labels': dict(self.labels, **labels)}}

    def test_left_by_a_killed_run_is_taken_over(self):
        api = FakeAPI(self.existing())
        ident = self.make(api)._create(self.spec, self.owner, self.labels)
        self.assertEqual(('old-id', [], []), (ident, api.created,
                                              api.removed))

    def test_stale_one_of_ours_is_replaced(self):
        api = FakeAPI(self.existing(
            **{self.labels_mod.FINGERPRINT: 'older'}))
        ident = self.make(api)._create(self.spec, self.owner, self.labels)
        self.assertEqual(('new-id', ['web'], ['old-id']),
                         (ident, api.created, api.removed))

    def test_still_being_created_is_waited_for(self):
        api = FakeAPI(appears_after=3)
        ident = self.make(api)._create(self.spec, self.owner, self.labels)
        self.assertEqual('new-id', ident)

    def test_another_deployments_container_fails_clearly(self):
        api = FakeAPI(self.existing(
            **{self.labels_mod.OWNER: 's/1/other'}))
        exc = self.assertRaises(errors.HookError, self.make(api)._create,
                                self.spec, self.owner, self.labels)
        self.assertIn('container web already exists and is not managed by '
                      'this deployment', str(exc))
        self.assertIn('s/1/other', str(exc))
        self.assertEqual([], api.removed)
