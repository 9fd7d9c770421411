"""Many servers through a real Heat (issue 18, point 4): a stack of
DeployedServers with three deployments each (docker-cmd, docker-compose,
container), each server with its own agent process on this host, on the
local Heat of tests/heat (noauth, through its public API).

Measured: seconds from the stack create to CREATE_COMPLETE (the agents
start as soon as their server ids exist, as on a node that boots), seconds
from a stack update that changes the docker-cmd deployment of every server
to UPDATE_COMPLETE, and the Heat API requests each agent makes per minute
while nothing changes, counted at the API by a forwarding proxy that the
agents talk to (the bench's own requests bypass it).
"""

import http.client
import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse

DEPLOYMENTS = ('docker-cmd', 'docker-compose', 'container')
POLL = 0.5     # how often the bench looks at the stack


class CountingProxy:
    """A threaded HTTP proxy to ``target`` (http://host:port/) that records
    (monotonic time, method, path) of every request it forwards."""

    def __init__(self, target, rewrite=None):
        parsed = urllib.parse.urlsplit(target)
        self.records = []
        lock = threading.Lock()
        records = self.records
        host, port = parsed.hostname, parsed.port

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def _forward(self):
                with lock:
                    records.append((time.monotonic(), self.command,
                                    self.path))
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ('host', 'connection')}
                upstream = http.client.HTTPConnection(host, port,
                                                      timeout=120)
                try:
                    upstream.request(self.command, self.path, body=body,
                                     headers=headers)
                    answer = upstream.getresponse()
                    data = answer.read()
                    if rewrite is not None:
                        data = rewrite(self.path, data)
                    self.send_response(answer.status, answer.reason)
                    for key, value in answer.getheaders():
                        if key.lower() not in ('transfer-encoding',
                                               'connection',
                                               'content-length'):
                            self.send_header(key, value)
                    self.send_header('Content-Length', str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                finally:
                    upstream.close()

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = \
                _forward

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                      Handler)
        self.server.daemon_threads = True
        self.url = 'http://127.0.0.1:%d/' % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def count(self, since, until=None):
        until = until or time.monotonic()
        return sum(1 for at, _, _ in list(self.records)
                   if since <= at < until)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def template(servers, image, tag):
    """A HOT template (as a dict) with ``servers`` DeployedServers and a
    docker-cmd, a docker-compose and a container deployment on each; the
    ``marker`` parameter is only in the docker-cmd configs."""
    command = ['sh', '-c', 'trap "exit 0" TERM; sleep 1000000 & wait']
    resources, outputs = {}, {}
    for i in range(servers):
        server = 'server%02d' % i
        resources[server] = {
            'type': 'OS::Heat::DeployedServer',
            'properties': {'software_config_transport': 'POLL_SERVER_HEAT'}}
        outputs[server] = {'value': {'get_resource': server}}
        name = '%s-s%02d' % (tag, i)
        configs = {
            'docker-cmd': {name + '-cmd': {
                'image': image, 'command': command, 'net': 'host',
                'stop_grace_period': 3,
                'environment': [{'str_replace': {
                    'template': 'BENCH_MARKER=M',
                    'params': {'M': {'get_param': 'marker'}}}}]}},
            'docker-compose': {'services': {'app': {
                'image': image, 'command': command,
                'network_mode': 'host', 'stop_grace_period': '3s',
                'container_name': name + '-compose'}}},
            'container': {name + '-ctr': {
                'image': image, 'command': command, 'net': 'host',
                'stop_grace_period': 3}},
        }
        for group in DEPLOYMENTS:
            short = group.replace('docker-', '')
            resources['%s_%s_config' % (server, short)] = {
                'type': 'OS::Heat::StructuredConfig',
                'properties': {'group': group, 'config': configs[group]}}
            resources['%s_%s' % (server, short)] = {
                'type': 'OS::Heat::StructuredDeployment',
                'properties': {
                    'name': '%s-%s' % (name, short),
                    'config': {'get_resource': '%s_%s_config'
                               % (server, short)},
                    'server': {'get_resource': server},
                    'signal_transport': 'HEAT_SIGNAL'}}
    return {'heat_template_version': 'rocky',
            'parameters': {'marker': {'type': 'string', 'default': '1'}},
            'resources': resources, 'outputs': outputs}


