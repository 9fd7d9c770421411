"""The compose compatibility suite: every compose file under ``cases/``
runs through the docker-compose hook (a real process, a heat-config item
on stdin, the file as text and its neighbours as the ``env_files`` input)
and through plain Compose (``up -d``) on the same engine under another
project name; the containers must agree on what ``docker inspect`` shows
of command, environment, mounts, ports, networks and aliases, restart
policy and healthcheck. On Compose v2 and, unless the file's first line
says ``# compat: v2-only (...)``, on docker-compose v1.

Project-specific names (the project, its directory, container ids) are
replaced by placeholders before comparing. See doc/compatibility.md.
"""

import atexit
from concurrent import futures
import json
import os
import shutil
import subprocess
import tempfile

from heat_container_hooks.engines import compose_cli
from tests.functional import base
from tests.functional import test_compose

CASES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         'cases')
COMPOSE_FILE = 'docker-compose.yml'
PROJECT_LABEL = 'com.docker.compose.project'
SERVICE_LABEL = 'com.docker.compose.service'


def cases():
    return sorted(d for d in os.listdir(CASES_DIR)
                  if os.path.isfile(os.path.join(CASES_DIR, d,
                                                 COMPOSE_FILE)))


def case_files(case):
    """{relative path: text} of a case's files besides the compose file."""
    root = os.path.join(CASES_DIR, case)
    found = {}
    for directory, _, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            relative = os.path.relpath(path, root)
            if relative != COMPOSE_FILE:
                with open(path) as handle:
                    found[relative] = handle.read()
    return found


def compat_note(case):
    """The ``# compat: ...`` first line of a case's file, or ''."""
    with open(os.path.join(CASES_DIR, case, COMPOSE_FILE)) as handle:
        first = handle.readline().strip()
    return first[len('# compat:'):].strip() if first.startswith(
        '# compat:') else ''


class _Options:
    """[compose] options enough for compose_cli.find."""

    binary = None
    docker_binary = 'docker'

    def __init__(self, version):
        self.version = version


def _replace(value, marks):
    if isinstance(value, str):
        for old, new in marks:
            value = value.replace(old, new)
        return value
    if isinstance(value, list):
        return [_replace(v, marks) for v in value]
    if isinstance(value, dict):
        return {_replace(k, marks): _replace(v, marks)
                for k, v in value.items()}
    return value


def comparable(attrs, project, directory):
    """What the suite compares of one container's inspect data, with the
    project's own names replaced."""
    config, host = attrs['Config'], attrs['HostConfig']
    short_id = attrs['Id'][:12]
    marks = [(directory, '<dir>'), (project, '<project>')]
    networks = {}
    for name, net in (attrs['NetworkSettings']['Networks'] or {}).items():
        aliases = [a for a in net.get('Aliases') or ()
                   if a not in (short_id, attrs['Id'],
                                attrs['Name'].lstrip('/'))]
        networks[name] = sorted(aliases)
    mounts = sorted(
        ({'Type': m.get('Type'), 'Name': m.get('Name', ''),
          'Source': m.get('Source') if m.get('Type') == 'bind' else '',
          'Destination': m.get('Destination'), 'RW': m.get('RW')}
         for m in attrs.get('Mounts') or ()),
        key=lambda m: m['Destination'])
    for mount in mounts:
        if mount['Type'] == 'volume' and len(mount['Name']) == 64:
            mount['Name'] = '<anonymous>'
    return _replace({
        'Cmd': config.get('Cmd'), 'Entrypoint': config.get('Entrypoint'),
        'Env': sorted(config.get('Env') or ()),
        'Image': config.get('Image'), 'User': config.get('User'),
        'WorkingDir': config.get('WorkingDir'),
        'Healthcheck': config.get('Healthcheck'),
        'RestartPolicy': host.get('RestartPolicy'),
        'PortBindings': host.get('PortBindings') or {},
        'NetworkMode': host.get('NetworkMode'),
        'Mounts': mounts, 'Tmpfs': host.get('Tmpfs'),
        'Networks': networks}, marks)


