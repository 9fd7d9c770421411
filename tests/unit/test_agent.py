"""heat-container-agent without an engine: trimming, signalling every
transport against loopback servers (retries, 4xx), the local-Heat
deployments-api mode, collecting from Heat, and the done/reply records."""

import http.server
import json
import os
import threading

import fixtures
import testtools

from heat_container_hooks.agent import runner
from heat_container_hooks.agent import service
from heat_container_hooks.agent import signalling
from heat_container_hooks import conf as conf_mod


class FakeAPI:
    """A loopback HTTP server: ``answer(method, path, data)`` gives
    (status, headers, body); every request is recorded."""

    def __init__(self, answer):
        self.requests = []
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def handle_one(self):
                length = int(self.headers.get('Content-Length') or 0)
                raw = self.rfile.read(length)
                try:
                    data = json.loads(raw) if raw else None
                except ValueError:
                    data = raw
                api.requests.append((self.command, self.path, data))
                status, headers, body = answer(self.command, self.path,
                                               data)
                payload = json.dumps(body).encode()
                self.send_response(status)
                for key, value in dict(headers or {}).items():
                    self.send_header(key, value)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = handle_one

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                      Handler)
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()
        self.url = 'http://127.0.0.1:%d' % self.server.server_port

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def item(name='dep', group='docker-cmd', transport='CFN_SIGNAL', url=None,
         config_id=None, extra=(), outputs=None):
    inputs = [{'name': 'deploy_signal_transport', 'value': transport}]
    if url:
        inputs += [{'name': 'deploy_signal_id', 'value': url},
                   {'name': 'deploy_signal_verb', 'value':
                    'PUT' if transport == 'TEMP_URL_SIGNAL' else 'POST'}]
    inputs += [{'name': k, 'value': v} for k, v in extra]
    return {'id': config_id or 'cfg-%s' % name, 'name': name,
            'group': group, 'config': {}, 'options': None,
            'outputs': outputs, 'inputs': inputs}


OK = {'deploy_stdout': 'out', 'deploy_stderr': '',
      'deploy_status_code': 0}


class AgentTestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        from oslo_config import cfg
        self.conf = cfg.ConfigOpts()
        conf_mod.register_opts(self.conf)
        self.conf([], project='hch-test', default_config_files=[])
        self.addCleanup(self.conf.reset)
        self.set(state_dir=os.path.join(self.tmp, 'state'),
                 signal_retries=3, signal_backoff=0, cleanup=False,
                 hook_dirs=[os.path.join(self.tmp, 'hooks')])

    def set(self, **overrides):
        for key, value in overrides.items():
            self.conf.set_override(key, value, group='agent')

    def api(self, answer):
        api = FakeAPI(answer)
        self.addCleanup(api.close)
        return api

    def signaller(self, heat=None):
        return signalling.Signaller(self.conf, heat, sleep=lambda s: None)


class TestTrim(testtools.TestCase):

    def test_small_reply_unchanged(self):
        self.assertEqual((OK, 0), signalling.trim(OK, 1024))

    def test_front_of_the_longest_output_goes_first(self):
        reply = dict(OK, deploy_stdout='a' * 5000 + 'TAIL',
                     deploy_stderr='short error')
        trimmed, cut = signalling.trim(reply, 2048)
        self.assertLessEqual(len(json.dumps(trimmed)), 2048)
        self.assertTrue(trimmed['deploy_stdout'].endswith('TAIL'))
        self.assertIn('%d characters trimmed' % cut,
                      trimmed['deploy_stdout'])
        self.assertEqual('short error', trimmed['deploy_stderr'])

    def test_escaped_and_unicode_text_fits_too(self):
        reply = dict(OK, deploy_stdout='"\u00e9\n' * 3000,
                     deploy_stderr='\u2603' * 3000)
        trimmed, _ = signalling.trim(reply, 4096)
        self.assertLessEqual(len(json.dumps(trimmed).encode()), 4096)
        self.assertEqual(0, trimmed['deploy_status_code'])


