"""The compose adapter: writes a project, runs Compose v2 or v1 on it (an
argv list, never a shell; cwd = the project dir; ``-p <project>``) and waits
for every service's containers through the Engine API (dockerapi), the same
way on both versions (v1 has no ``--wait``).
"""

import concurrent.futures
import json
import os
import shutil
import stat
import subprocess

from oslo_log import log as logging

from heat_container_hooks import deployment as deployment_mod
from heat_container_hooks import dockerapi
from heat_container_hooks.engines import compose_cli
from heat_container_hooks import errors
from heat_container_hooks import fileutil
from heat_container_hooks.formats import compose as compose_format
from heat_container_hooks import interrupt
from heat_container_hooks import labels as labels_mod
from heat_container_hooks import outcome as outcome_mod
from heat_container_hooks import plan as plan_mod

LOG = logging.getLogger(__name__)
Action = deployment_mod.Action
Act = plan_mod.Act


# -- files -------------------------------------------------------------------

def _safe_dir(path, root):
    """Create ``path`` (0700) under ``root``; refuse symlinks."""
    relative = os.path.relpath(path, root)
    current = root
    for part in relative.split(os.sep):
        if part in ('', '.'):
            continue
        current = os.path.join(current, part)
        try:
            os.mkdir(current, 0o700)
        except FileExistsError:
            pass
        info = os.lstat(current)
        if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
            raise errors.HookError(
                '%s is not a plain directory (fix: remove it; the hook '
                'writes only inside %s)' % (current, root))


def write_files(directory, root, files):
    """Write ProjectFiles under ``directory`` atomically (truncated, mode
    0600); never outside ``root``."""
    root = os.path.realpath(root)
    for item in files:
        target = os.path.normpath(os.path.join(directory, item.path))
        if not target.startswith(os.path.realpath(directory) + os.sep):
            raise errors.HookError('refusing to write %s outside %s'
                                   % (item.path, directory))
        parent = os.path.dirname(target)
        _safe_dir(parent, root)
        fileutil.write_atomic(target, item.content, item.mode)


def remove_stale_files(directory, previous, files):
    """Remove the env files an earlier run wrote that the deployment no
    longer lists (they may hold secrets)."""
    keep = {f.path for f in files}
    # Earlier releases kept the secret inputs in .env without listing it.
    previous = (list(previous) if isinstance(previous, list) else []) + [
        compose_format.LEGACY_INPUTS_ENV_FILE]
    for path in previous:
        if path in keep or compose_format.relative_path_problem(path):
            continue
        target = os.path.join(directory, path)
        if os.path.isfile(target) and not os.path.islink(target):
            os.unlink(target)


def read_applied(directory):
    """What the last successful up recorded, or None."""
    return fileutil.read_object(
        os.path.join(directory, compose_format.APPLIED_FILE))


def forget_applied(directory):
    """Drop the record before anything changes: a run that fails or is
    killed half way must not leave one."""
    try:
        os.unlink(os.path.join(directory, compose_format.APPLIED_FILE))
    except FileNotFoundError:
        pass


def record_applied(directory, digest, containers):
    """Record a successful up: the digest, each container, and the image
    reference Compose resolved for it (interpolation included, as the
    engine lists it; an image id when the reference moved)."""
    try:
        fileutil.write_atomic(
            os.path.join(directory, compose_format.APPLIED_FILE),
            json.dumps({'digest': digest, 'containers': {
                _result_name(c): c.id for c in containers}, 'images': {
                c.id: c.image for c in containers}},
                sort_keys=True) + '\n')
    except OSError as exc:
        LOG.warning('cannot record the project in %s: %s', directory, exc)


def read_marker(directory):
    return fileutil.read_object(
        os.path.join(directory, compose_format.MARKER_FILE))


