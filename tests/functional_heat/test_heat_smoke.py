"""The local Heat harness end to end: a stack whose server is this host
(OS::Heat::DeployedServer) and a docker-cmd deployment completed by our
hook, as our agent completes it."""

import time

import testtools

from tests.functional import base as functional_base
from tests.functional_heat import base


class HeatSmokeTest(base.HeatTest):

    shared_heat = True

    def test_docker_cmd_deployment(self):
        functional_base.ensure_busybox(self.docker)
        name = '%s-smoke' % self.prefix
        self.addCleanup(self.remove_containers, name)

        started = time.monotonic()
        stack_id = self.create_stack('smoke.yaml', {
            'container_name': name, 'image': base.BUSYBOX_IMAGE})
        stack = self.wait_stack(stack_id, ('CREATE_COMPLETE',))
        self.addDetail('timings', testtools.content.text_content(
            'heat start %.1fs, stack create %.1fs' % (
                self.heat.timings['start'], time.monotonic() - started)))
        self.assertEqual('CREATE_COMPLETE', stack.stack_status,
                         stack.stack_status_reason)

        container = self.docker.containers.get(name)
        self.assertEqual('running', container.status)
        outputs = self.outputs(stack_id)
        self.assertEqual(0, outputs['deploy_status_code'])
        self.assertEqual(container.id, outputs['containers'][name]['id'])
        self.assertEqual('running', outputs['containers'][name]['state'])
        self.assertEqual([outputs['server_id']], self.server_ids(stack_id))

        self.assertEqual('DELETE_COMPLETE', self.delete_stack(stack_id))
        self.remove_containers(name)
        self.assertEqual([], self.docker.containers.list(
            all=True, filters={'name': name}, ignore_removed=True))

    def test_failed_deployment_fails_the_stack_with_the_error(self):
        functional_base.ensure_busybox(self.docker)
        name = '%s-fails' % self.prefix
        self.addCleanup(self.remove_containers, name)

        stack_id = self.create_stack('smoke.yaml', {
            'container_name': name, 'image': base.BUSYBOX_IMAGE,
            'command': ['sh', '-c', 'echo smoke-boom >&2; exit 3'],
            'detach': False})
        stack = self.wait_stack(stack_id, ('CREATE_FAILED',))
        self.assertEqual('CREATE_FAILED', stack.stack_status)
        self.assertIn('smoke-boom', stack.stack_status_reason)

    def test_our_agent_completes_the_deployment(self):
        functional_base.ensure_busybox(self.docker)
        name = '%s-agent' % self.prefix
        self.addCleanup(self.remove_containers, name)

        stack_id = self.create_stack('smoke.yaml', {
            'container_name': name, 'image': base.BUSYBOX_IMAGE})
        [server_id] = self.wait_servers(stack_id)
        self.start_agent(server_id)
        stack = self.wait_stack(stack_id, ('CREATE_COMPLETE',), agent=False)
        self.assertEqual('CREATE_COMPLETE', stack.stack_status,
                         stack.stack_status_reason)
        container = self.docker.containers.get(name)
        self.assertEqual(container.id,
                         self.outputs(stack_id)['containers'][name]['id'])
