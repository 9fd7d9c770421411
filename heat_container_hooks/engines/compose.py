"""The compose adapter: writes a project (compose_project), runs Compose v2
or v1 on it (compose_cli: an argv list, never a shell; cwd = the project
dir; ``-p <project>``), and hands what Compose made to the shared executor
(engines/executor.py), which waits for every container through the Engine
API the same way on both versions (v1 has no ``--wait``), settles and
reports. Compose itself decides, per service, whether ``up`` recreates or
keeps (its step is "up these services"); results are named from Compose's
labels (compose_project.result_name).
"""

import os
import shutil

from oslo_log import log as logging

from heat_container_hooks import deployment as deployment_mod
from heat_container_hooks import dockerapi
from heat_container_hooks.engines import compose_cli
from heat_container_hooks.engines import compose_project as files
from heat_container_hooks.engines import executor
from heat_container_hooks import errors
from heat_container_hooks.formats import compose as compose_format
from heat_container_hooks import labels as labels_mod
from heat_container_hooks import plan as plan_mod

LOG = logging.getLogger(__name__)
Action = deployment_mod.Action
Act = plan_mod.Act
Result = files.Result


class ComposeEngine:
    """Carries out one compose project's actions."""

    def __init__(self, settings, options, api=None, compose=None):
        self.settings = settings
        self.options = options
        # Reads go through the light reader: a run with nothing to change
        # never loads the SDK, and one that runs compose makes the SDK
        # client while compose works (see _run).
        self.access = dockerapi.EngineAccess(settings, api)
        self._compose = compose

    @property
    def api(self):
        return self.access.api

    @property
    def compose(self):
        if self._compose is None:
            self._compose = compose_cli.find(self.options,
                                             self.settings.lock_dir)
        return self._compose

    def close(self):
        self.access.close()

    def directory(self, project_name):
        return os.path.join(self.settings.working_dir, project_name)

    def converge(self, project, owner, action):
        """Carry ``action`` out for a Project (see formats.compose.plan);
        returns an Outcome (compose's own output in its ``log``)."""
        log = []

        def work(result):
            if project.name is None:
                result.notes.append('no project for this deployment: '
                                    'nothing to do')
            elif files.tears_down(project, action):
                self._down(project.name, result, log, project)
            elif action in (Action.SUSPEND, Action.RESUME):
                self._stop_start(project, action is Action.SUSPEND, result,
                                 log)
            else:
                self._up(project, owner, result, log)
        result = executor.carry_out(work)
        result.log = '\n'.join(log)
        return result

    def preview(self, project, owner, action):
        """(steps, notes) for ``heat-container-hooks plan``: what
        ``converge`` would do now, only reading the engine and the project
        directory. CREATE/UPDATE: when the no-op check of a run
        (compose_project.as_applied) says ``up`` would change nothing,
        every container is kept; otherwise a service without a container
        is created, the others are brought ``up`` (Compose then recreates
        or keeps each), and containers of services gone from the config
        are removed."""
        return executor.read_only(
            lambda: (self._preview(project, owner, action), []), self.close)

    def _preview(self, project, owner, action):
        if project.name is None:
            return []
        observed = self._observe(project.name)
        if files.tears_down(project, action) or action in (
                Action.SUSPEND, Action.RESUME):
            return files.preview_steps(project, action, observed)
        rendered = compose_format.render(project, owner)
        digest = compose_format.project_digest(project, rendered)
        finished = files.finished_oneshots(project, owner, observed)
        return files.preview_steps(
            project, action, observed, finished, self._as_applied(
                project, files.read_applied(self.directory(project.name)),
                digest, observed, finished))

    # -- running compose ---------------------------------------------------

    def _environment(self, project):
        return files.environment(project, self.settings.docker_url)

    def _run(self, project_name, args, log, project=None):
        # What follows a compose command (waits, checks) needs the SDK.
        self.access.warm_up()
        compose_cli.run(self.compose, project_name, args,
                        self.directory(project_name),
                        self._environment(project),
                        self.options.command_timeout, log)

    def _observe_labels(self, *label_filters):
        return self.access.read(
            lambda api: dockerapi.observe(api, list(label_filters)))

    def _observe(self, project_name):
        return files.services_containers(self._observe_labels(
            '%s=%s' % (compose_format.PROJECT_LABEL, project_name)))

    def _as_applied(self, project, applied, digest, observed, finished):
        return files.as_applied(
            project, applied, digest, observed, finished,
            lambda refs: self.access.read(
                lambda api: dockerapi.image_ids(api, refs)))

    # -- CREATE / UPDATE ---------------------------------------------------

    def _up(self, project, owner, result, log):
        directory = self.directory(project.name)
        digest, applied = files.write_project(
            directory, self.settings.working_dir, project, owner)
        self._down_renamed(project.name, owner, result, log)
        observed = self._observe(project.name)
        before = {files.result_name(c): c.id for c in observed}
        finished = files.finished_oneshots(project, owner, observed)
        if self._as_applied(project, applied, digest, observed, finished):
            result.notes.append('nothing changed since the last successful '
                                'run: compose up not run')
            after = observed
        else:
            self._up_services(project, finished, observed, result, log)
            after = self._observe(project.name)
        items, others = files.up_results(
            before, after, compose_format.expected_services(
                project.compose, self._environment(project)))
        result.results.extend(item for _, item in items)
        if result.error is None:
            self._wait_all(items)
        result.results.extend(others)
        if result.error is None and executor.first_error(
                result.results) is None:
            executor.settle(lambda: self.api, self.settings.settle_time,
                            [item for _, item in items],
                            {c.id: _promise(c) for c, _ in items})
            if executor.first_error(result.results) is None:
                files.record_applied(directory, digest, after)

    def _up_services(self, project, finished, observed, result, log):
        args = ['up', '-d', '--remove-orphans', '--no-build']
        rest = [s for s in project.services if s not in finished]
        try:
            if not finished:
                self._run(project.name, args, log, project)
            elif rest:
                # Compose starts exited containers again on every up: name
                # the services to bring up, leaving finished one-shots be.
                self._run(project.name, args + ['--no-deps'] + rest, log,
                          project)
            else:
                for container in observed:   # what --remove-orphans does
                    if container.labels.get(compose_format.SERVICE_LABEL) \
                            not in project.services:
                        dockerapi.remove(self.api, container.id)
        except errors.HookError as exc:
            result.error = exc

    def _down_renamed(self, project_name, owner, result, log):
        """Bring down this owner's projects under another name (the
        deployment was renamed): one deployment, one project."""
        others = {c.labels.get(compose_format.PROJECT_LABEL)
                  for c in self._observe_labels(
                      '%s=%s' % (labels_mod.MANAGED_BY, owner.managed_by),
                      '%s=%s' % (labels_mod.OWNER, owner.key))}
        for other in sorted(o for o in others if o and o != project_name):
            LOG.info('project %s of the same deployment: down', other)
            self._down(other, result, log)

    def _wait_all(self, pairs):
        """Wait for each (container, result) on the executor, all at once.
        A container that compose kept and that is up needs no wait: it was
        waited on when it started (unless the run that started it ended
        first: its health is still starting, or unhealthy); a one-shot is
        always waited on (its exit code and output)."""
        waits = [item for container, item in pairs
                 if executor.needs_wait(item.act, container.state,
                                        container.health, _promise(container))
                 or container.state != 'running'
                 or _promise(container).oneshot]
        promises = {c.id: _promise(c) for c, _ in pairs}
        done = executor.in_parallel(
            waits, lambda item: executor.wait(self.api, self.settings, item,
                                              promises[item.id]),
            self.settings.engine_workers)
        for item, outcome in zip(waits, done):
            item.error = item.error or outcome.error

    # -- DELETE / SUSPEND / RESUME -----------------------------------------

    def _has_file(self, project_name):
        return files.has_compose_file(self.directory(project_name))

    def _down(self, project_name, result, log, project=None):
        before = self._observe(project_name)
        if self._has_file(project_name):
            args = ['down', '--remove-orphans', '-t',
                    str(self.settings.stop_grace_period)]
            if self.options.remove_volumes_on_delete:
                args.append('-v')
            try:
                self._run(project_name, args, log, project)
            except errors.EngineError as exc:
                # The project as last applied may not be valid any more (a
                # ${VAR?} whose input is gone, a value this Compose refuses):
                # removing it must not depend on that. Take it down from
                # what the engine holds, as when its files are gone.
                LOG.warning('project %s: %s; removing it by its labels',
                            project_name, exc)
                log.append('compose down failed (%s); removing the project '
                           'by its labels instead' % exc)
                self._remove_by_label(project_name, log)
        else:
            self._remove_by_label(project_name, log)
        left = {c.id for c in self._observe(project_name)}
        result.results.extend(
            Result(files.result_name(c), Act.REMOVE, id=c.id,
                   state=c.state if c.id in left else 'removed',
                   error='still present after compose down'
                   if c.id in left else '') for c in before)
        directory = self.directory(project_name)
        if os.path.isdir(directory) and not os.path.islink(directory):
            shutil.rmtree(directory)

    def _remove_by_label(self, project_name, log):
        files.remove_by_label(
            self.api, project_name, self._observe(project_name),
            self.options.remove_volumes_on_delete,
            self.settings.stop_grace_period, log)

    def _stop_start(self, project, stop, result, log):
        project_name = project.name
        grace = self.settings.stop_grace_period
        if self._has_file(project_name):
            self._run(project_name, ['stop', '-t', str(grace)] if stop
                      else ['start'], log, project)
        else:
            for container in self._observe(project_name):
                if stop:
                    self.api.stop(container.id, timeout=grace)
                else:
                    self.api.start(container.id)
        pairs = [(c, Result(files.result_name(c),
                            Act.STOP if stop else Act.START, id=c.id,
                            state=c.state))
                 for c in self._observe(project_name)]
        result.results.extend(item for _, item in pairs)
        if not stop:
            self._wait_all(pairs)

    # -- cleanup -------------------------------------------------------------

    def cleanup(self, current_keys):
        """``down`` every project of ours whose owner is not current;
        returns what was done (executor.clean_up). Never raises for one
        project."""
        return executor.clean_up(
            files.stale_projects(
                self.settings.working_dir, self.settings.managed_by,
                current_keys, self._observe_labels('%s=%s' % (
                    labels_mod.MANAGED_BY, self.settings.managed_by))),
            lambda name, result: self._down(name, result, []),
            lambda name: 'project %s' % name)


def _promise(container):
    """The executor.Promise of a container Compose made, from the labels
    the hook rendered on its service."""
    oneshot, codes = compose_format.service_wait({'labels': container.labels})
    return executor.Promise(oneshot=oneshot, exit_codes=tuple(codes))
