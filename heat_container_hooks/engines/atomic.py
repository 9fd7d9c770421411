"""The atomic engine: carries out the commands an image carries in its
``INSTALL``, ``RUN``, ``UNINSTALL`` and ``STOP`` labels, on one of three
runners (chosen at run time, see ``choose_runner``):

- ``atomic``: the atomic CLI (``atomic install|run|uninstall|stop``);
- ``podman``: ``podman container runlabel``;
- ``docker``: native: the labels are read from the Docker engine through
  the SDK, substituted (formats.atomic.substitute) and run as an argv list,
  never through a shell.

State lives on the engine, never in a local file. A label command creates
its container itself, so we cannot label that container; instead each
installed image has a *record*: a container that is created and never
started, named ``<NAME>.hch-atomic``, made from the installed image (which
pins that image, so its UNINSTALL label can still be read after the tag
moved on), labelled with our owner labels, the fingerprint of the config,
the image id, and the id of the container named NAME that RUN created.
The container named NAME is ours only while its id equals the recorded
id; a container of that name we did not record is never touched.
"""

import dataclasses
import os
import shutil
import subprocess
import time

from oslo_log import log as logging

from heat_container_hooks import deployment as deployment_mod
from heat_container_hooks import dockerapi
from heat_container_hooks.engines import podman_service
from heat_container_hooks import errors
from heat_container_hooks.formats import atomic as fmt
from heat_container_hooks import interrupt
from heat_container_hooks import labels as labels_mod
from heat_container_hooks import outcome as outcome_mod
from heat_container_hooks import spec as spec_mod

LOG = logging.getLogger(__name__)
Action = deployment_mod.Action
Act = outcome_mod.Act

RECORD = 'heat_container_hooks.atomic.record'
R_IMAGE = 'heat_container_hooks.atomic.image'
R_IMAGE_ID = 'heat_container_hooks.atomic.image_id'
R_CONTAINER = 'heat_container_hooks.atomic.container_id'
RECORD_SUFFIX = '.hch-atomic'
# The fingerprint of a record written before the label commands run.
PENDING = 'pending'
OUTPUT_LIMIT = 16000          # characters of each label command's output
RUNNERS = ('atomic', 'podman', 'docker')
TOOLS = {'atomic': 'the atomic CLI',
         'podman': 'podman container runlabel',
         'docker': 'the native runner on the Docker engine'}

# ContainerSpec fields the label protocol can carry out; any other field
# set to something else than its default cannot be honoured.
SPEC_FIELDS = ('name', 'image', 'action', 'command', 'start_order',
               'environment', 'env_files', 'secret_env', 'privileged',
               'exit_codes')


def choose_runner(conf):
    """The runner's name: [atomic] runner, or the first present of the
    atomic CLI, podman, and the native runner."""
    choice = conf.atomic.runner
    if choice != 'auto':
        return choice
    if shutil.which(conf.atomic.atomic_path):
        return 'atomic'
    if shutil.which(conf.atomic.podman_path):
        return 'podman'
    return 'docker'


def config_problems(unit, runner, field='config'):
    """What a runner cannot do with a valid config."""
    problems = errors.Problems()
    if unit.privileged and runner == 'podman':
        problems.add(field + '.privileged', 'cannot be honoured by podman '
                     'container runlabel (it has no --spc)',
                     'set [atomic] runner = docker or atomic, or remove it')
    return problems


def spec_problems(specs, runner, field='config'):
    """Problems of ContainerSpecs that the label protocol cannot carry out
    on the runner, each naming the key and the tool."""
    problems = errors.Problems()
    defaults = spec_mod.ContainerSpec(name='x')
    tool = TOOLS[runner]
    for spec in specs:
        where = '%s.%s' % (field, spec.name)
        if spec.action != spec_mod.RUN:
            problems.add(where + '.action', 'is %s; the atomic label '
                         'protocol on %s only runs images' % (spec.action,
                                                              tool),
                         'use the docker engine for exec steps')
        if not spec.image:
            problems.add(where + '.image', 'is missing', 'name the image')
        for item in dataclasses.fields(spec_mod.ContainerSpec):
            key = item.name
            if key in SPEC_FIELDS:
                continue
            if getattr(spec, key) != getattr(defaults, key):
                problems.add(where + '.' + key, 'cannot be honoured by the '
                             'atomic label protocol on %s: the image\'s RUN '
                             'label decides how its container runs' % tool,
                             'remove it, or deploy this container with the '
                             'docker engine')
        if spec.privileged and runner == 'podman':
            problems.add(where + '.privileged', 'cannot be honoured by %s '
                         '(it has no --spc)' % tool,
                         'set [atomic] runner = docker or atomic')
    return problems


