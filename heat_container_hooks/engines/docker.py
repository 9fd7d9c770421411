"""The Docker engine adapter: observes one owner's containers, plans
(plan.py, pure) and says what each step does on the Engine API (the SDK's
low-level client over one connection pool); the shared executor
(engines/executor.py) carries the plan's graph out, waits and reports.

The podman engine reuses this adapter over podman's Docker-compatible API:
construct it with that engine's ``access`` (dockerapi.EngineAccess) and
override ``create_arguments`` and ``wait`` to adjust the create arguments
and the wait.
"""

import threading

from oslo_log import log as logging

from heat_container_hooks import deployment as deployment_mod
from heat_container_hooks import dockerapi
from heat_container_hooks.engines import docker_args
from heat_container_hooks.engines import executor
from heat_container_hooks.engines import images
from heat_container_hooks import interrupt
from heat_container_hooks import labels as labels_mod
from heat_container_hooks import outcome as outcome_mod
from heat_container_hooks import plan as plan_mod

LOG = logging.getLogger(__name__)
Action = deployment_mod.Action
Act = plan_mod.Act


create_kwargs = docker_args.create_kwargs


class DockerEngine:
    """Carries out plans for one owner on one engine."""

    def __init__(self, settings, api=None, access=None):
        self.settings = settings
        # Observing goes through the light reader when the engine is a
        # local socket; the SDK client is made only when there is something
        # to change (see LocalReader).
        self.access = access or dockerapi.EngineAccess(settings, api)
        # Engine calls of run steps in flight at once (see _run_step).
        self.slots = threading.BoundedSemaphore(settings.engine_workers)

    @property
    def api(self):
        return self.access.api

    @property
    def reader(self):
        return self.access.reader

    def close(self):
        self.access.close()

    # -- observing ---------------------------------------------------------

    def observe(self):
        return self.access.read(dockerapi.observe)

    def observe_owner(self, owner):
        return self.access.read(lambda api: dockerapi.observe(api, [
            '%s=%s' % (labels_mod.MANAGED_BY, owner.managed_by),
            '%s=%s' % (labels_mod.OWNER, owner.key)]))

    # -- carrying out ------------------------------------------------------

    def plan(self, owner, desired, action, result, pull=True):
        """The plan_mod.Plan of one deployment action (an Action) from
        one observation of the engine. ``pull=False`` (``heat-container-hooks
        plan``) only reads: images that would be pulled are noted in
        ``result`` (an Outcome) instead. Raises HookError or an engine
        error."""
        if action is Action.DELETE:
            return plan_mod.delete(self.observe_owner(owner), owner)
        if action is Action.SUSPEND:
            return plan_mod.suspend(self.observe_owner(owner), owner)
        if action is Action.RESUME:
            return plan_mod.resume(desired, self.observe_owner(owner), owner)
        observed = self.observe()
        image_ids = images.resolve(self.access, self.settings, desired,
                                   result.notes, pull=pull)
        return plan_mod.apply(desired, observed, owner, image_ids)

    def converge(self, owner, config_id, desired, action):
        """Observe, plan and carry out one deployment action; an
        Outcome."""
        def work(result):
            plan = self.plan(owner, desired, action, result)
            LOG.info('plan for %s: %s', owner.key, ', '.join(
                '%s %s' % (s.act, s.name) for s in plan.steps)
                or 'nothing to do')
            self.execute(plan, owner, config_id, result)
        return executor.carry_out(work)

    def preview(self, owner, desired, action):
        """(steps, notes) that ``converge`` would carry out now, touching
        nothing (see ``plan``)."""
        result = outcome_mod.Outcome()
        return executor.read_only(lambda: (self.plan(
            owner, desired, action, result, pull=False).steps,
            result.notes), self.close)

    def execute(self, plan, owner, config_id, result):
        """Carry a Plan out on the shared executor (its dependency graph,
        plan.graph), then check the started containers once more."""
        graph = plan_mod.graph(plan)
        results = executor.run(
            [executor.Node(i, step, needs)
             for i, (step, needs) in enumerate(graph)],
            lambda step: self._carry(step, owner, config_id))
        result.results.extend(results)
        if executor.first_error(results) is None:
            executor.settle(
                lambda: self.api, self.settings.settle_time, results, {
                    r.id: executor.Promise.of_spec(step.spec)
                    for r, (step, _) in zip(results, graph) if r.id})

    def _carry(self, step, owner, config_id):
        if step.act == Act.REMOVE:
            return self._remove(step)
        if step.act == Act.EXEC:
            return self._exec(step)
        return self._run_step(step, owner, config_id)

    def _grace(self, spec=None, observed=None):
        """Seconds to give a container to stop: its config's, else the
        one recorded on it when it was created, else the option."""
        if spec is not None and spec.stop_grace_period is not None:
            return spec.stop_grace_period
        if observed is not None:
            recorded = observed.labels.get(labels_mod.STOP_GRACE, '')
            if recorded.isdigit():
                return int(recorded)
        return self.settings.stop_grace_period

    def _remove(self, step):
        ident = step.observed.id
        with interrupt.step('removing container %s' % step.name):
            if step.observed.running:
                self.api.stop(ident,
                              timeout=self._grace(observed=step.observed))
            self._remove_container(ident)
        return outcome_mod.ContainerResult(step.name, Act.REMOVE,
                                           id=ident, state='removed',
                                           reason=step.reason)

    def _remove_container(self, ident):
        dockerapi.remove(self.api, ident)

    def _run_step(self, step, owner, config_id):
        """Carry one step out; its ContainerResult. Its engine calls
        (stop, remove, create, start) hold one of ``engine_workers`` slots;
        waiting until the container is ready (or a one-shot has exited)
        does not, so a service that takes a while to become healthy does
        not hold up the creation of the others."""
        # The whole step is "starting" it (an interruption between its
        # engine calls and its wait names it); inner steps name more.
        with interrupt.step('starting container %s' % step.name):
            with self.slots:
                done = self._act(step, owner, config_id)
            if isinstance(done, outcome_mod.ContainerResult):
                return done
            return self._wait_started(step, done)

    def _act(self, step, owner, config_id):
        """The engine calls of a step: a ContainerResult when that is all
        of it, else the id of the container it started."""
        act = step.act
        if act == Act.KEEP:
            current = step.observed
            if executor.needs_wait(act, current.state, current.health,
                                   executor.Promise.of_spec(step.spec)):
                # Started by a run that ended before it was ready or, for
                # a one-shot, had exited (an interrupted or killed run):
                # this run finishes the wait.
                return current.id
            return outcome_mod.ContainerResult(
                step.name, act, id=current.id, state=current.state,
                exit_code=current.exit_code if step.spec.is_oneshot else None,
                reason=step.reason)
        if act == Act.STOP:
            self.api.stop(step.observed.id,
                          timeout=self._grace(observed=step.observed))
            return outcome_mod.ContainerResult(
                step.name, act, id=step.observed.id, state='exited',
                reason=step.reason)
        if act == Act.START:
            return self._start(step, step.observed.id)
        if act == Act.REPLACE:
            with interrupt.step('removing container %s to replace it'
                                % step.name):
                self.api.stop(step.observed.id,
                              timeout=self._grace(observed=step.observed))
                self._remove_container(step.observed.id)
        spec = step.spec
        container_labels = labels_mod.for_container(
            owner, config_id, spec.name, spec.state_label(),
            self._grace(spec))
        with interrupt.step('creating container %s' % step.name):
            ident = self._create(spec, owner, container_labels)
        return self._start(step, ident)

    def _create(self, spec, owner, container_labels, patience=30):
        """Create the container (docker_args.create); its id."""
        return docker_args.create(
            self.api, self.create_arguments(spec, container_labels), owner,
            patience)

    def _start(self, step, ident):
        """Start the container ``ident``; its id. One this run created
        that the engine cannot start (an unknown user, a missing
        executable) is removed before the error is raised, so no partial
        state is left (``docker run`` leaves it in the Created state)."""
        with interrupt.step('starting container %s' % step.name):
            try:
                self.api.start(ident)
            except dockerapi.engine_errors():
                if step.act in (Act.CREATE, Act.REPLACE):
                    try:
                        self._remove_container(ident)
                    except dockerapi.engine_errors():
                        LOG.warning('could not remove container %s, which '
                                    'did not start', step.name)
                raise
        return ident

    def create_arguments(self, spec, container_labels):
        """The ``create_container`` arguments of a spec (see
        docker_args.create_kwargs); a dialect of another engine overrides
        this to adjust them."""
        return docker_args.create_kwargs(self.api, spec, container_labels,
                                         self.settings)

    def wait(self, item, promise):
        """Wait for ``item``'s container to keep its executor.Promise
        (executor.wait); another engine's dialect may override this."""
        return executor.wait(self.api, self.settings, item, promise)

    def _wait_started(self, step, ident):
        return self.wait(outcome_mod.ContainerResult(
            step.name, step.act, id=ident, reason=step.reason,
            changes=step.changes), executor.Promise.of_spec(step.spec))

    def _exec(self, step):
        spec = step.spec
        import docker.errors
        try:
            info = self.api.inspect_container(spec.exec_target)
        except docker.errors.NotFound:
            info = None
        status = dockerapi.state_of(info)[0] if info else 'missing'
        result = outcome_mod.ContainerResult(
            step.name, Act.EXEC, id=info['Id'] if info else '',
            state=status, reason=step.reason)
        if status != 'running':
            result.error = ('exec target %s is %s, not running (fix: run it '
                            'in an earlier start_order)'
                            % (spec.exec_target, status))
            return result
        with interrupt.step('running exec %s in container %s'
                            % (step.name, spec.exec_target)):
            done = dockerapi.run_exec(
                self.api, info['Id'], spec.command,
                self.settings.exec_timeout, user=spec.user,
                privileged=spec.privileged, environment=[
                    '%s=%s' % p for p in spec.environment] or None)
        if done is None:
            result.error = ('exec %s in %s still running after %gs (fix: '
                            'raise exec_timeout)' % (
                                step.name, spec.exec_target,
                                self.settings.exec_timeout))
            return result
        result.stdout, result.stderr, code = done
        result.state, result.exit_code = 'exited', code
        if code not in spec.exit_codes:
            result.error = ('exec %s in %s exited with code %s, not one of %s'
                            % (step.name, spec.exec_target, code,
                               ', '.join(map(str, spec.exit_codes))))
        return result

    # -- cleanup -----------------------------------------------------------

    def remove_all(self, containers):
        """Stop and remove containers, all at once (cleanup)."""
        steps = [plan_mod.Step(Act.REMOVE, c.config_name, observed=c,
                               reason='deployment gone')
                 for c in containers]
        return executor.in_parallel(steps, self._remove)
