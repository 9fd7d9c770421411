"""The Docker engine adapter: carries a Plan out through the Engine API
(the SDK's low-level client over one connection pool), in parallel where
containers do not depend on each other, and waits for real success.
"""

import concurrent.futures
import threading
import time

from oslo_log import log as logging

from heat_container_hooks import deployment as deployment_mod
from heat_container_hooks import dockerapi
from heat_container_hooks import errors
from heat_container_hooks import interrupt
from heat_container_hooks import labels as labels_mod
from heat_container_hooks import outcome as outcome_mod
from heat_container_hooks import plan as plan_mod
from heat_container_hooks import registry

LOG = logging.getLogger(__name__)
Action = deployment_mod.Action
Act = plan_mod.Act

# Steps in flight at once (stops, removals and waits mostly wait).
WIDE_WORKERS = 64


def create_kwargs(api, spec, container_labels, settings):
    """Arguments of ``create_container`` for a spec (no side effects)."""
    binds, anonymous = [], []
    for volume in spec.volumes:
        if ':' in volume:
            binds.append(volume)
        else:
            anonymous.append(volume)
    ports, bindings = _ports(spec.ports)
    host_config = {
        'binds': binds or None,
        'port_bindings': bindings or None,
        'privileged': spec.privileged,
        'network_mode': spec.network_mode,
        'pid_mode': spec.pid_mode,
        'ipc_mode': spec.ipc_mode,
        'uts_mode': spec.uts_mode,
        'volumes_from': list(spec.volumes_from) or None,
        'restart_policy': _restart_policy(spec.restart),
        'cap_add': list(spec.cap_add) or None,
        'cap_drop': list(spec.cap_drop) or None,
        'security_opt': list(spec.security_opt) or None,
        'ulimits': [{'Name': n, 'Soft': s, 'Hard': h}
                    for n, s, h in spec.ulimits] or None,
        'log_config': ({'type': '', 'config': {'tag': spec.log_tag}}
                       if spec.log_tag else None),
        'cpu_shares': spec.cpu_shares,
        'cpuset_cpus': spec.cpuset_cpus,
        'pids_limit': spec.pids_limit,
        'mem_limit': spec.mem_limit,
        'memswap_limit': spec.memswap_limit,
        'mem_swappiness': spec.mem_swappiness,
        'extra_hosts': dict(spec.extra_hosts) or None,
        'group_add': list(spec.group_add) or None,
    }
    host_config = {k: v for k, v in host_config.items()
                   if v is not None and v is not False}
    healthcheck = None
    if spec.healthcheck:
        check = spec.healthcheck
        healthcheck = {'test': list(check.test)}
        for key in ('interval', 'timeout', 'start_period'):
            value = getattr(check, key)
            if value is not None:
                healthcheck[key] = int(value * 1e9)
        if check.retries is not None:
            healthcheck['retries'] = check.retries
    stop_timeout = (spec.stop_grace_period
                    if spec.stop_grace_period is not None
                    else settings.stop_grace_period)
    kwargs = {
        'image': spec.image,
        'command': list(spec.command) if spec.command is not None else None,
        'name': spec.name,
        'environment': ['%s=%s' % pair for pair in spec.environment] or None,
        'labels': dict(spec.labels, **container_labels),
        'host_config': api.create_host_config(**host_config),
        'volumes': anonymous or None,
        'ports': ports or None,
        'user': spec.user,
        'hostname': spec.hostname,
        'working_dir': spec.working_dir,
        'entrypoint': (list(spec.entrypoint) if spec.entrypoint is not None
                       else None),
        'stdin_open': spec.interactive,
        'tty': spec.tty,
        'healthcheck': healthcheck,
        'stop_signal': spec.stop_signal,
        'stop_timeout': stop_timeout,
        'detach': True,
    }
    return {k: v for k, v in kwargs.items() if v is not None}