def label_argv(runner, opts, label, text, image, unit, variables, extra=()):
    """argv that carries out one label of an image on a runner: always a
    list, each option and its value separate items, no empty item."""
    if runner == 'docker':
        return fmt.substitute(text, variables) + list(extra)
    if runner == 'podman':
        argv = [opts.podman_path, 'container', 'runlabel', '--name',
                unit.name, label.lower(), image]
        return argv + list(extra)
    argv = [opts.atomic_path, label.lower()]
    if label == 'STOP':
        return argv + [unit.name]
    argv += ['--name', unit.name]
    if label in ('INSTALL', 'RUN'):
        for index, value in enumerate(unit.opts, 1):
            if value is not None:
                argv += ['--opt%d' % index, fmt.as_text(value)]
    if label == 'RUN' and unit.privileged:
        argv.append('--spc')
    return argv + [image] + list(extra)


def container_problems(specs, conf, runner=None):
    """spec_problems on ``runner``, else the one the configuration picks."""
    return spec_problems(specs, runner or choose_runner(conf))


def unit_from_spec(spec):
    """The atomic config that runs a ContainerSpec: INSTALL if the image
    has one, then RUN (atomic's default run command when the image has no
    RUN label), the spec's command appended to RUN as atomic run does."""
    return fmt.AtomicConfig(image=spec.image, command='run', name=spec.name,
                            privileged=spec.privileged,
                            environment=tuple(spec.environment),
                            run_args=tuple(spec.command or ()))


def converge_specs(specs, owner, config_id, settings, conf, action,
                   runner=None):
    """Carry ContainerSpecs out through the label protocol on the chosen
    runner (for the neutral ``container`` group). The specs' environment
    (already resolved, inputs included) becomes the label commands'
    environment. Raises InvalidDeployment, touching nothing, for a spec
    field the protocol cannot honour. Returns an Outcome."""
    runner = runner or choose_runner(conf)
    ordered = sorted(specs, key=lambda s: s.start_order)
    if action not in (Action.DELETE, Action.SUSPEND):
        spec_problems(ordered, runner).raise_if_any()
    engine = AtomicEngine(settings, conf, runner)
    try:
        return engine.converge(owner, config_id,
                               [unit_from_spec(s) for s in ordered], action)
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
    lines = []
    try:
        engine = AtomicEngine(settings, conf, runner or choose_runner(conf))
    except Exception as exc:
        return ['cannot clean up: %s' % exc]
    try:
        gone = cleanup_mod.stale(engine.records(), settings.managed_by,
                                 keys, ids)
        for record in gone:
            result = outcome_mod.Outcome()
            try:
                result.results.append(engine.uninstall(record, None, result))
            except Exception as exc:
                lines.append('%s: %s' % (record.config_name, exc))
                continue
            lines.extend(r.summary() for r in result.results)
    except Exception as exc:
        lines.append('cleanup failed: %s' % exc)
    finally:
        engine.close()
    return lines


