"""heat-container-agent against a real local Heat with Keystone, given only
the server's os-collect-config section: it collects the server's
deployments through os-collect-config's heat collector as the stack user,
runs them on the engine and signals them through HEAT_SIGNAL, and the
stack completes with the deployment's output."""

import os
import subprocess
import sys
import time

from tests.functional import base
from tests.functional_heat import base as heat_base
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
        heat = self.useFixture(harness.LocalHeat(keystone=True))
        client = heat.client()
        stack_id = client.stacks.create(
            stack_name=self.prefix, template=TEMPLATE % {
                'name': self.name('one'), 'image': self.image})['stack']['id']
        section = None
        for _ in range(600):
            section = client.resources.get(
                stack_id, 'server', with_attr=['os_collect_config']
            ).attributes.get('os_collect_config')
            if section:
                break
            time.sleep(0.2)
        self.assertEqual(['heat'], heat_base.occ_collectors(section))
        self.write_conf(managed_by=self.prefix)
        with open(self.conf_file, 'a') as handle:
            handle.write(heat_base.occ_conf_text(section))
            handle.write('[agent]\nstate_dir = %s\n'
                         % os.path.join(self.tmp, 'state'))
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
