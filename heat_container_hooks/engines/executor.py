"""The one way every engine carries its steps out, waits and reports
(compare docker-compose v1's ``parallel_execute``): the engine adapters
(docker, compose, atomic) only say what one step does on their tool.

- ``run`` takes a dependency graph (``Node``: a step and the keys of the
  nodes it needs) and carries each step out once everything it needs has
  succeeded, in parallel otherwise; a step whose dependency failed (or was
  itself skipped) is not carried out, and is reported ``skipped`` with the
  reason.
- ``guard`` turns a step's failure into that step's failed ContainerResult
  (never an exception out of a worker).
- ``wait`` waits for what a container promises (``Promise``): running
  (healthy when a healthcheck is in force, the config's or the image's),
  exited with an accepted code.
- ``settle`` checks the started containers once more before the reply;
  ``first_error`` and ``carry_out`` make a run's Outcome and its error.
"""

import concurrent.futures
import dataclasses

from oslo_log import log as logging

from heat_container_hooks import dockerapi
from heat_container_hooks import errors
from heat_container_hooks import interrupt
from heat_container_hooks import outcome as outcome_mod

LOG = logging.getLogger(__name__)
Act = outcome_mod.Act

# Steps in flight at once (stops, removals and waits mostly wait).
WIDE_WORKERS = 64
# A kept container in one of these healths was started by a run that ended
# before it was ready (interrupted, killed): this run finishes the wait.
NOT_READY = ('starting', 'unhealthy')


@dataclasses.dataclass(frozen=True)
class Node:
    """One step of a graph: ``key`` is unique in the graph, ``step`` has a
    ``name``, an ``act`` (outcome.Act) and a ``reason``; ``needs`` holds
    the keys of the nodes that must have succeeded first (keys not in the
    graph are ignored)."""

    key: object
    step: object
    needs: frozenset = frozenset()


@dataclasses.dataclass(frozen=True)
class Promise:
    """What a container promises, which its wait checks: a one-shot runs
    to its end with one of ``exit_codes`` (and is removed afterwards when
    ``remove``); any other runs (healthy when a healthcheck is in force),
    or, when it ``may_finish``, exits with one of ``exit_codes``."""

    oneshot: bool = False
    exit_codes: tuple = (0,)
    may_finish: bool = False
    remove: bool = False

    @classmethod
    def of_spec(cls, spec):
        """The promise of a ContainerSpec (None: a long-running one)."""
        if spec is None:
            return cls()
        return cls(oneshot=spec.is_oneshot, exit_codes=tuple(spec.exit_codes),
                   may_finish=spec.may_finish, remove=spec.remove)


def guard(func, step):
    """``func(step)``, a ContainerResult; a failure of the step (the
    container failed, a HookError, an engine error) becomes the step's
    failed ContainerResult instead of an exception."""
    def failed(error, exit_code=None):
        return outcome_mod.ContainerResult(
            step.name, step.act, error=error, exit_code=exit_code,
            reason=step.reason, changes=getattr(step, 'changes', ()))
    try:
        return func(step)
    except dockerapi.ContainerFailed as exc:
        return failed(str(exc), exc.exit_code)
    except errors.HookError as exc:
        return failed(str(exc))
    except dockerapi.engine_errors() as exc:
        return failed('container %s: engine error: %s'
                      % (step.name, dockerapi.reason(exc)))


def _skipped(node, blockers):
    return outcome_mod.ContainerResult(
        node.step.name, Act.SKIP, reason='not carried out: it needs %s, '
        'which %s' % (', '.join(r.name for r in blockers),
                      'failed' if any(r.failed for r in blockers)
                      else 'was skipped'))


def _settled(step):
    """Whether a step needs no engine call and no wait (plan.Step's
    ``settled``; steps of other engines never are)."""
    return getattr(step, 'settled', False)


def run(nodes, func, workers=WIDE_WORKERS):
    """Carry out every Node's step with ``func`` (see ``guard``), each as
    soon as the nodes it needs have succeeded, up to ``workers`` at once;
    dependents of a failed or skipped node are skipped. A cycle (which the
    engine would refuse anyway) is broken by starting its first node.
    Returns the ContainerResults in the order of ``nodes``."""
    nodes = list(nodes)
    if len(nodes) == 1:
        return [guard(func, nodes[0].step)]
    keys = {n.key for n in nodes}
    results, running, pending = {}, {}, list(nodes)
    pool = None
    try:
        while pending or running:
            ready = []
            for node in list(pending):
                needs = [k for k in node.needs if k in keys and k != node.key]
                blockers = [results[k] for k in needs if k in results
                            and (results[k].failed
                                 or results[k].act is Act.SKIP)]
                if blockers:
                    results[node.key] = _skipped(node, blockers)
                    pending.remove(node)
                elif all(k in results for k in needs):
                    ready.append(node)
                    pending.remove(node)
            if not ready and not running and pending:
                ready.append(pending.pop(0))    # a cycle
            # Settled steps (a kept container that needs nothing) run in
            # this thread: an UPDATE of one of 200 containers would
            # otherwise start a pool for 199 no-ops (issue 18).
            for node in [n for n in ready if _settled(n.step)]:
                results[node.key] = guard(func, node.step)
                ready.remove(node)
            if len(ready) == 1 and not running:
                # Alone (a chain of start_orders): in this thread, as a
                # single step always ran (an interruption names its step).
                results[ready[0].key] = guard(func, ready[0].step)
                continue
            if ready and pool is None:
                busy = sum(1 for n in nodes if not _settled(n.step))
                pool = concurrent.futures.ThreadPoolExecutor(
                    max(1, min(busy, workers)))
            for node in ready:
                running[pool.submit(guard, func, node.step)] = node.key
            if running:
                done, _ = concurrent.futures.wait(
                    running, return_when=concurrent.futures.FIRST_COMPLETED)
                for future in done:
                    results[running.pop(future)] = future.result()
    finally:
        if pool is not None:
            interrupt.shutdown(pool)
    return [results[n.key] for n in nodes]


