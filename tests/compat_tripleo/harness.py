"""Run one docker-cmd config, step after step, through
heat-config-docker-cmd and through paunch on the same engine, and collect
what each made: the step's status, the ``hch-stub:`` lines its one-shots
and execs printed, and ``docker inspect`` of every container it ran.

The inputs the two tools get are the same but for the container names:
each run gets its own name prefix (names are global on an engine), and
every reference to a name (an exec's target, ``volumes_from``,
``net``/``pid``/``ipc: container:NAME``) carries it. Host paths named by
``volumes`` and ``env_file`` are moved under a private sandbox (a bind
mount with shared propagation, which ``:shared`` volumes need) so nothing
is created on the host itself.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import uuid

import docker.errors

from tests.compat_tripleo import stub_image
from tests.functional import base

PAUNCH_DRIVER = '''
import json, sys
import paunch
config_id, managed_by, path, stack, resource = sys.argv[1:6]
with open(path) as handle:
    config = json.load(handle)
# As heat-agents' docker-cmd hook called paunch (its labels, docker).
stdout, stderr, code = paunch.apply(
    config_id, config, managed_by=managed_by,
    labels={'deploy_stack_id': stack, 'deploy_resource_name': resource},
    cont_cmd='docker', log_level=20, log_file=sys.argv[6])
json.dump({'stdout': stdout, 'stderr': stderr, 'code': code},
          sys.stdout)
'''

# A host file's content for env_file paths (what /etc/environment holds
# on a fresh RHEL host, plus one variable to see it arrive).
ENV_FILE_CONTENT = '# /etc/environment\nHCH_ENV_FILE=1\n'
# Volume sources that are files on a TripleO host (the rest, unless the
# name has an extension, are directories).
HOST_FILES = ('/etc/hosts', '/etc/localtime', '/etc/resolv.conf',
              '/etc/hostname', '/etc/machine-id', '/dev/log',
              '/etc/ssh/ssh_known_hosts', '/etc/environment',
              '/etc/sysconfig/memcached')
_FILE_NAME = re.compile(r'\.(json|conf|cnf|crt|pem|key|sh|py|cfg|ini|'
                        r'yaml|yml|txt|log|sock|gz|builder|repo)$')
STUB_LINE = 'hch-stub:'
PASSTHROUGH = ('/dev', '/sys', '/proc', '/run', '/var/run', '/lib/modules')
# A step that takes longer has hung (the hook's own timeouts are 180 s).
STEP_TIMEOUT = 400


class Sandbox:
    """A directory with shared mount propagation holding the host side of
    every volume. ``close()`` unmounts and removes it."""

    def __init__(self, daemons):
        self.root = tempfile.mkdtemp(prefix='hch-compat-')
        subprocess.run(['mount', '--bind', self.root, self.root],
                       check=True)
        subprocess.run(['mount', '--make-shared', self.root], check=True)
        self.stub = stub_image.stub_script(daemons)
        # Services are prepared in parallel and share host paths: one may
        # need a file where another's volume makes a directory. The first
        # to ask decides; the check and the creation happen as one.
        self.lock = threading.Lock()

    def close(self):
        subprocess.run(['umount', '-l', self.root], check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def path(self, host_path):
        return self.root + host_path

    def make(self, source, target, commands, nested):
        """Create the sandboxed ``source`` as what the target needs: an
        executable stub if a command runs it, a file, or a directory (with
        a stub inside for each command under it). Thread-safe: the first
        service to need a path decides what it is."""
        with self.lock:
            self._make(source, target, commands, nested)

    def _make(self, source, target, commands, nested):
        path = self.path(source)
        executable = target in commands
        is_file = executable or source in HOST_FILES or bool(
            _FILE_NAME.search(source) and not nested)
        if not os.path.lexists(path):
            if is_file:
                self._write(path, self.stub if executable else '',
                            executable)
            else:
                os.makedirs(path, exist_ok=True)
        if os.path.isdir(path):
            inside = target.rstrip('/') + '/'
            for command in commands:
                inner = path + '/' + command[len(inside):]
                if command.startswith(inside) and \
                        not os.path.lexists(inner):
                    try:
                        self._write(inner, self.stub, True)
                    except OSError:
                        pass    # a file where the command needs a dir

    @staticmethod
    def _write(path, text, executable):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as handle:
            handle.write(text)
        if executable:
            os.chmod(path, 0o755)


def prepare(config, prefix, image, sandbox):
    """A copy of the step ``config`` for one run: names prefixed (and
    every reference to one), images swapped for ``image``, host paths
    moved into ``sandbox`` (and created there)."""
    config = json.loads(json.dumps(config))
    result = {}
    for name, settings in config.items():
        result[prefix + name] = settings
        if not isinstance(settings, dict):
            continue
        if 'image' in settings:
            settings['image'] = image
        command = settings.get('command')
        if settings.get('action') == 'exec' and command:
            if isinstance(command, list):
                command[0] = prefix + str(command[0])
            else:
                settings['command'] = prefix + command.lstrip()
        for key in ('net', 'pid', 'ipc', 'uts'):
            value = settings.get(key)
            if isinstance(value, str) and value.startswith('container:'):
                settings[key] = 'container:' + prefix + value[10:]
        if isinstance(settings.get('volumes_from'), list):
            settings['volumes_from'] = [prefix + v if isinstance(v, str)
                                        else v
                                        for v in settings['volumes_from']]
        elif isinstance(settings.get('volumes_from'), str):
            settings['volumes_from'] = prefix + settings['volumes_from']
        _sandbox_volumes(settings, sandbox)
        if settings.get('detach', True) in (False, 'false') and \
                not settings.get('command') and \
                'KOLLA_BOOTSTRAP' not in str(settings.get('environment')):
            _mark_oneshot(settings, sandbox)
        _sandbox_env_files(settings, sandbox)
    return result


def _commands(settings):
    """Absolute paths a container may execute (any path word of its
    command or healthcheck, but a file that is ``source``d)."""
    words = set()
    for text in (settings.get('command'),
                 (settings.get('healthcheck') or {}).get('test')):
        if text:
            found = stub_image.command_words(text)
            words.update(w for i, w in enumerate(found)
                         if w.startswith('/')
                         and (i == 0 or found[i - 1] not in ('source', '.')))
    return words


def _sandbox_volumes(settings, sandbox):
    volumes = settings.get('volumes')
    if not isinstance(volumes, list):
        return
    commands = _commands(settings)
    targets = [v.split(':')[1] for v in volumes
               if isinstance(v, str) and v.count(':') >= 1]
    moved = []
    for volume in volumes:
        if isinstance(volume, str) and volume.startswith('/') and \
                ':' in volume and not _passthrough(volume.split(':')[0]):
            source, target = volume.split(':')[:2]
            nested = any(t.startswith(target.rstrip('/') + '/')
                         for t in targets)
            sandbox.make(source, target, commands, nested)
            volume = sandbox.path(source) + volume[len(source):]
        moved.append(volume)
    settings['volumes'] = moved


def _mark_oneshot(settings, sandbox):
    """Write the one-shot mark into the Kolla config.json a one-shot
    container that runs kolla_start without a bootstrap mounts (see
    stub_image.KOLLA_START). TripleO gives each of those a config.json
    of its own."""
    for volume in settings.get('volumes') or []:
        parts = volume.split(':') if isinstance(volume, str) else ()
        if len(parts) > 1 and parts[1] == stub_image.KOLLA_CONFIG and \
                parts[0].startswith(sandbox.root):
            with open(parts[0], 'w') as handle:
                handle.write('{"command": "%s"}' % stub_image.ONESHOT_MARK)


def _passthrough(source):
    """Kernel and runtime paths (``/dev``, ``/sys``, ...) that exist
    here are mounted as they are: an empty stand-in would hide
    ``/dev/null`` from the container."""
    return source.startswith(PASSTHROUGH) and os.path.exists(source)


def _sandbox_env_files(settings, sandbox):
    env_file = settings.get('env_file')
    if env_file is None:
        return
    paths = env_file if isinstance(env_file, list) else [env_file]
    moved = []
    for path in paths:
        if isinstance(path, str) and path.startswith('/'):
            target = sandbox.path(path)
            if not os.path.exists(target):
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with open(target, 'w') as handle:
                    handle.write(ENV_FILE_CONTENT)
            path = target
        moved.append(path)
    settings['env_file'] = moved if isinstance(env_file, list) else moved[0]


class StepRun:
    """What one tool did with one step."""

    def __init__(self, step, code, output, containers, detail=''):
        self.step = step
        self.code = code              # 0 = success
        self.output = output          # sorted hch-stub lines
        self.containers = containers  # {config name: inspect or None}
        self.detail = detail          # the tool's error text, for reports


def stub_lines(text):
    return sorted(line.strip() for line in (text or '').splitlines()
                  if line.strip().startswith(STUB_LINE))


class Runner:
    """Runs configs through one tool. ``tool`` is 'hook' or 'paunch'."""

    def __init__(self, tool, workdir, client=None):
        self.tool = tool
        self.client = client or base.docker_client()
        self.workdir = workdir
        self.managed_by = 'hch14-compat-%s-%s' % (tool, uuid.uuid4().hex[:6])
        os.makedirs(workdir, exist_ok=True)
        self.conf_file = os.path.join(workdir, 'hooks.conf')
        with open(self.conf_file, 'w') as handle:
            handle.write('[DEFAULT]\nworking_dir = %s\nlock_dir = %s\n'
                         'log_level = INFO\nmanaged_by = %s\n'
                         'oneshot_timeout = 180\nhealthy_timeout = 180\n'
                         % (os.path.join(workdir, 'work'),
                            os.path.join(workdir, 'locks'),
                            self.managed_by))

    def run_steps(self, steps, prefix, stack):
        """Run ``steps`` ([(step name, prepared config)]) in order as the
        deployments of ``stack``; a StepRun for each."""
        runs = []
        for step, config in steps:
            if self.tool == 'hook':
                code, output, detail = self._hook(step, config, stack)
            else:
                code, output, detail = self._paunch(step, config, stack)
            containers = {}
            for name, settings in config.items():
                if isinstance(settings, dict) and \
                        settings.get('action', 'run') != 'run':
                    continue
                containers[name[len(prefix):]] = self._inspect(name)
            runs.append(StepRun(step, code, output, containers, detail))
        return runs

    def _inspect(self, name):
        try:
            return self.client.api.inspect_container(name)
        except docker.errors.NotFound:
            return None

    def _hook(self, step, config, stack):
        item = {'id': str(uuid.uuid4()), 'name': step, 'group': 'docker-cmd',
                'options': None, 'config': config, 'outputs': None,
                'inputs': [{'name': 'deploy_stack_id', 'value': stack},
                           {'name': 'deploy_resource_name', 'value': step},
                           {'name': 'deploy_action', 'value': 'CREATE'}]}
        script = os.path.join(os.path.dirname(sys.executable),
                              'heat-config-docker-cmd')
        try:
            proc = subprocess.run([script, '--config-file', self.conf_file],
                                  input=json.dumps(item).encode(),
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, timeout=STEP_TIMEOUT)
        except subprocess.TimeoutExpired:
            return 1, [], 'the hook did not end in %ds' % STEP_TIMEOUT
        try:
            reply = json.loads(proc.stdout.decode())
        except ValueError:
            return (proc.returncode or 1, [],
                    'not JSON: %r %s' % (proc.stdout[:300],
                                         proc.stderr[-500:]))
        code = reply.get('deploy_status_code')
        return (code, stub_lines(reply.get('deploy_stdout')),
                (reply.get('deploy_stderr') or '')[-1500:] if code else '')

    def _paunch(self, step, config, stack):
        path = os.path.join(self.workdir, '%s-%s.json'
                            % (stack.replace('/', '_'), step))
        with open(path, 'w') as handle:
            json.dump(config, handle)
        log = path + '.log'
        try:
            proc = subprocess.run(
                [sys.executable, '-c', PAUNCH_DRIVER, str(uuid.uuid4()),
                 self.managed_by, path, stack, step, log],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                timeout=STEP_TIMEOUT)
        except subprocess.TimeoutExpired:
            return 1, [], 'paunch did not end in %ds' % STEP_TIMEOUT
        try:
            result = json.loads(proc.stdout.decode())
        except ValueError:
            return (proc.returncode or 1, [],
                    'paunch crashed: %s' % proc.stderr.decode()[-1500:])
        code = result['code']
        detail = ''
        if code:
            detail = '\n'.join(result['stderr'])[-1500:]
        return code, stub_lines('\n'.join(result['stdout'])), detail

    def remove(self, prefix):
        """Remove every container this runner made whose name starts with
        ``prefix`` (with its anonymous volumes)."""
        base.remove_quietly(self.client.containers.list(
            all=True, sparse=True, ignore_removed=True,
            filters={'label': 'managed_by=%s' % self.managed_by,
                     'name': prefix}))
