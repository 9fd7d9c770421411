"""The upstream artefacts the compatibility suite runs, pinned here (and
only here; paunch's pin is the tox env's dependency, see tox.ini):
tripleo-heat-templates sdists from PyPI, downloaded at test time and cached
beside heat-agents' (tests/functional/upstream.py)."""

import glob
import os
import subprocess
import sys
import tempfile

from tests.functional import upstream

# release name -> tripleo-heat-templates version on PyPI
THT_RELEASES = {
    'queens': '8.4.1',
    'train': '11.6.0',
    'wallaby': '14.3.0',
}
PAUNCH_VERSION = '7.0.4'

# THT's setup.cfg only builds (for pip's metadata step) with a setuptools
# from before automatic package discovery (61).
_BUILD_CONSTRAINT = 'setuptools<61\n'


def tht_dir(release):
    """The unpacked tripleo-heat-templates of ``release`` (downloaded with
    pip on first use, its jinja2 templates rendered, then cached)."""
    version = THT_RELEASES[release]
    root = os.path.join(upstream.cache_dir(),
                        'tripleo-heat-templates-%s' % version)
    with tempfile.TemporaryDirectory() as scratch:
        constraint = os.path.join(scratch, 'build-constraints.txt')
        with open(constraint, 'w') as handle:
            handle.write(_BUILD_CONSTRAINT)
        upstream.unpack_sdist(
            'tripleo-heat-templates==%s' % version, root,
            env={'PIP_CONSTRAINT': constraint,
                 'PIP_BUILD_CONSTRAINT': constraint},
            prepare=lambda path: _render(_source_dir(path)))
    return _source_dir(root)


def _source_dir(root):
    return glob.glob(os.path.join(root, 'tripleo[-_]heat[-_]templates-*'))[0]


def _render(tree):
    """Render the tree's jinja2 templates in place with THT's own
    tools/process-templates.py and its default roles and networks, as a
    deployment does before Heat sees the templates."""
    subprocess.run(
        [sys.executable, 'tools/process-templates.py', '-p', '.',
         '-r', 'roles_data.yaml', '-n', 'network_data.yaml'],
        cwd=tree, check=True, stdout=subprocess.DEVNULL)
