"""All oslo.config options of the project, and logging set-up.

Every timeout has an option here and a per-deployment override through the
deployment's ``options`` (see ``OVERRIDABLE``). The sample configuration in
``etc/`` is generated from ``list_opts`` by ``tox -e genconfig``.
"""

import dataclasses
import logging as std_logging

from oslo_config import cfg
from oslo_log import log as logging

PROJECT = 'heat-container-hooks'

engine_opts = [
    cfg.StrOpt('docker_url',
               help='URL of the Docker Engine API, e.g. '
                    'unix:///var/run/docker.sock or tcp://127.0.0.1:2375. '
                    'Unset: $DOCKER_HOST, else the local socket.'),
    cfg.StrOpt('engine', default='docker',
               choices=[('docker', 'the Docker engine (dockerd), at '
                                   'docker_url'),
                        ('podman', 'podman, through its Docker-compatible '
                                   'REST API: [podman] url, else the '
                                   'system socket /run/podman/podman.sock, '
                                   'else a private "podman system '
                                   'service" for the length of the run')],
               help='Container engine of the docker-cmd and docker-compose '
                    'groups (compose on podman: Compose v2 with DOCKER_HOST '
                    'at podman\'s socket). A '
                    'deployment\'s options (engine) override it. The '
                    'container group picks podman with its tool instead '
                    '(tool: podman). See doc/podman.md.'),
    cfg.IntOpt('docker_api_timeout', default=120, min=1,
               help='Seconds one Engine API call may take.'),
    cfg.IntOpt('engine_workers', default=8, min=1,
               help='Engine API calls carried out in parallel (over one '
                    'connection pool) when containers do not depend on '
                    'each other. Waiting for a container to be ready '
                    '(running, healthy) does not take one of them.'),
]

hook_opts = [
    cfg.StrOpt('managed_by',
               help='Value of the managed_by label put on containers. '
                    'Unset: the hook group (docker-cmd, docker-compose, '
                    'atomic, container). Cleanup only ever touches '
                    'containers with this value.'),
    cfg.StrOpt('working_dir', default='/var/lib/heat-container-hooks',
               help='Directory under which hooks write their files '
                    '(compose projects, env files). Nothing is written '
                    'outside it.'),
    cfg.StrOpt('lock_dir', default='/var/run/heat-container-hooks',
               help='Directory of the hooks\' runtime state: the '
                    'per-owner lock files that serialise runs of the same '
                    'deployment, and what probing the Compose CLI found.'),
    cfg.FloatOpt('lock_timeout', default=600, min=0,
                 help='Seconds to wait for another run of the same '
                      'deployment to finish before failing.'),
    cfg.FloatOpt('start_timeout', default=60, min=0,
                 help='Seconds a container may take to reach "running".'),
    cfg.FloatOpt('healthy_timeout', default=300, min=0,
                 help='Seconds a container with a healthcheck may take to '
                      'become healthy.'),
    cfg.FloatOpt('health_probe_period', default=1.0, min=0,
                 help='Seconds between runs of a container\'s own '
                      'healthcheck test, which the hooks run through the '
                      'engine\'s exec while the engine still reports the '
                      'container\'s health as "starting": the container '
                      'is ready for the run once one of them passes, '
                      'instead of at the engine\'s first check, one '
                      'healthcheck interval (30 s by default) after the '
                      'start. The container\'s healthcheck itself is not '
                      'changed. Checks whose interval is not longer than '
                      'this period are left to the engine; 0 turns the '
                      'probing off.'),
    cfg.FloatOpt('oneshot_timeout', default=600, min=0,
                 help='Seconds a one-shot container (detach: false) may run '
                      'before the deployment fails.'),
    cfg.FloatOpt('exec_timeout', default=600, min=0,
                 help='Seconds an exec step may run before the deployment '
                      'fails.'),
    cfg.IntOpt('stop_grace_period', default=10, min=0,
               help='Seconds a container is given to stop after its stop '
                    'signal before it is killed, unless its config sets '
                    'stop_grace_period.'),
    cfg.FloatOpt('settle_time', default=0.0, min=0,
                 help='Seconds a long-running container started by a run '
                      'must stay up before the run reports success; one '
                      'that exits in that time fails the deployment. With '
                      '0, a started container succeeds once it runs (or is '
                      'healthy, when it has a healthcheck) and is still up '
                      'when the run checks all of them once more just '
                      'before its reply. A healthcheck is the precise '
                      'signal; this window is a guess that every run of '
                      'the deployment pays for.'),
    cfg.ListOpt('secret_inputs', default=[],
                help='Names of inputs whose values are secrets: they never '
                     'appear in logs, replies or labels (not even as a '
                     'digest); they reach the Engine API in the container\'s '
                     'environment, and Compose through its process '
                     'environment or 0600 env files, never a file others can '
                     'read. deploy_* credentials are always secret.'),
    cfg.ListOpt('secret_input_patterns',
                default=['*password*', '*secret*', '*token*'],
                help='Shell-style patterns (case-insensitive) of input names '
                     'that are treated as secret too.'),
    cfg.IntOpt('max_reply_bytes', default=900000, min=4096, max=950000,
               help='Largest reply (bytes of JSON) a hook prints: '
                    'heat-config-notify fails on a signal over 950,000 '
                    'bytes. A larger reply has its longest outputs '
                    '(deploy_stdout, deploy_stderr, per-container ones) '
                    'cut from the front, each cut marked with "[N '
                    'characters trimmed]"; a failure\'s first line is '
                    'kept.'),
    cfg.StrOpt('log_level', default='INFO',
               choices=['DEBUG', 'INFO', 'WARNING', 'ERROR'],
               help='Level of the hooks\' own log on stderr.'),
]