class TestStatus(testtools.TestCase):

    def test_heat_reading_of_a_reply(self):
        self.assertEqual('COMPLETE', signalling.heat_status(item(), OK)[0])
        status, reason = signalling.heat_status(
            item(), dict(OK, deploy_status_code=3))
        self.assertEqual('FAILED', status)
        self.assertIn('3', reason)
        failed = item(outputs=[{'name': 'err', 'error_output': True}])
        self.assertEqual(('FAILED', 'Error: broken'), signalling.heat_status(
            failed, dict(OK, err='broken')))

    def test_transport_inferred_for_items_without_one(self):
        bare = item(transport='CFN_SIGNAL', url='http://x/y')
        bare['inputs'] = bare['inputs'][1:]
        self.assertEqual('CFN_SIGNAL', signalling.transport_of(bare))
        bare['inputs'][1]['value'] = 'PUT'
        self.assertEqual('TEMP_URL_SIGNAL', signalling.transport_of(bare))


class TestHTTPSignals(AgentTestCase):

    def test_5xx_is_retried_until_accepted(self):
        answers = [503, 502, 200]
        api = self.api(lambda m, p, d: (answers.pop(0), {}, {}))
        result = self.signaller().send(
            item(url=api.url + '/cfn?Signature=secret'), OK)
        self.assertEqual(3, len(api.requests))
        self.assertEqual(('POST', '/cfn?Signature=secret', OK),
                         api.requests[-1])
        self.assertNotIn('secret', result)

    def test_4xx_is_reported_at_once(self):
        api = self.api(lambda m, p, d: (404, {}, {}))
        error = self.assertRaises(
            signalling.PermanentSignalError, self.signaller().send,
            item(transport='TEMP_URL_SIGNAL', url=api.url + '/t'), OK)
        self.assertIn('404', str(error))
        self.assertEqual([('PUT', '/t', OK)], api.requests)

    def test_unreachable_gives_up_after_the_retries(self):
        api = self.api(lambda m, p, d: (200, {}, {}))
        url = api.url + '/x'
        api.close()
        error = self.assertRaises(signalling.SignalError,
                                  self.signaller().send, item(url=url), OK)
        self.assertIn('4 attempts', str(error))

    def test_no_signal_sends_nothing(self):
        self.assertIn('NO_SIGNAL', self.signaller().send(
            item(transport='NO_SIGNAL'), OK))


def keystone_token(heat_url):
    """Keystone v3's answer to POST /v3/auth/tokens, with a catalog whose
    orchestration endpoint is ``heat_url``."""
    return 201, {'X-Subject-Token': 'tok'}, {'token': {
        'methods': ['password'],
        'expires_at': '2099-01-01T00:00:00.000000Z',
        'user': {'id': 'u1', 'name': 'u',
                 'domain': {'id': 'default', 'name': 'D'}},
        'project': {'id': 'p1', 'name': 'p',
                    'domain': {'id': 'default', 'name': 'D'}},
        'roles': [{'id': 'r', 'name': 'member'}],
        'catalog': [{'type': 'orchestration', 'id': 's',
                     'name': 'heat', 'endpoints': [{
                         'id': 'e', 'interface': 'public',
                         'region': 'R', 'region_id': 'R',
                         'url': heat_url}]}]}}


class TestHeatSignal(AgentTestCase):

    def test_signal_through_keystone_and_heatclient(self):
        def answer(method, path, data):
            if path == '/v3/auth/tokens':
                return keystone_token(api.url + '/v1/p1')
            return 200, {}, {}
        api = self.api(answer)
        deployment = item(transport='HEAT_SIGNAL', extra=[
            ('deploy_auth_url', api.url + '/v3'), ('deploy_user_id', 'u1'),
            ('deploy_password', 'pw-secret'), ('deploy_project_id', 'p1'),
            ('deploy_stack_id', 'st/1234'),
            ('deploy_resource_name', 'dep')])
        self.signaller().send(deployment, OK)
        method, path, data = api.requests[-1]
        self.assertEqual('POST', method)
        self.assertEqual('/v1/p1/stacks/st/1234/resources/dep/signal', path)
        self.assertEqual(OK, data)


