import dataclasses

import testtools

from heat_container_hooks import deployment
from heat_container_hooks import errors
from heat_container_hooks import labels
from heat_container_hooks.observed import ObservedContainer
from heat_container_hooks import plan
from heat_container_hooks import spec as spec_mod

OWNER = deployment.Owner('docker-cmd', 's/1/r', 's/1', 'r')
OTHER = deployment.Owner('docker-cmd', 's/2/r', 's/2', 'r')


def spec(name, **kw):
    kw.setdefault('image', 'img')
    return spec_mod.ContainerSpec(name=name, **kw)


def observed(desired, owner=OWNER, state='running', exit_code=None,
             image_id='sha:1', fingerprint=None):
    return ObservedContainer(
        id='id-' + desired.name, name=desired.name, state=state,
        labels=labels.for_container(owner, 'old-config', desired.name,
                                    fingerprint or desired.fingerprint(),
                                    10),
        image_id=image_id, exit_code=exit_code)


def acts(result):
    return [(s.act, s.name) for s in result.steps]


class ApplyTest(testtools.TestCase):

    def test_table(self):
        web = spec('web')
        once = spec('once', detach=False)
        changed = spec('web', command=('other',))
        table = [
            ('new container', [web], [], [(plan.Act.CREATE, 'web')]),
            ('unchanged running', [web], [observed(web)],
             [(plan.Act.KEEP, 'web')]),
            ('unchanged but exited', [web], [observed(web, state='exited')],
             [(plan.Act.START, 'web')]),
            ('unchanged but created', [web],
             [observed(web, state='created')], [(plan.Act.START, 'web')]),
            ('config changed', [changed], [observed(web)],
             [(plan.Act.REPLACE, 'web')]),
            ('image re-tagged', [web], [observed(web, image_id='sha:0')],
             [(plan.Act.REPLACE, 'web')]),
            ('one-shot done', [once],
             [observed(once, state='exited', exit_code=0)],
             [(plan.Act.KEEP, 'once')]),
            ('one-shot failed before', [once],
             [observed(once, state='exited', exit_code=1)],
             [(plan.Act.REPLACE, 'once')]),
            ('one-shot still running from an interrupted run', [once],
             [observed(once, state='running')], [(plan.Act.KEEP, 'once')]),
            ('one-shot created, never started', [once],
             [observed(once, state='created')],
             [(plan.Act.REPLACE, 'once')]),
            ('dropped from config', [], [observed(web)],
             [(plan.Act.REMOVE, 'web')]),
            ('other owner untouched', [], [observed(web, owner=OTHER)], []),
        ]
        for title, desired, seen, expected in table:
            result = plan.apply(desired, seen, OWNER, {'img': 'sha:1'})
            self.assertEqual(expected, acts(result), title)

    def test_stages_follow_start_order_and_exec_last(self):
        desired = [spec('b', start_order=1), spec('a', start_order=1),
                   spec('z', start_order=0),
                   spec('x', action='exec', exec_target='a', image=None,
                        command=('ls',), start_order=1)]
        result = plan.apply(desired, [], OWNER)
        self.assertEqual([0, 1], [s.order for s in result.stages])
        self.assertEqual(['a', 'b', 'x'],
                         [s.name for s in result.stages[1].steps])

    def test_start_order_change_does_not_replace(self):
        web = spec('web')
        moved = spec('web', start_order=5, exit_codes=(0, 1))
        result = plan.apply([moved], [observed(web)], OWNER)
        self.assertEqual([(plan.Act.KEEP, 'web')], acts(result))

    def test_name_taken_by_another_owner_is_a_conflict(self):
        web = spec('web')
        exc = self.assertRaises(errors.InvalidDeployment, plan.apply, [web],
                                [observed(web, owner=OTHER)], OWNER)
        self.assertEqual('config.web', exc.problems[0].field)
        self.assertIn('not managed by this deployment',
                      exc.problems[0].message)

    def test_name_taken_by_unmanaged_container_is_a_conflict(self):
        stranger = ObservedContainer(id='x', name='web', state='running')
        self.assertRaises(errors.InvalidDeployment, plan.apply,
                          [spec('web')], [stranger], OWNER)

    def test_exec_target_must_exist(self):
        step = spec('x', action='exec', exec_target='nope', image=None,
                    command=('ls',))
        exc = self.assertRaises(errors.InvalidDeployment, plan.apply,
                                [step], [], OWNER)
        self.assertEqual('config.x.command', exc.problems[0].field)


