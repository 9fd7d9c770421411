"""What every functional test stands on: the real engine, locally built
images, and the hooks run as Heat's agent runs them (a subprocess, JSON on
stdin, one JSON object on stdout)."""

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import uuid

import docker
import fixtures
import testtools

BUSYBOX_IMAGE = os.environ.get('HCH_BUSYBOX_IMAGE', 'hch-test/busybox:latest')
BUSYBOX_PATHS = ('/usr/bin/busybox', '/bin/busybox')
DEFAULT_HOOK_TIMEOUT = 300


def docker_client():
    return docker.from_env(timeout=120)


def _context_tar(files):
    """A build context from {path: (bytes, mode)}."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w') as tar:
        for name, (data, mode) in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = mode
            tar.addfile(info, io.BytesIO(data))
    buf.seek(0)
    return buf


def busybox_binary():
    for path in BUSYBOX_PATHS:
        if os.path.exists(path):
            with open(path, 'rb') as handle:
                data = handle.read()
            if b'busybox' in data[:4096] or len(data) > 500000:
                return data
    raise RuntimeError('busybox-static is not installed (apt-get install '
                       'busybox-static)')


def build_image(tag, dockerfile_lines, extra_files=None, client=None):
    """Build an image FROM the local busybox image (or scratch) with the
    given Dockerfile lines; no registry is needed."""
    client = client or docker_client()
    files = {'Dockerfile': ('\n'.join(dockerfile_lines).encode(), 0o644)}
    for name, (data, mode) in (extra_files or {}).items():
        files[name] = (data, mode)
    client.images.build(fileobj=_context_tar(files), custom_context=True,
                        tag=tag, rm=True, forcerm=True)
    return tag


def ensure_busybox(client=None):
    """The busybox test image: FROM scratch + Debian's busybox-static."""
    client = client or docker_client()
    try:
        client.images.get(BUSYBOX_IMAGE)
        return BUSYBOX_IMAGE
    except docker.errors.ImageNotFound:
        pass
    return build_image(BUSYBOX_IMAGE, [
        'FROM scratch',
        'COPY busybox /bin/busybox',
        'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
        'CMD ["/bin/sh"]',
    ], {'busybox': (busybox_binary(), 0o755)}, client)


class HookResult:
    def __init__(self, reply, status, stderr):
        self.reply = reply
        self.status = status
        self.stderr = stderr

    @property
    def code(self):
        return self.reply['deploy_status_code']

    @property
    def stdout(self):
        return self.reply['deploy_stdout']

    @property
    def error(self):
        return self.reply['deploy_stderr']


def item(config, group='docker-cmd', stack=None, resource='res',
         action=None, config_id=None, inputs=(), outputs=None, options=None,
         name=None):
    """A heat-config item as Heat's agent passes it to a hook."""
    all_inputs = [{'name': n, 'type': 'String', 'value': v}
                  for n, v in inputs]
    if stack is not None:
        all_inputs.append({'name': 'deploy_stack_id', 'value': stack})
        all_inputs.append({'name': 'deploy_resource_name',
                           'value': resource})
    if action:
        all_inputs.append({'name': 'deploy_action', 'value': action})
    return {'id': config_id or str(uuid.uuid4()),
            'name': name or 'deployment-%s' % resource, 'group': group,
            'options': options, 'config': config,
            'outputs': [{'name': o} for o in outputs or ()] or None,
            'inputs': all_inputs}


def remove_quietly(containers):
    """Force-remove containers with their anonymous volumes; one that is
    already gone (or going) is no error."""
    for container in containers:
        try:
            container.remove(force=True, v=True)
        except docker.errors.APIError:
            pass


