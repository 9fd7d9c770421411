"""The light Engine API reader: what it reads over a local socket, and that
the Docker engine adapter falls back to the SDK client whenever it cannot
use it, and never makes that client when there is nothing to change."""

import json
import os
import socketserver
import threading
import urllib.parse

import fixtures
import testtools

from heat_container_hooks import conf as conf_mod
from heat_container_hooks import deployment as deployment_mod
from heat_container_hooks import dockerapi
from heat_container_hooks.engineapi import transport
from heat_container_hooks.engines import docker as docker_engine
from heat_container_hooks import errors

CONTAINER = {'Id': 'c1', 'Names': ['/web'], 'State': 'running',
             'Labels': {'managed_by': 'test'}, 'ImageID': 'sha256:1',
             'Status': 'Up 2 seconds'}


class FakeEngineServer:
    """A unix socket answering GETs from a {path: (status, body)} table
    (path without the query string), HTTP/1.0 style."""

    def __init__(self, path, answers):
        self.requests = []
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                line = self.rfile.readline().decode('ascii')
                while self.rfile.readline() not in (b'\r\n', b''):
                    pass
                target = line.split(' ')[1]
                outer.requests.append(target)
                status, body = answers.get(target.split('?')[0],
                                           (404, {'message': 'no'}))
                data = json.dumps(body).encode()
                self.wfile.write(b'HTTP/1.0 %d X\r\nApi-Version: 1.41\r\n'
                                 b'Content-Type: application/json\r\n'
                                 b'Content-Length: %d\r\n\r\n'
                                 % (status, len(data)) + data)

        self.server = socketserver.ThreadingUnixStreamServer(path, Handler)
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def settings(**extra):
    values = dict(managed_by='test', working_dir='/nonexistent',
                  lock_dir='/nonexistent', lock_timeout=1, start_timeout=1,
                  healthy_timeout=1, oneshot_timeout=1, exec_timeout=1,
                  stop_grace_period=1, settle_time=0, docker_api_timeout=5)
    values.update(extra)
    return conf_mod.Settings(**values)


class FakeAPI:
    def __init__(self, containers=()):
        self.listed = []
        self.items = list(containers)

    def containers(self, all=False, filters=None):
        self.listed.append(filters)
        return self.items

    def close(self):
        pass


class ReaderTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.sock = os.path.join(self.useFixture(fixtures.TempDir()).path,
                                 'engine.sock')

    def serve(self, answers):
        server = FakeEngineServer(self.sock, answers)
        self.addCleanup(server.close)
        return server

    def test_containers_query_and_answer(self):
        server = self.serve({'/containers/json': (200, [CONTAINER])})
        reader = dockerapi.LocalReader(self.sock, 5)
        found = dockerapi.observe(reader, ['managed_by=test'])
        self.assertEqual([('c1', 'web', 'running')],
                         [(c.id, c.name, c.state) for c in found])
        query = urllib.parse.parse_qs(server.requests[0].split('?')[1])
        self.assertEqual(['1'], query['all'])
        self.assertEqual({'label': ['managed_by=test']},
                         json.loads(query['filters'][0]))

    def test_the_engine_api_version_is_kept_for_the_sdk_client(self):
        self.serve({'/containers/json': (200, [])})
        reader = dockerapi.LocalReader(self.sock, 5)
        self.assertIsNone(reader.api_version)
        reader.containers(all=True)
        self.assertEqual('1.41', reader.api_version)

    def test_image_ids_leave_missing_images_out(self):
        self.serve({'/images/busybox:1/json': (200, {'Id': 'sha256:b'})})
        reader = dockerapi.LocalReader(self.sock, 5)
        self.assertEqual({'busybox:1': 'sha256:b'},
                         reader.image_ids(['busybox:1', 'other:2']))

    def test_an_error_answer_is_a_reader_error(self):
        self.serve({'/containers/json': (500, {'message': 'boom'})})
        reader = dockerapi.LocalReader(self.sock, 5)
        self.assertRaises(dockerapi.ReaderError, reader.containers, True)

    def test_only_local_sockets_get_a_reader(self):
        self.useFixture(fixtures.EnvironmentVariable('DOCKER_HOST'))
        self.assertIsNone(dockerapi.local_reader(
            settings(docker_url='tcp://127.0.0.1:2375')))
        self.assertEqual('/run/x.sock', dockerapi.local_reader(
            settings(docker_url='unix:///run/x.sock')).path)
        self.assertEqual('/var/run/docker.sock',
                         dockerapi.local_reader(settings()).path)


class EngineFallbackTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.sock = os.path.join(self.useFixture(fixtures.TempDir()).path,
                                 'engine.sock')
        self.owner = deployment_mod.Owner('test', 's/1/r', 's/1', 'r')
        self.made = []
        api = FakeAPI([dict(CONTAINER, Labels={})])

        def client(settings, version=None):
            self.made.append(settings)
            return api
        self.api = api
        self.useFixture(fixtures.MonkeyPatch(
            'heat_container_hooks.engineapi.transport.client', client))

    def engine(self):
        return docker_engine.DockerEngine(
            settings(docker_url='unix://' + self.sock))

    def test_nothing_to_change_never_makes_the_sdk_client(self):
        FakeEngineServer(self.sock, {'/containers/json': (200, [])})
        engine = self.engine()
        result = engine.converge(self.owner, 'cfg', (),
                                 deployment_mod.Action.CREATE)
        engine.close()
        self.assertIsNone(result.error)
        self.assertEqual([], self.made)

    def test_unreachable_reader_falls_back_to_the_sdk_client(self):
        engine = self.engine()      # nothing listens on the socket
        found = engine.observe()
        engine.close()
        self.assertEqual(['web'], [c.name for c in found])
        self.assertEqual(1, len(self.made))
        self.assertIsNone(engine.reader)


class EngineAccessTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.made = []
        self.fail_with = None

        def client(settings, version=None):
            self.made.append(version)
            if self.fail_with:
                raise self.fail_with
            return FakeAPI()
        self.useFixture(fixtures.MockPatchObject(transport, 'client',
                                                 client))
        self.access = dockerapi.EngineAccess(
            settings(docker_url='tcp://127.0.0.1:2375'))

    def test_warm_up_makes_the_one_client_ahead_of_use(self):
        self.access.warm_up().join()
        api = self.access.api
        self.assertIsInstance(api, FakeAPI)
        self.assertIs(api, self.access.api)
        self.assertEqual(1, len(self.made))
        self.assertIsNone(self.access.warm_up())

    def test_a_failed_warm_up_fails_where_the_client_is_used(self):
        self.fail_with = errors.EngineError('cannot reach the engine')
        self.access.warm_up().join()
        exc = self.assertRaises(errors.EngineError, lambda: self.access.api)
        self.assertIn('cannot reach the engine', str(exc))


class ExecExitCodeTest(testtools.TestCase):
    """An exec's exit code is read once the engine says it has finished."""

    class Api:
        def __init__(self, answers):
            self.answers = list(answers)
            self.calls = 0

        def exec_inspect(self, exec_id):
            self.calls += 1
            return self.answers.pop(0) if len(self.answers) > 1 \
                else self.answers[0]

    def test_waits_until_the_engine_records_the_exit(self):
        api = self.Api([{'Running': True, 'ExitCode': None},
                        {'Running': True, 'ExitCode': None},
                        {'Running': False, 'ExitCode': 3}])
        self.assertEqual(3, dockerapi.exec_exit_code(api, 'x'))
        self.assertEqual(3, api.calls)

    def test_gives_up_after_its_patience(self):
        api = self.Api([{'Running': True, 'ExitCode': None}])
        self.assertIsNone(dockerapi.exec_exit_code(api, 'x', patience=0.05))