class TestKeystoneOptions(AgentTestCase):
    """[agent] holds keystoneauth1's options: auth_type picks the auth
    plugin, whose own options (and the session's TLS options) are read
    from the same group."""

    def setUp(self):
        super().setUp()

        def answer(method, path, data):
            if path == '/v3/auth/tokens':
                return keystone_token(self.heat.url + '/v1/p1')
            if path == '/v1/p1/software_deployments/metadata/srv':
                return 200, {}, {'metadata': [item('a')]}
            return 404, {}, {}
        self.heat = self.api(answer)

    def load(self, text):
        from oslo_config import cfg
        path = os.path.join(self.tmp, 'agent.conf')
        with open(path, 'w') as handle:
            handle.write('[agent]\nserver_id = srv\n' + text)
        conf = cfg.ConfigOpts()
        conf_mod.register_opts(conf)
        conf([], project='hch-test', default_config_files=[path])
        self.addCleanup(conf.reset)
        return conf

    def collect(self, conf):
        items, complete = service.collect(conf, service.heat_client(conf))
        self.assertTrue(complete)
        self.assertEqual(['a'], [i['name'] for i in items])
        token, = [d for m, p, d in self.heat.requests
                  if (m, p) == ('POST', '/v3/auth/tokens')]
        return token['auth']['identity']

    def test_password_plugin(self):
        identity = self.collect(self.load(
            'auth_type = password\nauth_url = %s/v3\nusername = u\n'
            'password = pw\nuser_domain_name = D\nproject_name = p\n'
            'project_domain_name = D\n' % self.heat.url))
        self.assertEqual(['password'], identity['methods'])
        self.assertEqual({'name': 'u', 'password': 'pw',
                          'domain': {'name': 'D'}},
                         identity['password']['user'])

    def test_application_credential_plugin(self):
        identity = self.collect(self.load(
            'auth_type = v3applicationcredential\nauth_url = %s/v3\n'
            'application_credential_id = ac1\n'
            'application_credential_secret = s3\n' % self.heat.url))
        self.assertEqual(['application_credential'], identity['methods'])
        self.assertEqual({'id': 'ac1', 'secret': 's3'},
                         identity['application_credential'])

    def test_no_auth_type_and_no_heat_url_is_no_heat(self):
        self.assertIsNone(service.heat_client(self.load(
            'auth_url = %s/v3\n' % self.heat.url)))

    def test_tls_session_options_reach_every_request(self):
        conf = self.load('ca_file = /etc/hch-ca.pem\ncertfile = /c.pem\n'
                         'keyfile = /k.pem\n')
        session = signalling.Signaller(conf)._tls()
        # ca_file, the agent's old name, still sets keystoneauth's cafile.
        self.assertEqual('/etc/hch-ca.pem', session.verify)
        self.assertEqual(('/c.pem', '/k.pem'), session.cert)
        insecure = signalling.Signaller(self.load('insecure = true\n'))
        self.assertIs(False, insecure._tls().verify)


