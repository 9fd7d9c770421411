"""healthprobe: the container's own check, run as dockerd runs it, while
dockerapi.wait_ready waits for health."""

import threading
import types

import docker.errors
import testtools

from heat_container_hooks import dockerapi
from heat_container_hooks import healthprobe


def info(test=('CMD-SHELL', 'probe'), health='starting', status='running',
         interval=None, timeout=None, shell=None, user='', workdir='',
         log=()):
    check = {'Test': list(test)} if test is not None else None
    if check and interval is not None:
        check['Interval'] = int(interval * 1e9)
    if check and timeout is not None:
        check['Timeout'] = int(timeout * 1e9)
    state = {'Status': status, 'ExitCode': 0}
    if health:
        state['Health'] = {'Status': health, 'Log': [
            {'Output': out, 'ExitCode': 1} for out in log]}
    return {'Config': {'Healthcheck': check, 'Shell': shell, 'User': user,
                       'WorkingDir': workdir}, 'State': state}


class FakeApi:
    """inspect answers from ``states`` (the last repeats); each exec
    answers from ``execs`` (exit code, output; the last repeats)."""

    def __init__(self, states, execs=((1, b''),), exec_error=None):
        self.states = list(states)
        self.execs = list(execs)
        self.exec_error = exec_error
        self.created = []
        self.lock = threading.Lock()

    def inspect_container(self, ident):
        return self.states.pop(0) if len(self.states) > 1 else self.states[0]

    def version(self):
        return {'Components': [{'Name': 'Engine'}]}

    def exec_create(self, ident, cmd, **kwargs):
        if self.exec_error:
            raise self.exec_error
        with self.lock:
            self.created.append((cmd, kwargs))
            return {'Id': str(len(self.created) - 1)}

    def _answer(self, exec_id):
        return self.execs[min(int(exec_id), len(self.execs) - 1)]

    def exec_start(self, exec_id):
        return self._answer(exec_id)[1]

    def exec_inspect(self, exec_id):
        return {'ExitCode': self._answer(exec_id)[0], 'Running': False}

    def logs(self, ident, **kwargs):
        return b''


def wait(api, period=0.01, healthy_timeout=5):
    return dockerapi.wait_ready(api, 'c1' * 32, 'db', start_timeout=5,
                                healthy_timeout=healthy_timeout,
                                probe_period=period)


class PureTest(testtools.TestCase):

    def test_argv_like_dockerd(self):
        self.assertEqual(['/bin/sh', '-c', 'curl -f x'],
                         healthprobe.probe_argv(
                             {'Test': ['CMD-SHELL', 'curl -f x']}))
        self.assertEqual(['pwsh', '-c', 'x'], healthprobe.probe_argv(
            {'Test': ['CMD-SHELL', 'x']}, shell=['pwsh', '-c']))
        self.assertEqual(['test', '-f', '/r'], healthprobe.probe_argv(
            {'Test': ['CMD', 'test', '-f', '/r']}))
        self.assertIsNone(healthprobe.probe_argv({'Test': ['NONE']}))
        self.assertIsNone(healthprobe.probe_argv({'Test': ['CMD']}))

    def test_healthcheck_in_force(self):
        self.assertIsNotNone(healthprobe.healthcheck_of(info()))
        self.assertIsNone(healthprobe.healthcheck_of(info(test=('NONE',))))
        self.assertIsNone(healthprobe.healthcheck_of(info(test=None)))
        self.assertIsNone(healthprobe.healthcheck_of({}))

    def test_worth_probing_only_when_sooner_than_the_engine(self):
        check = {'Test': ['CMD', 'x']}
        self.assertTrue(healthprobe.worth_probing(check, 1.0))   # 30 s
        self.assertFalse(healthprobe.worth_probing(check, 0))
        check['Interval'] = int(1e9)
        self.assertFalse(healthprobe.worth_probing(check, 1.0))
        self.assertTrue(healthprobe.worth_probing(check, 0.5))

    def test_timeout_default_is_dockerds(self):
        self.assertEqual(30.0, healthprobe.check_timeout({}))
        self.assertEqual(2.5, healthprobe.check_timeout(
            {'Timeout': int(2.5e9)}))


