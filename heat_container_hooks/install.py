"""``heat-container-hooks install-hooks``: our hooks as drop-ins for
heat-agents' dispatcher (55-heat-config).

It writes, for each group, a small wrapper script named after the group in
a hooks directory that 55-heat-config searches ($HEAT_CONFIG_HOOKS,
/usr/libexec/heat-config/hooks, /var/lib/heat-config/hooks), which execs
our console script ``heat-config-<group>``; and an os-refresh-config
``configure.d`` script that runs ``heat-config-cleanup`` before
55-heat-config (its number, 50, sorts first) and always exits 0, so it can
never stop the other groups' hooks.

Wrapper scripts rather than symlinks: they carry the absolute path of the
console script (55-heat-config runs hooks with whatever PATH
os-refresh-config has) and, with ``--hooks-config``, the config file
through $HEAT_CONTAINER_HOOKS_CONFIG. Every file written carries a marker
line; a file without it (an upstream hook, a hand-written script) is
never overwritten unless ``--force`` is given.
"""

import os
import shlex
import shutil
import sys
import tempfile

from oslo_log import log as logging

from heat_container_hooks import conf as conf_mod
from heat_container_hooks import groups

LOG = logging.getLogger(__name__)

DEFAULT_HOOKS_DIR = '/var/lib/heat-config/hooks'
DEFAULT_CONFIGURE_DIR = '/usr/libexec/os-refresh-config/configure.d'
CLEANUP_SCRIPT = '50-heat-container-hooks-cleanup'
MARKER = '# written by heat-container-hooks install-hooks'

HOOK_TEMPLATE = '''#!/bin/sh
%(marker)s
# The %(group)s hook for heat-agents' 55-heat-config.
%(env)sexec %(script)s "$@"
'''

CLEANUP_TEMPLATE = '''#!/bin/sh
%(marker)s
# Removes containers of deployments gone from the heat-config list before
# 55-heat-config runs the hooks. Never fails: the other groups must run.
%(env)s%(script)s --heat-config "${HEAT_SHELL_CONFIG:-%(heat_config)s}" \\
    %(groups)s|| true
exit 0
'''


class InstallError(Exception):
    pass


def console_script(name):
    """Absolute path of one of our console scripts."""
    beside = os.path.join(os.path.dirname(sys.executable), name)
    if os.path.isfile(beside) and os.access(beside, os.X_OK):
        return beside
    found = shutil.which(name)
    if found is None:
        raise InstallError('cannot find the %s script (fix: install '
                           'heat-container-hooks with pip in this Python, '
                           'or put its bin directory on PATH)' % name)
    return os.path.abspath(found)


def _env_line(hooks_config):
    if not hooks_config:
        return ''
    return 'export %s=%s\n' % (conf_mod.CONFIG_ENV,
                               shlex.quote(os.path.abspath(hooks_config)))


def hook_script(group, hooks_config=None):
    return HOOK_TEMPLATE % {
        'marker': MARKER, 'group': group, 'env': _env_line(hooks_config),
        'script': shlex.quote(console_script('heat-config-%s' % group))}


def cleanup_script(group_names, hooks_config=None):
    from heat_container_hooks.cmd import admin
    return CLEANUP_TEMPLATE % {
        'marker': MARKER, 'env': _env_line(hooks_config),
        'script': shlex.quote(console_script('heat-config-cleanup')),
        'heat_config': admin.DEFAULT_HEAT_CONFIG,
        'groups': ''.join('--group %s ' % shlex.quote(g)
                          for g in group_names)}


def _ours_or_absent(path):
    try:
        with open(path, encoding='utf-8', errors='replace') as handle:
            return MARKER in handle.read(4096)
    except FileNotFoundError:
        return True
    except IsADirectoryError:
        return False


def write_executable(path, text, force=False):
    """Write ``text`` to ``path`` (0755) atomically; returns 'written',
    'unchanged' or raises InstallError for a file that is not ours."""
    if os.path.islink(path) or not _ours_or_absent(path):
        if not force:
            raise InstallError(
                '%s exists and was not written by install-hooks (fix: '
                'remove it, or pass --force to replace it)' % path)
    elif os.path.exists(path):
        with open(path, encoding='utf-8') as handle:
            if handle.read() == text:
                return 'unchanged'
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix='.install-')
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as handle:
            handle.write(text)
        os.chmod(tmp, 0o755)  # a hook is an executable  # nosec B103
        if os.path.islink(path) or os.path.isdir(path):
            _remove(path)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return 'written'


def _remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def install(hooks_dir, configure_dir, group_names, hooks_config=None,
            force=False):
    """Install the hooks and the cleanup script; returns (path, what)."""
    done = []
    for group in group_names:
        path = os.path.join(hooks_dir, group)
        done.append((path, write_executable(
            path, hook_script(group, hooks_config), force)))
    if configure_dir:
        path = os.path.join(configure_dir, CLEANUP_SCRIPT)
        done.append((path, write_executable(
            path, cleanup_script(group_names, hooks_config), force)))
    return done


def add_parser(subparsers):
    parser = subparsers.add_parser(
        'install-hooks', help='install our hooks where heat-agents\' '
        '55-heat-config looks for them, and the cleanup step it runs '
        'before them')
    parser.add_argument('--dir', default=DEFAULT_HOOKS_DIR,
                        help='hooks directory (default %(default)s)')
    parser.add_argument('--configure-dir', default=DEFAULT_CONFIGURE_DIR,
                        help='os-refresh-config configure.d directory for '
                        'the cleanup script (default %(default)s); an '
                        'empty value skips it')
    parser.add_argument('--group', action='append', choices=sorted(
        groups.GROUPS), help='group to install (repeatable); default: all')
    parser.add_argument('--hooks-config', metavar='PATH',
                        help='config file the installed hooks read '
                        '(exported as $%s)' % conf_mod.CONFIG_ENV)
    parser.add_argument('--force', action='store_true',
                        help='replace files install-hooks did not write')
    return parser


def run(args, conf):
    group_names = args.group or sorted(groups.GROUPS)
    try:
        done = install(args.dir, args.configure_dir, group_names,
                       args.hooks_config, args.force)
    except (InstallError, OSError) as exc:
        LOG.error('install-hooks failed: %s', exc)
        print('error: %s' % exc, file=sys.stderr)
        return 1
    for path, what in done:
        print('%s %s' % (what, path))
    return 0
