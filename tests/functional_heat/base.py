"""What the tests on a real Heat stand on: a LocalHeat per test, the
project's hooks as the agent runs them, and polling helpers.

`complete_deployments()` does what an agent on the server does for one
pass (fetch the server's deployments metadata, run the hook named by each
pending item's group, report the reply through the software-deployments
update API); the scenario tests use our real agent instead.
"""

import json
import os
import shutil
import subprocess
import sys
import time
import uuid

import docker
import fixtures
import testtools

from tests.heat import harness
from tests.heat import proc as proc_mod

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = os.path.join(HERE, 'templates')
BUSYBOX_IMAGE = os.environ.get('HCH_BUSYBOX_IMAGE', 'hch-test/busybox:latest')
STACK_TIMEOUT = float(os.environ.get('HCH_HEAT_STACK_TIMEOUT', '600'))
HOOK_TIMEOUT = 600
REASON_LIMIT = 2000


def template(name):
    """A template of tests/functional_heat/templates/ by file name, or any
    path (e.g. the project's templates/...)."""
    if os.sep in name:
        return os.path.abspath(name)
    return os.path.join(TEMPLATES, name)


def hook_command(group, prefix='heat-config-'):
    script = prefix + group
    path = shutil.which(script)
    if path is None:
        path = os.path.join(os.path.dirname(sys.executable), script)
    return [path]


