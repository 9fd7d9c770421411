"""Pure planning: from desired specs and observed containers to ordered
steps, before anything is touched (compare docker-compose's convergence
plans). No engine is imported here; the same plan drives every engine that
manages containers one by one.
"""

import dataclasses
import itertools

from heat_container_hooks import errors
from heat_container_hooks import outcome
from heat_container_hooks import spec as spec_mod


Act = outcome.Act


@dataclasses.dataclass(frozen=True)
class Step:
    act: Act
    name: str
    spec: object = None           # ContainerSpec, for CREATE/REPLACE/EXEC
    observed: object = None       # ObservedContainer, when there is one
    reason: str = ''
    changes: tuple = ()           # REPLACE: the field paths that differ

    @property
    def settled(self):
        """A KEEP whose container is already as the run wants it: a
        long-running one not waiting on its health (none, or known
        healthy), or a one-shot that has finished. Such a step needs no
        engine call and no wait; anything else (including a KEEP that an
        interrupted run left starting or unhealthy, or a one-shot it left
        running) does."""
        if self.act != Act.KEEP:
            return False
        if self.spec.is_oneshot:
            return self.observed.state != 'running'
        return self.observed.health not in ('starting', 'unhealthy')


@dataclasses.dataclass(frozen=True)
class ToolStep:
    """A step a tool decides itself (compose's ``up`` of a service: it
    recreates or keeps): shown by a preview, never planned here."""

    word: str
    name: str
    reason: str = ''


@dataclasses.dataclass(frozen=True)
class Stage:
    """Steps of one start_order (and level of shared namespaces): run
    steps, then exec steps in name order (see ``graph``)."""

    order: int
    steps: tuple


@dataclasses.dataclass(frozen=True)
class Plan:
    removals: tuple = ()          # done first, in parallel
    stages: tuple = ()

    @property
    def steps(self):
        return self.removals + tuple(
            itertools.chain.from_iterable(s.steps for s in self.stages))


def _owned(observed, owner):
    return {c.config_name: c for c in observed if c.owned_by(owner)}


def apply(desired, observed, owner, image_ids=None, field='config'):
    """Plan a CREATE or UPDATE: create what is missing, replace what changed,
    keep what did not, start what should run but does not, remove what the
    config no longer has. Raises InvalidDeployment on name conflicts with
    containers this owner does not manage, touching nothing."""
    image_ids = image_ids or {}
    owned = _owned(observed, owner)
    by_name = {c.name: c for c in observed}
    runs = {s.name for s in desired if not s.is_exec}
    problems = errors.Problems()
    steps = []
    for spec in desired:
        if spec.is_exec:
            if spec.exec_target not in runs and spec.exec_target not in \
                    by_name:
                problems.add('%s.%s.command' % (field, spec.name),
                             'targets %r, which is neither in this config nor '
                             'an existing container' % spec.exec_target,
                             'name a container of the config first in '
                             'command')
            steps.append(Step(Act.EXEC, spec.name, spec,
                              reason='exec in %s' % spec.exec_target))
            continue
        current = owned.get(spec.name)
        other = by_name.get(spec.name)
        if current is None and other is not None:
            problems.add('%s.%s' % (field, spec.name),
                         'a container named %r already exists and is not '
                         'managed by this deployment (managed_by=%s, '
                         'owner=%s)' % (spec.name,
                                        other.labels.get('managed_by', '-'),
                                        other.labels.get(
                                            'heat_container_hooks.owner',
                                            '-')),
                         'remove or rename that container, or rename this '
                         'one')
            continue
        steps.append(_step_for(spec, current, image_ids))
    problems.raise_if_any()
    steps = _follow_shared(steps, owned)
    wanted = {s.name for s in desired}
    removals = tuple(Step(Act.REMOVE, name, observed=c,
                          reason='no longer in the config')
                     for name, c in sorted(owned.items())
                     if name not in wanted)
    return Plan(removals=removals, stages=_stages(steps))


