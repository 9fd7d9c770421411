"""oslo.config options of the atomic engine, group [atomic]."""

from oslo_config import cfg

GROUP = 'atomic'

atomic_opts = [
    cfg.StrOpt('runner', default='auto',
               choices=[('auto', 'the atomic CLI if on PATH, else podman '
                                 'if on PATH, else the native runner'),
                        ('atomic', 'the atomic CLI'),
                        ('podman', 'podman container runlabel'),
                        ('docker', 'the native runner: labels read from the '
                                   'Docker engine, commands run directly')],
               help='What carries out the image labels\' commands.'),
    cfg.StrOpt('atomic_path', default='atomic',
               help='The atomic executable (a name looked up on PATH, or a '
                    'path).'),
    cfg.StrOpt('podman_path', default='podman',
               help='The podman executable (a name looked up on PATH, or a '
                    'path).'),
    cfg.StrOpt('podman_url',
               help='URL of a running podman API socket (e.g. '
                    'unix:///run/podman/podman.sock) where the podman runner '
                    'keeps its state records. Unset: the hook starts '
                    '"podman system service" on a private socket for the '
                    'length of the run.'),
    cfg.StrOpt('confdir_base', default='/etc',
               help='${CONFDIR} of a label command is <confdir_base>/<NAME>.'),
    cfg.StrOpt('logdir_base', default='/var/log',
               help='${LOGDIR} of a label command is <logdir_base>/<NAME>.'),
    cfg.StrOpt('datadir_base', default='/var/lib',
               help='${DATADIR} of a label command is <datadir_base>/<NAME>.'),
]


def register_opts(conf):
    conf.register_opts(atomic_opts, group=GROUP)


def list_opts():
    return [(GROUP, atomic_opts)]
