"""A private image registry on 127.0.0.1 with basic auth, for the pull
tests: Debian's docker-registry (distribution 2.8) and htpasswd
(apache2-utils), both installed by tools/setup-host. The engine treats
127.0.0.0/8 registries as insecure (plain HTTP) by default."""

import base64
import json
import os
import shutil
import socket
import subprocess
import time

import fixtures

REGISTRY_BINARY = 'docker-registry'
CONFIG = '''version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: %(root)s
  delete:
    enabled: true
http:
  addr: 127.0.0.1:%(port)d
auth:
  htpasswd:
    realm: hch-test
    path: %(htpasswd)s
'''


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class Registry(fixtures.Fixture):
    """A running registry; ``address`` is 127.0.0.1:PORT, ``auth_file``
    a Docker config.json holding its login."""

    username = 'hchtest'

    def __init__(self, directory):
        super().__init__()
        self.directory = directory

    def _setUp(self):
        binary = shutil.which(REGISTRY_BINARY)
        htpasswd = shutil.which('htpasswd')
        if binary is None or htpasswd is None:
            raise RuntimeError('docker-registry / htpasswd are not installed '
                               '(tools/setup-host installs them)')
        self.password = base64.b32encode(os.urandom(10)).decode().lower()
        port = _free_port()
        self.address = '127.0.0.1:%d' % port
        paths = {name: os.path.join(self.directory, name)
                 for name in ('root', 'htpasswd', 'config.yml', 'log')}
        os.makedirs(paths['root'])
        with open(paths['htpasswd'], 'w') as handle:
            subprocess.run([htpasswd, '-Bbn', self.username, self.password],
                           stdout=handle, check=True)
        with open(paths['config.yml'], 'w') as handle:
            handle.write(CONFIG % dict(paths, port=port))
        self.auth_file = os.path.join(self.directory, 'config.json')
        self.write_auth_file(self.auth_file, self.password)
        with open(paths['log'], 'wb') as log:
            self.process = subprocess.Popen(
                [binary, 'serve', paths['config.yml']],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True)
        self.addCleanup(self._stop)
        self._wait(port, paths['log'])

    def write_auth_file(self, path, password):
        token = base64.b64encode(
            ('%s:%s' % (self.username, password)).encode()).decode()
        with open(path, 'w') as handle:
            json.dump({'auths': {self.address: {'auth': token}}}, handle)

    def _wait(self, port, log_path, attempts=200):
        for _ in range(attempts):
            if self.process.poll() is not None:
                with open(log_path, errors='replace') as handle:
                    raise RuntimeError('docker-registry exited: %s'
                                       % handle.read()[-2000:])
            try:
                with socket.create_connection(('127.0.0.1', port), 1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError('docker-registry did not listen on %d' % port)

    def _stop(self):
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def login(self):
        return {'username': self.username, 'password': self.password}