class FunctionalTest(testtools.TestCase):
    """A test on the real engine. Each test gets its own stack id, config
    file and directories, and every container it made is removed after."""

    group = 'docker-cmd'

    def setUp(self):
        super().setUp()
        self.client = self.engine_client()
        self.image = ensure_busybox(self.client)
        self.stack = 'test-%s/%s' % (self.id().rsplit('.', 1)[-1][:30],
                                     uuid.uuid4().hex[:8])
        # Short, unique, valid container names for this test.
        self.prefix = 'hch%s' % uuid.uuid4().hex[:8]
        self.managed_by = 'test-%s' % self.prefix
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.work_dir = os.path.join(self.tmp, 'work')
        self.lock_dir = os.path.join(self.tmp, 'locks')
        self.conf_file = os.path.join(self.tmp, 'hooks.conf')
        self.write_conf()
        self.addCleanup(self.remove_test_containers)

    def engine_client(self):
        """The docker SDK client the test reads the engine with."""
        return docker_client()

    def write_conf(self, **extra):
        # A managed_by of its own: cleanup acts engine-wide per managed_by,
        # and tests run in parallel.
        lines = ['[DEFAULT]', 'working_dir = %s' % self.work_dir,
                 'lock_dir = %s' % self.lock_dir, 'log_level = DEBUG',
                 'settle_time = 0.5', 'managed_by = %s' % self.managed_by]
        lines += ['%s = %s' % kv for kv in extra.items()]
        with open(self.conf_file, 'w') as handle:
            handle.write('\n'.join(lines) + '\n')

    def name(self, suffix):
        return '%s-%s' % (self.prefix, suffix)

    def remove_test_containers(self):
        """Remove what this test made: by name prefix or stack label,
        each listed sparsely (other tests remove theirs meanwhile)."""
        found = {}
        for filters in ({'name': self.prefix},
                        {'label': 'deploy_stack_id=%s' % self.stack},
                        {'label': 'managed_by=%s' % self.managed_by}):
            for container in self.client.containers.list(
                    all=True, sparse=True, filters=filters):
                found[container.id] = container
        remove_quietly(found.values())

    def remove_test_networks(self):
        """Remove this test's containers, then its networks (compose
        makes one per project)."""
        self.remove_test_containers()
        for network in self.client.networks.list():
            if network.name.startswith(self.prefix):
                network.remove()

    def hook_command(self, group=None):
        script = 'heat-config-%s' % (group or self.group)
        path = shutil.which(script)
        if path is None:
            path = os.path.join(os.path.dirname(sys.executable), script)
        return [path, '--config-file', self.conf_file]

    def run_hook(self, payload, group=None, timeout=DEFAULT_HOOK_TIMEOUT,
                 env=None):
        """Run a hook as a subprocess; assert the stdout contract."""
        text = payload if isinstance(payload, (str, bytes)) else \
            json.dumps(payload)
        if isinstance(text, str):
            text = text.encode('utf-8')
        proc = subprocess.run(self.hook_command(group), input=text,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout,
                              env=dict(os.environ, **(env or {})))
        out = proc.stdout.decode('utf-8')
        err = proc.stderr.decode('utf-8', 'replace')
        try:
            reply = json.loads(out)
        except ValueError:
            self.fail('stdout is not one JSON object: %r\nstderr: %s'
                      % (out[:2000], err[-4000:]))
        self.assertIsInstance(reply, dict)
        self.assertEqual(out.strip().count('\n'), 0,
                         'stdout must be exactly one JSON line')
        self.assertIn('deploy_status_code', reply)
        self.assertNotIn('Traceback', err + reply.get('deploy_stderr', ''))
        self.assertEqual(bool(reply['deploy_status_code']),
                         proc.returncode != 0,
                         'exit status %d vs deploy_status_code %s: %s'
                         % (proc.returncode, reply['deploy_status_code'],
                            err[-2000:]))
        return HookResult(reply, proc.returncode, err)

    def run_plan(self, payload, *extra):
        """``heat-container-hooks plan`` on an item: (exit status, stdout,
        stderr)."""
        script = shutil.which('heat-container-hooks') or os.path.join(
            os.path.dirname(sys.executable), 'heat-container-hooks')
        proc = subprocess.run(
            [script, 'plan', '--config-file', self.conf_file] + list(extra),
            input=json.dumps(payload).encode(), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, timeout=DEFAULT_HOOK_TIMEOUT)
        return proc.returncode, proc.stdout.decode(), proc.stderr.decode()

    def item(self, config, **kwargs):
        kwargs.setdefault('stack', self.stack)
        kwargs.setdefault('group', self.group)
        return item(config, **kwargs)

    def container(self, name):
        try:
            return self.client.containers.get(name)
        except docker.errors.NotFound:
            return None

    def stack_containers(self, stack=None):
        return self.client.containers.list(
            all=True, ignore_removed=True,
            filters={'label': 'deploy_stack_id=%s' % (stack or self.stack)})


def tempdir():
    return tempfile.mkdtemp(prefix='hch-')