# -- the engine --------------------------------------------------------------

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
        returns an Outcome."""
        result = outcome_mod.Outcome()
        log = []
        try:
            if project.name is None:
                result.notes.append('no project for this deployment: '
                                    'nothing to do')
            elif action is Action.DELETE or project.compose is None and \
                    action not in (Action.SUSPEND, Action.RESUME):
                self._down(project.name, result, log, project)
            elif action is Action.SUSPEND:
                self._stop_start(project, 'stop', result, log)
            elif action is Action.RESUME:
                self._stop_start(project, 'start', result, log)
            else:
                self._up(project, owner, result, log)
        except errors.HookError as exc:
            result.error = result.error or exc
        except dockerapi.engine_errors() as exc:
            result.error = dockerapi.engine_failure(exc)
        result.log = '\n'.join(log)
        return result

    def preview(self, project, owner, action):
        """(steps, notes) for ``heat-container-hooks plan``: what
        ``converge`` would do now, only reading the engine and the project
        directory. CREATE/UPDATE: when the no-op check of a run
        (``_as_applied``: the last successful up's digest and containers)
        says ``up`` would change nothing, every container is kept;
        otherwise a service without a container is created, the others are
        brought ``up`` (Compose then recreates or keeps each), and
        containers of services gone from the config are removed."""
        try:
            return self._preview(project, owner, action), []
        except dockerapi.engine_errors() as exc:
            raise dockerapi.engine_failure(exc)
        finally:
            self.close()

    def _preview(self, project, owner, action):
        step = plan_mod.Step
        if project.name is None:
            return []
        observed = self._observe(project.name)
        if action is Action.DELETE or project.compose is None and \
                action not in (Action.SUSPEND, Action.RESUME):
            return [step(Act.REMOVE, _result_name(c), reason='compose down')
                    for c in observed]
        if action in (Action.SUSPEND, Action.RESUME):
            stop = action is Action.SUSPEND
            return [step(Act.STOP if stop else Act.START, _result_name(c),
                         reason='compose %s' % ('stop' if stop else 'start'))
                    for c in observed if c.running is stop]
        files = compose_format.render(project, owner)
        digest = compose_format.project_digest(project, files)
        finished = finished_oneshots(project, owner, observed)
        if self._as_applied(project, read_applied(self.directory(
                project.name)), digest, observed, finished):
            return [step(Act.KEEP, _result_name(c), reason='nothing changed '
                         'since the last successful run') for c in observed]
        have = {c.labels.get(compose_format.SERVICE_LABEL) for c in observed}
        steps = [step(Act.REMOVE, _result_name(c),
                      reason='service no longer in the config')
                 for c in observed if c.labels.get(
                     compose_format.SERVICE_LABEL) not in project.services]
        for service in project.services:
            if service in finished:
                steps.append(step(Act.KEEP, service,
                                  reason='one-shot already ran'))
            elif service in have:
                steps.append(plan_mod.ToolStep(
                    'up', service, 'compose up: the project differs from '
                    'its last successful run; Compose recreates or keeps '
                    'it'))
            else:
                steps.append(step(Act.CREATE, service, reason='new'))
        return steps

    # -- running compose ---------------------------------------------------

    def _environment(self, project):
        # Compose reads its process environment before the project's
        # .env (which is the deployment's own, from env_files).
        env = dict(os.environ)
        env.update(project.variables if project else ())
        env.update(project.secrets if project else ())
        if self.settings.docker_url:
            env['DOCKER_HOST'] = self.settings.docker_url
        return env

    def _run(self, project_name, args, log, project=None):
        compose = self.compose
        argv = compose.command(project_name, *args)
        LOG.info('running %s', ' '.join(argv))
        timeout = self.options.command_timeout
        # What follows a compose command (waits, checks) needs the SDK.
        self.access.warm_up()
        try:
            with interrupt.step('running compose %s for project %s'
                                % (args[0], project_name)):
                proc = subprocess.run(
                    argv, cwd=self.directory(project_name),
                    env=self._environment(project),
                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise errors.EngineError(
                'compose %s did not finish within %gs (fix: check the '
                'engine, or raise [compose] command_timeout)'
                % (args[0], timeout))
        except OSError as exc:
            raise errors.EngineError('cannot run %s: %s (fix: install '
                                     'Compose or set [compose] binary)'
                                     % (argv[0], exc.strerror))
        output = proc.stdout.decode('utf-8', 'replace').replace(
            '\r\n', '\n').replace('\r', '\n').rstrip()
        log.append('$ compose %s (Compose %s)' % (' '.join(args),
                                                  compose.version))
        if output:
            log.append(output)
        if proc.returncode:
            last = [line for line in output.splitlines() if line.strip()]
            raise errors.EngineError(
                'compose %s failed with exit code %d: %s (fix: see the '
                'compose output below)'
                % (args[0], proc.returncode,
                   last[-1].strip() if last else 'no output'))

    def _observe_labels(self, *label_filters):
        return self.access.read(
            lambda api: dockerapi.observe(api, list(label_filters)))

    def _observe(self, project_name):
        found = self._observe_labels(
            '%s=%s' % (compose_format.PROJECT_LABEL, project_name))
        return sorted((c for c in found
                       if c.labels.get(compose_format.ONEOFF_LABEL,
                                       'False') != 'True'),
                      key=_result_name)

    # -- CREATE / UPDATE ---------------------------------------------------

    def _up(self, project, owner, result, log):
        directory = self.directory(project.name)
        root = self.settings.working_dir
        try:
            os.makedirs(root, 0o755, exist_ok=True)
            _safe_dir(directory, root)
            old = read_marker(directory) or {}
            files = compose_format.render(project, owner)
            digest = compose_format.project_digest(project, files)
            applied = read_applied(directory)
            forget_applied(directory)
            write_files(directory, root, files)
            remove_stale_files(directory, old.get('files'), files)
        except OSError as exc:
            raise errors.HookError(
                'cannot write the project in %s: %s (fix: make working_dir '
                'writable)' % (directory, exc.strerror or exc))
        self._down_renamed(project.name, owner, result, log)
        observed = self._observe(project.name)
        before = {_result_name(c): c.id for c in observed}
        finished = finished_oneshots(project, owner, observed)
        if self._as_applied(project, applied, digest, observed, finished):
            result.notes.append('nothing changed since the last successful '
                                'run: compose up not run')
            after = observed
        else:
            self._up_services(project, finished, observed, result, log)
            after = self._observe(project.name)
        waits = []
        for container in after:
            name = _result_name(container)
            old = before.get(name)
            act = (Act.KEEP if old == container.id else
                   Act.REPLACE if old else Act.CREATE)
            item = outcome_mod.ContainerResult(name, act, id=container.id,
                                               state=container.state)
            result.results.append(item)
            if result.error is None:
                waits.append((container, item))
        self._wait_all(waits)
        started = [item for _, item in waits
                   if item.act != Act.KEEP and item.state == 'running'
                   and not item.failed]
        current = {r.name for r in result.results}
        for name, ident in sorted(before.items()):
            if name not in current:
                result.results.append(outcome_mod.ContainerResult(
                    name, Act.REMOVE, id=ident, state='removed',
                    reason='service no longer in the config'))
        expected = compose_format.expected_services(
            project.compose, self._environment(project))
        # By compose's service label: a name such as my_service_1 is not
        # container 1 of my_service.
        made = {c.labels.get(compose_format.SERVICE_LABEL) for c in after}
        missing = [s for s in expected if s not in made]
        for name in missing:
            result.results.append(outcome_mod.ContainerResult(
                name, Act.MISSING, error='compose made no container for '
                'service %s' % name))
        if result.error is None and started:
            dockerapi.settle(self.api, started, self.settings.settle_time)
        _first_error(result)
        if result.error is None:
            record_applied(directory, digest, after)

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
                self._remove_orphans(project, observed)
        except errors.HookError as exc:
            result.error = exc

    def _as_applied(self, project, applied, digest, observed, finished):
        """Whether ``up`` would change nothing: the same files and inputs
        as the last successful run, which left exactly these containers;
        each still runs (or is a finished one-shot) on the image its
        service names now."""
        if not applied or applied.get('digest') != digest or \
                applied.get('containers') != {
                    _result_name(c): c.id for c in observed}:
            return False
        # The references as Compose resolved them (``X:${TAG:-1}``): the
        # same digest means the same interpolation.
        refs = {}
        recorded = applied.get('images') or {}
        for container in observed:
            service = container.labels.get(compose_format.SERVICE_LABEL)
            refs[container.id] = recorded.get(container.id)
            if service not in project.services or not refs[container.id] \
                    or not project.service(service).get('image') \
                    or refs[container.id].startswith('sha256:') \
                    or (service not in finished
                        and container.state != 'running'):
                return False
        current = self.access.read(lambda api: dockerapi.image_ids(
            api, sorted(set(refs.values()))))
        return all(c.image_id == current.get(refs[c.id]) for c in observed)

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
        """Wait for each (container, result) at once. A container that
        compose kept and that is up needs no wait: it was waited on when it
        started (unless the run that started it ended first: its health is
        still starting, or unhealthy)."""
        pairs = [(c, i) for c, i in pairs
                 if not (i.act == Act.KEEP and c.state == 'running'
                         and c.health not in ('starting', 'unhealthy')
                         and not compose_format.service_wait(
                             {'labels': c.labels})[0])]
        if len(pairs) < 2:
            for container, item in pairs:
                self._wait(container, item)
            return
        pool = concurrent.futures.ThreadPoolExecutor(
            min(len(pairs), self.settings.engine_workers))
        try:
            list(pool.map(lambda pair: self._wait(*pair), pairs))
        finally:
            interrupt.shutdown(pool)

    def _wait(self, container, item):
        oneshot, codes = compose_format.service_wait(
            {'labels': container.labels})
        try:
            if oneshot:
                item.exit_code = dockerapi.wait_exit(
                    self.api, container.id, item.name,
                    self.settings.oneshot_timeout)
                item.state = 'exited'
                item.stdout, item.stderr = dockerapi.split_logs(
                    self.api, container.id)
                if item.exit_code not in codes:
                    item.error = ('service %s exited with code %s, not one '
                                  'of %s' % (item.name, item.exit_code,
                                             ', '.join(map(str, codes))))
                return
            item.state, item.health = dockerapi.wait_ready(
                self.api, container.id, item.name,
                start_timeout=self.settings.start_timeout,
                healthy_timeout=self.settings.healthy_timeout,
                probe_period=self.settings.health_probe_period)
        except dockerapi.ContainerFailed as exc:
            item.error = str(exc)
            item.exit_code = exc.exit_code
            item.state = dockerapi.state_of(
                self.api.inspect_container(container.id))[0]

    def _remove_orphans(self, project, observed):
        """What --remove-orphans does, when compose is not run at all."""
        for container in observed:
            service = container.labels.get(compose_format.SERVICE_LABEL)
            if service not in project.services:
                dockerapi.remove(self.api, container.id)

    # -- DELETE / SUSPEND / RESUME -----------------------------------------

    def _has_file(self, project_name):
        return os.path.isfile(os.path.join(self.directory(project_name),
                                           compose_format.COMPOSE_FILE))

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
        left = self._observe(project_name)
        for container in before:
            gone = container.id not in {c.id for c in left}
            result.results.append(outcome_mod.ContainerResult(
                _result_name(container), Act.REMOVE, id=container.id,
                state='removed' if gone else container.state,
                error='' if gone else 'still present after compose down'))
        directory = self.directory(project_name)
        if os.path.isdir(directory) and not os.path.islink(directory):
            shutil.rmtree(directory)
        _first_error(result)

    def _remove_by_label(self, project_name, log):
        """``down`` when the project's files are gone: its containers and
        networks (volumes too if the option says so), found by compose's
        project label."""
        import docker.errors
        label = '%s=%s' % (compose_format.PROJECT_LABEL, project_name)
        for container in self._observe(project_name):
            if container.running:
                self.api.stop(container.id,
                              timeout=self.settings.stop_grace_period)
            self.api.remove_container(container.id, force=True)
            log.append('removed container %s' % container.name)
        for network in self.api.networks(filters={'label': label}):
            try:
                self.api.remove_network(network['Id'])
                log.append('removed network %s' % network['Name'])
            except docker.errors.NotFound:
                pass
        if self.options.remove_volumes_on_delete:
            volumes = self.api.volumes(filters={'label': label})
            for volume in volumes.get('Volumes') or []:
                self.api.remove_volume(volume['Name'])
                log.append('removed volume %s' % volume['Name'])

    def _stop_start(self, project, verb, result, log):
        project_name = project.name
        if self._has_file(project_name):
            args = [verb]
            if verb == 'stop':
                args += ['-t', str(self.settings.stop_grace_period)]
            self._run(project_name, args, log, project)
        else:
            for container in self._observe(project_name):
                if verb == 'stop':
                    self.api.stop(container.id,
                                  timeout=self.settings.stop_grace_period)
                else:
                    self.api.start(container.id)
        waits = []
        for container in self._observe(project_name):
            item = outcome_mod.ContainerResult(
                _result_name(container), (Act.STOP if verb == 'stop'
                                          else Act.START),
                id=container.id, state=container.state)
            result.results.append(item)
            if verb == 'start':
                waits.append((container, item))
        self._wait_all(waits)
        _first_error(result)

    # -- cleanup -------------------------------------------------------------

    def cleanup(self, current_keys):
        """``down`` every project of ours whose owner is not current;
        returns what was done. Never raises for one project."""
        done, seen = [], set()
        root = self.settings.working_dir
        stale = []
        for entry in sorted(os.listdir(root)) if os.path.isdir(root) else ():
            marker = read_marker(os.path.join(root, entry))
            if not marker or marker.get('project') != entry or \
                    marker.get('managed_by') != self.settings.managed_by:
                continue
            seen.add(entry)
            if marker.get('owner') not in current_keys:
                stale.append(entry)
        for container in self._observe_labels(
                '%s=%s' % (labels_mod.MANAGED_BY, self.settings.managed_by)):
            project = container.labels.get(compose_format.PROJECT_LABEL)
            if project and project not in seen and \
                    container.labels.get(labels_mod.OWNER) not in \
                    current_keys:
                seen.add(project)
                stale.append(project)
        for project_name in stale:
            outcome = outcome_mod.Outcome()
            try:
                self._down(project_name, outcome, [])
            except Exception as exc:  # one project must not stop the rest
                outcome.error = exc
            if outcome.error is not None:
                done.append('project %s: down failed: %s'
                            % (project_name, outcome.error))
            else:
                done.append('project %s: down (%d containers removed)'
                            % (project_name, len(outcome.results)))
        return done


def finished_oneshots(project, owner, observed):
    """Services that are one-shots whose container already exited with an
    accepted code, with the same settings and inputs as now."""
    services = compose_format.with_labels(
        project.compose, owner,
        compose_format.inputs_digest(project))['services']
    finished = set()
    for container in observed:
        name = container.labels.get(compose_format.SERVICE_LABEL)
        service = services.get(name)
        if service is None:
            continue
        oneshot, codes = compose_format.service_wait(service)
        if oneshot and container.state == 'exited' and \
                container.exit_code in codes and \
                container.fingerprint == service['labels'].get(
                    labels_mod.FINGERPRINT):
            finished.add(name)
    return finished


def _result_name(container):
    service = container.labels.get(compose_format.SERVICE_LABEL,
                                   container.name)
    number = container.labels.get(compose_format.NUMBER_LABEL, '1')
    return service if number in ('', '1') else '%s_%s' % (service, number)


def _first_error(result):
    if result.error is not None:
        return
    for item in result.results:
        if item.failed:
            status = item.exit_code if item.exit_code else 1
            result.error = errors.HookError(item.error, status=status)
            return
