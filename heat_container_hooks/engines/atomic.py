"""The atomic engine adapter: images that carry their own commands in
their ``INSTALL``, ``RUN``, ``UNINSTALL`` and ``STOP`` labels, run by one
of three runners (atomic_runner), with their state in records on the
engine (atomic_records). It observes the owner's records, plans (pure:
``plan_units``), and the shared executor carries the steps out in
start_order, waits for every container RUN made or kept, and settles.
"""

import dataclasses

from oslo_log import log as logging

from heat_container_hooks import deployment as deployment_mod
from heat_container_hooks import dockerapi
from heat_container_hooks.engines import atomic_plan
from heat_container_hooks.engines import atomic_records as records_mod
from heat_container_hooks.engines import atomic_runner as runner_mod
from heat_container_hooks.engines import executor
from heat_container_hooks import errors
from heat_container_hooks.formats import atomic as fmt
from heat_container_hooks import labels as labels_mod
from heat_container_hooks import outcome as outcome_mod

LOG = logging.getLogger(__name__)
Action = deployment_mod.Action
Act = outcome_mod.Act
Result = outcome_mod.ContainerResult
R_IMAGE_ID = records_mod.R_IMAGE_ID
R_CONTAINER = records_mod.R_CONTAINER
DELETED, SUSPENDED = atomic_plan.DELETED, atomic_plan.SUSPENDED


def unit_from_spec(spec):
    """The atomic config that runs a ContainerSpec: INSTALL if the image
    has one, then RUN (atomic's default run command when the image has no
    RUN label), the spec's command appended to RUN as atomic run does."""
    return fmt.AtomicConfig(image=spec.image, command='run', name=spec.name,
                            privileged=spec.privileged,
                            environment=tuple(spec.environment),
                            run_args=tuple(spec.command or ()))


def converge_specs(specs, owner, config_id, settings, conf, action,
                   runner=None, preview=False):
    """Carry ContainerSpecs out through the label protocol on the chosen
    runner (for the neutral ``container`` group); the specs' start_order
    orders them. The specs' environment (already resolved, inputs
    included) becomes the label commands' environment. Raises
    InvalidDeployment, touching nothing, for a spec field the protocol
    cannot honour. Returns an Outcome, or with ``preview`` the (steps,
    notes) a run would carry out."""
    runner = runner or runner_mod.choose_runner(conf)
    action = Action(action)
    if action not in (Action.DELETE, Action.SUSPEND):
        runner_mod.spec_problems(specs, runner).raise_if_any()
    units = [unit_from_spec(s) for s in specs]
    orders = {s.name: s.start_order for s in specs}
    engine = AtomicEngine(settings, conf, runner)
    if preview:
        return engine.preview(owner, units, action, orders=orders)
    try:
        return engine.converge(owner, config_id, units, action,
                               orders=orders)
    finally:
        engine.close()


def cleanup(group, items, conf, managed_by=None, runner=None):
    """Uninstall what this group installed for deployments no longer in the
    heat-config list (this managed_by only). Never raises."""
    from heat_container_hooks import cleanup as cleanup_mod
    from heat_container_hooks import conf as conf_mod
    settings = conf_mod.settings_for(
        conf, group, {'managed_by': managed_by} if managed_by else {})
    keys, ids = cleanup_mod.current_owners(group, items, conf)
    try:
        engine = AtomicEngine(settings, conf,
                              runner or runner_mod.choose_runner(conf))
    except Exception as exc:
        return ['cannot clean up: %s' % exc]
    try:
        return executor.clean_up(
            cleanup_mod.stale(engine.records.list(), settings.managed_by,
                              keys, ids),
            lambda record, result: result.results.append(
                engine.uninstall(record, None, result)),
            lambda record: record.config_name)
    except Exception as exc:
        return ['cleanup failed: %s' % exc]
    finally:
        engine.close()