class Agents:
    """One ``heat-container-agent`` process per server, talking to Heat
    through ``heat_url``; stopped by their pids."""

    def __init__(self, tmp, heat_url, token, docker_url, compose_binary,
                 interval):
        self.tmp = tmp
        self.heat_url = heat_url
        self.token = token
        self.docker_url = docker_url
        self.compose_binary = compose_binary
        self.interval = interval
        self.procs = []

    def hooks_conf(self, work, name, more=()):
        """Write the hooks' config of one server (its own working and lock
        directories and managed_by label, the bench engine, Compose v2)
        plus ``more`` lines
        into work/name; its path."""
        os.makedirs(work, exist_ok=True)
        conf = os.path.join(work, name)
        with open(conf, 'w') as handle:
            handle.write('\n'.join([
                '[DEFAULT]',
                'working_dir = %s' % os.path.join(work, 'work'),
                'lock_dir = %s' % os.path.join(work, 'locks'),
                # Every "server" shares the bench engine: its own label
                # keeps the others' containers out of its cleanup, as a
                # host of its own would.
                'managed_by = hchs-%s' % os.path.basename(work),
                'docker_url = %s' % self.docker_url,
                '[compose]', 'version = v2',
                'binary = %s' % self.compose_binary] + list(more)) + '\n')
        return conf

    def start(self, server_id, index):
        work = os.path.join(self.tmp, 'agent%02d' % index)
        conf = self.hooks_conf(work, 'agent.conf', [
            '[agent]', 'heat_url = %s' % self.heat_url,
            'heat_token = %s' % self.token,
            'server_id = %s' % server_id,
            'polling_interval = %g' % self.interval,
            'state_dir = %s' % os.path.join(work, 'state'),
            'signal_mode = deployments-api'])
        bindir = os.path.dirname(sys.executable)
        env = dict(os.environ, HEAT_CONTAINER_HOOKS_CONFIG=conf,
                   DOCKER_HOST=self.docker_url,
                   PATH=bindir + os.pathsep + os.environ.get('PATH', ''))
        env.pop('PYTHONDONTWRITEBYTECODE', None)
        with open(os.path.join(work, 'agent.log'), 'ab') as log:
            self.procs.append(subprocess.Popen(
                [os.path.join(bindir, 'heat-container-agent'),
                 '--config-file', conf],
                stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True, env=env))

    def stop(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


class FakeKeystone:
    """Just enough of Keystone's v3 API for os-collect-config's heat
    collector and heat-config-notify (HEAT_SIGNAL) to get a token and a
    catalog whose orchestration endpoint is ``endpoint`` (the counting
    proxy in front of the noauth Heat, which takes any token). Not part of
    the Heat API: its requests are not counted."""

    def __init__(self, endpoint):
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def _send(self, status, body, headers=()):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(data)))
                for key, value in headers:
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if self.path.rstrip('/') in ('', '/v3'):
                    version = outer.version()
                    self._send(300 if self.path.rstrip('/') == '' else 200,
                               {'versions': {'values': [version]}}
                               if self.path.rstrip('/') == '' else
                               {'version': version})
                else:
                    self._send(404, {'error': {'code': 404}})

            def do_POST(self):
                length = int(self.headers.get('Content-Length') or 0)
                self.rfile.read(length)
                if self.path.rstrip('/') == '/v3/auth/tokens':
                    self._send(201, outer.token(),
                               [('X-Subject-Token', 'heat-local')])
                else:
                    self._send(404, {'error': {'code': 404}})

            def log_message(self, *args):
                pass

        self.endpoint = endpoint
        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                      Handler)
        self.server.daemon_threads = True
        self.url = 'http://127.0.0.1:%d' % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()

    def version(self):
        return {'id': 'v3.14', 'status': 'stable',
                'updated': '2020-04-07T00:00:00Z',
                'links': [{'rel': 'self', 'href': self.url + '/v3/'}],
                'media-types': [{
                    'base': 'application/json',
                    'type': 'application/vnd.openstack.identity-v3+json'}]}

    def token(self):
        now = time.time()
        stamp = '%Y-%m-%dT%H:%M:%S.000000Z'
        project = {'id': 'admin', 'name': 'admin',
                   'domain': {'id': 'default', 'name': 'Default'}}
        return {'token': {
            'methods': ['password'], 'audit_ids': ['bench'],
            'issued_at': time.strftime(stamp, time.gmtime(now)),
            'expires_at': time.strftime(stamp, time.gmtime(now + 86400)),
            'user': {'id': 'bench', 'name': 'bench',
                     'domain': {'id': 'default', 'name': 'Default'}},
            'project': project,
            'roles': [{'id': 'admin', 'name': 'admin'}],
            'catalog': [{
                'type': 'orchestration', 'name': 'heat', 'id': 'heat',
                'endpoints': [{
                    'id': 'heat-%s' % interface, 'interface': interface,
                    'region': 'RegionOne', 'region_id': 'RegionOne',
                    'url': self.endpoint}
                    for interface in ('public', 'internal', 'admin')]}]}}

    def rewrite(self, path, data):
        """A server's metadata as the proxy passes it on: every
        deploy_auth_url (the fake Keystone of Heat's own) points here."""
        if not path.endswith('/metadata'):
            return data
        try:
            body = json.loads(data)
        except ValueError:
            return data

        def walk(node):
            if isinstance(node, dict):
                if node.get('name') == 'deploy_auth_url' and \
                        'value' in node:
                    node['value'] = self.url + '/v3'
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)
        walk(body)
        return json.dumps(body).encode()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class UpstreamChains(Agents):
    """One upstream chain per server: os-collect-config (heat collector,
    polling Heat through the proxy, Keystone faked) -> os-refresh-config
    -> os-apply-config -> 55-heat-config -> our hooks installed as
    drop-ins (``heat-container-hooks install-hooks``) -> heat-config-notify
    (HEAT_SIGNAL: resources.signal through the proxy)."""

    def __init__(self, tmp, heat_url, token, docker_url, compose_binary,
                 interval, keystone, hc, stack_id):
        super().__init__(tmp, heat_url, token, docker_url, compose_binary,
                         interval)
        self.keystone = keystone
        self.hc = hc
        self.stack_id = stack_id

    def start(self, server_id, index, resource_name=None):
        from tests.functional import upstream
        work = os.path.join(self.tmp, 'chain%02d' % index)
        conf = self.hooks_conf(work, 'hooks.conf')
        chain = upstream.Chain(os.path.join(work, 'chain'))
        bindir = os.path.dirname(sys.executable)
        subprocess.run(
            [os.path.join(bindir, 'heat-container-hooks'), 'install-hooks',
             '--dir', chain.hooks_dir, '--configure-dir',
             chain.configure_dir, '--hooks-config', conf], check=True,
            stdout=subprocess.DEVNULL)
        occ = self.hc.resources.metadata(self.stack_id, resource_name)[
            'os-collect-config']['heat']
        command = '%s --lockfile %s' % (
            upstream._script('os-refresh-config'),
            os.path.join(work, 'orc.lock'))
        env = dict(chain.env, DOCKER_HOST=self.docker_url,
                   HEAT_CONTAINER_HOOKS_CONFIG=conf)
        env.pop('PYTHONDONTWRITEBYTECODE', None)
        with open(os.path.join(work, 'chain.log'), 'ab') as log:
            self.procs.append(subprocess.Popen(
                [upstream._script('os-collect-config'),
                 '--config-file', chain.occ_conf,
                 '--cachedir', chain.cache_dir,
                 # Its default is one directory for every chain on the
                 # host, which each run empties: a race between servers.
                 '--backup-cachedir', os.path.join(work, 'occ-backup'),
                 '--keystone-cache_dir', os.path.join(work, 'ks-cache'),
                 '--command', command,
                 '--polling-interval', '%d' % self.interval,
                 '--heat-auth-url', self.keystone.url + '/v3',
                 '--heat-user-id', occ['user_id'],
                 '--heat-password', occ['password'],
                 '--heat-project-id', occ['project_id'],
                 '--heat-stack-id', occ['stack_id'],
                 '--heat-resource-name', occ['resource_name'],
                 'heat'],
                stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True, env=env))


