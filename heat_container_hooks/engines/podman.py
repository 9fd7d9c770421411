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
import os

from oslo_log import log as logging

from heat_container_hooks import deployment as deployment_mod
from heat_container_hooks.engines import docker as docker_engine
from heat_container_hooks.engines import podman_service
from heat_container_hooks.engines import systemd_units
from heat_container_hooks import errors
from heat_container_hooks import outcome as outcome_mod
from heat_container_hooks import plan as plan_mod

LOG = logging.getLogger(__name__)
Act = plan_mod.Act
Action = deployment_mod.Action

HEALTH_WORDS = ('starting', 'healthy', 'unhealthy')
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

    def observe(self):
        return self._with_health(super().observe())

    def observe_owner(self, owner):
        return self._with_health(super().observe_owner(owner))

    def _with_health(self, found):
        """podman's Docker-compatible list leaves the health out of its
        Status text ("Up 3 seconds"), where the planner reads it on
        Docker ("(health: starting)"); libpod's list has it as Status:
        one more query, for the running containers only."""
        import json
        running = [c.id for c in found if c.state == 'running']
        if not running:
            return found
        api = self.api
        answer = api.get('%s/v%s/libpod/containers/json'
                         % (api.base_url, api.api_version),
                         params={'all': 'true',
                                 'filters': json.dumps({'id': running})})
        answer.raise_for_status()
        health = {item.get('Id'): item.get('Status')
                  for item in answer.json() or ()}
        return [dataclasses.replace(c, health=health[c.id])
                if health.get(c.id) in HEALTH_WORDS else c for c in found]

    def plan(self, owner, desired, action, result, pull=True):
        dialect_problems(desired).raise_if_any()
        return super().plan(owner, desired, action, result, pull=pull)

    def converge(self, owner, config_id, desired, action):
        try:
            dialect_problems(desired).raise_if_any()
        except errors.InvalidDeployment as exc:
            return outcome_mod.Outcome(error=exc)
        return super().converge(owner, config_id, desired, action)

    def execute(self, plan, owner, config_id, result):
        """The docker adapter's execute, then the containers' systemd
        units (systemd_units): written for the long-running containers
        with a restart policy (again when one was created or replaced, or
        its unit is missing), removed with the containers removed."""
        try:
            super().execute(plan, owner, config_id, result)
        finally:
            self._units(plan, result)

    def _units(self, plan, result):
        mode = self.opts.systemd_units
        steps = [s for stage in plan.stages for s in stage.run_steps]
        wanted = [s for s in steps
                  if s.spec is not None and systemd_units.wanted(s.spec)]
        if mode == 'never':
            return
        if mode == 'auto' and not systemd_units.systemd_running():
            if wanted:
                result.notes.append(NO_REBOOT_NOTE)
            return
        unit_dir = self.opts.unit_dir
        done = {r.name: r for r in result.results}
        changed = False
        gone = [s.name for s in plan.removals]
        gone += [s.name for s in steps
                 if s.spec is not None and not systemd_units.wanted(s.spec)
                 and s.act in (Act.CREATE, Act.REPLACE)]
        for name in gone:
            changed = systemd_units.remove(unit_dir, name) or changed
        for step in wanted:
            spec, outcome = step.spec, done.get(step.name)
            if outcome is None or outcome.failed:
                continue
            path = os.path.join(unit_dir, systemd_units.unit_name(spec.name))
            if step.act not in (Act.CREATE, Act.REPLACE) and \
                    os.path.exists(path):
                continue
            try:
                text = systemd_units.generate(
                    self.opts.podman_path, self.settings.docker_url,
                    spec.name, spec.restart, self._grace(spec))
                systemd_units.install(unit_dir, spec.name, text)
            except (errors.HookError, OSError) as exc:
                result.error = result.error or errors.EngineError(
                    'container %s runs, but its systemd unit could not be '
                    'written: %s (fix: check [podman] unit_dir, or set '
                    '[podman] systemd_units = never)' % (spec.name, exc))
                continue
            LOG.info('container %s: systemd unit %s written and enabled',
                     spec.name, path)
            changed = True
        if changed:
            systemd_units.reload()

    def remove_all(self, containers):
        """The docker adapter's cleanup, and the removed containers'
        units."""
        results = super().remove_all(containers)
        if self.opts.systemd_units != 'never':
            removed = [systemd_units.remove(self.opts.unit_dir, r.name)
                       for r in results if not r.failed]
            if any(removed):
                systemd_units.reload()
        return results
