"""The labels that hold our state on the engine.

The first five are upstream heat-agents' names, so ``docker ps --filter``
habits keep working. Ownership is by stack and resource (``owner``), not by
config id: Heat sends a new config id on every UPDATE of the same resource.
Docker cannot change a container's labels, so ``config_id`` records the
config that created the container; a kept container keeps it.
"""

MANAGED_BY = 'managed_by'
STACK_ID = 'deploy_stack_id'
RESOURCE_NAME = 'deploy_resource_name'
CONFIG_ID = 'config_id'
CONTAINER_NAME = 'container_name'
OWNER = 'heat_container_hooks.owner'
FINGERPRINT = 'heat_container_hooks.fingerprint'
STOP_GRACE = 'heat_container_hooks.stop_grace_period'


def for_container(owner, config_id, name, fingerprint, stop_grace):
    return {
        STOP_GRACE: str(stop_grace),
        MANAGED_BY: owner.managed_by,
        STACK_ID: owner.stack_id,
        RESOURCE_NAME: owner.resource_name,
        CONFIG_ID: config_id,
        CONTAINER_NAME: name,
        OWNER: owner.key,
        FINGERPRINT: fingerprint,
    }


def owned_by(container_labels, owner):
    return (container_labels.get(MANAGED_BY) == owner.managed_by
            and container_labels.get(OWNER) == owner.key)
