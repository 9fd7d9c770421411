"""Options of heat-container-agent, in the [agent] group.

Besides the agent's own options, the group holds keystoneauth1's: the auth
plugin options (``auth_type`` picks the plugin: ``password``,
``v3applicationcredential``, ``token``, ...; its options are read when the
agent loads it) and the session options, which also give the TLS settings
of every HTTP request the agent makes (Heat, Keystone, signal URLs).
keystoneauth1 is imported only by the agent (register_keystone_opts), not
by every hook run: its import costs a hook 0.1-0.2 s.
"""

from oslo_config import cfg

GROUP = 'agent'

DEFAULT_HOOK_DIRS = ['/usr/libexec/heat-config/hooks',
                     '/var/lib/heat-config/hooks']

agent_opts = [
    # Where deployments come from.
    cfg.ListOpt('local_path', default=[],
                help='Files or directories of heat-config lists to run '
                     '(a JSON list of items, or {"deployments": [...]}; in '
                     'a directory every file ending in .json). This is what '
                     'the upstream collectors write, and what tests use.'),
    cfg.ListOpt('collectors', default=[],
                help='os-collect-config collectors to collect through, '
                     'as os-collect-config does, with the stack user\'s '
                     'credentials Heat puts in the server\'s '
                     'os-collect-config section (copy it, or pass '
                     '/etc/os-collect-config.conf as one more '
                     '--config-file): heat (POLL_SERVER_HEAT, options in '
                     '[heat]), cfn (POLL_SERVER_CFN, [cfn]), request '
                     '(POLL_TEMP_URL, [request]), zaqar (ZAQAR_MESSAGE, '
                     '[zaqar]).'),
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
    # Keystone: keystoneauth's auth plugin options (auth_type, and the
    # chosen plugin's auth_url, username, application_credential_id, ...)
    # and session options (cafile, certfile, keyfile, insecure, timeout)
    # are registered in this group too: see register_opts.
    cfg.StrOpt('region_name', help='Region of the orchestration endpoint.'),
    cfg.StrOpt('interface', default='public',
               help='Endpoint interface to use from the catalog.'),
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


# The auth plugins whose options the sample config and the docs show (any
# keystoneauth1 plugin works at run time).
DOCUMENTED_PLUGINS = ('password', 'v3applicationcredential', 'token')

# Names the agent used before keystoneauth's session options.
SESSION_DEPRECATIONS = {
    'cafile': [cfg.DeprecatedOpt('ca_file', group=GROUP)],
}


def session_opts():
    """keystoneauth1's session (TLS, timeout) options, as registered."""
    from keystoneauth1 import loading as ks_loading
    return ks_loading.get_session_conf_options(
        deprecated_opts=SESSION_DEPRECATIONS)


def auth_opts():
    """auth_type, auth_section and the options of DOCUMENTED_PLUGINS, each
    name once (the plugins share auth_url, project_id, ...)."""
    from keystoneauth1 import loading as ks_loading
    opts, seen = [], set()
    found = list(ks_loading.get_auth_common_conf_options())
    for plugin in DOCUMENTED_PLUGINS:
        found.extend(ks_loading.get_auth_plugin_conf_options(plugin))
    for opt in found:
        if opt.dest not in seen:
            seen.add(opt.dest)
            opts.append(opt)
    return opts


def register_opts(conf):
    """Register the agent's own options in [agent] (every process)."""
    conf.register_opts(agent_opts, group=GROUP)


def register_keystone_opts(conf):
    """Register keystoneauth1's session and auth options in [agent]
    (idempotent; the agent calls it before reading them). The chosen
    plugin's own options are registered by
    keystoneauth1.loading.load_auth_from_conf_options when it loads."""
    from keystoneauth1 import loading as ks_loading
    register_opts(conf)
    ks_loading.register_session_conf_options(
        conf, GROUP, deprecated_opts=SESSION_DEPRECATIONS)
    ks_loading.register_auth_conf_options(conf, GROUP)


def list_opts():
    """Entry point for oslo-config-generator and the docs: [agent], and
    the groups of os-collect-config's collectors the agent reads."""
    from heat_container_hooks.agent import collectors
    return [(GROUP, agent_opts + session_opts() + auth_opts())] + [
        (None if group == 'DEFAULT' else group, opts)
        for group, opts in collectors.list_opts()]