def wait_status(hc, stack_id, want, timeout):
    deadline = time.monotonic() + timeout
    while True:
        stack = hc.stacks.get(stack_id)
        status = stack.stack_status
        if status == want:
            return
        if not status.endswith('IN_PROGRESS') and \
                not status.startswith(want.split('_')[0] + '_') and \
                status.endswith('_COMPLETE'):
            pass    # the action has not begun yet (an update just sent)
        elif not status.endswith('IN_PROGRESS'):
            raise RuntimeError('stack %s: %s (%s)' % (
                stack_id, status, stack.stack_status_reason))
        if time.monotonic() > deadline:
            raise RuntimeError('stack %s still %s after %ds' % (
                stack_id, status, timeout))
        time.sleep(POLL)


def server_ids(hc, stack_id):
    return {r.resource_name: r.physical_resource_id
            for r in hc.resources.list(stack_id)
            if r.resource_type == 'OS::Heat::DeployedServer'
            and r.physical_resource_id}


def measure_all(docker_url, compose_binary, image, tmp, servers=20,
                interval=30.0, idle=60.0, timeout=900, log=print,
                contenders=('ours', 'upstream')):
    """Both contenders, one after the other, on one local Heat; returns
    {contender: figures} (see ``measure``)."""
    from tests.heat import harness
    heat = harness.LocalHeat()
    heat.setUp()
    try:
        return {name: measure(heat, name, docker_url, compose_binary, image,
                              os.path.join(tmp, name), servers, interval,
                              idle, timeout, log)
                for name in contenders}
    finally:
        heat.cleanUp()