def in_parallel(steps, func, workers=WIDE_WORKERS):
    """``run`` over steps that need nothing of each other."""
    return run([Node(i, s) for i, s in enumerate(steps)], func, workers)


def wait(api, settings, item, promise):
    """Wait for the container of ``item`` (a ContainerResult with an
    ``id``) to keep its Promise, filling in the item's state, health, exit
    code, output (of a one-shot) and error. Timeouts come from
    ``settings`` (start_timeout, healthy_timeout, oneshot_timeout, seconds;
    health_probe_period). Raises only engine errors."""
    try:
        if promise.oneshot:
            item.exit_code = dockerapi.wait_exit(
                api, item.id, item.name, settings.oneshot_timeout)
            item.state = 'exited'
            item.stdout, item.stderr = dockerapi.split_logs(api, item.id)
            if item.exit_code not in promise.exit_codes:
                item.error = ('container %s exited with code %s, not one of '
                              '%s' % (item.name, item.exit_code, ', '.join(
                                  map(str, promise.exit_codes))))
            if promise.remove:
                dockerapi.remove(api, item.id)
                item.state = 'removed'
            return item
        item.state, item.health = dockerapi.wait_ready(
            api, item.id, item.name, start_timeout=settings.start_timeout,
            healthy_timeout=settings.healthy_timeout,
            probe_period=settings.health_probe_period,
            finished_codes=promise.exit_codes if promise.may_finish else ())
    except dockerapi.ContainerFailed as exc:
        item.error, item.exit_code = str(exc), exc.exit_code
        try:
            item.state = dockerapi.state_of(
                api.inspect_container(item.id))[0]
        except dockerapi.engine_errors():
            item.state = 'exited' if exc.exit_code is not None else ''
    return item


def needs_wait(act, state, health, promise):
    """Whether a container a run found as it is (``act``: KEEP, or a tool
    kept it) still has to be waited on: a one-shot still running, or a
    long-running one whose health is not yet known to be good."""
    if act is not Act.KEEP:
        return True
    if promise.oneshot:
        return state == 'running'
    return health in NOT_READY


def settle(get_api, settle_time, items, promises):
    """Check the long-running containers a run started (ContainerResults;
    ``promises``: {id: Promise}) once more, after ``settle_time`` seconds,
    in one query (dockerapi.settle) on ``get_api()`` (called only when
    there is something to check: a no-op never makes the SDK client);
    fills in the error of one that stopped. Returns the items checked."""
    started = [r for r in items
               if r.id and not r.failed and r.state == 'running'
               and r.act in (Act.CREATE, Act.REPLACE, Act.START)
               and not promises.get(r.id, Promise()).oneshot]
    finishing = {r.id: promises[r.id].exit_codes for r in started
                 if r.id in promises and promises[r.id].may_finish}
    if not started:
        return []
    with interrupt.step('checking the started containers once more'):
        return dockerapi.settle(get_api(), started, settle_time,
                                finishing)


def first_error(results):
    """The HookError of the first failed result (its exit code as the
    status when it has one), or None."""
    for item in results:
        if item.failed:
            return errors.HookError(item.error, status=item.exit_code or 1)
    return None


def carry_out(work, what='the Docker engine'):
    """Run ``work(result)`` on a new Outcome and return it, its error the
    first of: a HookError or engine error ``work`` raised (naming
    ``what``), the first failed result."""
    result = outcome_mod.Outcome()
    try:
        work(result)
    except errors.HookError as exc:
        result.error = result.error or exc
    except dockerapi.engine_errors() as exc:
        result.error = result.error or dockerapi.engine_failure(exc, what)
    if result.error is None:
        result.error = first_error(result.results)
    return result


def read_only(func, close):
    """``func()`` for a preview, which only reads: an engine error becomes
    the EngineError a reply would give; ``close()`` runs in any case."""
    try:
        return func()
    except dockerapi.engine_errors() as exc:
        raise dockerapi.engine_failure(exc)
    finally:
        close()


def clean_up(units, undo, name_of):
    """Take apart what gone deployments left (cleanup): ``undo(unit,
    result)`` for each unit (a compose project, an atomic record...) on an
    Outcome of its own; one unit's failure never stops the rest. Returns
    the lines to report: each result's summary, then ``<name>: cleanup
    failed: <error>`` for a unit that failed (``name_of(unit)``)."""
    lines = []
    for unit in units:
        try:
            outcome = carry_out(lambda result: undo(unit, result))
        except Exception as exc:  # one unit must not stop the rest
            outcome = outcome_mod.Outcome(error=exc)
        lines.extend(r.summary() for r in outcome.results)
        if outcome.error is not None:
            lines.append('%s: cleanup failed: %s' % (name_of(unit),
                                                     outcome.error))
    return lines