class TestLocalHeat(AgentTestCase):
    """Collecting from a (noauth) Heat, and completing deployments through
    its software_deployments API."""

    def setUp(self):
        super().setUp()
        self.items = [item('b', transport='HEAT_SIGNAL', config_id='c2'),
                      item('a', transport='HEAT_SIGNAL', config_id='c1')]

        def answer(method, path, data):
            if path == '/v1/admin/software_deployments/metadata/srv':
                return 200, {}, {'metadata': self.items}
            if path.startswith('/v1/admin/software_deployments?'):
                return 200, {}, {'software_deployments': [
                    {'id': 'd1', 'config_id': 'c1'},
                    {'id': 'd2', 'config_id': 'c2'}]}
            if method == 'PUT':
                return 200, {}, {'software_deployment': {'id': 'd2'}}
            return 404, {}, {}
        self.heat_api = self.api(answer)
        self.set(heat_url=self.heat_api.url + '/v1/admin',
                 heat_token='any', server_id='srv')

    def test_collects_sorted_by_name(self):
        items, complete = service.collect(self.conf,
                                          service.heat_client(self.conf))
        self.assertTrue(complete)
        self.assertEqual(['a', 'b'], [i['name'] for i in items])

    def test_deployments_api_completes_the_matching_deployment(self):
        self.set(signal_mode='deployments-api')
        self.signaller(service.heat_client(self.conf)).send(
            self.items[0], dict(OK, deploy_status_code=2))
        method, path, data = self.heat_api.requests[-1]
        self.assertEqual(('PUT', '/v1/admin/software_deployments/d2'),
                         (method, path))
        self.assertEqual('FAILED', data['status'])
        self.assertEqual(2, data['output_values']['deploy_status_code'])

    def test_deployments_api_failure_reason_carries_the_error(self):
        self.set(signal_mode='deployments-api')
        self.signaller(service.heat_client(self.conf)).send(
            self.items[0], dict(OK, deploy_status_code=3,
                                deploy_stderr='container x exited: boom'))
        reason = self.heat_api.requests[-1][2]['status_reason']
        self.assertIn('non-zero status code: 3', reason)
        self.assertIn('container x exited: boom', reason)


class TestStoppableSleep(testtools.TestCase):

    def test_a_stop_ends_the_backoff_as_a_signal_not_sent(self):
        stop = threading.Event()
        sleep = service.stoppable_sleep(stop)
        sleep(0)                                   # not stopped: returns
        threading.Timer(0.1, stop.set).start()
        # Without the stop this would wait an hour.
        self.assertRaises(signalling.SignalError, sleep, 3600)


class FakeSignaller:
    def __init__(self, errors=()):
        self.sent = []
        self.errors = list(errors)

    def send(self, deployment, reply):
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append((deployment['name'], reply))
        return 'sent'


class TestAgent(AgentTestCase):

    def setUp(self):
        super().setUp()
        self.runs = []

        def fake_run(deployment, conf):
            self.runs.append(deployment['name'])
            return dict(OK, deploy_stdout=deployment['name']), 'fake'
        self.useFixture(fixtures.MockPatchObject(runner, 'run', fake_run))
        self.path = os.path.join(self.tmp, 'deployments.json')
        self.set(local_path=[self.path])

    def publish(self, items):
        with open(self.path, 'w') as handle:
            json.dump({'deployments': items}, handle)

    def test_unsignalled_reply_is_sent_again_without_a_rerun(self):
        self.publish([item('a')])
        failing = FakeSignaller([signalling.SignalError('down')])
        agent = service.Agent(self.conf, signaller=failing)
        self.assertFalse(agent.cycle())
        self.assertTrue(agent.cycle())
        self.assertEqual(['a'], self.runs)
        self.assertEqual([('a', dict(OK, deploy_stdout='a'))], failing.sent)
        self.assertTrue(agent.cycle())
        self.assertEqual(['a'], self.runs)

    def test_refused_signal_is_recorded_and_not_retried(self):
        self.publish([item('a')])
        refused = FakeSignaller([signalling.PermanentSignalError('403')])
        agent = service.Agent(self.conf, signaller=refused)
        self.assertFalse(agent.cycle())
        agent.cycle()
        self.assertEqual(['a'], self.runs)
        self.assertEqual([], refused.sent)

    def test_lanes_per_group_in_name_order(self):
        items = [item('b1', 'g1'), item('a2', 'g2'), item('a1', 'g1')]
        items.sort(key=lambda i: i['name'])
        self.assertEqual([['a1', 'b1'], ['a2']],
                         [[i['name'] for i in lane]
                          for lane in service.schedule(items)])

    def test_broken_local_file_is_an_incomplete_collection(self):
        with open(self.path, 'w') as handle:
            handle.write('{"deployments": {}}')
        agent = service.Agent(self.conf, signaller=FakeSignaller())
        self.assertFalse(agent.cycle())
        self.assertEqual([], self.runs)


