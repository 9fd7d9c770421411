"""The last check before a reply: every started long-running container must
still be up, read in one list query."""

import testtools

from heat_container_hooks import dockerapi
from heat_container_hooks import outcome


class FakeAPI:
    def __init__(self, listed, logs=b''):
        self.listed = listed
        self.queries = []
        self.log_reads = []
        self._logs = logs

    def containers(self, all=False, filters=None):
        self.queries.append((all, filters))
        return [c for c in self.listed if c['Id'] in filters['id']]

    def logs(self, ident, **kwargs):
        self.log_reads.append(ident)
        return self._logs


def started(*names):
    return [outcome.ContainerResult(n, 'created', id='id-' + n,
                                    state='running') for n in names]


class SettleTest(testtools.TestCase):

    def test_containers_still_up_pass_in_one_query(self):
        api = FakeAPI([{'Id': 'id-a', 'State': 'running', 'Status': 'Up'},
                       {'Id': 'id-b', 'State': 'restarting',
                        'Status': 'Restarting (1) 1 second ago'}])
        items = dockerapi.settle(api, started('a', 'b'), 0)
        self.assertEqual(['', ''], [i.error for i in items])
        self.assertEqual([(True, {'id': ['id-a', 'id-b']})], api.queries)
        self.assertEqual([], api.log_reads)

    def test_one_that_exited_fails_with_its_code_and_log(self):
        api = FakeAPI([{'Id': 'id-a', 'State': 'running', 'Status': 'Up'},
                       {'Id': 'id-b', 'State': 'exited',
                        'Status': 'Exited (4) Less than a second ago'}],
                      logs=b'config file missing\n')
        a, b = dockerapi.settle(api, started('a', 'b'), 0)
        self.assertFalse(a.failed)
        self.assertEqual(4, b.exit_code)
        self.assertEqual('exited', b.state)
        self.assertIn('container b exited with code 4 right after starting',
                      b.error)
        self.assertIn('config file missing', b.error)

    def test_one_that_is_gone_fails(self):
        api = FakeAPI([])
        (a,) = dockerapi.settle(api, started('a'), 0)
        self.assertEqual('container a was removed right after starting',
                         a.error)

    def test_nothing_started_asks_nothing(self):
        api = FakeAPI([])
        self.assertEqual([], dockerapi.settle(api, [], 5))
        self.assertEqual([], api.queries)
