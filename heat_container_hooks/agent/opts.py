"""Options of heat-container-agent, in the [agent] group."""

from oslo_config import cfg

GROUP = 'agent'

DEFAULT_HOOK_DIRS = ['/usr/libexec/heat-config/hooks',
                     '/var/lib/heat-config/hooks']

agent_opts = [
    # Where deployments come from.
    cfg.ListOpt('local_path', default=[],
                help='Files or directories of heat-config lists to run '
                     '(a JSON list of items, or {"deployments": [...]}; in '
                     'a directory every *.json file). This is what the '
                     'upstream collectors write, and what tests use.'),
    cfg.StrOpt('server_id',
               help='Nova/DeployedServer id whose software deployments are '
                    'collected from Heat (GET /v1/<project>/'
                    'software_deployments/metadata/<server_id>, as '
                    'POLL_SERVER_HEAT does). Unset: Heat is not polled.'),
    cfg.StrOpt('heat_url',
               help='Heat API endpoint including the project, e.g. '
                    'http://127.0.0.1:8004/v1/admin. With heat_token this '
                    'skips Keystone (the local noauth Heat); with Keystone '
                    'credentials it overrides the catalog.'),
    cfg.StrOpt('heat_token', secret=True,
               help='Token sent to heat_url when Keystone is not used (any '
                    'value for a noauth Heat).'),
    cfg.StrOpt('auth_url', help='Keystone v3 URL for collecting.'),
    cfg.StrOpt('user_id', help='Keystone user id (the stack user).'),
    cfg.StrOpt('username', help='Keystone user name.'),
    cfg.StrOpt('password', secret=True, help='Keystone password.'),
    cfg.StrOpt('project_id', help='Keystone project id.'),
    cfg.StrOpt('project_name', help='Keystone project name.'),
    cfg.StrOpt('user_domain_name', default='Default',
               help='Domain of username.'),
    cfg.StrOpt('project_domain_name', default='Default',
               help='Domain of project_name.'),
    cfg.StrOpt('region_name', help='Region of the orchestration endpoint.'),
    cfg.StrOpt('interface', default='public',
               help='Endpoint interface to use from the catalog.'),
    cfg.StrOpt('ca_file', help='CA bundle for HTTPS to Heat, Keystone and '
                               'signal URLs.'),
    cfg.BoolOpt('insecure', default=False,
                help='Do not verify HTTPS certificates.'),
    # Running.
    cfg.FloatOpt('polling_interval', default=30, min=0.1,
                 help='Seconds between two collections when running as a '
                      'service.'),
    cfg.StrOpt('state_dir', default='/var/lib/heat-container-agent',
               help='Where the agent records finished replies and '
                    'signalled deployments (one small file each).'),
    cfg.ListOpt('hook_dirs', default=DEFAULT_HOOK_DIRS,
                help='Directories searched, in order, for the executable '
                     'of a group that is not ours ($HEAT_CONFIG_HOOKS is '
                     'searched first when set), as 55-heat-config does.'),
    cfg.FloatOpt('deployment_timeout', default=3600, min=1,
                 help='Seconds one deployment may run; then it is signalled'
                      ' as failed (an external hook is killed; our own '
                      'hooks are bounded by their own timeouts too).'),
    cfg.IntOpt('workers', default=4, min=1,
               help='Groups carried out at the same time. Deployments of '
                    'one group always run one after another in name order '
                    '(Heat\'s order).'),
    cfg.BoolOpt('cleanup', default=True,
                help='After each complete collection, remove containers of '
                     'our groups whose deployments are gone from the list '
                     '(what upstream\'s cleanup steps do).'),
    # Signalling.
    cfg.StrOpt('signal_mode', default='transport',
               choices=[('transport', 'each deployment\'s own '
                         'deploy_signal_transport'),
                        ('deployments-api', 'complete deployments through '
                         'the Heat API the agent collects from '
                         '(software_deployments.update); for the local '
                         'noauth Heat, where HEAT_SIGNAL needs Keystone')],
               help='How replies reach Heat.'),
    cfg.IntOpt('signal_retries', default=8, min=0,
               help='Retries of a signal after a connection error or a 5xx '
                    'answer (4xx is an error reported at once).'),
    cfg.FloatOpt('signal_backoff', default=1.0, min=0,
                 help='Seconds before the first retry; doubled each time, '
                      'at most signal_backoff_max.'),
    cfg.FloatOpt('signal_backoff_max', default=60, min=0,
                 help='Longest wait between two signal retries.'),
    cfg.FloatOpt('signal_timeout', default=60, min=1,
                 help='Seconds one signal request may take.'),
    cfg.IntOpt('max_signal_bytes', default=900000, min=1024,
               help='Largest JSON signal sent. Longer replies are trimmed '
                    'from the front of deploy_stdout and deploy_stderr '
                    '(Heat refuses bodies over max_json_body_size, 1 MiB by'
                    ' default).'),
]


def register_opts(conf):
    conf.register_opts(agent_opts, group=GROUP)


def list_opts():
    return [(GROUP, agent_opts)]
