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
               choices=[('auto', 'write units where systemd runs (PID 1 '
                                 'is systemd)'),
                        ('always', 'write units even where systemd does '
                                   'not run now (an image being prepared '
                                   'for a host that boots with systemd)'),
                        ('never', 'never write units: restarts after a '
                                  'reboot are arranged by something else')],
               help='Whether each long-running container the podman engine '
                    'creates gets an enabled systemd unit (and a timer for '
                    'its healthcheck), so that it is started again after a '
                    'reboot, as paunch and tripleo_container_manage did. '
                    'Without units, the reply says that restarts after a '
                    'reboot are not arranged.'),
    cfg.StrOpt('unit_dir', default='/etc/systemd/system',
               help='Directory of the units the podman engine writes (one '
                    'hch-<container>.service per container, '
                    'hch-<container>-healthcheck.timer/.service per '
                    'healthcheck).'),
]


def register_opts(conf):
    conf.register_opts(podman_opts, group=GROUP)


def list_opts():
    return [(GROUP, podman_opts)]