class LifecycleTest(testtools.TestCase):

    def test_delete_removes_only_this_owner(self):
        mine, theirs = spec('a'), spec('b')
        seen = [observed(mine), observed(theirs, owner=OTHER)]
        self.assertEqual([(plan.Act.REMOVE, 'a')],
                         acts(plan.delete(seen, OWNER)))

    def test_suspend_stops_running_ones(self):
        seen = [observed(spec('a')), observed(spec('b'), state='exited')]
        self.assertEqual([(plan.Act.STOP, 'a')],
                         acts(plan.suspend(seen, OWNER)))

    def test_resume_starts_in_start_order_skipping_oneshots(self):
        desired = [spec('late', start_order=2), spec('early'),
                   spec('once', detach=False)]
        seen = [observed(s, state='exited', exit_code=0) for s in desired]
        result = plan.resume(desired, seen, OWNER)
        self.assertEqual([(plan.Act.START, 'early'),
                          (plan.Act.START, 'late')], acts(result))
        self.assertEqual(2, len(result.stages))


class SharedTest(testtools.TestCase):
    """A container that uses another's namespaces or volumes follows it."""

    SHARES = (('network_mode', 'container:pause'),
              ('pid_mode', 'container:pause'),
              ('ipc_mode', 'container:pause'),
              ('volumes_from', ('pause',)),
              ('volumes_from', ('pause:ro',)))

    def test_shared_with(self):
        self.assertEqual(['a', 'b', 'c', 'd', 'e'], plan.shared_with(spec(
            'w', network_mode='container:a', pid_mode='container:b',
            ipc_mode='container:c', volumes_from=('d:ro', 'e', 'a'))))
        self.assertEqual([], plan.shared_with(spec(
            'w', network_mode='host', pid_mode='host', ipc_mode='shareable')))

    def test_replaced_with_what_it_shares(self):
        for key, value in self.SHARES:
            pause, web = spec('pause'), spec('web', **{key: value})
            new_pause = spec('pause', command=('other',))
            result = plan.apply([new_pause, web],
                                [observed(pause), observed(web)], OWNER)
            self.assertEqual([(plan.Act.REPLACE, 'pause'),
                              (plan.Act.REPLACE, 'web')], acts(result), key)
            self.assertIn('pause', result.steps[1].reason)
            # pause first, then web, in stages of the same start_order.
            self.assertEqual([0, 0], [s.order for s in result.stages])

    def test_replaced_when_what_it_shares_is_created(self):
        for key, value in self.SHARES:
            web = spec('web', **{key: value})
            result = plan.apply([spec('pause'), web], [observed(web)], OWNER)
            self.assertEqual([(plan.Act.CREATE, 'pause'),
                              (plan.Act.REPLACE, 'web')], acts(result), key)

    def test_replaced_when_what_it_shares_was_made_again(self):
        for key, value in self.SHARES:
            pause, web = spec('pause'), spec('web', **{key: value})
            old_web = dataclasses.replace(observed(web), created=100)
            new_pause = dataclasses.replace(observed(pause), created=200)
            result = plan.apply([pause, web], [new_pause, old_web], OWNER)
            self.assertEqual([(plan.Act.KEEP, 'pause'),
                              (plan.Act.REPLACE, 'web')], acts(result), key)

    def test_network_namespace_checked_by_id(self):
        pause = spec('pause')
        web = spec('web', network_mode='container:pause')
        joined = dataclasses.replace(observed(web),
                                     network_mode='container:id-old')
        result = plan.apply([pause, web], [observed(pause), joined], OWNER)
        self.assertEqual((plan.Act.REPLACE, 'web'), acts(result)[1])
        joined = dataclasses.replace(observed(web),
                                     network_mode='container:id-pause')
        result = plan.apply([pause, web], [observed(pause), joined], OWNER)
        self.assertEqual((plan.Act.KEEP, 'web'), acts(result)[1])

    def test_kept_when_nothing_it_shares_changes(self):
        pause, web = spec('pause'), spec('web', network_mode='container:pause',
                                         volumes_from=('pause',))
        same = dataclasses.replace(observed(pause), created=100)
        result = plan.apply([pause, web], [same, dataclasses.replace(
            observed(web), created=100)], OWNER)
        self.assertEqual([(plan.Act.KEEP, 'pause'), (plan.Act.KEEP, 'web')],
                         acts(result))

    def test_a_chain_follows(self):
        db = spec('db')
        pause = spec('pause', volumes_from=('db',))
        web = spec('web', network_mode='container:pause')
        result = plan.apply(
            [spec('db', command=('new',)), pause, web],
            [observed(db), observed(pause), observed(web)], OWNER)
        self.assertEqual({plan.Act.REPLACE}, {s.act for s in result.steps})
        self.assertEqual([['db'], ['pause'], ['web']],
                         [[s.name for s in st.steps] for st in result.stages])

    def test_unmanaged_dependency_is_left_alone(self):
        web = spec('web', network_mode='container:elsewhere')
        result = plan.apply([web], [observed(web)], OWNER)
        self.assertEqual([(plan.Act.KEEP, 'web')], acts(result))


