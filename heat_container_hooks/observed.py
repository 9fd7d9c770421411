"""What the engine reports about existing containers, as the planner sees
it."""

import dataclasses

from heat_container_hooks import labels as labels_mod


@dataclasses.dataclass(frozen=True)
class ObservedContainer:
    id: str
    name: str                 # the engine's name, without a leading "/"
    state: str                # created, running, paused, exited, dead, ...
    labels: dict = dataclasses.field(default_factory=dict)
    image_id: str = ''
    exit_code: int = None
    image: str = ''           # the reference it was created with, as listed
    health: str = ''          # starting, healthy, unhealthy; '' without one
    created: int = 0          # when the engine made it, Unix seconds
    network_mode: str = ''    # as the engine holds it: container:<id>, ...

    @property
    def fingerprint(self):
        return self.labels.get(labels_mod.FINGERPRINT)

    @property
    def config_name(self):
        return self.labels.get(labels_mod.CONTAINER_NAME, self.name)

    @property
    def running(self):
        return self.state in ('running', 'restarting')

    def owned_by(self, owner):
        return labels_mod.owned_by(self.labels, owner)
