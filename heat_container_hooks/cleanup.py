"""Removing containers whose deployments are gone from the heat-config list
(what heat-agents runs before the hooks), for one managed_by only."""

from oslo_log import log as logging

from heat_container_hooks import conf as conf_mod
from heat_container_hooks import deployment as deployment_mod
from heat_container_hooks import dockerapi
from heat_container_hooks import labels as labels_mod

LOG = logging.getLogger(__name__)

# Containers that another group's own cleanup takes apart: atomic's state
# records (their image's UNINSTALL must run; removing a record alone
# leaks the container its RUN label made) and Compose's (the project is
# brought down). With one managed_by for all groups they carry ours too.
OTHER_GROUPS_LABELS = ('heat_container_hooks.atomic.record',
                       'com.docker.compose.project')


def current_owners(group, items, conf=None):
    """Owner keys and config ids of the deployments in the list that may
    own this group's containers: the group's own, or every group's when
    the configuration gives all groups one managed_by (then a container of
    another group's current deployment is never taken for stale)."""
    shared = conf is not None and bool(conf.managed_by)
    keys, ids = set(), set()
    for item in items:
        try:
            parsed = deployment_mod.from_dict(item)
        except Exception:  # a broken item owns nothing; keep going
            continue
        if not parsed.group or (parsed.group != group and not shared):
            continue
        keys.add(parsed.owner_key)
        ids.add(parsed.id)
    return keys, ids


def stale(observed, managed_by, keys, ids):
    """Containers of this managed_by whose deployment is not current.

    Containers made by upstream's hook carry no owner label; for those the
    upstream rule (config id no longer current) applies.
    """
    gone = []
    for container in observed:
        if container.labels.get(labels_mod.MANAGED_BY) != managed_by:
            continue
        owner = container.labels.get(labels_mod.OWNER)
        if owner is not None:
            if owner not in keys:
                gone.append(container)
        elif container.labels.get(labels_mod.CONFIG_ID) not in ids:
            gone.append(container)
    return gone


def containers(group, items, conf, managed_by=None, make_engine=None):
    """Remove this group's stale containers (those labelled ``managed_by``,
    by default the group's); returns what was done. ``make_engine(settings,
    conf)``: the engine adapter they live on (default: a DockerEngine)."""
    overrides = {'managed_by': managed_by} if managed_by else {}
    settings = conf_mod.settings_for(conf, group, overrides)
    keys, ids = current_owners(group, items, conf)
    if make_engine is None:
        from heat_container_hooks.engines import docker as docker_engine
        engine = docker_engine.DockerEngine(settings)
    else:
        engine = make_engine(settings, conf)
    try:
        observed = dockerapi.observe(engine.api, [
            '%s=%s' % (labels_mod.MANAGED_BY, settings.managed_by)])
        observed = [c for c in observed if not any(
            label in c.labels for label in OTHER_GROUPS_LABELS)]
        gone = stale(observed, settings.managed_by, keys, ids)
        results = engine.remove_all(gone)
    finally:
        engine.close()
    return [r.summary() for r in results]
