"""Our hooks installed as drop-ins and run by the real upstream chain from
PyPI: os-collect-config (local collector) -> os-refresh-config ->
os-apply-config -> 55-heat-config -> our hooks -> heat-config-notify."""

import os

from tests.functional import base
from tests.functional import upstream


class TestUpstreamChain(base.FunctionalTest):

    def setUp(self):
        super().setUp()
        # Cleanup only ever touches this test's containers.
        self.write_conf(managed_by=self.prefix)
        self.chain = upstream.Chain(os.path.join(self.tmp, 'chain'))
        self.recorder = upstream.Recorder()
        self.addCleanup(self.recorder.close)
        self.chain.install_our_hooks(self.conf_file)

    def deployment(self, resource, config, transport, path=None):
        found = self.item(config, resource=resource)
        found['inputs'] += upstream.signal_inputs(
            transport, path and self.recorder.url(path))
        return found

    def oneshot(self, name, text):
        return {self.name(name): {'image': self.image, 'detach': False,
                                  'net': 'none', 'command': ['echo', text]}}

    def test_no_signal_cfn_and_tempurl_then_cleanup(self):
        keep = self.deployment(
            'keep', {self.name('keep'): {'image': self.image, 'net': 'none',
                                         'command': ['sleep', '300']}},
            'NO_SIGNAL')
        cfn = self.deployment('cfn', self.oneshot('cfn', 'cfn-out'),
                              'CFN_SIGNAL', '/cfn/signal')
        temp = self.deployment('temp', self.oneshot('temp', 'temp-out'),
                               'TEMP_URL_SIGNAL', '/swift/temp')

        proc = self.chain.run([keep, cfn, temp])
        log = proc.stdout.decode('utf-8', 'replace')
        self.assertEqual(0, proc.returncode, log[-4000:])

        by_method = {r['method']: r for r in self.recorder.requests}
        self.assertEqual(2, len(self.recorder.requests), log[-4000:])
        self.assertEqual('/cfn/signal', by_method['POST']['path'])
        self.assertEqual('/swift/temp', by_method['PUT']['path'])
        for request, text in ((by_method['POST'], 'cfn-out'),
                              (by_method['PUT'], 'temp-out')):
            self.assertEqual(0, request['data']['deploy_status_code'])
            self.assertIn(text, request['data']['deploy_stdout'])
        self.assertEqual('running', self.container(self.name('keep')).status)

        # The NO_SIGNAL deployment is gone from the list: our cleanup step
        # (run by os-refresh-config before 55-heat-config) removes its
        # container; the others are already deployed and not signalled
        # again.
        proc = self.chain.run([cfn, temp])
        log = proc.stdout.decode('utf-8', 'replace')
        self.assertEqual(0, proc.returncode, log[-4000:])
        self.assertIsNone(self.container(self.name('keep')), log[-4000:])
        self.assertIsNotNone(self.container(self.name('cfn')))
        self.assertEqual(2, len(self.recorder.requests))
