"""The atomic group: images that carry their own install/run/uninstall
commands in labels (heat-templates' ``atomic`` hook, done properly).
See doc/atomic.md."""

import dataclasses

from heat_container_hooks import deployment as deployment_mod
from heat_container_hooks import environment
from heat_container_hooks import errors
from heat_container_hooks.formats import atomic as atomic_format
from heat_container_hooks import groups

Action = deployment_mod.Action


@dataclasses.dataclass(frozen=True)
class Desired:
    units: tuple            # formats.atomic.AtomicConfig (0 or 1)
    runner: str
    default_name: str
    secrets: tuple = ()


class AtomicGroup(groups.Group):
    name = 'atomic'

    def desired(self, deployment, inputs, conf):
        from heat_container_hooks.engines import atomic_runner
        runner = atomic_runner.choose_runner(conf)
        default = atomic_format.default_name(deployment)
        if deployment.action in (Action.DELETE, Action.SUSPEND):
            # What to undo is found by the records on the engine; the config
            # (maybe empty on DELETE) only supplies OPTn and environment.
            try:
                units = (atomic_format.read(deployment.config),)
            except errors.InvalidDeployment:
                units = ()
        else:
            units = (atomic_format.read(deployment.config),)
            atomic_runner.config_problems(units[0], runner).raise_if_any()
        secrets = tuple(
            value for unit in units for key, value in unit.environment
            if value and environment.is_secret_name(
                key, conf.secret_inputs, conf.secret_input_patterns))
        return Desired(units=units, runner=runner, default_name=default,
                       secrets=secrets)

    def secrets(self, desired):
        return list(desired.secrets) if desired else []

    def preview(self, job):
        from heat_container_hooks.engines import atomic as atomic_engine
        return atomic_engine.AtomicEngine(
            job.settings, job.conf, job.desired.runner).preview(
                job.owner, job.desired.units, job.deployment.action,
                job.desired.default_name, job.inputs.variables)

    def converge(self, job):
        from heat_container_hooks.engines import atomic as atomic_engine
        engine = atomic_engine.AtomicEngine(job.settings, job.conf,
                                            job.desired.runner)
        try:
            return engine.converge(
                job.owner, job.deployment.id, job.desired.units,
                job.deployment.action, job.desired.default_name,
                job.inputs.variables)
        finally:
            engine.close()

    def cleanup(self, items, conf):
        try:
            from heat_container_hooks.engines import atomic as atomic_engine
            return atomic_engine.cleanup(self.name, items, conf)
        except Exception as exc:  # cleanup never raises
            return ['cleanup of atomic deployments failed: %s' % exc]