class WaitReadyTest(testtools.TestCase):

    def test_passes_once_the_check_passes_engine_still_starting(self):
        api = FakeApi([info(user='kolla', workdir='/srv')],
                      execs=[(1, b'no'), (1, b'no'), (0, b'ok')])
        self.assertEqual(('running', 'passed'), wait(api))
        self.assertEqual(3, len(api.created))
        cmd, kwargs = api.created[0]
        self.assertEqual(['/bin/sh', '-c', 'probe'], cmd)
        self.assertEqual('kolla', kwargs['user'])
        self.assertEqual('/srv', kwargs['workdir'])
        self.assertFalse(kwargs['privileged'])
        self.assertFalse(kwargs['tty'])

    def test_engine_healthy_first_needs_no_probe(self):
        api = FakeApi([info(health='healthy')])
        self.assertEqual(('running', 'healthy'), wait(api))
        self.assertEqual([], api.created)

    def test_engine_unhealthy_fails(self):
        api = FakeApi([info(), info(health='unhealthy', log=['down'])])
        error = self.assertRaises(dockerapi.ContainerFailed, wait, api)
        self.assertIn('unhealthy: down', str(error))

    def test_no_healthcheck_or_none_is_running(self):
        for test in (None, ('NONE',)):
            api = FakeApi([info(test=test, health='')])
            self.assertEqual(('running', ''), wait(api))
            self.assertEqual([], api.created)

    def test_timeout_names_the_checks_last_output(self):
        api = FakeApi([info()], execs=[(1, b'port 5000 closed\n')])
        error = self.assertRaises(dockerapi.ContainerFailed, wait, api,
                                  healthy_timeout=0.3)
        self.assertIn('did not become healthy within 0.3s', str(error))
        self.assertIn('port 5000 closed', str(error))

    def test_short_engine_interval_is_left_to_the_engine(self):
        api = FakeApi([info(interval=1)] * 3 + [info(health='healthy')])
        self.assertEqual(('running', 'healthy'), wait(api, period=1.0))
        self.assertEqual([], api.created)

    def test_period_zero_never_probes(self):
        api = FakeApi([info()])
        self.assertRaises(dockerapi.ContainerFailed, wait, api, period=0,
                          healthy_timeout=0.2)
        self.assertEqual([], api.created)

    def test_engine_error_in_a_probe_is_a_failed_run(self):
        api = FakeApi([info()], exec_error=docker.errors.APIError(
            'container is restarting'))
        error = self.assertRaises(dockerapi.ContainerFailed, wait, api,
                                  healthy_timeout=0.3)
        self.assertIn('container is restarting', str(error))

    def test_run_past_the_check_timeout_fails_and_does_not_pile_up(self):
        release = threading.Event()
        api = FakeApi([info(timeout=0.05)], execs=[(0, b'late')])
        original = api.exec_start

        def slow_start(exec_id):
            release.wait(5)
            return original(exec_id)
        api.exec_start = slow_start
        self.addCleanup(release.set)
        error = self.assertRaises(dockerapi.ContainerFailed, wait, api,
                                  healthy_timeout=0.4)
        self.assertIn('did not finish within 0.05s', str(error))
        self.assertEqual(1, len(api.created))


class WaitsHoldNoEngineSlotTest(testtools.TestCase):
    """The docker engine: a container being waited on (e.g. until its
    check passes) does not hold one of the engine_workers slots."""

    def test_a_slow_wait_does_not_hold_up_the_next_create(self):
        from heat_container_hooks import conf as conf_mod
        from heat_container_hooks.engines import docker as docker_engine
        from heat_container_hooks import outcome as outcome_mod
        settings = conf_mod.Settings(
            managed_by='test', working_dir='/nonexistent',
            lock_dir='/nonexistent', lock_timeout=1, start_timeout=1,
            healthy_timeout=1, oneshot_timeout=1, exec_timeout=1,
            stop_grace_period=1, settle_time=0, engine_workers=1)
        engine = docker_engine.DockerEngine(settings, api=object())
        acted, both = [], threading.Event()

        def act(step, owner, config_id):
            acted.append(step)
            if len(acted) == 2:
                both.set()
            return 'id-' + step.name

        def wait_started(step, ident):
            # The other step's create and start run meanwhile.
            if not both.wait(5):
                raise AssertionError('%s was waited on in its slot'
                                     % step.name)
            return outcome_mod.ContainerResult(step.name, 'created',
                                               id=ident)
        engine._act = act
        engine._wait_started = wait_started
        from heat_container_hooks.engines import executor
        steps = [types.SimpleNamespace(name=n, act='created', reason='')
                 for n in ('a', 'b')]
        results = executor.in_parallel(
            steps, lambda step: engine._run_step(step, None, None))
        self.assertEqual(['id-a', 'id-b'], [r.id for r in results])
