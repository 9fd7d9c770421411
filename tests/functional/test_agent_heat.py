"""heat-container-agent against a real (local, noauth) Heat: it collects
the server's deployments from the software_deployments metadata API, runs
them on the engine and completes them through the deployments API
(signal_mode = deployments-api), and the stack completes with the
deployment's output."""

import os
import subprocess
import sys
import time

from tests.functional import base
from tests.heat import harness

TEMPLATE = '''
heat_template_version: 2018-08-31
resources:
  server:
    type: OS::Heat::DeployedServer
    properties:
      software_config_transport: POLL_SERVER_HEAT
  config:
    type: OS::Heat::StructuredConfig
    properties:
      group: docker-cmd
      config:
        %(name)s:
          image: %(image)s
          command: [echo, from-heat]
          detach: false
          net: none
  deployment:
    type: OS::Heat::StructuredDeployment
    properties:
      config: {get_resource: config}
      server: {get_resource: server}
      signal_transport: HEAT_SIGNAL
outputs:
  out:
    value: {get_attr: [deployment, deploy_stdout]}
'''


class AgentHeatTest(base.FunctionalTest):

    def test_stack_completes_through_the_agent(self):
        heat = self.useFixture(harness.LocalHeat())
        client = heat.client()
        stack_id = client.stacks.create(
            stack_name=self.prefix, template=TEMPLATE % {
                'name': self.name('one'), 'image': self.image})['stack']['id']
        server = None
        for _ in range(300):
            server = client.resources.get(
                stack_id, 'server').physical_resource_id
            if server:
                break
            time.sleep(0.1)
        self.assertTrue(server)
        self.write_conf(managed_by=self.prefix)
        with open(self.conf_file, 'a') as handle:
            handle.write('[agent]\nstate_dir = %s\nheat_url = %s\n'
                         'heat_token = any\nserver_id = %s\n'
                         'signal_mode = deployments-api\n'
                         % (os.path.join(self.tmp, 'state'), heat.endpoint,
                            server))
        agent = os.path.join(os.path.dirname(sys.executable),
                             'heat-container-agent')
        for _ in range(60):
            proc = subprocess.run(
                [agent, '--config-file', self.conf_file, '--one-time'],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            stack = client.stacks.get(stack_id)
            if stack.stack_status != 'CREATE_IN_PROGRESS':
                break
            time.sleep(0.5)
        log = proc.stdout.decode('utf-8', 'replace')
        self.assertEqual('CREATE_COMPLETE', stack.stack_status,
                         '%s\n%s' % (stack.stack_status_reason, log[-3000:]))
        outputs = {o['output_key']: o['output_value'] for o in stack.outputs}
        self.assertIn('from-heat', outputs['out'])
        self.assertEqual(1, len(self.stack_containers(
            '%s/%s' % (self.prefix, stack_id))))
