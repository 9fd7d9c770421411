"""The real upstream agent pieces, from PyPI, for tests that run our hooks
the way heat-agents' dispatcher does.

heat-agents' wheel holds none of its scripts; its sdist does. It is
downloaded once into a cache directory ($HCH_CACHE or ~/.cache/
heat-container-hooks) and reused.
"""

import glob
import json
import os
import subprocess
import sys
import tarfile
import tempfile

HEAT_AGENTS_VERSION = os.environ.get('HCH_HEAT_AGENTS_VERSION', '13.0.0')


def cache_dir():
    path = os.environ.get('HCH_CACHE') or os.path.join(
        os.path.expanduser('~'), '.cache', 'heat-container-hooks')
    os.makedirs(path, exist_ok=True)
    return path


def heat_agents_dir():
    """The unpacked heat-agents sdist (downloaded on first use)."""
    root = os.path.join(cache_dir(), 'heat-agents-%s' % HEAT_AGENTS_VERSION)
    unpack_sdist('heat-agents==%s' % HEAT_AGENTS_VERSION, root)
    return _source_dir(root)


def unpack_sdist(requirement, root, env=None, prepare=None):
    """Download the sdist of ``requirement`` with pip and unpack it into
    ``root``, once: a marker file says it is done. ``prepare(root)`` runs
    before the marker is written (for trees that need a build step)."""
    marker = os.path.join(root, '.unpacked')
    if os.path.exists(marker):
        return
    os.makedirs(root, exist_ok=True)
    with tempfile.TemporaryDirectory() as download:
        subprocess.run(
            [sys.executable, '-m', 'pip', 'download', '--quiet', '--no-deps',
             '--no-binary', ':all:', '-d', download, requirement],
            check=True, stdout=subprocess.DEVNULL,
            env=dict(os.environ, **(env or {})))
        archive = glob.glob(os.path.join(download, '*.tar.gz'))[0]
        with tarfile.open(archive) as tar:
            # The 'data' filter where this Python has it (3.11.4+; not
            # Debian's 3.11.2).
            if hasattr(tarfile, 'data_filter'):
                tar.extractall(root, filter='data')
            else:
                tar.extractall(root)
    if prepare is not None:
        prepare(root)
    open(marker, 'w').close()


def _source_dir(root):
    return glob.glob(os.path.join(root, 'heat[-_]agents-*'))[0]


def dispatcher_path():
    return os.path.join(heat_agents_dir(), 'heat-config', 'os-refresh-config',
                        'configure.d', '55-heat-config')


RECORDING_NOTIFY = '''#!%s
import json, os, sys
data = json.load(sys.stdin)
with open(os.path.join(%r, 'notify-%%d.json' %% len(os.listdir(%r))),
          'w') as f:
    json.dump({'deployment': sys.argv[1:], 'signal': data}, f)
'''


class Dispatcher:
    """55-heat-config pointed at a temp dir: our hooks in its hooks dir, a
    notify stand-in that records each signal it is given."""

    def __init__(self, base, hooks, env=None):
        self.base = base
        self.hooks_dir = os.path.join(base, 'hooks')
        self.deployed_dir = os.path.join(base, 'deployed')
        self.signals_dir = os.path.join(base, 'signals')
        self.config_path = os.path.join(base, 'heat-config')
        for path in (self.hooks_dir, self.deployed_dir, self.signals_dir):
            os.makedirs(path, exist_ok=True)
        for group, executable in hooks.items():
            os.symlink(executable, os.path.join(self.hooks_dir, group))
        self.notify = os.path.join(base, 'notify')
        with open(self.notify, 'w') as handle:
            handle.write(RECORDING_NOTIFY % (sys.executable, self.signals_dir,
                                             self.signals_dir))
        os.chmod(self.notify, 0o755)
        self.env = dict(os.environ, **(env or {}))
        self.env.update(HEAT_CONFIG_HOOKS=self.hooks_dir,
                        HEAT_CONFIG_DEPLOYED=self.deployed_dir,
                        HEAT_CONFIG_DEPLOYED_OLD=self.deployed_dir,
                        HEAT_SHELL_CONFIG=self.config_path,
                        HEAT_CONFIG_NOTIFY=self.notify)

    def run(self, items, timeout=300):
        with open(self.config_path, 'w') as handle:
            json.dump(items, handle)
        return subprocess.run([sys.executable, dispatcher_path()],
                              env=self.env, timeout=timeout,
                              stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)

    def signals(self):
        found = []
        for name in sorted(os.listdir(self.signals_dir),
                           key=lambda n: int(n.split('-')[1].split('.')[0])):
            with open(os.path.join(self.signals_dir, name)) as handle:
                found.append(json.load(handle)['signal'])
        return found


def notify_path():
    """heat-agents' real heat-config-notify script."""
    return os.path.join(heat_agents_dir(), 'heat-config', 'bin',
                        'heat-config-notify')