def _ports(items):
    ports, bindings = [], {}
    for item in items:
        text, _, proto = item.partition('/')
        parts = text.split(':')
        container = parts[-1]
        key = '%s/%s' % (container, proto) if proto else container
        ports.append((container, proto) if proto else container)
        if len(parts) == 2:
            bindings[key] = parts[0] or None
        elif len(parts) == 3:
            bindings[key] = (parts[0], parts[1] or None)
    return ports, bindings


def _restart_policy(restart):
    if not restart or restart == 'no':
        return None
    name, _, count = restart.partition(':')
    policy = {'Name': name}
    if count:
        policy['MaximumRetryCount'] = int(count)
    return policy


class DockerEngine:
    """Carries out plans for one owner on one engine."""

    def __init__(self, settings, api=None):
        self.settings = settings
        # Observing goes through the light reader when the engine is a
        # local socket; the SDK client is made only when there is something
        # to change (see LocalReader).
        self.access = dockerapi.EngineAccess(settings, api)
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

    def _images(self, specs, result, pull=True):
        """{ref: image id} of the run containers' images, after pulling
        what their pull policies ask for (registry.needs); with
        ``pull=False`` (a preview) nothing is pulled and what would be is
        noted in ``result.notes``. Raises HookError before anything is
        touched when an image cannot be had."""
        image_needs = registry.needs(specs, self.settings.pull)
        if not image_needs:
            return {}
        refs = sorted(image_needs)
        ids = self.access.read(lambda api: dockerapi.image_ids(api, refs))
        pulls, problems = registry.to_pull(image_needs, ids)
        if problems:
            raise errors.EngineError('; '.join(problems))
        if not pull:
            result.notes.extend('would pull image %s' % ref for ref in pulls)
        if not pulls or not pull:
            return ids
        credentials = registry.load_credentials(
            self.settings.registry_auth_file)
        with interrupt.step('pulling images %s' % ', '.join(pulls)):
            dockerapi.pull_images(self.api, pulls, credentials, present=ids)
        result.notes.extend('pulled image %s' % ref for ref in pulls)
        return dockerapi.image_ids(self.api, refs)

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
        image_ids = self._images(desired, result, pull=pull)
        return plan_mod.apply(desired, observed, owner, image_ids)

    def converge(self, owner, config_id, desired, action):
        """Observe, plan and carry out one deployment action."""
        result = outcome_mod.Outcome()
        try:
            plan = self.plan(owner, desired, action, result)
            LOG.info('plan for %s: %s', owner.key, ', '.join(
                '%s %s' % (s.act, s.name) for s in plan.steps)
                or 'nothing to do')
            self.execute(plan, owner, config_id, result)
        except errors.HookError as exc:
            result.error = result.error or exc
        except dockerapi.engine_errors() as exc:
            result.error = dockerapi.engine_failure(exc)
        return result

    def preview(self, owner, desired, action):
        """(steps, notes) that ``converge`` would carry out now, touching
        nothing (see ``plan``)."""
        result = outcome_mod.Outcome()
        try:
            return self.plan(owner, desired, action, result,
                             pull=False).steps, result.notes
        except dockerapi.engine_errors() as exc:
            raise dockerapi.engine_failure(exc)
        finally:
            self.close()

    def execute(self, plan, owner, config_id, result):
        started, finishing = [], {}
        results = self._parallel(self._remove, plan.removals)
        result.results.extend(results)
        if self._first_error(results, result):
            return
        for stage in plan.stages:
            results = self._parallel(
                lambda step: self._run_step(step, owner, config_id),
                stage.run_steps)
            result.results.extend(results)
            started.extend(r for r, s in zip(results, stage.run_steps)
                           if r.act in (Act.CREATE, Act.REPLACE,
                                        Act.START)
                           and not (s.spec and s.spec.is_oneshot) and r.id)
            finishing.update((r.id, s.spec.exit_codes)
                             for r, s in zip(results, stage.run_steps)
                             if s.spec and s.spec.may_finish and r.id)
            if self._first_error(results, result):
                return
            for step in stage.exec_steps:
                exec_result = self._exec(step)
                result.results.append(exec_result)
                if self._first_error([exec_result], result):
                    return
        self._settle(started, result, finishing)

    def _parallel(self, func, steps):
        """Run func over steps, up to WIDE_WORKERS at once: stops and
        waits spend their time waiting (N slow stops take the longest grace
        period, not their sum; N services take the slowest to be ready);
        the engine work of run steps is bounded by ``engine_workers``
        (see _run_step)."""
        # Settled steps (plan.Step.settled: a kept container that needs
        # nothing) run here: an UPDATE of one of 200 containers would
        # otherwise start 64 threads for 199 no-ops.
        settled = [getattr(s, 'settled', False) for s in steps]
        if settled.count(False) <= 1:
            return [self._guard(func, s) for s in steps]
        workers = min(settled.count(False), WIDE_WORKERS)
        pool = concurrent.futures.ThreadPoolExecutor(workers)
        try:
            futures = [None if done else pool.submit(self._guard, func, s)
                       for s, done in zip(steps, settled)]
            inline = [self._guard(func, s) if done else None
                      for s, done in zip(steps, settled)]
            return [f.result() if f is not None else r
                    for f, r in zip(futures, inline)]
        finally:
            interrupt.shutdown(pool)

    def _guard(self, func, step):
        try:
            return func(step)
        except dockerapi.ContainerFailed as exc:
            return outcome_mod.ContainerResult(
                step.name, step.act, error=str(exc),
                exit_code=exc.exit_code, reason=step.reason)
        except errors.HookError as exc:
            return outcome_mod.ContainerResult(
                step.name, step.act, error=str(exc), reason=step.reason)
        except dockerapi.engine_errors() as exc:
            return outcome_mod.ContainerResult(
                step.name, step.act, reason=step.reason,
                error='container %s: engine error: %s'
                % (step.name, dockerapi.reason(exc)))

    @staticmethod
    def _first_error(results, result):
        for item in results:
            if item.failed:
                status = item.exit_code if item.exit_code else 1
                result.error = errors.HookError(item.error, status=status)
                return True
        return False

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
            if not step.settled:
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
            owner, config_id, spec.name, spec.fingerprint(), self._grace(spec))
        with interrupt.step('creating container %s' % step.name):
            ident = self._create(spec, owner, container_labels)
        return self._start(step, ident)

    def _create(self, spec, owner, container_labels, patience=30):
        """Create the container; its id. A name conflict with a container
        of this owner (a create that a killed run left in flight, a removal
        still in progress) is waited out or taken over, never duplicated;
        one with anybody else's container fails naming it."""
        import docker.errors
        kwargs = create_kwargs(self.api, spec, container_labels,
                               self.settings)
        deadline = time.monotonic() + patience
        while True:
            try:
                return self.api.create_container(**kwargs)['Id']
            except docker.errors.APIError as exc:
                if exc.status_code != 409 or time.monotonic() > deadline:
                    raise
            try:
                info = self.api.inspect_container(spec.name)
            except docker.errors.NotFound:
                info = None     # being created or removed: wait
            state = ((info or {}).get('State') or {}).get('Status')
            if info is not None and state in ('removing', 'dead'):
                self._remove_container(info['Id'])
            elif info is not None:
                found = (info.get('Config') or {}).get('Labels') or {}
                if not labels_mod.owned_by(found, owner):
                    raise errors.HookError(
                        'container %s already exists and is not managed by '
                        'this deployment (managed_by=%s, owner=%s) (fix: '
                        'remove or rename that container, or rename this '
                        'one)' % (spec.name, found.get(labels_mod.MANAGED_BY,
                                                       '-'),
                                  found.get(labels_mod.OWNER, '-')))
                if found.get(labels_mod.FINGERPRINT) == \
                        container_labels[labels_mod.FINGERPRINT]:
                    LOG.info('container %s was created by an earlier run '
                             'of this deployment; using it', spec.name)
                    return info['Id']
                self._remove_container(info['Id'])
            time.sleep(0.2)

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

    def _wait_started(self, step, ident):
        spec = step.spec
        if spec is not None and spec.is_oneshot:
            return self._finish_oneshot(step, ident)
        status, health = dockerapi.wait_ready(
            self.api, ident, step.name,
            start_timeout=self.settings.start_timeout,
            healthy_timeout=self.settings.healthy_timeout,
            probe_period=self.settings.health_probe_period,
            finished_codes=spec.exit_codes if spec and spec.may_finish
            else ())
        return outcome_mod.ContainerResult(step.name, step.act,
                                           id=ident, state=status,
                                           health=health, reason=step.reason)

    def _finish_oneshot(self, step, ident):
        spec = step.spec
        code = dockerapi.wait_exit(self.api, ident, step.name,
                                   self.settings.oneshot_timeout)
        out, err = dockerapi.split_logs(self.api, ident)
        result = outcome_mod.ContainerResult(
            step.name, step.act, id=ident, state='exited',
            exit_code=code, stdout=out, stderr=err, reason=step.reason)
        if code not in spec.exit_codes:
            result.error = ('container %s exited with code %s, not one of %s'
                            % (step.name, code,
                               ', '.join(map(str, spec.exit_codes))))
        if spec.remove:
            self._remove_container(ident)
            result.state = 'removed'
        return result

    def _exec(self, step):
        spec = step.spec
        import docker.errors
        try:
            info = self.api.inspect_container(spec.exec_target)
        except docker.errors.NotFound:
            info = None
        status = dockerapi.state_of(info)[0] if info else 'missing'
        if status != 'running':
            return outcome_mod.ContainerResult(
                step.name, Act.EXEC, state=status, reason=step.reason,
                error='exec target %s is %s, not running (fix: run it '
                      'in an earlier start_order)' % (spec.exec_target,
                                                      status))
        created = self.api.exec_create(
            info['Id'], list(spec.command), user=spec.user or '',
            privileged=spec.privileged,
            environment=['%s=%s' % p for p in spec.environment] or None)
        # Its own daemon thread, not the pool: on a timeout the run goes on
        # (and ends) without waiting for the exec, which is left running.
        done = {}

        def run_exec():
            try:
                done['output'] = self.api.exec_start(created['Id'],
                                                     demux=True)
            except Exception as exc:    # raised below, in this thread
                done['error'] = exc
        worker = threading.Thread(target=run_exec, daemon=True)
        worker.start()
        with interrupt.step('running exec %s in container %s'
                            % (step.name, spec.exec_target)):
            worker.join(self.settings.exec_timeout)
        if 'error' in done:
            raise done['error']
        if worker.is_alive():
            return outcome_mod.ContainerResult(
                step.name, Act.EXEC, id=info['Id'], reason=step.reason,
                error='exec %s in %s still running after %gs (fix: raise '
                      'exec_timeout)' % (step.name, spec.exec_target,
                                         self.settings.exec_timeout))
        out, err = done['output']
        code = dockerapi.exec_exit_code(self.api, created['Id'])
        result = outcome_mod.ContainerResult(
            step.name, Act.EXEC, id=info['Id'], state='exited',
            exit_code=code, reason=step.reason,
            stdout=(out or b'').decode('utf-8', 'replace'),
            stderr=(err or b'').decode('utf-8', 'replace'))
        if code not in spec.exit_codes:
            result.error = ('exec %s in %s exited with code %s, not one of %s'
                            % (step.name, spec.exec_target, code,
                               ', '.join(map(str, spec.exit_codes))))
        return result

    def _settle(self, started, result, finishing):
        """Fail the run if a container it started exits within
        settle_time (but one that may finish, with an accepted code:
        ``finishing`` maps its id to its exit codes)."""
        if not started:
            return
        with interrupt.step('checking the started containers once more'):
            self._first_error(dockerapi.settle(
                self.api, started, self.settings.settle_time, finishing),
                result)

    # -- cleanup -----------------------------------------------------------

    def remove_all(self, containers):
        """Stop and remove containers, all at once (cleanup)."""
        steps = [plan_mod.Step(Act.REMOVE, c.config_name, observed=c,
                               reason='deployment gone')
                 for c in containers]
        return self._parallel(self._remove, steps)
