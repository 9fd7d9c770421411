"""docker-cmd under heat-agents' own 55-heat-config (sdist from PyPI): what
the dispatcher hands to heat-config-notify is what Heat will see."""

import os

from tests.functional import base
from tests.functional import upstream


class UpstreamDispatcherTest(base.FunctionalTest):

    def test_failing_oneshot_reaches_notify_as_failure(self):
        dispatcher = upstream.Dispatcher(
            os.path.join(self.tmp, 'agent'),
            {'docker-cmd': self.hook_command()[0]},
            env={'HEAT_CONTAINER_HOOKS_CONFIG': self.conf_file})
        ok, bad = self.name('ok'), self.name('bad')
        items = [
            self.item({ok: {'image': self.image, 'detach': False,
                            'command': ['echo', 'fine']}},
                      resource='a', name='10-ok', outputs=[ok + '_stdout']),
            self.item({bad: {'image': self.image, 'detach': False,
                             'command': ['sh', '-c', 'exit 3']}},
                      resource='b', name='20-bad'),
        ]
        proc = dispatcher.run(items)
        self.assertEqual(0, proc.returncode, proc.stderr[-3000:])
        first, second = dispatcher.signals()
        self.assertEqual(0, first['deploy_status_code'])
        self.assertEqual('fine\n', first[ok + '_stdout'])
        self.assertEqual(3, second['deploy_status_code'])
        self.assertTrue(second['deploy_stderr'].startswith(
            'container %s exited with code 3' % bad))
        # The reply was parsed as JSON: no raw log or stdout leaked in.
        self.assertNotIn('DEBUG', second['deploy_stderr'])