def measure(heat, contender, docker_url, compose_binary, image, tmp,
            servers=20, interval=30.0, idle=60.0, timeout=900, log=print):
    """Run the scenario with our agents (``contender`` 'ours') or the
    upstream chain ('upstream') on the LocalHeat ``heat``; returns a dict
    of figures: create_s, update_s, idle_requests_per_agent_minute,
    requests (total during the idle window), servers, interval, idle_s."""
    from tests.heat import harness
    proxy = agents = keystone = None
    os.makedirs(tmp, exist_ok=True)
    try:
        keystone = FakeKeystone(None)
        proxy = CountingProxy(heat.url, rewrite=keystone.rewrite)
        endpoint = proxy.url.rstrip('/') + '/v1/%s' % harness.PROJECT
        keystone.endpoint = endpoint
        hc = heat.client()
        tag = 'hchs%s' % os.urandom(3).hex()
        body = template(servers, image, tag)
        log('servers (%s): creating a stack of %d DeployedServers x %d '
            'deployments' % (contender, servers, len(DEPLOYMENTS)))
        started = time.monotonic()
        stack_id = hc.stacks.create(
            stack_name=tag, template=json.dumps(body))['stack']['id']
        if contender == 'ours':
            agents = Agents(tmp, endpoint, heat.token, docker_url,
                            compose_binary, interval)
        else:
            agents = UpstreamChains(tmp, endpoint, heat.token, docker_url,
                                    compose_binary, interval, keystone, hc,
                                    stack_id)
        seen = {}
        deadline = started + timeout
        while len(seen) < servers:
            for name, ident in server_ids(hc, stack_id).items():
                if name not in seen:
                    seen[name] = ident
                    if contender == 'ours':
                        agents.start(ident, len(seen))
                    else:
                        agents.start(ident, len(seen), name)
            if time.monotonic() > deadline:
                raise RuntimeError('%d servers after %ds'
                                   % (len(seen), timeout))
            time.sleep(POLL)
        wait_status(hc, stack_id, 'CREATE_COMPLETE', timeout)
        create_s = time.monotonic() - started
        log('servers (%s): CREATE_COMPLETE after %.1fs; idle for %ds'
            % (contender, create_s, idle))
        time.sleep(min(interval, 5))
        window = time.monotonic()
        time.sleep(idle)
        requests = proxy.count(window)
        per_minute = requests / float(servers) / (idle / 60.0)
        log('servers (%s): %d requests in %ds of idling; updating the '
            'docker-cmd deployment of every server'
            % (contender, requests, idle))
        started = time.monotonic()
        hc.stacks.update(stack_id, template=json.dumps(body),
                         parameters={'marker': '2'})
        time.sleep(POLL)
        wait_status(hc, stack_id, 'UPDATE_COMPLETE', timeout)
        update_s = time.monotonic() - started
        log('servers (%s): UPDATE_COMPLETE after %.1fs'
            % (contender, update_s))
        return {'servers': servers, 'interval': interval, 'idle_s': idle,
                'create_s': create_s, 'update_s': update_s,
                'requests': requests,
                'idle_requests_per_agent_minute': per_minute}
    finally:
        if agents is not None:
            agents.stop()
        if proxy is not None:
            proxy.close()
        if keystone is not None:
            keystone.close()
