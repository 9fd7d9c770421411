"""The agent container as the design intends (issue 20, point 6): a
container host bootstrapped with environments/container-host.yaml runs
heat-container-agent as a privileged container built from images/agent
(on the locally built Debian base, images/agent/build, cached by content
key), and that container carries out the stack's deployment through the
host engine's socket. No agent runs on the host: the harness's own agent
pass is off and no agent process is started.
"""

import json
import os
import subprocess
import time

import docker
import testtools

from tests.functional_heat import base
from tests.functional_heat import test_scenarios

REPO = test_scenarios.REPO
AGENT_BUILD = os.path.join(REPO, 'images', 'agent', 'build')
AGENT_IMAGE_NAME = os.environ.get('HCH_AGENT_IMAGE',
                                  'hch-test/heat-container-agent')
BUILD_TIMEOUT = 3600


def build_agent_image():
    """images/agent/build (cached by content key; the Debian base is built
    first when missing); the image's tag and the seconds it took."""
    started = time.monotonic()
    proc = subprocess.run(
        [AGENT_BUILD], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        timeout=BUILD_TIMEOUT, cwd=REPO,
        env=dict(os.environ, HCH_AGENT_IMAGE=AGENT_IMAGE_NAME))
    if proc.returncode:
        raise AssertionError('images/agent/build failed (%d):\n%s'
                             % (proc.returncode,
                                proc.stderr.decode(errors='replace')[-3000:]))
    tag = proc.stdout.decode().strip().splitlines()[-1]
    return tag, time.monotonic() - started


def engine_allows_privileged(client):
    """Whether the engine starts a privileged container (some sandboxes
    cannot apply its capabilities: 'unable to apply caps')."""
    try:
        client.containers.run(base.BUSYBOX_IMAGE, ['true'], privileged=True,
                              network_mode='none', remove=True)
        return True
    except docker.errors.APIError as exc:
        if 'apply caps' in str(exc):
            return False
        raise


class AgentContainerTest(test_scenarios.ScenarioBase):

    def test_container_host_agent_container_deploys(self):
        tag, seconds = build_agent_image()
        self.timings.append(('agent image (build or cache)', seconds))
        privileged = engine_allows_privileged(self.docker)
        if not privileged:
            # This sandbox's engine cannot apply a privileged container's
            # capabilities (doc/compatibility.md): the same bootstrap runs
            # the agent unprivileged, which the Docker socket suffices for.
            self.addDetail('privileged', testtools.content.text_content(
                'the engine refuses privileged containers: '
                'AgentPrivileged = false'))
        # Everything the agent container reads or writes is under one
        # directory of this test, mounted at the same path by the
        # bootstrap script (AgentMetadataFile's directory).
        agent_dir = os.path.join(self.tmp, 'agent')
        conf_dir = os.path.join(self.tmp, 'agent-etc')
        os.makedirs(conf_dir)
        agent_name = 'heat-container-agent-%s' % self.prefix
        self.addCleanup(self.remove_containers, agent_name)
        env_file = os.path.join(self.tmp, 'agent-params.yaml')
        with open(env_file, 'w') as handle:
            json.dump({'parameter_defaults': {
                'AgentImage': tag,
                'AgentContainerName': agent_name,
                'AgentConfigFile': os.path.join(conf_dir, 'agent.conf'),
                'AgentMetadataFile': os.path.join(agent_dir,
                                                  'os-collect-config.json'),
                # Empty: the file the test writes below (the server's id is
                # known only once the stack made it) is kept.
                'AgentConfig': '',
                'AgentPrivileged': privileged}}, handle)
        service = '%s-svc' % self.prefix

        started = time.monotonic()
        stack_id = self.create_stack(
            'container-host.yaml', {'service_name': service},
            environment=[os.path.join(REPO, 'environments',
                                      'container-host.yaml'), env_file])
        [server_id] = self.wait_servers(stack_id)
        script = self.bootstrap_script(stack_id)
        hooks_conf = ('[DEFAULT]\nworking_dir = %s\nlock_dir = %s\n'
                      'managed_by = %s\nstop_grace_period = 1\n'
                      % (os.path.join(agent_dir, 'work'),
                         os.path.join(agent_dir, 'locks'), self.prefix))
        with open(os.path.join(conf_dir, 'agent.conf'), 'w') as handle:
            handle.write(base.Agent(self.os_collect_config(server_id),
                                    agent_dir, hooks_conf).config_text())
        # The host's bootstrap, as a first boot (or an operator) runs it.
        boot = subprocess.run(['sh', '-c', script], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=120)
        self.assertEqual(0, boot.returncode, boot.stdout)
        agent = self.docker.containers.get(agent_name)
        self.addOnException(lambda exc_info: self.addDetail(
            'agent-container-log', testtools.content.text_content(
                agent.logs(tail=200).decode(errors='replace'))))
        self.assertEqual(privileged, agent.attrs['HostConfig']['Privileged'])
        self.assertEqual('host', agent.attrs['HostConfig']['NetworkMode'])
        self.assertEqual(tag, agent.attrs['Config']['Image'])

        stack = self.wait_with_agent(stack_id, agent)
        self.timed('create', started)
        self.assertEqual('CREATE_COMPLETE', stack.stack_status,
                         stack.stack_status_reason)
        outputs = self.outputs(stack_id)
        container = self.docker.containers.get(service)
        self.assertEqual('running', container.status)
        self.assertEqual(container.id, outputs['containers'][service]['id'])
        self.assertEqual(self.prefix, container.labels['managed_by'])
        # It was that container: its log names the deployment it ran.
        agent.reload()
        self.assertEqual('running', agent.status)
        self.assertIn(service, agent.logs().decode(errors='replace'))

        self.delete_and_check(stack_id)
        with self.assertRaises(docker.errors.NotFound):
            self.docker.containers.get(service)

    def wait_with_agent(self, stack_id, agent,
                        timeout=base.STACK_TIMEOUT):
        """The stack once it settled, failing at once (with the agent
        container's log) if that container stops or restarts."""
        deadline = time.monotonic() + timeout
        while True:
            stack = self.hc.stacks.get(stack_id)
            if not stack.stack_status.endswith('IN_PROGRESS'):
                return stack
            agent.reload()
            if agent.status != 'running' or agent.attrs['RestartCount']:
                self.fail('the agent container is %s (restarts: %s):\n%s'
                          % (agent.status, agent.attrs['RestartCount'],
                             agent.logs(tail=30).decode(errors='replace')))
            if time.monotonic() > deadline:
                self.fail('stack still %s after %ds'
                          % (stack.stack_status, timeout))
            time.sleep(0.5)

    def bootstrap_script(self, stack_id, timeout=base.STACK_TIMEOUT):
        """The host's bootstrap script: the config of the bootstrap
        resource (templates/firstboot/container-host.yaml) once it
        exists."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for res in self.hc.resources.list(stack_id, nested_depth=5):
                if res.resource_name == 'BootstrapConfig' and \
                        res.physical_resource_id:
                    return self.hc.software_configs.get(
                        res.physical_resource_id).config
            time.sleep(0.5)
        self.fail('no BootstrapConfig after %ds' % timeout)