class TestRunner(AgentTestCase):

    def hook(self, name, text):
        directory = self.conf.agent.hook_dirs[0]
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, name)
        with open(path, 'w') as handle:
            handle.write(text)
        os.chmod(path, 0o755)

    def test_group_without_hook_gets_a_failure_reply(self):
        reply, how = runner.run(item(group='no/such'), self.conf)
        self.assertEqual('no hook', how)
        self.assertEqual(1, reply['deploy_status_code'])
        self.assertIn("no hook for group 'no/such'", reply['deploy_stderr'])
        self.assertIn("'nosuch'", reply['deploy_stderr'])

    def test_hook_output_that_is_not_json_is_passed_on_raw(self):
        self.hook('raw', '#!/bin/sh\necho plain; echo oops >&2; exit 3\n')
        reply, _ = runner.run(item(group='raw'), self.conf)
        self.assertEqual({'deploy_stdout': 'plain\n',
                          'deploy_stderr': 'oops\n',
                          'deploy_status_code': 3}, reply)

    def test_hook_past_the_timeout_is_killed(self):
        self.hook('slow', '#!/bin/sh\nexec sleep 600\n')
        self.set(deployment_timeout=1)
        reply, _ = runner.run(item(group='slow'), self.conf)
        self.assertEqual(1, reply['deploy_status_code'])
        self.assertIn('did not finish within 1s', reply['deploy_stderr'])


class TestService(AgentTestCase):

    def test_service_polls_until_sigterm(self):
        import signal
        import subprocess
        import sys
        import time
        path = os.path.join(self.tmp, 'deployments.json')
        conf_file = os.path.join(self.tmp, 'agent.conf')
        state = os.path.join(self.tmp, 'state')
        with open(conf_file, 'w') as handle:
            handle.write('[agent]\nstate_dir = %s\npolling_interval = 0.2\n'
                         'cleanup = false\nhook_dirs = %s\n'
                         % (state, self.tmp))
        with open(path, 'w') as handle:
            json.dump([item('x', group='hch-none', transport='NO_SIGNAL')],
                      handle)
        proc = subprocess.Popen(
            [sys.executable, '-c', 'from heat_container_hooks.agent import '
             'service; service.console_main()', '--config-file', conf_file,
             '--local-path', path], stderr=subprocess.PIPE)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        done = os.path.join(state, 'cfg-x.done.json')
        deadline = time.monotonic() + 60
        while not os.path.exists(done) and time.monotonic() < deadline:
            self.assertIsNone(proc.poll())
            time.sleep(0.1)
        with open(done) as handle:
            record = json.load(handle)
        self.assertEqual(1, record['deploy_status_code'])
        # A new deployment appears in the list: the next cycle runs it.
        with open(path, 'w') as handle:
            json.dump([item('x', group='hch-none', transport='NO_SIGNAL'),
                       item('y', group='hch-none', transport='NO_SIGNAL')],
                      handle)
        done_y = os.path.join(state, 'cfg-y.done.json')
        while not os.path.exists(done_y) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertTrue(os.path.exists(done_y))
        proc.send_signal(signal.SIGTERM)
        err = proc.communicate(timeout=60)[1].decode()
        self.assertEqual(0, proc.returncode, err[-2000:])
        self.assertEqual(1, err.count('deploying x'))


class TestCollect(AgentTestCase):

    def test_directory_items_and_a_broken_item(self):
        directory = os.path.join(self.tmp, 'dir')
        os.makedirs(directory)
        with open(os.path.join(directory, 'one.json'), 'w') as handle:
            json.dump([item('b'), {'name': 'no id'}], handle)
        with open(os.path.join(directory, 'two.json'), 'w') as handle:
            json.dump({'deployments': [item('a'), item('b')]}, handle)
        self.set(local_path=[directory])
        items, complete = service.collect(self.conf, None)
        self.assertEqual(['a', 'b'], [i['name'] for i in items])
        self.assertFalse(complete)
