"""The agent's collection through os-collect-config's collectors
(heat_container_hooks.agent.collectors): the real Collector classes,
against a loopback server where one is needed."""

import socket

from oslo_config import cfg
from oslo_config import fixture as config_fixture
import testtools

from heat_container_hooks.agent import collectors
from heat_container_hooks.agent import service
from tests.unit import test_agent

ITEMS = [{'id': 'c1', 'name': 'one', 'group': 'script', 'config': 'x'},
         {'id': 'c2', 'name': 'two', 'group': 'docker-cmd', 'config': {}}]


class TestCollectors(testtools.TestCase):

    def setUp(self):
        super().setUp()
        # The collectors read oslo.config's global CONF.
        collectors.register_opts(cfg.CONF)
        self.conf = self.useFixture(config_fixture.Config(cfg.CONF)).conf

    def serve(self, body):
        api = test_agent.FakeAPI(lambda method, path, data: (200, {}, body))
        self.addCleanup(api.close)
        return api

    def test_request_collector_gives_the_deployments(self):
        api = self.serve({'deployments': ITEMS, 'os-collect-config': {}})
        self.conf.set_override('metadata_url', api.url + '/object',
                               group='request')
        found = collectors.Collection(cfg.CONF, ['request']).items('request')
        self.assertEqual(ITEMS, found)
        self.assertEqual('/object', api.requests[-1][1])

    def test_the_agent_collects_through_them(self):
        api = self.serve({'deployments': ITEMS})
        self.conf.set_override('metadata_url', api.url + '/object',
                               group='request')
        cfg.CONF.register_opts([cfg.ListOpt('local_path', default=[]),
                                cfg.StrOpt('server_id')], group='agent')
        items, complete = service.collect(
            cfg.CONF, None, collectors.Collection(cfg.CONF, ['request']))
        self.assertTrue(complete)
        self.assertEqual(['one', 'two'], [i['name'] for i in items])

    def test_not_configured_names_the_missing_options(self):
        self.conf.set_override('user_id', 'u', group='heat')
        error = self.assertRaises(
            collectors.CollectorError,
            collectors.Collection(cfg.CONF, ['heat']).items, 'heat')
        self.assertIn('[heat] auth_url, password, project_id, stack_id, '
                      'resource_name unset', str(error))
        self.assertIn('POLL_SERVER_HEAT', str(error))

    def test_unreachable_source_is_an_error(self):
        with socket.socket() as sock:
            sock.bind(('127.0.0.1', 0))
            port = sock.getsockname()[1]
        self.conf.set_override('metadata_url', 'http://127.0.0.1:%d/x'
                               % port, group='request')
        self.conf.set_override('timeout', 2, group='request')
        error = self.assertRaises(
            collectors.CollectorError,
            collectors.Collection(cfg.CONF, ['request']).items, 'request')
        self.assertIn('collector request could not fetch', str(error))

    def test_metadata_without_a_list_is_an_error(self):
        api = self.serve({'deployments': {'not': 'a list'}})
        self.conf.set_override('metadata_url', api.url, group='request')
        error = self.assertRaises(
            collectors.CollectorError,
            collectors.Collection(cfg.CONF, ['request']).items, 'request')
        self.assertIn("'deployments' is not a list", str(error))

    def test_unknown_collector_names_the_known_ones(self):
        error = self.assertRaises(collectors.CollectorError,
                                  collectors.Collection, cfg.CONF,
                                  ['heat', 'ec2'])
        self.assertIn('unknown collector(s) ec2', str(error))
        self.assertIn('heat, cfn, request, zaqar', str(error))
