"""How the shared executor spreads a plan's steps over threads: kept
containers that need nothing run in the calling thread, so an UPDATE of
one of many containers starts no worker threads for the rest (issue 18's
scale curve)."""

import dataclasses
import threading

import testtools

from heat_container_hooks import deployment as deployment_mod
from heat_container_hooks.engines import executor
from heat_container_hooks import labels
from heat_container_hooks.observed import ObservedContainer
from heat_container_hooks import plan
from heat_container_hooks import spec as spec_mod

OWNER = deployment_mod.Owner('docker-cmd', 's/1/r', 's/1', 'r')


def step(name, act=plan.Act.KEEP, health=''):
    desired = spec_mod.ContainerSpec(name=name, image='img')
    current = ObservedContainer(
        id='id-' + name, name=name, state='running', health=health,
        labels=labels.for_container(OWNER, 'cfg', name,
                                    desired.fingerprint(), 10))
    return plan.Step(act, name, desired, current)


class ParallelTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.threads = {}

    def record(self, item):
        self.threads[item.name] = threading.current_thread()
        return item.name

    def test_settled_steps_run_in_the_calling_thread(self):
        steps = [step('kept%d' % i) for i in range(20)] + [
            step('new', plan.Act.REPLACE), step('other', plan.Act.REPLACE)]
        results = executor.in_parallel(steps, self.record)
        self.assertEqual([s.name for s in steps], results)
        here = threading.current_thread()
        self.assertEqual([], [n for n, t in self.threads.items()
                              if n.startswith('kept') and t is not here])
        self.assertIsNot(here, self.threads['new'])
        self.assertIsNot(here, self.threads['other'])

    def test_one_busy_step_needs_no_pool(self):
        steps = [step('kept%d' % i) for i in range(5)] + [
            step('waiting', health='starting')]
        executor.in_parallel(steps, self.record)
        here = threading.current_thread()
        self.assertEqual({here}, set(self.threads.values()))

    def test_order_of_results_is_the_order_of_steps(self):
        steps = [step('a', plan.Act.REPLACE), step('b'),
                 step('c', plan.Act.REPLACE), step('d'),
                 dataclasses.replace(step('e'), act=plan.Act.CREATE)]
        self.assertEqual(list('abcde'),
                         executor.in_parallel(steps, self.record))