class AtomicEngine:
    """Installs, runs, stops and uninstalls images through their labels,
    for one owner, on one runner; the records live on the runner's engine
    (Docker, or podman's API for the podman runner)."""

    def __init__(self, settings, conf, runner):
        self._started = []
        if runner not in RUNNERS:
            raise errors.HookError('unknown atomic runner %r (fix: set '
                                   '[atomic] runner to one of auto, %s)'
                                   % (runner, ', '.join(RUNNERS)))
        self.settings = settings
        self.opts = conf.atomic
        self.runner = runner
        self.service = None
        state_settings = settings
        if runner == 'podman':
            url = self.opts.podman_url
            if not url:
                self.service = podman_service.PodmanService(
                    self.opts.podman_path, settings.start_timeout or 30,
                    '[atomic] podman_url')
                url = self.service.url
            state_settings = dataclasses.replace(settings, docker_url=url)
        try:
            self.api = self._connect(state_settings)
        except Exception:
            self.close()
            raise
        self.state_url = state_settings.docker_url

    def _connect(self, state_settings):
        # A freshly started podman service may take a moment to answer.
        deadline = time.monotonic() + (self.settings.start_timeout
                                       if self.service else 0)
        while True:
            try:
                return dockerapi.client(state_settings)
            except errors.EngineError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.1)

    def close(self):
        api = getattr(self, 'api', None)
        if api is not None:
            api.close()
        if self.service is not None:
            self.service.close()
            self.service = None

    # -- observing ---------------------------------------------------------

    def records(self, owner=None):
        managed_by = self.settings.managed_by
        filters = ['%s=1' % RECORD]
        if owner is not None:
            managed_by = owner.managed_by
            filters.append('%s=%s' % (labels_mod.OWNER, owner.key))
        filters.append('%s=%s' % (labels_mod.MANAGED_BY, managed_by))
        return dockerapi.observe(self.api, filters)

    def _inspect(self, ident):
        import docker.errors
        try:
            return self.api.inspect_container(ident)
        except docker.errors.NotFound:
            return None

    def _image_labels(self, ref):
        import docker.errors
        try:
            info = self.api.inspect_image(ref)
        except docker.errors.ImageNotFound:
            return None, {}
        return info['Id'], (info.get('Config') or {}).get('Labels') or {}

    def _ours(self, record):
        """The container named NAME if it is the one we recorded; for a
        pending record (a run cut off while its label commands ran), the
        one made after the record from the recorded image."""
        cid = record.labels.get(R_CONTAINER)
        if not cid and record.fingerprint != PENDING:
            return None
        info = self._inspect(record.config_name)
        if info is None:
            return None
        if cid:
            return info if info['Id'] == cid else None
        made = self._inspect(record.id)
        if made is not None and info.get('Image') == record.labels.get(
                R_IMAGE_ID) and _created(info) >= _created(made):
            return info
        return None

    # -- carrying out ------------------------------------------------------

    def converge(self, owner, config_id, units, action, default_name=None,
                 env=()):
        """Observe the owner's records and carry one action out."""
        result = outcome_mod.Outcome()
        self._started = []          # waited on; settled once, at the end
        try:
            records = self.records(owner)
            if action is Action.DELETE:
                for record in records:
                    result.results.append(self.uninstall(
                        record, _unit_named(units, record.config_name),
                        result, env))
            elif action is Action.SUSPEND:
                for record in records:
                    result.results.append(self._suspend(
                        record, _unit_named(units, record.config_name),
                        result, env))
            else:
                self._apply(owner, config_id, units, records, default_name,
                            env, result)
                if not any(item.failed for item in result.results):
                    # One settle_time for all started containers, not one
                    # each (the docker engine's way).
                    dockerapi.settle(self.api, self._started,
                                     self.settings.settle_time)
        except errors.HookError as exc:
            result.error = result.error or exc
        except dockerapi.engine_errors() as exc:
            result.error = dockerapi.engine_failure(exc,
                                                    'the container engine')
        for item in result.results:
            if item.failed and result.error is None:
                result.error = errors.HookError(item.error)
        return result

    def _apply(self, owner, config_id, units, records, default_name, env,
               result):
        by_name = {r.config_name: r for r in records}
        named = []
        for unit in units:
            name = unit.name
            if name is None:
                # The name this deployment got when it was first created,
                # else the default (upstream: the deployment's id).
                name = (records[0].config_name
                        if len(units) == 1 and len(records) == 1
                        else default_name)
            named.append(dataclasses.replace(unit, name=name))
        wanted = {u.name for u in named}
        for name, record in by_name.items():
            if name not in wanted:
                result.results.append(self.uninstall(
                    record, None, result, env, reason='no longer in the '
                    'config'))
        for unit in named:
            item = self._apply_unit(owner, config_id, unit,
                                    by_name.get(unit.name), env, result)
            result.results.append(item)
            if item.failed:
                return

    def _apply_unit(self, owner, config_id, unit, record, env, result):
        name = unit.name
        if unit.command == 'uninstall':
            if record is not None:
                return self.uninstall(record, unit, result, env)
            image_id, labels = self._image_labels(unit.image)
            if 'UNINSTALL' in labels:
                self._label(result, 'UNINSTALL', labels['UNINSTALL'],
                            unit.image, unit, env)
            return outcome_mod.ContainerResult(name, Act.UNINSTALL)
        if unit.command == 'stop':
            current = self._ours(record) if record is not None else None
            return self._stop(name, unit.image, unit, result, env, current)

        image_id = dockerapi.ensure_images(self.api,
                                           [unit.image])[unit.image]
        fingerprint = unit.fingerprint(image_id, _env_pairs(env, unit))
        act = Act.CREATE
        if record is not None:
            current = self._ours(record)
            if record.fingerprint == fingerprint:
                return self._keep(record, current, unit, result, env)
            act = Act.REPLACE
            if record.labels.get(R_IMAGE_ID) != image_id:
                # A new image: the old one is uninstalled first.
                done = self.uninstall(record, unit, result, env,
                                      reason='image changed')
                if done.failed:
                    return done
            else:
                if current is not None:
                    self._remove_container(current['Id'])
                self._remove_container(record.id)
        self._check_free(owner, name)
        _, labels = self._image_labels(image_id)
        install = unit.command in ('install', 'run') and 'INSTALL' in labels
        info, cid, failure = self._run_recorded(
            owner, config_id, unit, image_id, fingerprint, labels, env,
            result, install)
        item = outcome_mod.ContainerResult(name, act, id=cid,
                                           state='' if cid else 'no '
                                           'container')
        if failure is not None:
            item.error = str(failure)
            item.exit_code = getattr(failure, 'exit_code', None)
            if cid:
                item.state = dockerapi.state_of(self._inspect(cid) or {})[0]
            return item
        if cid:
            self._wait(item)
        return item

    def _keep(self, record, current, unit, result, env):
        name = record.config_name
        cid = record.labels.get(R_CONTAINER)
        if not cid:
            return outcome_mod.ContainerResult(name, Act.KEEP,
                                               state='no container')
        if current is not None:
            state = dockerapi.state_of(current)[0]
            if state in ('running', 'restarting'):
                return outcome_mod.ContainerResult(name, Act.KEEP, id=cid,
                                                   state=state)
            self.api.start(cid)
            item = outcome_mod.ContainerResult(name, Act.START, id=cid)
            self._wait(item)
            return item
        # Our container is gone: RUN again (the image stays installed).
        if self._inspect(name) is not None:
            return outcome_mod.ContainerResult(
                name, Act.KEEP, error='container %s is no longer the one this '
                'deployment ran (fix: remove it, then run the deployment '
                'again)' % name)
        image_id = record.labels.get(R_IMAGE_ID)
        _, labels = self._image_labels(image_id)
        self._remove_container(record.id)
        info, new, failure = self._run_recorded(
            _owner_of(record), record.labels.get(labels_mod.CONFIG_ID, ''),
            dataclasses.replace(unit, name=name), image_id,
            record.fingerprint, labels, env, result, install=False)
        if failure is not None:
            raise failure
        item = outcome_mod.ContainerResult(name, Act.RAN, id=new)
        if info is not None:
            self._wait(item)
        return item

    def _run(self, result, labels, unit, env):
        if unit.privileged and self.runner != 'atomic':
            self._default(result, 'RUN', fmt.SPC_RUN, unit, env)
        elif 'RUN' in labels or (self.runner == 'atomic'
                                 and unit.privileged):
            self._label(result, 'RUN', labels.get('RUN', ''), unit.image,
                        unit, env, extra=unit.run_args)
        elif unit.command == 'run':
            self._default(result, 'RUN', fmt.DEFAULT_RUN, unit, env)

    def _wait(self, item):
        """Wait for real success: running (healthy with a healthcheck);
        ``converge`` then checks every started container once more after
        one settle_time."""
        try:
            item.state, item.health = dockerapi.wait_ready(
                self.api, item.id, item.name,
                start_timeout=self.settings.start_timeout,
                healthy_timeout=self.settings.healthy_timeout,
                probe_period=self.settings.health_probe_period)
            self._started.append(item)
        except dockerapi.ContainerFailed as exc:
            item.error, item.exit_code = str(exc), exc.exit_code
            item.state = 'exited'

    def _suspend(self, record, unit, result, env):
        name = record.config_name
        current = self._ours(record)
        if current is None:
            return outcome_mod.ContainerResult(name, Act.STOP,
                                               state='no container')
        return self._stop(name, record.labels.get(R_IMAGE_ID), unit, result,
                          env, current)

    def _stop(self, name, image, unit, result, env, current=None):
        """STOP the image's label command, or stop ``current`` (our
        container); a container we did not record is never touched."""
        _, labels = self._image_labels(image)
        if 'STOP' in labels:
            self._label(result, 'STOP', labels['STOP'], image,
                        unit or fmt.AtomicConfig(image=image, name=name),
                        env)
        elif current is not None:
            self.api.stop(current['Id'],
                          timeout=self.settings.stop_grace_period)
        if current is None:
            return outcome_mod.ContainerResult(name, Act.STOP,
                                               state='no container')
        state = dockerapi.state_of(self._inspect(current['Id']) or {})[0]
        return outcome_mod.ContainerResult(name, Act.STOP, id=current['Id'],
                                           state=state or 'removed')

    def uninstall(self, record, unit, result, env=(), reason=''):
        """UNINSTALL the recorded image (or remove its container when it
        has no UNINSTALL label), then forget the record."""
        name = record.config_name
        image_id = record.labels.get(R_IMAGE_ID, '')
        ref = record.labels.get(R_IMAGE, '')
        ref_id, _ = self._image_labels(ref) if ref else (None, {})
        image = ref if ref_id == image_id else image_id
        _, labels = self._image_labels(image_id)
        if unit is None or unit.name != name:
            unit = fmt.AtomicConfig(image=image, name=name)
        unit = dataclasses.replace(unit, image=image, name=name)
        item = outcome_mod.ContainerResult(name, Act.REMOVE, reason=reason)
        if 'UNINSTALL' in labels:
            try:
                self._label(result, 'UNINSTALL', labels['UNINSTALL'], image,
                            unit, env)
            except errors.HookError as exc:
                item.error = str(exc)
                return item
        current = self._ours(record)
        if current is not None:
            item.id = current['Id']
            self.api.stop(current['Id'],
                          timeout=self.settings.stop_grace_period)
            self._remove_container(current['Id'])
        self._remove_container(record.id)
        item.state = 'removed'
        return item

    # -- records -----------------------------------------------------------

    def _check_free(self, owner, name):
        """Nothing is run when NAME or its record belong to someone else."""
        info = self._inspect(name)
        if info is not None:
            raise errors.HookError(
                'container %s already exists and is not one this deployment '
                'installed (fix: remove it, or give the deployment another '
                'name)' % name)
        record = self._inspect(name + RECORD_SUFFIX)
        if record is not None:
            labels = (record.get('Config') or {}).get('Labels') or {}
            raise errors.HookError(
                'the name %s is already used by deployment %s (fix: give '
                'this deployment another name)'
                % (name, labels.get(labels_mod.OWNER, 'unknown')))

    def _run_recorded(self, owner, config_id, unit, image_id, fingerprint,
                      labels, env, result, install):
        """INSTALL (if asked) and RUN under a pending record, then the final
        record: a hook killed at any point leaves a record that claims what
        its commands made, so the next run converges instead of finding a
        stranger's container. Returns (info, container id, failure)."""
        pending = self._record(owner, config_id, unit, image_id, '',
                               PENDING)
        failure = None
        try:
            if install:
                self._label(result, 'INSTALL', labels['INSTALL'],
                            unit.image, unit, env, extra=unit.installcmd)
            self._run(result, labels, unit, env)
        except errors.HookError as exc:
            failure = exc
        info = self._inspect(unit.name)
        cid = info['Id'] if info is not None else ''
        self._remove_container(pending)
        # Written even after a failure, so that the next run knows the
        # container is ours and starts over (a failed fingerprint never
        # matches).
        self._record(owner, config_id, unit, image_id, cid,
                     fingerprint if failure is None else 'failed')
        return info, cid, failure

    def _record(self, owner, config_id, unit, image_id, cid, fingerprint):
        container_labels = labels_mod.for_container(
            owner, config_id, unit.name, fingerprint,
            self.settings.stop_grace_period)
        container_labels.update({RECORD: '1', R_IMAGE: unit.image,
                                 R_IMAGE_ID: image_id, R_CONTAINER: cid})
        return self.api.create_container(
            image_id, name=unit.name + RECORD_SUFFIX,
            labels=container_labels, entrypoint=['/hch-atomic-record'],
            network_disabled=True)['Id']

    def _remove_container(self, ident):
        dockerapi.remove(self.api, ident)

    # -- label commands ----------------------------------------------------

    def _variables(self, image, unit):
        uid = os.environ.get('SUDO_UID') or _login_uid()
        return fmt.label_variables(
            image, unit.name, unit.opts, self.opts.confdir_base,
            self.opts.logdir_base, self.opts.datadir_base, os.getcwd(),
            uid, os.environ.get('SUDO_GID') or uid)

    def _environment(self, variables, unit, env):
        merged = dict(os.environ)
        if self.state_url and self.runner != 'podman':
            merged['DOCKER_HOST'] = self.state_url
        merged.update(fmt.variables_env(variables))
        merged.update(dict(env))
        for key, value in unit.environment:
            if value is None:
                value = os.environ.get(key)
                if value is None:
                    merged.pop(key, None)
                    continue
            merged[key] = value
        return merged

    def _label(self, result, label, text, image, unit, env, extra=()):
        variables = self._variables(image, unit)
        argv = label_argv(self.runner, self.opts, label, text, image, unit,
                          variables, extra)
        self._execute(result, label, argv, image, variables, unit, env)

    def _default(self, result, label, text, unit, env):
        """atomic's default command (no label), run directly; the podman
        runner runs it with podman, as runlabel does for docker."""
        variables = self._variables(unit.image, unit)
        argv = fmt.substitute(text, variables) + list(unit.run_args)
        # The deployment's environment reaches the container: names on the
        # argv, values only in the command's environment (never in ps).
        names = [n for n, v in unit.environment if v is not None]
        argv[2:2] = [arg for name in names for arg in ('-e', name)]
        if self.runner == 'podman':
            argv[0] = self.opts.podman_path
        self._execute(result, label + ' (default)', argv, unit.image,
                      variables, unit, env)

    def _execute(self, result, label, argv, image, variables, unit, env):
        LOG.info('%s of %s on %s: %s', label, image, self.runner, argv)
        try:
            with interrupt.step('running the %s command of image %s for %s'
                                % (label, image, unit.name)):
                proc = subprocess.run(
                    argv, env=self._environment(variables, unit, env),
                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    timeout=self.settings.oneshot_timeout)
        except FileNotFoundError:
            raise errors.HookError(
                'the %s command of image %s runs %s, which is not installed '
                '(fix: install it, or choose another [atomic] runner)'
                % (label, image, argv[0]))
        except subprocess.TimeoutExpired:
            raise errors.HookError(
                'the %s command of image %s was still running after %gs '
                '(fix: check the label, or raise oneshot_timeout)'
                % (label, image, self.settings.oneshot_timeout))
        output = _tail(proc.stdout.decode('utf-8', 'replace').rstrip('\n'))
        result.log += '--- %s %s of %s (%s) ---\n%s\n' % (
            unit.name, label, image, self.runner, output)
        if proc.returncode != 0:
            last = output.splitlines()[-1] if output else ''
            raise errors.HookError(
                'the %s command of image %s for %s exited with code %d%s '
                '(fix: see its output in deploy_stderr)'
                % (label, image, unit.name, proc.returncode,
                   ': ' + last if last else ''))


