"""oslo.config options of the podman engine, group [podman]."""

from oslo_config import cfg

GROUP = 'podman'

podman_opts = [
    cfg.StrOpt('url',
               help='URL of a running podman API socket (e.g. '
                    'unix:///run/podman/podman.sock) for the podman engine '
                    '(engine = podman, or the container group\'s podman '
                    'tool). Unset: the system socket '
                    '/run/podman/podman.sock when it answers, else the hook '
                    'starts "podman system service" on a private socket for '
                    'the length of the run.'),
    cfg.StrOpt('podman_path', default='podman',
               help='The podman executable (a name looked up on PATH, or a '
                    'path), for "podman system service" and "podman '
                    'generate systemd".'),
    cfg.StrOpt('systemd_units', default='auto',
               choices=[('auto', 'write units where systemd runs (it '
                                 'booted this host: /run/systemd/system '
                                 'exists, as sd_booted(3) checks)'),
                        ('always', 'write units even where systemd does '
                                   'not run now (an image being prepared '
                                   'for a host that boots with systemd)'),
                        ('never', 'never write units: restarts after a '
                                  'reboot are arranged by something else')],
               help='Whether each long-running container the podman engine '
                    'creates gets an enabled systemd unit, so that it is '
                    'started again after a reboot (its healthcheck needs no '
                    'unit of ours: podman gives every container it starts '
                    'a transient timer for it where systemd runs), as '
                    'paunch and tripleo_container_manage did. '
                    'Without units, the reply says that restarts after a '
                    'reboot are not arranged.'),
    cfg.StrOpt('unit_dir', default='/etc/systemd/system',
               help='Directory of the units the podman engine writes (one '
                    'hch-<container>.service per long-running container '
                    'with a restart policy).'),
]


def register_opts(conf):
    conf.register_opts(podman_opts, group=GROUP)


def list_opts():
    return [(GROUP, podman_opts)]
