"""``heat-container-hooks``: the admin command (cleanup, and the commands
other modules add)."""

import argparse
import json
import sys

from oslo_log import log as logging

from heat_container_hooks import conf as conf_mod
from heat_container_hooks import groups

LOG = logging.getLogger(__name__)

DEFAULT_HEAT_CONFIG = '/var/run/heat-config/heat-config'


def read_heat_config(path):
    """The heat-config list (a JSON list, or {"deployments": [...]}), or
    None when it cannot be read: then nothing may be cleaned up."""
    try:
        with open(path, encoding='utf-8') as handle:
            data = json.load(handle)
    except (OSError, ValueError) as exc:
        LOG.warning('cannot read %s (%s): nothing cleaned up', path, exc)
        return None
    if isinstance(data, dict):
        data = data.get('deployments')
    if not isinstance(data, list):
        LOG.warning('%s holds no list of deployments: nothing cleaned up',
                    path)
        return None
    return data


def cleanup(args, conf):
    """Remove what each group made for deployments gone from the list.
    Always exits 0: it runs before other groups' hooks and must never stop
    them."""
    items = read_heat_config(args.heat_config)
    if items is None:
        return 0
    for name in args.group or groups.available():
        try:
            group = groups.get(name)
            if group is None:
                LOG.warning('no group %s here: skipped', name)
                continue
            for line in group.cleanup(items, conf):
                LOG.info('cleanup %s: %s', name, line)
        except Exception as exc:  # report, never stop the other groups
            LOG.error('cleanup of %s failed: %s: %s', name,
                      type(exc).__name__, exc)
    return 0


COMMANDS = {'cleanup': cleanup}


def build_parser():
    parser = argparse.ArgumentParser(prog='heat-container-hooks')
    sub = parser.add_subparsers(dest='command', required=True)
    clean = sub.add_parser('cleanup', help='remove containers and projects '
                           'of deployments gone from the heat-config list')
    clean.add_argument('--group', action='append',
                       help='group to clean (repeatable); default: all')
    clean.add_argument('--heat-config', default=DEFAULT_HEAT_CONFIG,
                       help='the heat-config list (default %(default)s)')
    for name, module in _extra_commands():
        module.add_parser(sub)
        COMMANDS[name] = module.run
    return parser


def _extra_commands():
    import importlib
    found = []
    for name, module in (
            ('install-hooks', 'heat_container_hooks.install'),
            ('plan', 'heat_container_hooks.preview'),
            ('validate-templates', 'heat_container_hooks.templates_check')):
        try:
            found.append((name, importlib.import_module(module)))
        except ImportError:
            pass
    return found


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    # Our own arguments first; the rest (--config-file ...) to oslo.config.
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    conf = conf_mod.setup(rest)
    sys.exit(COMMANDS[args.command](args, conf))


def cleanup_main():
    """``heat-config-cleanup``: the os-refresh-config cleanup step."""
    main(['cleanup'] + sys.argv[1:])