def _tail(text, limit=OUTPUT_LIMIT):
    """The end of a command's output: a reply must stay small enough for
    Heat's signal."""
    if len(text) <= limit:
        return text
    return '(%d characters cut)\n%s' % (len(text) - limit, text[-limit:])


def _unit_named(units, name):
    for unit in units:
        if unit.name == name or unit.name is None:
            return dataclasses.replace(unit, name=name)
    return None


def _env_pairs(env, unit):
    return list(env) + list(unit.environment)


def _created(info):
    """A container's creation time, comparable: Docker's RFC 3339 text with
    its fraction (of varying length) padded to nanoseconds."""
    text = info.get('Created') or ''
    whole, _, rest = text.partition('.')
    fraction = rest.rstrip('Z').split('+')[0]
    return whole, fraction.ljust(9, '0')


def _owner_of(record):
    from heat_container_hooks import deployment as deployment_mod
    return deployment_mod.Owner(
        managed_by=record.labels.get(labels_mod.MANAGED_BY, ''),
        key=record.labels.get(labels_mod.OWNER, ''),
        stack_id=record.labels.get(labels_mod.STACK_ID, ''),
        resource_name=record.labels.get(labels_mod.RESOURCE_NAME, ''))


def _login_uid():
    try:
        with open('/proc/self/loginuid') as handle:
            value = int(handle.readline())
    except (OSError, ValueError):
        return '0'
    return str(value) if value <= 2147483647 else '0'
