"""The production paths end to end on the Keystone-authenticated local
Heat: a DeployedServer collected through `software_config_transport`
POLL_SERVER_HEAT or POLL_SERVER_CFN, a deployment signalled through
HEAT_SIGNAL or CFN_SIGNAL, carried out with only the server's
os-collect-config section (the stack user's credentials Heat made) by

- our heat-container-agent (collecting through os-collect-config's
  collectors, signalling itself), or
- the real upstream chain: os-collect-config -> os-refresh-config ->
  os-apply-config -> 55-heat-config -> our hooks (install-hooks) ->
  heat-config-notify;

each: create, update, a failing container, delete.
"""

import testtools

from tests.functional import base as functional_base
from tests.functional_heat import base

PAIRS = [('POLL_SERVER_HEAT', 'HEAT_SIGNAL'),
         ('POLL_SERVER_CFN', 'CFN_SIGNAL')]


class TransportsTest(base.HeatTest):
    """One pair of transports and one runner; subclasses set
    config_transport, signal_transport and runner ('agent' or
    'chain')."""

    shared_heat = True
    config_transport = None
    signal_transport = None
    runner = None

    def setUp(self):
        super().setUp()
        # The runners' cleanup only ever touches this test's containers.
        self.hook_conf_text += 'managed_by = %s\n' % self.prefix
        with open(self.hook_conf, 'w') as handle:
            handle.write(self.hook_conf_text)
        functional_base.ensure_busybox(self.docker)
        self.name = '%s-%s' % (self.prefix, self.signal_transport.lower()
                               .replace('_', '-'))
        self.addCleanup(self.remove_containers, self.name)

    def parameters(self, **extra):
        values = {'config_transport': self.config_transport,
                  'signal_transport': self.signal_transport,
                  'container_name': self.name, 'image': base.BUSYBOX_IMAGE}
        values.update(extra)
        return values

    def start(self, **extra):
        stack_id = self.create_stack('transports.yaml',
                                     self.parameters(**extra))
        [server_id] = self.wait_servers(stack_id)
        occ = self.os_collect_config(server_id)
        # What the agent gets is what Heat made for this transport.
        collector = {'POLL_SERVER_HEAT': 'heat',
                     'POLL_SERVER_CFN': 'cfn'}[self.config_transport]
        self.assertIn(collector, occ['collectors'])
        if self.runner == 'agent':
            self.start_agent(server_id)
        else:
            self.start_chain(server_id)
        return stack_id

    def test_create_update_delete(self):
        stack_id = self.start()
        stack = self.wait_stack(stack_id, ('CREATE_COMPLETE',), agent=False)
        self.assertEqual('CREATE_COMPLETE', stack.stack_status,
                         stack.stack_status_reason)
        container = self.docker.containers.get(self.name)
        self.assertEqual('running', container.status)
        self.assertIn('HCH_TEST_LABEL=one', container.attrs['Config']['Env'])
        outputs = self.outputs(stack_id)
        self.assertEqual(0, outputs['deploy_status_code'])
        self.assertEqual(container.id, outputs['containers'][self.name]['id'])
        [item] = self.hc.software_deployments.metadata(
            outputs['server_id'])
        self.assertEqual(self.signal_transport, {
            i['name']: i.get('value') for i in item['inputs']
        }['deploy_signal_transport'])

        self.hc.stacks.update(stack_id, existing=True,
                              parameters={'label': 'two'})
        stack = self.wait_stack(stack_id, ('UPDATE_COMPLETE',), agent=False)
        self.assertEqual('UPDATE_COMPLETE', stack.stack_status,
                         stack.stack_status_reason)
        replaced = self.docker.containers.get(self.name)
        self.assertIn('HCH_TEST_LABEL=two', replaced.attrs['Config']['Env'])
        self.assertNotEqual(container.id, replaced.id)
        self.assertEqual(replaced.id,
                         self.outputs(stack_id)['containers'][self.name]['id'])

        self.assertEqual('DELETE_COMPLETE', self.delete_stack(stack_id))
        # Heat deletes a DeployedServer's deployments without waiting for
        # the server (doc/heat-local.md); the agent's cleanup removes the
        # container once its deployment is gone from the metadata... of a
        # server that no longer exists, so nothing is collected: the
        # test's own cleanup removes it.

    def test_failing_container_fails_the_stack(self):
        stack_id = self.start(command=['sh', '-c',
                                       'echo hch-boom-%s >&2; exit 3'
                                       % self.prefix], detach=False)
        stack = self.wait_stack(stack_id, ('CREATE_FAILED',), agent=False)
        self.assertEqual('CREATE_FAILED', stack.stack_status)
        self.assert_failed_with(stack_id, 'hch-boom-%s' % self.prefix)
        self.addDetail('reason', testtools.content.text_content(
            stack.stack_status_reason))
        self.assertEqual('DELETE_COMPLETE', self.delete_stack(stack_id))


class AgentHeatTest(TransportsTest):
    """POLL_SERVER_HEAT + HEAT_SIGNAL by our agent."""
    config_transport, signal_transport = PAIRS[0]
    runner = 'agent'


class AgentCfnTest(TransportsTest):
    """POLL_SERVER_CFN + CFN_SIGNAL by our agent."""
    config_transport, signal_transport = PAIRS[1]
    runner = 'agent'


class UpstreamChainHeatTest(TransportsTest):
    """POLL_SERVER_HEAT + HEAT_SIGNAL by the upstream chain."""
    config_transport, signal_transport = PAIRS[0]
    runner = 'chain'


class UpstreamChainCfnTest(TransportsTest):
    """POLL_SERVER_CFN + CFN_SIGNAL by the upstream chain."""
    config_transport, signal_transport = PAIRS[1]
    runner = 'chain'


del TransportsTest
