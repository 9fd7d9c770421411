"""A container that uses another's namespace (``net``/``pid``/``ipc``:
``container:X``) or its volumes (``volumes_from: X``) is replaced when X is
replaced or made anew, as docker-compose recreates dependents: otherwise it
stays in the old X's namespaces (a dead network namespace: it no longer
answers). On docker-cmd and on the container group's docker tool."""

import time

from tests.functional import base

SERVICE = ['sh', '-c', "trap 'exit 0' TERM; while true; do sleep 0.2; done"]
# Serves "hi" on port 8080 of whatever network namespace it is in.
WEB = ['sh', '-c', 'mkdir -p /www && echo hi > /www/index.html && '
       'exec httpd -f -p 8080 -h /www']


class SharedChecks:

    def config(self, key, version='1'):
        pause = {'image': self.image, 'command': SERVICE, 'ipc': 'shareable',
                 'volumes': ['/data'], 'environment': {'VERSION': version}}
        web = {'image': self.image, 'command': WEB}
        if key == 'volumes_from':
            web['volumes_from'] = [self.pause]
        else:
            web[key] = 'container:%s' % self.pause
        return {self.pause: pause, self.web: dict(web, start_order=1)}

    def setUp(self):
        super().setUp()
        self.pause, self.web = self.name('pause'), self.name('web')
        # httpd as PID 1 ignores SIGTERM: do not wait the default 10 s.
        self.write_conf(stop_grace_period=1)

    def run_ok(self, key, action, version='1'):
        result = self.run_hook(self.item(self.config(key, version),
                                         action=action,
                                         outputs=['containers']))
        self.assertEqual(0, result.code, result.error)
        return result.reply['containers']

    def assert_web_follows_pause(self, key):
        pause = self.client.containers.get(self.pause)
        web = self.client.containers.get(self.web)
        self.assertEqual('running', web.status)
        if key == 'volumes_from':
            pause.exec_run(['sh', '-c', 'echo shared > /data/f'])
            self.assertEqual(b'shared', web.exec_run(
                ['cat', '/data/f']).output.strip())
            return
        mode = {'net': 'NetworkMode', 'pid': 'PidMode',
                'ipc': 'IpcMode'}[key]
        self.assertEqual('container:' + pause.id,
                         web.attrs['HostConfig'][mode])
        if key == 'net':
            # web answers in the new pause's network namespace.
            answer = pause.exec_run(
                ['wget', '-q', '-O', '-', 'http://127.0.0.1:8080/'])
            self.assertEqual((0, b'hi'),
                             (answer.exit_code, answer.output.strip()))

    def check_update(self, key):
        first = self.run_ok(key, 'CREATE')
        self.assert_web_follows_pause(key)
        second = self.run_ok(key, 'UPDATE', version='2')
        self.assertEqual('replaced', second[self.pause]['action'])
        self.assertEqual('replaced', second[self.web]['action'], key)
        self.assertNotEqual(first[self.web]['id'], second[self.web]['id'])
        self.assert_web_follows_pause(key)
        again = self.run_ok(key, 'UPDATE', version='2')
        self.assertEqual({'kept'}, {c['action'] for c in again.values()})
        self.run_ok(key, 'DELETE')

    def test_net(self):
        self.check_update('net')

    def test_pid(self):
        self.check_update('pid')

    def test_ipc(self):
        self.check_update('ipc')

    def test_volumes_from(self):
        self.check_update('volumes_from')

    def recreate_pause(self):
        """Make pause again as the hook made it (same labels, so the
        same fingerprint), as an interrupted run or an operator would:
        the hook sees an unchanged pause and an unchanged web."""
        old = self.client.containers.get(self.pause)
        attrs = old.attrs
        old.remove(force=True, v=True)
        # Created times are in seconds: the new pause is a second younger.
        time.sleep(1.1)
        self.client.containers.run(
            attrs['Config']['Image'], attrs['Config']['Cmd'],
            name=self.pause, detach=True, labels=attrs['Config']['Labels'],
            environment=attrs['Config']['Env'], ipc_mode='shareable',
            volumes=['/data'])

    def test_rerun_repairs_after_pause_made_behind_our_back(self):
        for key in ('net', 'pid', 'ipc', 'volumes_from'):
            first = self.run_ok(key, 'CREATE')
            self.recreate_pause()
            repaired = self.run_ok(key, 'CREATE')
            self.assertEqual('kept', repaired[self.pause]['action'], key)
            self.assertEqual('replaced', repaired[self.web]['action'], key)
            self.assertNotEqual(first[self.web]['id'],
                                repaired[self.web]['id'])
            self.assert_web_follows_pause(key)
            self.run_ok(key, 'DELETE')


class DockerCmdSharedTest(SharedChecks, base.FunctionalTest):

    group = 'docker-cmd'


class ContainerSharedTest(SharedChecks, base.FunctionalTest):

    group = 'container'