def _step_for(spec, current, image_ids):
    if current is None:
        return Step(Act.CREATE, spec.name, spec, reason='new')
    if current.fingerprint != spec.fingerprint():
        recorded = current.field_digests
        changes = tuple(spec_mod.changed_fields(recorded, spec)) \
            if recorded is not None else ()
        if recorded is not None and not changes:
            # Only a secret can explain it: its value is not recorded
            # (spec.SECRET_MARK), so the secrets are named as candidates.
            changes = tuple(spec.secret_paths())
        return Step(Act.REPLACE, spec.name, spec, current, changes=changes,
                    reason='config changed%s' % (
                        ': ' + ', '.join(changes) if changes else
                        ' (its fields were not recorded: made by an '
                        'earlier release)'))
    image_id = image_ids.get(spec.image)
    if image_id and current.image_id and image_id != current.image_id:
        return Step(Act.REPLACE, spec.name, spec, current,
                    reason='image %s changed' % spec.image,
                    changes=('image',))
    if spec.is_oneshot:
        if current.state == 'exited' and current.exit_code in \
                spec.exit_codes:
            return Step(Act.KEEP, spec.name, spec, current,
                        reason='already ran')
        if current.state == 'running':
            # Started by a run that ended first (interrupted, killed): it
            # is waited on, never killed and run again (a db_sync in
            # flight must finish), as compose's hook waits on it too.
            return Step(Act.KEEP, spec.name, spec, current,
                        reason='still running from an earlier run')
        return Step(Act.REPLACE, spec.name, spec, current,
                    reason='did not finish with an accepted exit code')
    if current.state in ('running', 'restarting', 'paused'):
        return Step(Act.KEEP, spec.name, spec, current, reason='unchanged')
    if spec.may_finish and current.state == 'exited' and \
            current.exit_code in spec.exit_codes:
        return Step(Act.KEEP, spec.name, spec, current, reason='finished')
    return Step(Act.START, spec.name, spec, current,
                reason='unchanged but %s' % current.state)


def shared_with(spec):
    """Names of the containers whose namespaces or volumes ``spec``
    uses: ``net``/``pid``/``ipc`` ``container:X`` and ``volumes_from``
    ``X[:ro|:rw]``, in that order, without repeats."""
    names = []
    for mode in (spec.network_mode, spec.pid_mode, spec.ipc_mode):
        if mode and mode.startswith('container:'):
            names.append(mode[len('container:'):])
    for ref in spec.volumes_from or ():
        name, _, access = ref.rpartition(':')
        names.append(name if access in ('ro', 'rw') and name else ref)
    return list(dict.fromkeys(names))


def _follow_shared(steps, owned):
    """Replace a container that would be kept (or started) while what it
    shares (see ``shared_with``) is created or replaced, or was made after
    it (recreated behind our back): it would stay in the old container's
    namespaces, as docker-compose avoids by recreating dependents. A
    network namespace is checked by the id the engine holds too."""
    by_name = {s.name: s for s in steps if not s.spec.is_exec}
    changed = True
    while changed:                  # a chain: db -> pause -> web
        changed = False
        for name, step in list(by_name.items()):
            if step.act not in (Act.KEEP, Act.START):
                continue
            reason = _stale_because(step, by_name, owned)
            if reason:
                by_name[name] = Step(Act.REPLACE, name, step.spec,
                                     step.observed, reason=reason)
                changed = True
    return [by_name.get(s.name, s) if not s.spec.is_exec else s
            for s in steps]


def _stale_because(step, by_name, owned):
    for other in shared_with(step.spec):
        dependency = by_name.get(other)
        if dependency is None:
            continue
        if dependency.act in (Act.CREATE, Act.REPLACE):
            return 'shares %s, which is %s' % (
                other, 'replaced' if dependency.act == Act.REPLACE
                else 'created')
        current = owned.get(other)
        if current is None:
            continue
        mode = step.observed.network_mode
        if current.created > step.observed.created or (
                step.spec.network_mode == 'container:' + other
                and mode.startswith('container:')
                and mode != 'container:' + current.id):
            return 'shares %s, which was made again after it' % other
    return ''