def run_hook(item, conf_file, timeout=HOOK_TIMEOUT):
    """Run the hook for item['group'] as the agent does; its reply (a
    dict) and exit status."""
    proc = subprocess.run(
        hook_command(item['group']), input=json.dumps(item).encode(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
        env=dict(os.environ, HEAT_CONTAINER_HOOKS_CONFIG=conf_file))
    try:
        reply = json.loads(proc.stdout.decode('utf-8'))
    except ValueError:
        reply = {'deploy_stdout': proc.stdout.decode('utf-8', 'replace'),
                 'deploy_stderr': proc.stderr.decode('utf-8', 'replace'),
                 'deploy_status_code': proc.returncode or 1}
    return reply, proc.returncode


def status_reason(reply):
    code = reply.get('deploy_status_code') or 0
    if not code:
        return 'Outputs received'
    reason = 'deploy_status_code : Deployment exited with non-zero ' \
             'status code: %s' % code
    stderr = (reply.get('deploy_stderr') or '').strip()
    if stderr:
        reason += '\n' + stderr[-REASON_LIMIT:]
    return reason


def complete_deployments(hc, server_id, conf_file, done=None):
    """One agent pass for server_id: run and report every deployment that
    is IN_PROGRESS. Returns the replies by deployment id. ``done`` (a set
    of (deployment id, action, updated_time)) skips items already run."""
    done = set() if done is None else done
    pending = {}
    for dep in hc.software_deployments.list(server_id=server_id):
        if dep.status == 'IN_PROGRESS':
            pending.setdefault(dep.config_id, []).append(dep)
    if not pending:
        return {}
    replies = {}
    items = hc.software_deployments.metadata(server_id=server_id) or []
    for item in items:
        for dep in pending.get(item.get('id'), ()):
            key = (dep.id, dep.action, getattr(dep, 'updated_time', None))
            if key in done:
                continue
            done.add(key)
            reply, _ = run_hook(item, conf_file)
            code = reply.get('deploy_status_code') or 0
            hc.software_deployments.update(
                dep.id, status='FAILED' if code else 'COMPLETE',
                output_values=reply, status_reason=status_reason(reply))
            replies[dep.id] = reply
    return replies


def server_occ(hc, stack, name, timeout=STACK_TIMEOUT):
    """The os-collect-config section (a dict) Heat made for the
    DeployedServer resource ``name`` of ``stack``, or None after
    ``timeout`` seconds; Heat fills it in once the server's stack user
    exists, shortly after the server has its id."""
    deadline = time.monotonic() + timeout
    while True:
        resource = hc.resources.get(stack, name,
                                    with_attr=['os_collect_config'])
        section = resource.attributes.get('os_collect_config')
        if section and section.get('collectors'):
            return section
        if time.monotonic() > deadline:
            return None
        time.sleep(0.5)


def occ_conf_text(section):
    """The os-collect-config section Heat makes for a server (its
    ``os_collect_config`` attribute) as agent configuration: ``[agent]
    collectors`` and one group per collector with the stack user's
    credentials, as /etc/os-collect-config.conf holds them."""
    return '[agent]\ncollectors = %s\n%s' % (
        ','.join(occ_collectors(section)), occ_groups_text(section))


def occ_collectors(section):
    """The collectors of an os-collect-config section that fetch Heat's
    metadata (not ec2 / local, which have nothing here)."""
    return [n for n in section.get('collectors', ())
            if n in ('heat', 'cfn', 'request', 'zaqar')]


def occ_groups_text(section):
    """One ini group per collector with its options, as
    /etc/os-collect-config.conf holds them."""
    lines = []
    for name in occ_collectors(section):
        lines.append('[%s]' % name)
        for key, value in sorted(section.get(name, {}).items()):
            if value is not None:
                lines.append('%s = %s' % (key, value))
    return '\n'.join(lines) + '\n'


class Agent(fixtures.Fixture):
    """Our agent (`heat-container-agent`) for one server of a LocalHeat
    with Keystone, configured only with what Heat gives the server: its
    os-collect-config section (``occ``, the DeployedServer's
    ``os_collect_config`` attribute). It collects through os-collect-config's
    collectors with the stack user's credentials and signals each
    deployment through its own transport. A detached process logging to
    <work_dir>/agent.log; stopped (SIGTERM, then SIGKILL) on cleanUp."""

    def __init__(self, occ, work_dir, hooks_conf_text='',
                 polling_interval=1):
        super().__init__()
        self.occ = occ
        self.work_dir = work_dir
        self.hooks_conf_text = hooks_conf_text
        self.polling_interval = polling_interval

    def config_text(self, state_dir=None):
        """The agent's whole config file: the hooks' options, the
        os-collect-config groups Heat gave the server, and [agent] (also
        what the agent container of a container host is given;
        ``state_dir``: where the agent keeps its state, by default under
        work_dir)."""
        # oslo.config merges repeated groups: [agent] again.
        return (self.hooks_conf_text + '\n' + occ_conf_text(self.occ)
                + '[agent]\npolling_interval = %s\nstate_dir = %s\n'
                % (self.polling_interval,
                   state_dir or os.path.join(self.work_dir, 'state')))

    def _setUp(self):
        os.makedirs(self.work_dir, exist_ok=True)
        self.conf_file = os.path.join(self.work_dir, 'agent.conf')
        self.log_path = os.path.join(self.work_dir, 'agent.log')
        with open(self.conf_file, 'w') as handle:
            handle.write(self.config_text())
        with open(self.log_path, 'a') as log:
            self.process = subprocess.Popen(
                hook_command('container-agent', prefix='heat-')
                + ['--config-file', self.conf_file],
                stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
                env=dict(os.environ,
                         HEAT_CONTAINER_HOOKS_CONFIG=self.conf_file))
        self.addCleanup(self.stop)

    def stop(self):
        proc, self.process = self.process, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def log_tail(self, lines=60):
        return proc_mod.tail(self.log_path, lines)


def _stack_of(resource):
    """'<name>/<id>' of the stack a listed resource belongs to (its
    'stack' link ends with /stacks/<name>/<id>)."""
    for link in getattr(resource, 'links', ()) or ():
        if link.get('rel') == 'stack':
            return '/'.join(link['href'].rstrip('/').split('/')[-2:])
    return None


class HeatTest(testtools.TestCase):
    """A test against a local Heat: a fresh one per test (about 6 s), or
    with shared_heat = True one per test process (harness.shared())."""

    shared_heat = False
    heat_options = {}       # LocalHeat arguments (not with shared_heat)

    def setUp(self):
        super().setUp()
        if self.shared_heat:
            self.heat = harness.shared()
        else:
            self.heat = self.useFixture(
                harness.LocalHeat(**self.heat_options))
        self.hc = self.heat.client()
        self.docker = docker.from_env(timeout=120)
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.prefix = 'hch%s' % uuid.uuid4().hex[:8]
        self.hook_conf = os.path.join(self.tmp, 'hooks.conf')
        self.hook_conf_text = (
            '[DEFAULT]\nworking_dir = %s\nlock_dir = %s\n'
            'log_level = DEBUG\nsettle_time = 0.5\n'
            % (os.path.join(self.tmp, 'work'),
               os.path.join(self.tmp, 'locks')))
        with open(self.hook_conf, 'w') as handle:
            handle.write(self.hook_conf_text)
        self.agents = []
        self._servers = {}
        self.addOnException(self._heat_log)

    def _heat_log(self, exc_info):
        self.addDetail('heat-log', testtools.content.text_content(
            self.heat.log_tail(200)))

    def create_stack(self, template_name, parameters=None, environment=None):
        """Create a stack (deleted on cleanUp); its id. environment: a
        list of environment file paths (-e)."""
        from heatclient.common import template_utils
        files, tpl = template_utils.get_template_contents(
            template_file=template(template_name))
        env_files, env = \
            template_utils.process_multiple_environments_and_files(
                env_paths=environment or [])
        files.update(env_files)
        name = '%s-%s' % (self.prefix,
                          os.path.basename(template_name).split('.')[0])
        stack = self.hc.stacks.create(
            stack_name=name, template=tpl, files=files, environment=env,
            parameters=parameters or {})['stack']
        self.addCleanup(self.delete_stack, stack['id'])
        return stack['id']

    def delete_stack(self, stack_id, wait=True):
        """Delete; with wait, the final status ('DELETE_COMPLETE' when the
        stack is gone). Deployments that run on DELETE are completed by
        our hooks here unless one of our agents is running."""
        from heatclient import exc
        try:
            self.hc.stacks.delete(stack_id)
        except exc.HTTPNotFound:
            return 'DELETE_COMPLETE'
        if wait:
            stack = self.wait_stack(stack_id, ('DELETE_COMPLETE',),
                                    agent=not self.agent_running())
            return 'DELETE_COMPLETE' if stack is None else \
                stack.stack_status

    def agent_running(self):
        return any(agent.process is not None for agent in self.agents)

    def os_collect_config(self, server_id, timeout=STACK_TIMEOUT):
        """The os-collect-config section Heat made for the DeployedServer
        server_id (one found by server_ids() or wait_servers()); see
        server_occ."""
        stack, name = self._servers[server_id]
        section = server_occ(self.hc, stack, name, timeout)
        if section is None:
            self.fail('server %s has no os-collect-config section '
                      'after %ds' % (server_id, timeout))
        return section

    def start_agent(self, server_id, **kwargs):
        """Our agent for server_id, configured with the server's
        os-collect-config section only (stopped on cleanUp); its log is
        added to the details of a failing test."""
        if not self.heat.use_keystone:
            self.fail('our agent signals through the deployments\' own '
                      'transports, which need Keystone: unset '
                      'HCH_HEAT_AUTH=noauth')
        agent = self.useFixture(Agent(
            self.os_collect_config(server_id),
            os.path.join(self.tmp, 'agent-%s' % server_id[:8]),
            self.hook_conf_text, **kwargs))
        return self._started(agent, 'agent-log-%s' % server_id[:8])

    def start_chain(self, server_id):
        """The real upstream chain for server_id (os-collect-config with
        the server's os-collect-config section, ..., our hooks,
        heat-config-notify), stopped on cleanUp; its log is added to the
        details of a failing test."""
        from tests.functional_heat import upstream_chain
        chain = self.useFixture(upstream_chain.CollectingChain(
            self.os_collect_config(server_id),
            os.path.join(self.tmp, 'chain-%s' % server_id[:8]),
            self.hook_conf))
        return self._started(chain, 'chain-log-%s' % server_id[:8])

    def _started(self, runner, detail):
        self.agents.append(runner)
        self.addOnException(lambda exc_info: self.addDetail(
            detail, testtools.content.text_content(runner.log_tail(200))))
        return runner

    def wait_servers(self, stack_id, count=1, timeout=STACK_TIMEOUT):
        """The DeployedServer ids once count of them exist."""
        deadline = time.monotonic() + timeout
        while True:
            ids = self.server_ids(stack_id)
            status = self.hc.stacks.get(stack_id).stack_status
            if len(ids) >= count or not status.endswith('IN_PROGRESS'):
                return ids
            if time.monotonic() > deadline:
                self.fail('%d servers after %ds' % (len(ids), timeout))
            time.sleep(0.5)

    def server_ids(self, stack_id):
        """The physical ids of the stack's DeployedServers (nested stacks
        included); remembers each one's stack and resource name."""
        found = []
        for r in self.hc.resources.list(stack_id, nested_depth=5):
            if r.resource_type == 'OS::Heat::DeployedServer' \
                    and r.physical_resource_id:
                found.append(r.physical_resource_id)
                self._servers[r.physical_resource_id] = (
                    _stack_of(r) or stack_id, r.resource_name)
        return found

    def wait_stack(self, stack_id, statuses, agent=True,
                   timeout=STACK_TIMEOUT):
        """Poll until the stack reaches one of statuses (or any *_FAILED /
        *_COMPLETE); with agent, complete deployments on the way."""
        from heatclient import exc
        deadline = time.monotonic() + timeout
        done = set()
        while True:
            try:
                stack = self.hc.stacks.get(stack_id)
            except exc.HTTPNotFound:
                if 'DELETE_COMPLETE' in statuses:
                    return None
                raise
            status = stack.stack_status
            if status in statuses or not status.endswith('IN_PROGRESS'):
                return stack
            if agent:
                for server_id in self.server_ids(stack_id):
                    complete_deployments(self.hc, server_id, self.hook_conf,
                                         done)
            if time.monotonic() > deadline:
                self.fail('stack %s still %s after %ds'
                          % (stack_id, status, timeout))
            time.sleep(0.5)

    def deployments(self, stack_id):
        """Every software deployment of the stack's servers, with its
        status and signalled ``output_values``."""
        return [self.hc.software_deployments.get(dep.id)
                for server_id in self.server_ids(stack_id)
                for dep in self.hc.software_deployments.list(
                    server_id=server_id)]

    def assert_failed_with(self, stack_id, text):
        """The stack FAILED as Heat fails it on a signal with a non-zero
        deploy_status_code, and ``text`` (a container's log line) is in
        the failed deployment's signalled deploy_stderr: with a real
        signal Heat writes the reason itself from the status code (and the
        config's error_output outputs, which a hook's reply cannot carry),
        so the log line is in the deployment's outputs, which `openstack
        stack failures list --long` shows."""
        stack = self.hc.stacks.get(stack_id)
        self.assertTrue(stack.stack_status.endswith('_FAILED'),
                        stack.stack_status)
        self.assertIn('Deployment exited with non-zero status code',
                      stack.stack_status_reason)
        failed = [d for d in self.deployments(stack_id)
                  if d.status == 'FAILED']
        self.assertTrue(failed, 'no FAILED deployment')
        self.assertIn(text, ''.join(
            (d.output_values or {}).get('deploy_stderr') or ''
            for d in failed))

    def outputs(self, stack_id):
        stack = self.hc.stacks.get(stack_id)
        return {o['output_key']: o.get('output_value')
                for o in stack.outputs or ()}

    def remove_containers(self, *names):
        for name in names:
            try:
                self.docker.containers.get(name).remove(force=True, v=True)
            except docker.errors.NotFound:
                pass
