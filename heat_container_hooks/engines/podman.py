"""The podman engine: the docker engine adapter (engines/docker.py: plan,
create, start, waits, replies, cleanup) carried out over podman's
Docker-compatible REST API, with what podman does differently kept here.

- The socket: ``[podman] url``, else the system socket, else a private
  ``podman system service`` for the length of the run
  (engines/podman_service.py).
- The create arguments (``create_kwargs``): the same keys as on Docker;
  where podman would not honour one the way dockerd does, a clear error
  names the field (``dialect_problems``), before anything is touched.
- Health: podman runs healthchecks from systemd timers only; the shared
  wait (dockerapi.wait_ready) has podman run each check on its interval
  (healthprobe.EngineCheck), so nothing podman-specific is needed here.
- Reboots: podman has no daemon to restart containers. Where systemd runs,
  each long-running container gets an enabled unit
  (engines/systemd_units.py); elsewhere the reply says that restarts after
  a reboot are not arranged.
"""

import dataclasses

from oslo_log import log as logging

from heat_container_hooks import deployment as deployment_mod
from heat_container_hooks.engines import docker as docker_engine
from heat_container_hooks.engines import podman_service
from heat_container_hooks import errors
from heat_container_hooks import plan as plan_mod

LOG = logging.getLogger(__name__)
Act = plan_mod.Act
Action = deployment_mod.Action

NO_REBOOT_NOTE = ('podman: restarts after a reboot are not arranged (systemd '
                  'does not run here; see doc/podman.md)')


def dialect_problems(specs):
    """Problems (errors.Problems) of keys that podman's API would not
    honour as dockerd does, each naming the field and the fix. Pure."""
    problems = errors.Problems()
    return problems


class PodmanEngine(docker_engine.DockerEngine):
    """The DockerEngine on podman's API, for one run (``close`` ends the
    private service, if the run started one). ``conf``: the hook's config
    (its ``[podman]`` group). Raises EngineError when no podman API can be
    reached or started."""

    def __init__(self, settings, conf, api=None):
        self.opts = conf.podman
        self.service = None
        url = settings.docker_url if api is not None else None
        if api is None:
            url, self.service = podman_service.connect(
                self.opts.url, self.opts.podman_path,
                settings.start_timeout or 30, '[podman] url')
        super().__init__(dataclasses.replace(settings, docker_url=url,
                                             engine='podman'), api)

    def close(self):
        try:
            super().close()
        finally:
            if self.service is not None:
                self.service.close()
                self.service = None

    def plan(self, owner, desired, action, result, pull=True):
        dialect_problems(desired).raise_if_any()
        return super().plan(owner, desired, action, result, pull=pull)

    def converge(self, owner, config_id, desired, action):
        try:
            dialect_problems(desired).raise_if_any()
        except errors.InvalidDeployment as exc:
            result = docker_engine.outcome_mod.Outcome()
            result.error = exc
            return result
        result = super().converge(owner, config_id, desired, action)
        if action not in (Action.DELETE,) and any(
                not spec.is_oneshot for spec in desired):
            result.notes.append(NO_REBOOT_NOTE)
        return result
