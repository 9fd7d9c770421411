"""systemd units that start podman's containers again after a reboot.

podman has no daemon: nothing starts a container with a restart policy
again when the host boots (dockerd does that for Docker). So, as paunch and
tripleo_container_manage did, each such container gets an enabled unit.

- Which containers: the long-running ones with a restart policy other
  than ``no`` (``always``, ``unless-stopped``, ``on-failure``), i.e. those
  dockerd would start again at boot; the unit's ``Restart=`` follows the
  policy.
- The unit: podman's own generator, ``podman generate systemd --name
  --container-prefix hch`` (``hch-<name>.service``, ``podman start``/
  ``podman stop`` of the container). ``--new`` (a unit that creates the
  container) cannot be used: podman refuses it for a container created
  through the REST API, which keeps no create command. The unit is
  written again whenever the container is created or replaced, and removed
  with it.
- Enabled: the ``[Install] WantedBy=`` symlink is made here (what
  ``systemctl enable`` does), then ``systemctl daemon-reload`` where
  systemd runs.
- Healthchecks: where systemd runs, ``podman start`` (by the unit) gives
  the container podman's own transient healthcheck timer, so no timer is
  written here (it would run each check twice).

Pure text in, files out; the podman CLI generates, nothing else is run but
``systemctl daemon-reload``.
"""

import os
import subprocess

from oslo_log import log as logging

from heat_container_hooks import errors
from heat_container_hooks import fileutil

LOG = logging.getLogger(__name__)

PREFIX = 'hch'
RESTARTS = {'always': 'always', 'unless-stopped': 'always',
            'on-failure': 'on-failure'}


def systemd_running():
    """Whether this host runs systemd as its init (sd_booted(3): the
    directory /run/systemd/system exists)."""
    return os.path.isdir('/run/systemd/system')


def unit_name(container_name):
    """The unit of a container: ``hch-<name>.service``."""
    return '%s-%s.service' % (PREFIX, container_name)


def wanted(spec):
    """Whether a container (a spec) gets a unit: long-running, with a
    restart policy other than ``no``."""
    if spec.is_oneshot or not spec.restart:
        return False
    return spec.restart.partition(':')[0] in RESTARTS


def generate(podman, url, name, restart, grace, timeout=60):
    """The text of a container's unit, from ``podman generate systemd``
    (``url``: podman's API, so the same storage is read). Raises
    EngineError naming the container when podman cannot generate it."""
    argv = [podman]
    if url:
        argv += ['--url', url]
    argv += ['generate', 'systemd', '--name', '--container-prefix', PREFIX,
             '--separator', '-', '--no-header',
             '--restart-policy', RESTARTS[restart.partition(':')[0]],
             '--stop-timeout', str(int(grace)), name]
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise errors.EngineError('container %s: podman generate systemd '
                                 'failed: %s' % (name, exc))
    if proc.returncode:
        raise errors.EngineError(
            'container %s: podman generate systemd failed: %s (fix: check '
            'podman, or set [podman] systemd_units = never)'
            % (name, proc.stderr.decode('utf-8', 'replace').strip()[-300:]))
    return proc.stdout.decode('utf-8')


def wanted_by(text):
    """The targets of a unit's ``[Install] WantedBy=`` lines."""
    targets = []
    section = ''
    for line in text.splitlines():
        line = line.strip()
        if line.startswith('['):
            section = line
        elif section == '[Install]' and line.startswith('WantedBy='):
            targets.extend(line[len('WantedBy='):].split())
    return targets


def install(unit_dir, container_name, text):
    """Write the unit and enable it (its WantedBy symlinks); returns the
    unit's path."""
    name = unit_name(container_name)
    path = os.path.join(unit_dir, name)
    os.makedirs(unit_dir, exist_ok=True)
    fileutil.write_atomic(path, text, mode=0o644)
    for target in wanted_by(text):
        wants = os.path.join(unit_dir, target + '.wants')
        os.makedirs(wants, exist_ok=True)
        link = os.path.join(wants, name)
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(path, link)
    return path


def remove(unit_dir, container_name):
    """Disable and remove a container's unit; True when there was one."""
    name = unit_name(container_name)
    path = os.path.join(unit_dir, name)
    found = False
    if os.path.isdir(unit_dir):
        for entry in os.listdir(unit_dir):
            link = os.path.join(unit_dir, entry, name)
            if entry.endswith('.wants') and os.path.lexists(link):
                os.unlink(link)
    if os.path.exists(path):
        os.unlink(path)
        found = True
    return found


def reload():
    """``systemctl daemon-reload`` where systemd runs (a failure is
    logged: the units take effect at the next boot anyway)."""
    if not systemd_running():
        return
    try:
        subprocess.run(['systemctl', 'daemon-reload'], check=True,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=120)
    except (OSError, subprocess.SubprocessError) as exc:
        LOG.warning('systemctl daemon-reload failed: %s', exc)