class SettledTest(testtools.TestCase):
    """Step.settled: a kept container that needs no engine call and no
    wait (the engine runs such steps without a worker thread)."""

    def test_table(self):
        web = spec('web')
        once = spec('once', detach=False)
        cases = [
            (plan.Act.KEEP, web, observed(web), True),
            (plan.Act.KEEP, web, dataclasses.replace(
                observed(web), health='healthy'), True),
            (plan.Act.KEEP, web, dataclasses.replace(
                observed(web), health='starting'), False),
            (plan.Act.KEEP, web, dataclasses.replace(
                observed(web), health='unhealthy'), False),
            (plan.Act.KEEP, once, observed(once, state='exited',
                                           exit_code=0), True),
            (plan.Act.KEEP, once, observed(once, state='running'), False),
            (plan.Act.REPLACE, web, observed(web), False),
            (plan.Act.CREATE, web, None, False),
        ]
        for act, desired, current, want in cases:
            step = plan.Step(act, desired.name, desired, current)
            self.assertEqual(want, step.settled, (act, current))


class ChangedFieldsTest(testtools.TestCase):
    """A replace names the fields that differ, from the digests recorded
    with the fingerprint; a container of an earlier release (fingerprint
    alone) is kept when unchanged."""

    def observed(self, spec, label=None):
        owner = deployment.Owner('m', 'k', 's', 'r')
        found = labels.for_container(
            owner, 'c', spec.name, label or spec.state_label(), 10)
        return owner, ObservedContainer('id', spec.name, 'running', found)

    def test_fields_named_item_by_item(self):
        old = spec_mod.ContainerSpec(
            name='web', image='i:1', environment=(('A', '1'), ('B', '2')),
            volumes=('/a:/a', '/b:/b'),
            healthcheck=spec_mod.Healthcheck(test=('CMD', 'true')))
        new = spec_mod.replace(
            old, image='i:2', environment=(('A', 'x'), ('B', '2')),
            volumes=('/a:/a', '/c:/c', '/d:/d'),
            healthcheck=spec_mod.Healthcheck(test=('CMD', 'false')),
            privileged=True)
        owner, current = self.observed(old)
        (step,) = plan.apply([new], [current], owner).steps
        self.assertEqual(
            ('replaced', ('environment.A', 'healthcheck.test', 'image',
                          'privileged', 'volumes[1]', 'volumes[2]')),
            (str(step.act), step.changes))
        self.assertIn('config changed: environment.A, healthcheck.test',
                      step.reason)
        self.assertNotIn('x', step.reason.replace('config', ''))

    def test_secret_values_are_never_digested(self):
        import hashlib
        import json
        old = spec_mod.ContainerSpec(
            name='web', image='i:1',
            environment=(('DB_PASSWORD', 's3cr3tVAL'), ('A', '1')),
            secret_env=frozenset({'DB_PASSWORD'}))
        label = old.state_label()
        guess = hashlib.sha256(json.dumps('s3cr3tVAL').encode()).hexdigest()
        self.assertNotIn(guess[:12], label)
        self.assertNotIn('s3cr3tVAL', label)
        self.assertIn('"environment.DB_PASSWORD":"secret"', label)
        owner, current = self.observed(old)
        # Only the secret changed: it is named (its value cannot be).
        new = spec_mod.replace(old, environment=(('DB_PASSWORD', 'other'),
                                                 ('A', '1')))
        (step,) = plan.apply([new], [current], owner).steps
        self.assertEqual(('replaced', ('environment.DB_PASSWORD',)),
                         (str(step.act), step.changes))
        self.assertNotIn('other', step.reason)
        # Something else changed too: that is named.
        new = spec_mod.replace(new, environment=(('DB_PASSWORD', 'x'),
                                                 ('A', '2')))
        (step,) = plan.apply([new], [current], owner).steps
        self.assertEqual(('environment.A',), step.changes)
        # Unchanged: kept.
        (step,) = plan.apply([old], [current], owner).steps
        self.assertEqual('kept', str(step.act))

    def test_label_of_an_earlier_release(self):
        spec = spec_mod.ContainerSpec(name='web', image='i:1')
        owner, current = self.observed(spec, label=spec.fingerprint())
        (step,) = plan.apply([spec], [current], owner).steps
        self.assertEqual('kept', str(step.act))
        changed = spec_mod.replace(spec, image='i:2')
        (step,) = plan.apply([changed], [current], owner).steps
        self.assertEqual(('replaced', ()), (str(step.act), step.changes))
        self.assertIn('not recorded', step.reason)