class AtomicEngine:
    """Installs, runs, stops and uninstalls images through their labels,
    for one owner, on one runner; the records live on the runner's engine
    (Docker, or podman's API for the podman runner)."""

    def __init__(self, settings, conf, runner):
        if runner not in runner_mod.RUNNERS:
            raise errors.HookError('unknown atomic runner %r (fix: set '
                                   '[atomic] runner to one of auto, %s)'
                                   % (runner, ', '.join(runner_mod.RUNNERS)))
        self.settings = settings
        self.opts = conf.atomic
        self.runner = runner
        self.api, self.service, self.state_url = runner_mod.connect(
            settings, self.opts, runner)
        self.records = records_mod.Records(self.api, settings)
        self.commands = runner_mod.LabelCommands(settings, self.opts, runner,
                                                 self.state_url)

    def close(self):
        self.api.close()
        if self.service is not None:
            self.service.close()
            self.service = None

    def plan(self, owner, units, action, default_name=None, env=(),
             orders=None, notes=None):
        """Observe the owner's records and plan (plan_units). Images are
        pulled first unless ``notes`` is a list (a preview): then nothing
        is pulled and what would be is noted there."""
        records = self.records.list(owner)
        refs = sorted({u.image for u in units if u.command in
                       ('install', 'run') and u.image})
        if action in (Action.DELETE, Action.SUSPEND) or not refs:
            ids = {}
        elif notes is None:
            ids = dockerapi.ensure_images(self.api, refs)
        else:
            ids = dockerapi.image_ids(self.api, refs)
            notes.extend('would pull image %s' % r for r in refs
                         if r not in ids)
        return atomic_plan.plan_units(units, records, action, ids, env,
                                      orders, default_name)

    def preview(self, owner, units, action, default_name=None, env=(),
                orders=None):
        """(steps, notes) ``converge`` would carry out now; touches none."""
        notes = []
        return executor.read_only(lambda: ([self._as_run_sees(s) for s, _ in
                                            self.plan(owner, units, action,
                                                      default_name, env,
                                                      orders, notes)],
                                           notes), self.close)

    def _as_run_sees(self, step):
        """A kept unit whose container is stopped: a run starts it."""
        current = step.act == Act.KEEP and step.observed.labels.get(
            R_CONTAINER) and self.records.ours(step.observed)
        if current and dockerapi.state_of(current)[0] not in ('running',
                                                              'restarting'):
            return dataclasses.replace(step, act=Act.START, reason='stopped')
        return step

    def converge(self, owner, config_id, units, action, default_name=None,
                 env=(), orders=None):
        """Observe the owner's records, plan and carry one action out on
        the executor; an Outcome."""
        def work(result):
            graph = self.plan(owner, units, action, default_name, env,
                              orders)
            results = executor.run(
                [executor.Node(i, s, needs)
                 for i, (s, needs) in enumerate(graph)],
                lambda step: self._carry(step, owner, config_id, env,
                                         result))
            result.results.extend(results)
            if executor.first_error(results) is None:
                executor.settle(lambda: self.api, self.settings.settle_time,
                                results, {})
        return executor.carry_out(work, 'the container engine')

    def _carry(self, step, owner, config_id, env, result):
        unit, record = step.spec, step.observed
        if step.act == Act.REMOVE:
            return self.uninstall(record, unit, result, env,
                                  '' if step.reason == DELETED
                                  else step.reason)
        if step.act == Act.STOP:
            current = self.records.ours(record) if record else None
            if step.reason != SUSPENDED:        # a config's command: stop
                return self._stop(step.name, unit.image, unit, result, env,
                                  current)
            if current is None:
                return Result(step.name, Act.STOP, state='no container')
            return self._stop(step.name, record.labels.get(R_IMAGE_ID),
                              unit, result, env, current)
        if step.act == Act.UNINSTALL:
            if record is not None:
                return self.uninstall(record, unit, result, env)
            _, labels = self.records.image_labels(unit.image)
            if 'UNINSTALL' in labels:
                self.commands.label(result, 'UNINSTALL', labels['UNINSTALL'],
                                    unit.image, unit, env)
            return Result(step.name, Act.UNINSTALL)
        if step.act == Act.KEEP:
            return self._keep(record, unit, result, env)
        return self._install(step, owner, config_id, env, result)

    def _install(self, step, owner, config_id, env, result):
        unit, record = step.spec, step.observed
        image_id = dockerapi.ensure_images(self.api, [unit.image])[unit.image]
        if record is not None:
            if record.labels.get(R_IMAGE_ID) != image_id:
                # A new image: the old one is uninstalled first.
                done = self.uninstall(record, unit, result, env,
                                      reason='image changed')
                if done.failed:
                    return done
            else:
                current = self.records.ours(record)
                if current is not None:
                    self.records.remove(current['Id'])
                self.records.remove(record.id)
        self.records.check_free(owner, unit.name)
        _, labels = self.records.image_labels(image_id)
        install = unit.command in ('install', 'run') and 'INSTALL' in labels
        cid, failure = self.records.run_recorded(
            self.commands, owner, config_id, unit, image_id, unit.fingerprint(
                image_id, list(env) + list(unit.environment)), labels, env,
            result, install)
        item = Result(step.name, step.act, id=cid, reason=step.reason,
                      state='' if cid else 'no container')
        if failure is not None:
            item.error = str(failure)
            item.exit_code = getattr(failure, 'exit_code', None)
            if cid:
                item.state = dockerapi.state_of(
                    self.records.inspect(cid) or {})[0]
            return item
        return self._wait(item) if cid else item

    def _keep(self, record, unit, result, env):
        name = record.config_name
        cid = record.labels.get(R_CONTAINER)
        if not cid:
            return Result(name, Act.KEEP, state='no container')
        current = self.records.ours(record)
        if current is not None:
            state, health, _ = dockerapi.state_of(current)
            if state in ('running', 'restarting'):
                item = Result(name, Act.KEEP, id=cid, state=state,
                              health=health)
                # Started by a run that ended before it was ready: this
                # run finishes the wait.
                return self._wait(item) if executor.needs_wait(
                    Act.KEEP, state, health, executor.Promise()) else item
            self.api.start(cid)
            return self._wait(Result(name, Act.START, id=cid))
        # Our container is gone: RUN again (the image stays installed).
        if self.records.inspect(name) is not None:
            return Result(
                name, Act.KEEP, error='container %s is no longer the one this '
                'deployment ran (fix: remove it, then run the deployment '
                'again)' % name)
        image_id = record.labels.get(R_IMAGE_ID)
        _, labels = self.records.image_labels(image_id)
        self.records.remove(record.id)
        new, failure = self.records.run_recorded(
            self.commands, records_mod.owner_of(record),
            record.labels.get(labels_mod.CONFIG_ID, ''),
            dataclasses.replace(unit, name=name), image_id,
            record.fingerprint, labels, env, result, install=False)
        if failure is not None:
            raise failure
        item = Result(name, Act.RAN, id=new)
        return self._wait(item) if new else item

    def _wait(self, item):
        """Wait for real success (executor.wait): running, healthy with a
        healthcheck (the image's); ``converge`` then checks every started
        container once more (executor.settle)."""
        return executor.wait(self.api, self.settings, item,
                             executor.Promise())

    def _stop(self, name, image, unit, result, env, current=None):
        """STOP the image's label command, or stop ``current`` (our
        container); a container we did not record is never touched."""
        _, labels = self.records.image_labels(image)
        if 'STOP' in labels:
            self.commands.label(
                result, 'STOP', labels['STOP'], image,
                unit or fmt.AtomicConfig(image=image, name=name), env)
        elif current is not None:
            self.api.stop(current['Id'],
                          timeout=self.settings.stop_grace_period)
        if current is None:
            return Result(name, Act.STOP, state='no container')
        state = dockerapi.state_of(self.records.inspect(current['Id'])
                                   or {})[0]
        return Result(name, Act.STOP, id=current['Id'],
                      state=state or 'removed')

    def uninstall(self, record, unit, result, env=(), reason=''):
        """UNINSTALL a record's image (Records.uninstall)."""
        return self.records.uninstall(self.commands, record, unit, result,
                                      env, reason)
