"""The commands an image carries in its ``INSTALL``, ``RUN``,
``UNINSTALL`` and ``STOP`` labels, carried out on one of three runners
(chosen at run time, see ``choose_runner``):

- ``atomic``: the atomic CLI (``atomic install|run|uninstall|stop``);
- ``podman``: ``podman container runlabel``;
- ``docker``: native: the labels are read from the Docker engine through
  the SDK, substituted (formats.atomic.substitute) and run as an argv list,
  never through a shell.

What each runner can honour is checked here too (``config_problems``,
``spec_problems``), before anything is touched.
"""

import dataclasses
import os
import shutil
import subprocess
import threading
import time

from oslo_log import log as logging

from heat_container_hooks.engines import podman_service
from heat_container_hooks import errors
from heat_container_hooks.formats import atomic as fmt
from heat_container_hooks import interrupt
from heat_container_hooks import spec as spec_mod

LOG = logging.getLogger(__name__)

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


class LabelCommands:
    """Runs label commands (and atomic's defaults) for one engine run on
    one runner; their output goes to the run's Outcome ``log``."""

    def __init__(self, settings, opts, runner, state_url):
        self.settings = settings
        self.opts = opts
        self.runner = runner
        self.state_url = state_url
        self.lock = threading.Lock()

    def variables(self, image, unit):
        uid = os.environ.get('SUDO_UID') or _login_uid()
        return fmt.label_variables(
            image, unit.name, unit.opts, self.opts.confdir_base,
            self.opts.logdir_base, self.opts.datadir_base, os.getcwd(),
            uid, os.environ.get('SUDO_GID') or uid)

    def environment(self, variables, unit, env):
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

    def label(self, result, label, text, image, unit, env, extra=()):
        variables = self.variables(image, unit)
        argv = label_argv(self.runner, self.opts, label, text, image, unit,
                          variables, extra)
        self.execute(result, label, argv, image, variables, unit, env)

    def run(self, result, labels, unit, env):
        """RUN a unit: its image's RUN label (``labels``), atomic's
        privileged or default run command when the label is missing or
        the runner needs one."""
        if unit.privileged and self.runner != 'atomic':
            self.default(result, 'RUN', fmt.SPC_RUN, unit, env)
        elif 'RUN' in labels or (self.runner == 'atomic'
                                 and unit.privileged):
            self.label(result, 'RUN', labels.get('RUN', ''), unit.image,
                       unit, env, extra=unit.run_args)
        elif unit.command == 'run':
            self.default(result, 'RUN', fmt.DEFAULT_RUN, unit, env)

    def default(self, result, label, text, unit, env):
        """atomic's default command (no label), run directly; the podman
        runner runs it with podman, as runlabel does for docker."""
        variables = self.variables(unit.image, unit)
        argv = fmt.substitute(text, variables) + list(unit.run_args)
        # The deployment's environment reaches the container: names on the
        # argv, values only in the command's environment (never in ps).
        names = [n for n, v in unit.environment if v is not None]
        argv[2:2] = [arg for name in names for arg in ('-e', name)]
        if self.runner == 'podman':
            argv[0] = self.opts.podman_path
        self.execute(result, label + ' (default)', argv, unit.image,
                     variables, unit, env)

    def execute(self, result, label, argv, image, variables, unit, env):
        LOG.info('%s of %s on %s: %s', label, image, self.runner, argv)
        try:
            with interrupt.step('running the %s command of image %s for %s'
                                % (label, image, unit.name)):
                proc = subprocess.run(
                    argv, env=self.environment(variables, unit, env),
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
        with self.lock:     # units of one start_order run at once
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


def _login_uid():
    try:
        with open('/proc/self/loginuid') as handle:
            value = int(handle.readline())
    except (OSError, ValueError):
        return '0'
    return str(value) if value <= 2147483647 else '0'


def connect(settings, opts, runner):
    """(api, service, url) of the engine that holds the records on
    ``runner``: the Docker engine of ``settings``, or for podman its
    Docker-compatible API (``[atomic] podman_url``, else a ``podman
    system service`` started for this run: ``service``, closed by the
    caller). A freshly started service may take a moment to answer: the
    connection is retried up to ``settings.start_timeout`` seconds."""
    from heat_container_hooks import dockerapi
    service, state = None, settings
    if runner == 'podman':
        url = opts.podman_url
        if not url:
            service = podman_service.PodmanService(
                opts.podman_path, settings.start_timeout or 30,
                '[atomic] podman_url')
            url = service.url
        state = dataclasses.replace(settings, docker_url=url)
    deadline = time.monotonic() + (settings.start_timeout if service else 0)
    try:
        while True:
            try:
                return dockerapi.client(state), service, state.docker_url
            except errors.EngineError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.1)
    except Exception:
        if service is not None:
            service.close()
        raise