def _stages(steps):
    """Stages by start_order; within one start_order, a container that
    shares another's namespaces or volumes (``shared_with``) comes in a
    later stage than that one, so it joins the new one."""
    def order(step):
        return step.spec.start_order
    ordered = sorted(steps, key=lambda s: (order(s), s.name))
    stages = []
    for key, group in itertools.groupby(ordered, key=order):
        group = list(group)
        levels = _levels([s for s in group if not s.spec.is_exec])
        top = max(levels.values(), default=0)
        for level in range(top + 1):
            chosen = tuple(
                s for s in group
                if (levels[s.name] == level if not s.spec.is_exec
                    else level == top))
            stages.append(Stage(key, chosen))
    return tuple(stages)


def _levels(steps):
    """{name: level}: 0 for a step that shares nothing in ``steps``,
    else one more than the highest of what it shares (a cycle stays at
    the level it reached)."""
    names = {s.name for s in steps}
    deps = {s.name: [n for n in shared_with(s.spec)
                     if n in names and n != s.name] for s in steps}
    levels = dict.fromkeys(names, 0)
    for _ in range(len(steps)):
        moved = False
        for name, needs in deps.items():
            level = max((levels[n] + 1 for n in needs), default=0)
            if level > levels[name]:
                levels[name] = level
                moved = True
        if not moved:
            break
    return levels


def graph(plan):
    """The plan as a dependency graph: [(step, needs)], ``needs`` the
    indexes (into the list, which is ``plan.steps`` in order) of the steps
    that must have succeeded first. Removals need nothing; every other
    step needs every removal and every step of a lower start_order (a
    start_order is a barrier, as in paunch); a run step also needs the
    steps of its own start_order whose namespaces or volumes it shares
    (``shared_with``), and an exec step the run steps of its start_order
    and the exec step before it (exec steps run one after another, in name
    order)."""
    placed = [(None, s) for s in plan.removals]
    for stage in plan.stages:
        placed.extend((stage.order, s) for s in stage.steps)
    removals = frozenset(range(len(plan.removals)))
    index = {}
    for i, (order, step) in enumerate(placed):
        if order is not None:
            index.setdefault((order, step.name), i)
    out = []
    last_exec = {}
    for i, (order, step) in enumerate(placed):
        if order is None:
            out.append((step, frozenset()))
            continue
        needs = set(removals)
        needs.update(j for j, (o, _) in enumerate(placed)
                     if o is not None and o < order)
        if step.act == Act.EXEC:
            needs.update(j for j, (o, s) in enumerate(placed)
                         if o == order and s.act != Act.EXEC)
            if order in last_exec:
                needs.add(last_exec[order])
            last_exec[order] = i
        elif step.spec is not None:
            needs.update(index[(order, name)] for name in shared_with(
                step.spec) if (order, name) in index and name != step.name)
        out.append((step, frozenset(needs)))
    return out


def delete(observed, owner):
    """Plan a DELETE: remove every container of this owner."""
    return Plan(removals=tuple(
        Step(Act.REMOVE, name, observed=c, reason='deployment deleted')
        for name, c in sorted(_owned(observed, owner).items())))


def suspend(observed, owner):
    """Plan a SUSPEND: stop this owner's running containers, in parallel."""
    return Plan(stages=(Stage(0, tuple(
        Step(Act.STOP, name, observed=c, reason='suspended')
        for name, c in sorted(_owned(observed, owner).items())
        if c.running)),))


def resume(desired, observed, owner):
    """Plan a RESUME: start this owner's long-running containers that are
    stopped, in the config's start_order."""
    orders = {s.name: s.start_order for s in desired}
    oneshots = {s.name for s in desired if s.is_oneshot}
    steps = [Step(Act.START, name, observed=c, reason='resumed')
             for name, c in _owned(observed, owner).items()
             if not c.running and name not in oneshots]
    steps.sort(key=lambda s: (orders.get(s.name, 0), s.name))
    return Plan(stages=tuple(
        Stage(key, tuple(group)) for key, group in itertools.groupby(
            steps, key=lambda s: orders.get(s.name, 0))))
