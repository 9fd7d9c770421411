"""The hook executables, one per group, as 55-heat-config calls them:
heat-config item on stdin, one JSON reply on stdout."""

import argparse
import sys

from heat_container_hooks import hook


def build_parser(group):
    """The command line of ``heat-config-<group>`` (its usage and --help;
    the options themselves are read by oslo.config in hook.main)."""
    parser = argparse.ArgumentParser(
        prog='heat-config-%s' % group, allow_abbrev=False,
        exit_on_error=False,
        description='Run one heat-config deployment of the %s group: the '
        'deployment (JSON) on standard input, one JSON reply on standard '
        'output (deploy_stdout, deploy_stderr, deploy_status_code and the '
        'outputs); exit status 0 on success. Other oslo.config and '
        'oslo.log options (--debug, --log-file, ...) are accepted too.'
        % group)
    parser.add_argument('--config-file', action='append', metavar='PATH',
                        help='configuration file (repeatable); default: '
                        '$HEAT_CONTAINER_HOOKS_CONFIG, else '
                        '/etc/heat-container-hooks/heat-container-hooks.conf')
    parser.add_argument('--config-dir', action='append', metavar='DIR',
                        help='directory whose .conf files are read after the '
                        'configuration files (repeatable)')
    return parser


def _main(group):
    # --help stops here. The whole command line then goes to oslo.config,
    # which reads the options; a bad one is a JSON reply (hook.main).
    try:
        build_parser(group).parse_known_args()
    except argparse.ArgumentError:
        pass
    sys.exit(hook.main(group))


def docker_cmd():
    _main('docker-cmd')


def docker_compose():
    _main('docker-compose')


def atomic():
    _main('atomic')


def container():
    _main('container')