class Recorder:
    """A loopback HTTP server that records every request it is sent (the
    CFN / TempURL signal endpoint of a test). ``status`` is the answer."""

    def __init__(self, status=200):
        import http.server
        import threading
        self.requests = []
        self.status = status
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _record(self):
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length)
                try:
                    data = json.loads(body.decode('utf-8'))
                except ValueError:
                    data = None
                recorder.requests.append(
                    {'method': self.command, 'path': self.path,
                     'size': len(body), 'data': data,
                     'content_type': self.headers.get('Content-Type')})
                self.send_response(recorder.status)
                self.send_header('Content-Length', '0')
                self.end_headers()

            do_POST = do_PUT = _record

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                      Handler)
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def url(self, path):
        return 'http://127.0.0.1:%d/%s' % (self.server.server_port,
                                           path.lstrip('/'))

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def signal_inputs(transport, url=None):
    """The deploy_signal_* inputs Heat adds for a transport."""
    inputs = [{'name': 'deploy_signal_transport', 'value': transport}]
    if transport == 'CFN_SIGNAL':
        inputs += [{'name': 'deploy_signal_id', 'value': url},
                   {'name': 'deploy_signal_verb', 'value': 'POST'}]
    elif transport == 'TEMP_URL_SIGNAL':
        inputs += [{'name': 'deploy_signal_id', 'value': url},
                   {'name': 'deploy_signal_verb', 'value': 'PUT'}]
    return inputs


ORC_APPLY_CONFIG = '''#!/bin/sh
exec %s --templates %s --output %s
'''


class Chain:
    """The whole upstream chain in a temp dir: os-collect-config (local
    collector) -> os-refresh-config -> os-apply-config (heat-agents'
    heat-config template) -> 55-heat-config -> the hooks in ``hooks_dir``
    -> the real heat-config-notify. Scripts are put into
    ``configure_dir`` (our cleanup step is installed there by the test)."""

    def __init__(self, base):
        import shutil
        self.base = base
        self.local_dir = os.path.join(base, 'local')
        self.hooks_dir = os.path.join(base, 'hooks')
        self.orc_dir = os.path.join(base, 'orc')
        self.configure_dir = os.path.join(self.orc_dir, 'configure.d')
        self.root = os.path.join(base, 'root')
        self.deployed_dir = os.path.join(base, 'deployed')
        self.cache_dir = os.path.join(base, 'occ-cache')
        templates = os.path.join(base, 'templates')
        for path in (self.local_dir, self.hooks_dir, self.configure_dir,
                     self.root, self.deployed_dir, self.cache_dir):
            os.makedirs(path, exist_ok=True)
        source = os.path.join(heat_agents_dir(), 'heat-config',
                              'os-apply-config', 'var')
        shutil.copytree(source, os.path.join(templates, 'var'))
        shutil.copy(dispatcher_path(), self.configure_dir)
        apply_config = os.path.join(self.configure_dir, '20-os-apply-config')
        with open(apply_config, 'w') as handle:
            handle.write(ORC_APPLY_CONFIG % (
                _script('os-apply-config'), templates, self.root))
        os.chmod(apply_config, 0o755)
        self.occ_conf = os.path.join(base, 'os-collect-config.conf')
        open(self.occ_conf, 'w').close()
        self.heat_config = os.path.join(self.root, 'var', 'run',
                                        'heat-config', 'heat-config')
        # The chain only runs in the C locale (the local collector).
        self.env = dict(os.environ, LC_ALL='C', LANG='C',
                        OS_REFRESH_CONFIG_BASE_DIR=self.orc_dir,
                        HEAT_CONFIG_HOOKS=self.hooks_dir,
                        HEAT_CONFIG_DEPLOYED=self.deployed_dir,
                        HEAT_CONFIG_DEPLOYED_OLD=self.deployed_dir,
                        HEAT_SHELL_CONFIG=self.heat_config,
                        HEAT_CONFIG_NOTIFY=notify_path())
        self.env['PATH'] = os.pathsep.join(
            [os.path.dirname(sys.executable), self.env.get('PATH', '')])

    def install_our_hooks(self, hooks_conf):
        """`heat-container-hooks install-hooks` into this chain's hooks
        and configure.d directories, our hooks configured by the file
        ``hooks_conf``."""
        admin = os.path.join(os.path.dirname(sys.executable),
                             'heat-container-hooks')
        subprocess.run(
            [admin, 'install-hooks', '--dir', self.hooks_dir,
             '--configure-dir', self.configure_dir,
             '--hooks-config', hooks_conf], check=True,
            stdout=subprocess.PIPE)

    def run(self, items, timeout=300):
        """Publish ``items`` as the server's deployments metadata and run
        the chain once."""
        with open(os.path.join(self.local_dir, 'heat.json'), 'w') as handle:
            json.dump({'deployments': items}, handle)
        command = '%s --lockfile %s' % (
            _script('os-refresh-config'), os.path.join(self.base, 'orc.lock'))
        return subprocess.run(
            [_script('os-collect-config'), '--config-file', self.occ_conf,
             '--cachedir', self.cache_dir, '--local-path', self.local_dir,
             '--command', command, '--force', 'local'],
            env=self.env, timeout=timeout, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT)


def _script(name):
    import shutil
    beside = os.path.join(os.path.dirname(sys.executable), name)
    return beside if os.path.exists(beside) else shutil.which(name)