# One runtime directory per test process: what probing Compose found is
# kept there (docker-compose v1 takes seconds to print its version on a
# busy host), and every test's hook and plain runs share it.
_RUNTIME_DIR = tempfile.mkdtemp(prefix='hch-compat-')
atexit.register(shutil.rmtree, _RUNTIME_DIR, True)


class CompatMixin(test_compose.ComposeHelpers):
    """One test per case file; subclasses name the Compose version."""

    def write_conf(self, **extra):
        self.lock_dir = _RUNTIME_DIR
        super().write_conf(stop_grace_period=0, **extra)
        with open(self.conf_file, 'a') as handle:
            handle.write('remove_volumes_on_delete = true\n')

    def setUp(self):
        super().setUp()
        self.compose = compose_cli.find(_Options(self.compose_version),
                                        _RUNTIME_DIR)

    def snapshot(self, project, directory):
        found = self.client.containers.list(
            all=True, filters={'label': '%s=%s' % (PROJECT_LABEL, project)})
        return {c.labels[SERVICE_LABEL]: comparable(c.attrs, project,
                                                    directory)
                for c in found}

    def through_hook(self, case):
        with open(os.path.join(CASES_DIR, case, COMPOSE_FILE)) as handle:
            text = handle.read()
        env_files = [{'file_name': name, 'content': content}
                     for name, content in sorted(case_files(case).items())]
        item = self.compose_item(text, name='%s-%s' % (self.prefix, case),
                                 inputs=[('env_files',
                                          json.dumps(env_files))])
        result = self.run_hook(item)
        self.assertEqual(0, result.code, '%s through the hook: %s'
                         % (case, result.error))
        (project,) = self.project_dirs()
        directory = os.path.join(self.work_dir, project)
        seen = self.snapshot(project, directory)
        deleted = self.run_hook(dict(item, inputs=item['inputs'] + [
            {'name': 'deploy_action', 'value': 'DELETE'}]))
        self.assertEqual(0, deleted.code, deleted.error)
        return seen

    def through_compose(self, case):
        project = '%s-plain' % self.prefix
        directory = os.path.join(self.tmp, 'plain', case)
        shutil.copytree(os.path.join(CASES_DIR, case), directory)

        def run(*args):
            proc = subprocess.run(
                self.compose.command(project, *args), cwd=directory,
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, timeout=600)
            return proc.returncode, proc.stdout.decode('utf-8', 'replace')

        self.addCleanup(run, 'down', '-v', '-t', '0', '--remove-orphans')
        status, output = run('up', '-d', '--no-build')
        self.assertEqual(0, status, '%s through plain Compose %s: %s'
                         % (case, self.compose.version, output))
        return self.snapshot(project, directory)

    def check(self, case):
        with open(os.path.join(CASES_DIR, case, COMPOSE_FILE)) as handle:
            publishes = 'ports:' in handle.read()
        if publishes:
            # The same host ports: one after the other.
            ours = self.through_hook(case)
            theirs = self.through_compose(case)
        else:
            with futures.ThreadPoolExecutor(2) as pool:
                hook = pool.submit(self.through_hook, case)
                plain = pool.submit(self.through_compose, case)
                ours, theirs = hook.result(), plain.result()
        self.assertEqual(theirs, ours, '%s on Compose %s: the hook '
                         '(second) differs from plain Compose (first)'
                         % (case, self.compose.version))


def _add_tests(cls):
    """A test per case; on v1 not for the files its note says are not
    valid for v1."""
    for case in cases():
        if cls.compose_version == 'v1' and compat_note(case).startswith(
                'v2-only'):
            continue

        def test(self, case=case):
            self.check(case)
        name = 'test_%s' % case.replace('-', '_')
        test.__name__ = name
        setattr(cls, name, test)
    return cls


@_add_tests
class CompatV2Test(CompatMixin, base.FunctionalTest):
    compose_version = 'v2'


@_add_tests
class CompatV1Test(CompatMixin, base.FunctionalTest):
    compose_version = 'v1'
