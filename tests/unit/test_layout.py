"""One on-host layout: every configuration file path and every
heat-container-* directory named anywhere in the tree (README, doc/, the
agent image, templates, environments, tools, the code and its sample
config, release notes, tests, bench) is one of the layout's
(doc/agent.md, "On-host layout")."""

import os
import re

import testtools

from heat_container_hooks.agent import opts as agent_opts
from heat_container_hooks import conf

ROOT = os.path.join(os.path.dirname(__file__), '..', '..')
SCANNED = ('README.md', 'doc', 'images', 'templates', 'environments',
           'tools', 'etc', 'examples', 'heat_container_hooks', 'releasenotes',
           'tests', 'bench', 'setup.cfg', 'tox.ini')
CONFIG_FILE = '/etc/%s/%s.conf' % (conf.PROJECT, conf.PROJECT)
LOG_DIR = '/var/log/heat-container-hooks'
# Build output (doc/build, releasenotes/build) and caches are not sources.
GENERATED = {'build', '__pycache__'}
# /etc/..., /var/lib/..., /var/run/..., /run/..., /var/log/...
PATH = re.compile(r'(?:/var)?/(?:etc|lib|run|log)/heat-container-[\w.-]+'
                  r'(?:/[\w.-]+\.conf)?')


def layout():
    """The layout's paths: the options' defaults and the config file."""
    defaults = {opt.dest: opt.default for opt in conf.hook_opts}
    state = {opt.dest: opt.default for opt in agent_opts.agent_opts}
    return {CONFIG_FILE, os.path.dirname(CONFIG_FILE),
            defaults['working_dir'], defaults['lock_dir'],
            state['state_dir'], LOG_DIR}


def named_paths():
    """{path: [file, ...]} for every matching path in the scanned files."""
    found = {}
    for top in SCANNED:
        start = os.path.join(ROOT, top)
        files = [start] if os.path.isfile(start) else [
            os.path.join(d, f) for d, _, names in os.walk(start)
            for f in names if not GENERATED & set(d.split(os.sep))]
        for path in files:
            try:
                with open(path, encoding='utf-8') as handle:
                    text = handle.read()
            except (UnicodeDecodeError, OSError):
                continue
            for match in PATH.findall(text):
                found.setdefault(match.rstrip('.'), []).append(
                    os.path.relpath(path, ROOT))
    return found


class TestOneLayout(testtools.TestCase):

    def test_the_layout_is_the_code_defaults(self):
        self.assertEqual({
            '/etc/heat-container-hooks/heat-container-hooks.conf',
            '/etc/heat-container-hooks', '/var/lib/heat-container-hooks',
            '/var/run/heat-container-hooks', '/var/lib/heat-container-agent',
            '/var/log/heat-container-hooks'}, layout())

    def test_the_tree_names_no_other_path(self):
        found = named_paths()
        self.assertIn(CONFIG_FILE, found)
        others = {path: files for path, files in found.items()
                  if path not in layout()}
        self.assertEqual({}, others, 'paths outside the on-host layout '
                         '(doc/agent.md): use the layout\'s')
