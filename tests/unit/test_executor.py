"""The shared executor: a dependency graph carried out in parallel, a
failure skipping what needs it, per-item errors as results."""

import threading
import types

import testtools

from heat_container_hooks.engines import executor
from heat_container_hooks import errors
from heat_container_hooks import outcome
from heat_container_hooks import plan as plan_mod
from heat_container_hooks import spec as spec_mod

Act = outcome.Act


def step(name):
    return types.SimpleNamespace(name=name, act=Act.CREATE, reason='new')


class RunTest(testtools.TestCase):

    def test_a_node_starts_once_what_it_needs_is_done(self):
        order, lock = [], threading.Lock()

        def func(s):
            with lock:
                order.append(s.name)
            return outcome.ContainerResult(s.name, s.act)
        nodes = [executor.Node('c', step('c'), frozenset({'b'})),
                 executor.Node('b', step('b'), frozenset({'a'})),
                 executor.Node('a', step('a'))]
        results = executor.run(nodes, func)
        self.assertEqual(['a', 'b', 'c'], order)
        self.assertEqual(['c', 'b', 'a'], [r.name for r in results])

    def test_a_failure_skips_its_dependents_only(self):
        def func(s):
            if s.name == 'db':
                raise errors.HookError('db broke')
            return outcome.ContainerResult(s.name, s.act)
        nodes = [executor.Node('db', step('db')),
                 executor.Node('web', step('web'), frozenset({'db'})),
                 executor.Node('proxy', step('proxy'), frozenset({'web'})),
                 executor.Node('other', step('other'))]
        db, web, proxy, other = executor.run(nodes, func)
        self.assertEqual('db broke', db.error)
        self.assertEqual((Act.SKIP, 'not carried out: it needs db, which '
                          'failed'), (web.act, web.reason))
        self.assertEqual((Act.SKIP, 'not carried out: it needs web, which '
                          'was skipped'), (proxy.act, proxy.reason))
        self.assertEqual((Act.CREATE, ''), (other.act, other.error))
        # The reason reaches the user: deploy_stdout and the output.
        self.assertEqual('skipped web: not carried out: it needs db, which '
                         'failed', web.summary())
        self.assertEqual('not carried out: it needs web, which was skipped',
                         proxy.as_output()['reason'])
        self.assertEqual('db broke', str(executor.first_error(
            [web, db, other])))

    def test_a_cycle_still_runs(self):
        nodes = [executor.Node('a', step('a'), frozenset({'b'})),
                 executor.Node('b', step('b'), frozenset({'a'}))]
        results = executor.run(nodes, lambda s: outcome.ContainerResult(
            s.name, s.act))
        self.assertEqual([Act.CREATE, Act.CREATE], [r.act for r in results])


class PlanGraphTest(testtools.TestCase):

    def test_start_order_barrier_shared_namespaces_and_exec_chain(self):
        specs = [
            spec_mod.ContainerSpec(name='pause', image='i', start_order=1),
            spec_mod.ContainerSpec(name='web', image='i', start_order=1,
                                   network_mode='container:pause'),
            spec_mod.ContainerSpec(name='api', image='i', start_order=1),
            spec_mod.ContainerSpec(name='db', image='i'),
            spec_mod.ContainerSpec(name='x1', action='exec',
                                   exec_target='db', command=('true',)),
            spec_mod.ContainerSpec(name='x2', action='exec',
                                   exec_target='db', command=('true',)),
        ]
        owner = types.SimpleNamespace(key='k', managed_by='m')
        plan = plan_mod.apply(specs, [], owner)
        graph = plan_mod.graph(plan)
        names = [s.name for s, _ in graph]
        needs = {s.name: sorted(names[i] for i in n) for s, n in graph}
        self.assertEqual([], needs['db'])
        self.assertEqual(['db'], needs['x1'])
        self.assertEqual(['db', 'x1'], needs['x2'])
        self.assertEqual(['db', 'x1', 'x2'], needs['pause'])
        self.assertEqual(['db', 'pause', 'x1', 'x2'], needs['web'])
        self.assertEqual(['db', 'x1', 'x2'], needs['api'])
