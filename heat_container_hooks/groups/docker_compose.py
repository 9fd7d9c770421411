"""The docker-compose group: heat-agents' compose hook, on Compose v2 or
v1. The hook writes the project itself (compose file, .env, env files)."""

import dataclasses
import functools

from oslo_log import log as logging

from heat_container_hooks import deployment as deployment_mod
from heat_container_hooks import environment
from heat_container_hooks import errors
from heat_container_hooks.formats import compose as compose_format
from heat_container_hooks import groups
from heat_container_hooks import values

LOG = logging.getLogger(__name__)
Action = deployment_mod.Action


class _Engine:
    """A ComposeEngine on the engine ``settings.engine`` names: on podman,
    Compose runs with DOCKER_HOST at podman's API (a private service
    lives as long as the run when none runs already)."""

    def __init__(self, settings, conf):
        from heat_container_hooks.engines import compose as compose_engine
        from heat_container_hooks.engines import podman_service
        settings, self.service = podman_service.settings_for(settings, conf)
        self.engine = compose_engine.ComposeEngine(settings, conf.compose)

    def __enter__(self):
        return self.engine

    def __exit__(self, *exc):
        try:
            self.engine.close()
        finally:
            if self.service is not None:
                self.service.close()


def podman_problems(compose, settings):
    """Problems (errors.Problems) of a compose file that Compose cannot
    carry out on podman where systemd does not run: a ``depends_on``
    condition ``service_healthy`` waits inside ``compose up`` for a health
    that only podman's systemd timers (absent) would ever record, so the
    run would hang until Compose gave up. Pure apart from asking whether
    systemd runs."""
    from heat_container_hooks.engines import systemd_units
    problems = errors.Problems()
    if settings.engine != 'podman' or systemd_units.systemd_running():
        return problems
    for service, body in sorted(((compose or {}).get('services')
                                 or {}).items()):
        depends = (body or {}).get('depends_on') or {}
        if not isinstance(depends, dict):
            continue
        for other, how in sorted(depends.items()):
            if (how or {}).get('condition') == 'service_healthy':
                problems.add(
                    'config.services.%s.depends_on.%s.condition'
                    % (service, other),
                    'service_healthy cannot be waited for on podman where '
                    'systemd does not run: podman runs healthchecks from '
                    'systemd timers, and Compose waits inside "up", before '
                    'the hook can run them',
                    'use service_started, or the container group with '
                    'start_order and a healthcheck, or run where systemd '
                    'runs')
    return problems


class DockerComposeGroup(groups.Group):
    name = 'docker-compose'
    option_readers = {'engine': values.engine}

    def desired(self, deployment, inputs, conf):
        action = deployment.action
        if action in (Action.DELETE, Action.SUSPEND, Action.RESUME):
            # The project is found by its name; the config (maybe empty
            # or stale) is not needed.
            try:
                name = compose_format.project_name(deployment)
            except errors.InvalidDeployment:
                if action is not Action.DELETE:
                    raise
                name = None      # never created: nothing to delete
            return compose_format.Project(
                name=name, compose=None, variables=tuple(
                    (n, v) for n, v in inputs.public()
                    if n != compose_format.ENV_FILES_INPUT))
        problems = errors.Problems()
        compose, notes = problems.collect(
            compose_format.load_with_notes, deployment.config) or (None, ())
        project = problems.collect(compose_format.plan, deployment, compose,
                                   inputs)
        problems.raise_if_any()
        is_secret = functools.partial(
            environment.is_secret_name, secret_inputs=conf.secret_inputs,
            patterns=conf.secret_input_patterns)
        return dataclasses.replace(
            project, notes=notes, secret_values=tuple(
                project.secret_values) + tuple(
                    compose_format.env_file_secrets(project.files,
                                                    is_secret)) + tuple(
                    compose_format.service_env_secrets(compose, is_secret)))

    def secrets(self, desired):
        return list(desired.secret_values)

    def preview(self, job):
        with _Engine(job.settings, job.conf) as engine:
            steps, notes = engine.preview(job.desired, job.owner,
                                          job.deployment.action)
        return steps, list(job.desired.notes) + notes

    def converge(self, job):
        if job.desired.compose:
            podman_problems(job.desired.compose,
                            job.settings).raise_if_any()
        with _Engine(job.settings, job.conf) as engine:
            outcome = engine.converge(job.desired, job.owner,
                                      job.deployment.action)
            outcome.notes[:0] = list(job.desired.notes)
            return outcome

    def cleanup(self, items, conf):
        """``down`` our projects whose deployments are gone; never
        raises."""
        try:
            from heat_container_hooks import cleanup
            from heat_container_hooks import conf as conf_mod
            settings = conf_mod.settings_for(conf, self.name, {})
            keys, _ = cleanup.current_owners(self.name, items, conf)
            with _Engine(settings, conf) as engine:
                return engine.cleanup(keys)
        except Exception as exc:  # never stop the other groups' cleanup
            LOG.error('docker-compose cleanup failed: %s: %s',
                      type(exc).__name__, exc)
            return ['docker-compose cleanup failed: %s' % exc]
