"""Pure planning for the atomic engine: from the units of a config
(formats.atomic.AtomicConfig) and the owner's records on the engine to
typed plan.Steps with their dependencies, before anything is touched.
"""

import dataclasses

from heat_container_hooks import deployment as deployment_mod
from heat_container_hooks.engines import atomic_records as records_mod
from heat_container_hooks import outcome as outcome_mod
from heat_container_hooks import plan as plan_mod

Action = deployment_mod.Action
Act = outcome_mod.Act
Step = plan_mod.Step
DELETED, SUSPENDED = 'deployment deleted', 'deployment suspended'


def plan_units(units, records, action, image_ids, env=(), orders=None,
               default_name=None):
    """The typed plan of one action (pure): [(plan.Step, needs)], needs
    the indexes of the steps that must have succeeded first. DELETE
    uninstalls (REMOVE) and SUSPEND stops every record (ObservedContainer)
    at once. Otherwise records no longer wanted are removed first, then
    each unit (formats.atomic.AtomicConfig, named: ``default_name`` or the
    name its single record has) is created, replaced (its fingerprint, from
    ``image_ids`` {ref: id} and the environment, differs) or kept, after
    every unit of a lower start_order (``orders`` {name: order})."""
    by_name = {r.config_name: r for r in records}
    if action in (Action.DELETE, Action.SUSPEND):
        act = Act.REMOVE if action == Action.DELETE else Act.STOP
        return [(Step(act, r.config_name, _unit_named(units, r.config_name),
                      r, reason=DELETED if act == Act.REMOVE else SUSPENDED),
                 frozenset()) for r in records]
    named = [dataclasses.replace(u, name=u.name or (
        records[0].config_name if len(units) == 1 and len(records) == 1
        else default_name)) for u in units]
    wanted = {u.name for u in named}
    steps = [(Step(Act.REMOVE, name, observed=r, reason='no longer in the '
                   'config'), frozenset())
             for name, r in sorted(by_name.items()) if name not in wanted]
    removals = frozenset(range(len(steps)))
    orders = orders or {}
    for unit in named:
        record = by_name.get(unit.name)
        order = orders.get(unit.name, 0)
        needs = removals | {i for i, (s, _) in enumerate(steps)
                            if s.act != Act.REMOVE
                            and orders.get(s.name, 0) < order}
        steps.append((_unit_step(unit, record, image_ids, env), needs))
    return steps


def _unit_step(unit, record, image_ids, env):
    if unit.command in ('uninstall', 'stop'):
        return Step(Act.UNINSTALL if unit.command == 'uninstall'
                    else Act.STOP, unit.name, unit, record,
                    reason='command: %s' % unit.command)
    image_id = image_ids.get(unit.image)
    if record is None:
        return Step(Act.CREATE, unit.name, unit, reason='new')
    if image_id and record.fingerprint == unit.fingerprint(
            image_id, list(env) + list(unit.environment)):
        return Step(Act.KEEP, unit.name, unit, record, reason='unchanged')
    if record.labels.get(records_mod.R_IMAGE_ID) != image_id:
        return Step(Act.REPLACE, unit.name, unit, record,
                    reason='image %s changed' % unit.image)
    return Step(Act.REPLACE, unit.name, unit, record,
                reason='config changed')


def _unit_named(units, name):
    for unit in units:
        if unit.name == name or unit.name is None:
            return dataclasses.replace(unit, name=name)
    return None
