"""What carrying out a deployment did, per container: the engines report
it, the reply is built from it."""

import dataclasses
import enum


class Act(str, enum.Enum):
    """What a run did to one container: the words of deploy_stdout and of
    the ``containers`` output's ``action`` (doc/outputs.md lists them all).
    Every engine reports with these, and the planner plans with them."""

    CREATE = 'created'
    REPLACE = 'replaced'
    KEEP = 'kept'
    START = 'started'
    STOP = 'stopped'
    REMOVE = 'removed'
    EXEC = 'exec'
    RAN = 'ran'              # atomic: a RUN label that runs to its end
    UNINSTALL = 'uninstalled'    # atomic: an UNINSTALL label ran
    MISSING = 'missing'      # compose made no container for a service
    SKIP = 'skipped'         # not carried out: what it needs failed

    def __str__(self):
        return self.value


@dataclasses.dataclass
class ContainerResult:
    name: str
    act: Act
    id: str = ''
    state: str = ''
    health: str = ''
    exit_code: int = None
    stdout: str = ''
    stderr: str = ''
    reason: str = ''
    error: str = ''                # set when this container failed
    changes: tuple = ()            # REPLACE: the field paths that differed

    @property
    def failed(self):
        return bool(self.error)

    def summary(self):
        parts = [str(self.act), self.name]
        if self.id:
            parts.append('(%s)' % self.id[:12])
        state = self.state
        if self.health:
            state = '%s, %s' % (state, self.health)
        if self.exit_code is not None:
            state = '%s, exit code %d' % (state, self.exit_code)
        text = ' '.join(parts)
        if state:
            text += ': ' + state
        if self.changes:
            text += ' (changed: %s)' % ', '.join(self.changes)
        if self.act is Act.SKIP and self.reason:
            text += ': ' + self.reason
        if self.error:
            text += ': FAILED: ' + self.error
        return text

    def as_output(self):
        output = {'id': self.id, 'state': self.state, 'health': self.health,
                  'exit_code': self.exit_code, 'action': str(self.act)}
        if self.act is Act.REPLACE:
            output['changes'] = list(self.changes)
        if self.act is Act.SKIP:
            output['reason'] = self.reason
        return output


@dataclasses.dataclass
class Outcome:
    results: list = dataclasses.field(default_factory=list)
    error: Exception = None        # the first failure (a HookError)
    notes: list = dataclasses.field(default_factory=list)
    log: str = ''                  # a tool's own progress output

    @property
    def failed(self):
        return self.error is not None
