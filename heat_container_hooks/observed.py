"""What the engine reports about existing containers, as the planner sees
it."""

import dataclasses
import json

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
        """The fingerprint recorded on the container (the first word of
        our state label; an earlier release's label holds it alone)."""
        value = self.labels.get(labels_mod.FINGERPRINT)
        return value.split(' ', 1)[0] if value else value

    @property
    def field_digests(self):
        """{field path: digest} recorded with the fingerprint
        (spec.ContainerSpec.state_label), or None when the label holds
        none (made by an earlier release, or by another tool)."""
        _, _, rest = (self.labels.get(labels_mod.FINGERPRINT) or '').partition(
            ' ')
        try:
            found = json.loads(rest) if rest else None
        except ValueError:
            return None
        return found if isinstance(found, dict) else None

    @property
    def config_name(self):
        return self.labels.get(labels_mod.CONTAINER_NAME, self.name)

    @property
    def running(self):
        return self.state in ('running', 'restarting')

    def owned_by(self, owner):
        return labels_mod.owned_by(self.labels, owner)
