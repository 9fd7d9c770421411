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
    marker = os.path.join(root, '.unpacked')
    if os.path.exists(marker):
        return _source_dir(root)
    os.makedirs(root, exist_ok=True)
    with tempfile.TemporaryDirectory() as download:
        subprocess.run(
            [sys.executable, '-m', 'pip', 'download', '--quiet', '--no-deps',
             '--no-binary', ':all:', '-d', download,
             'heat-agents==%s' % HEAT_AGENTS_VERSION], check=True,
            stdout=subprocess.DEVNULL)
        archive = glob.glob(os.path.join(download, '*.tar.gz'))[0]
        with tarfile.open(archive) as tar:
            tar.extractall(root, filter='data')
    open(marker, 'w').close()
    return _source_dir(root)


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