container_opts = [
    cfg.StrOpt('default_tool', default='docker',
               choices=[('docker', 'the Docker Engine API, directly'),
                        ('compose', 'a compose project (Compose v2 or v1)'),
                        ('atomic', "atomic's label protocol"),
                        ('podman', 'podman, through its Docker-compatible '
                                   'API (see [podman])')],
               help='Tool that carries out a deployment of the neutral '
                    '"container" group when neither its options (tool) nor '
                    'its container_tool input name one.'),
]

image_opts = [
    cfg.StrOpt('pull', default='missing',
               choices=[('missing', 'pull an image only when it is not '
                                    'present (what heat-agents and paunch '
                                    'do)'),
                        ('always', 'pull on every run; a container whose '
                                   'image id moved is replaced'),
                        ('never', 'never pull; an absent image fails the '
                                  'deployment')],
               help='Pull policy of the docker-cmd and container groups\' '
                    'images on the Docker engine. A deployment\'s options '
                    '(pull) and a container\'s own pull key override it.'),
    cfg.StrOpt('registry_auth_file',
               help='Registry credentials for pulls: a file in the format '
                    'of Docker\'s config.json ("auths"). A deployment\'s '
                    'options (registry_auth_file) override it. The '
                    'credentials are never logged or put in a reply.'),
]

# Deployment ``options`` keys that override the option of the same name.
OVERRIDABLE = ('managed_by', 'lock_timeout', 'start_timeout',
               'healthy_timeout', 'oneshot_timeout', 'exec_timeout',
               'stop_grace_period', 'settle_time', 'pull',
               'registry_auth_file', 'health_probe_period', 'engine')

CONF = cfg.CONF
_registered = False


def register_opts(conf=CONF):
    global _registered
    if conf is CONF and _registered:
        return
    conf.register_opts(engine_opts)
    conf.register_opts(hook_opts)
    conf.register_opts(image_opts)
    conf.register_opts(container_opts, group='container')
    for module in _extension_modules():
        module.register_opts(conf)
    logging.register_options(conf)
    # oslo.log falls back to *stdout* when nothing else is configured;
    # stdout belongs to the reply, so logs go to stderr.
    conf.set_default('use_stderr', True)
    if conf is CONF:
        _registered = True


def _extension_modules():
    """Option modules of the tool adapters and the agent, when present."""
    import importlib
    modules = []
    for name in ('heat_container_hooks.engines.compose_opts',
                 'heat_container_hooks.engines.atomic_opts',
                 'heat_container_hooks.engines.podman_opts',
                 'heat_container_hooks.agent.opts'):
        try:
            modules.append(importlib.import_module(name))
        except ImportError:
            pass
    return modules


def list_opts():
    """Entry point for oslo-config-generator."""
    opts = [(None, engine_opts + hook_opts + image_opts),
            ('container', container_opts)]
    for module in _extension_modules():
        opts.extend(module.list_opts())
    return opts


CONFIG_ENV = 'HEAT_CONTAINER_HOOKS_CONFIG'


def setup(argv=None, conf=CONF, default_config_files=None):
    """Parse the command line and config files and set up logging.

    Hooks run by 55-heat-config get no arguments: the config file then
    comes from $HEAT_CONTAINER_HOOKS_CONFIG, else oslo.config's usual
    places (/etc/heat-container-hooks/heat-container-hooks.conf, ...).
    """
    import os
    register_opts(conf)
    if default_config_files is None and os.environ.get(CONFIG_ENV):
        default_config_files = [os.environ[CONFIG_ENV]]
    conf(argv if argv is not None else [], project=PROJECT,
         default_config_files=default_config_files)
    logging.setup(conf, PROJECT)
    std_logging.getLogger().setLevel(conf.log_level)
    # Library chatter (urllib3 connection pools, docker SDK) stays quiet.
    for noisy in ('urllib3', 'docker', 'stevedore'):
        std_logging.getLogger(noisy).setLevel(
            max(std_logging.WARNING, std_logging.getLogger().level))
    return conf


@dataclasses.dataclass(frozen=True)
class Settings:
    """The options in force for one deployment (config + its overrides)."""

    managed_by: str
    working_dir: str
    lock_dir: str
    lock_timeout: float
    start_timeout: float
    healthy_timeout: float
    oneshot_timeout: float
    exec_timeout: float
    stop_grace_period: int
    settle_time: float
    docker_url: str = None
    docker_api_timeout: int = 120
    engine_workers: int = 8
    pull: str = 'missing'
    registry_auth_file: str = None
    health_probe_period: float = 1.0
    engine: str = 'docker'


def settings_for(conf, group, overrides):
    """Settings from the config, with validated per-deployment overrides.

    ``overrides`` holds only keys of OVERRIDABLE, already type-checked.
    """
    values = {name: getattr(conf, name) for name in OVERRIDABLE}
    values['managed_by'] = values['managed_by'] or group
    values.update(overrides)
    return Settings(working_dir=conf.working_dir, lock_dir=conf.lock_dir,
                    docker_url=conf.docker_url,
                    docker_api_timeout=conf.docker_api_timeout,
                    engine_workers=conf.engine_workers, **values)
