"""Errors a hook reports to Heat, naming the field at fault and the fix."""

import dataclasses


@dataclasses.dataclass(frozen=True)
class Problem:
    """One thing wrong with a deployment, as a person would fix it."""

    field: str
    message: str
    fix: str = ''

    def __str__(self):
        text = '%s: %s' % (self.field, self.message)
        if self.fix:
            text += ' (fix: %s)' % self.fix
        return text


class HookError(Exception):
    """A failure the hook reports in its reply; never shown as a traceback.

    ``status`` becomes ``deploy_status_code`` and the process exit status.
    """

    status = 1

    def __init__(self, message, status=None):
        super().__init__(message)
        if status is not None:
            self.status = status

    @property
    def lines(self):
        return [str(self)]


class InvalidDeployment(HookError):
    """The deployment cannot be carried out as given; nothing was touched."""

    status = 2

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__(self._summary())

    def _summary(self):
        first = str(self.problems[0])
        more = len(self.problems) - 1
        if more:
            first += ' (and %d more problem%s below)' % (
                more, '' if more == 1 else 's')
        return 'invalid deployment: ' + first

    @property
    def lines(self):
        lines = [str(self)]
        if len(self.problems) > 1:
            lines.extend('- %s' % p for p in self.problems)
        return lines


class Problems:
    """Collects problems so that every error is reported at once."""

    def __init__(self):
        self.items = []

    def add(self, field, message, fix=''):
        self.items.append(Problem(field, message, fix))

    def extend(self, problems):
        self.items.extend(problems)

    def collect(self, func, *args, **kwargs):
        """``func(...)``'s result; if it raises InvalidDeployment, its
        problems are kept here and None is returned, so the next reader
        still runs."""
        try:
            return func(*args, **kwargs)
        except InvalidDeployment as exc:
            self.extend(exc.problems)
            return None

    def __bool__(self):
        return bool(self.items)

    def raise_if_any(self):
        if self.items:
            raise InvalidDeployment(self.items)


class EngineError(HookError):
    """The container engine or tool failed or could not be reached."""

    status = 1


class LockTimeout(HookError):
    """Another run for the same owner held the lock for too long."""

    status = 1
