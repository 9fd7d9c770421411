"""The podman engine: the docker engine adapter (engines/docker.py: plan,
create, start, waits, replies, cleanup) carried out over podman's
Docker-compatible REST API, with what podman does differently kept here.

- The socket: ``[podman] url``, else the system socket, else a private
  ``podman system service`` for the length of the run
  (engines/podman_service.py).
- The create arguments: the docker adapter's, unchanged (the same keys
  mean the same on podman's API, checked key by key in the functional
  tests); where podman would not honour one the way dockerd does, a clear
  error names the field (``dialect_problems`` before anything is touched;
  ``rlimit_failure``, ``_remove_container`` where only the engine knows).
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
import re

from oslo_log import log as logging

from heat_container_hooks import deployment as deployment_mod
from heat_container_hooks import dockerapi
from heat_container_hooks.engines import docker as docker_engine
from heat_container_hooks.engines import podman_dialect
from heat_container_hooks.engines import podman_service
from heat_container_hooks.engines import systemd_units
from heat_container_hooks import errors
from heat_container_hooks import outcome as outcome_mod
from heat_container_hooks import plan as plan_mod

LOG = logging.getLogger(__name__)
Act = plan_mod.Act
Action = deployment_mod.Action

DEPENDENTS = re.compile(r'\b[0-9a-f]{64}\b')
HEALTH_WORDS = ('starting', 'healthy', 'unhealthy')
NO_REBOOT_NOTE = ('podman: restarts after a reboot are not arranged (systemd '
                  'does not run here; see doc/podman.md)')


rlimit_failure = podman_dialect.rlimit_failure
dialect_problems = podman_dialect.dialect_problems


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

    def log_driver(self):
        """podman's default log driver (libpod's info: host.logDriver)."""
        api = self.api
        answer = api.get('%s/v%s/libpod/info' % (api.base_url,
                                                 api.api_version))
        answer.raise_for_status()
        return ((answer.json() or {}).get('host') or {}).get('logDriver')

    def check(self, desired):
        """Raise InvalidDeployment for keys podman would not honour, before
        anything is touched (dialect_problems)."""
        driver = None
        if any(spec.log_tag for spec in desired):
            driver = self.log_driver()
        dialect_problems(desired, driver).raise_if_any()

    def plan(self, owner, desired, action, result, pull=True):
        self.check(desired)
        return super().plan(owner, desired, action, result, pull=pull)

    def _execute_units(self, plan, owner, config_id, result):
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
        steps = [s for s in plan.steps if s.act is not Act.EXEC]
        wanted = [s for s in steps
                  if s.spec is not None and systemd_units.wanted(s.spec)]
        if mode == 'never':
            return
        if mode == 'auto' and not systemd_units.systemd_running():
            if wanted and not result.failed:
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

    # -- where podman's API differs from dockerd's ------------------------

    def _start(self, step, ident):
        try:
            return super()._start(step, ident)
        except dockerapi.engine_errors() as exc:
            text = dockerapi.reason(exc)
            if 'setting rlimit' not in text:
                raise
            raise rlimit_failure(step.spec, step.name, text)

    def execute(self, plan, owner, config_id, result):
        # Containers this plan removes or replaces: podman refuses to
        # remove one whose namespaces another still uses
        # (dockerd allows it); those others may go first (_remove_container).
        self._doomed = {s.observed.id: s for s in plan.steps
                        if s.observed is not None
                        and s.act in (Act.REMOVE, Act.REPLACE)}
        self._removed_early = set()
        self._execute_units(plan, owner, config_id, result)

    def _remove_container(self, ident):
        """Remove a container; one that other containers of this plan
        depend on (net/pid/ipc ``container:X``) after them, as podman
        requires. One that a container not in this plan
        depends on fails, naming it."""
        import docker.errors
        try:
            return super()._remove_container(ident)
        except docker.errors.APIError as exc:
            text = dockerapi.reason(exc)
            if 'dependent containers' not in text:
                raise
            dependents = DEPENDENTS.findall(text.partition('before it:')[2])
        doomed = getattr(self, '_doomed', {})
        strangers = [d for d in dependents if d not in doomed]
        if strangers:
            raise errors.EngineError(
                'container %s cannot be removed on podman while container '
                '%s, which this deployment does not replace, uses its '
                'namespaces (fix: remove that container first)'
                % (ident[:12], ', '.join(d[:12] for d in strangers)))
        for dependent in dependents:
            LOG.info('removing container %s first: it depends on %s',
                     doomed[dependent].name, ident[:12])
            self._removed_early.add(dependent)
            self._remove_container(dependent)
        return super()._remove_container(ident)

    def _remove(self, step):
        """The docker adapter's removal; a container already removed
        before what it depended on (by a removal running alongside) is
        removed."""
        import docker.errors
        if step.observed.id not in getattr(self, '_removed_early', ()):
            try:
                return super()._remove(step)
            except docker.errors.NotFound:
                if step.observed.id not in self._removed_early:
                    raise
        return outcome_mod.ContainerResult(
            step.name, Act.REMOVE, id=step.observed.id, state='removed',
            reason=step.reason)

    def _act(self, step, owner, config_id):
        if step.act == Act.REPLACE and \
                step.observed.id in getattr(self, '_removed_early', ()):
            # Already removed, before what it depended on: create it.
            # The reply still says "replaced" (_run_step keeps the step).
            step = dataclasses.replace(step, act=Act.CREATE)
        return super()._act(step, owner, config_id)

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
