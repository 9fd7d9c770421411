"""Keeping secrets out of replies and logs: every secret value a
deployment carries is replaced by a mask wherever it would be shown."""

import logging
import threading

# Values found by a name pattern (*password*, ...) shorter than this are
# not masked: they would mask ordinary words. Values of inputs named as
# secret (secret_inputs, deploy_* credentials) are masked whatever their
# length: the operator said so.
MIN_REDACTED_LENGTH = 4


class Redactor:
    """Hides secret values in any text or JSON-like structure.

    ``add(values)`` takes values found by a pattern (masked from
    MIN_REDACTED_LENGTH characters on); ``add(values, explicit=True)``
    values named as secret (masked whatever their length, the empty
    string excepted).
    """

    MASK = '***'

    def __init__(self, secrets=()):
        self._secrets = []
        self.add(secrets)

    def add(self, secrets, explicit=False):
        least = 1 if explicit else MIN_REDACTED_LENGTH
        found = set(self._secrets)
        found.update(s for s in secrets
                     if isinstance(s, str) and len(s) >= least)
        self._secrets = sorted(found, key=len, reverse=True)

    def text(self, value, least=1):
        if not self._secrets or not isinstance(value, str):
            return value
        for secret in self._secrets:
            if len(secret) >= least and secret in value:
                value = value.replace(secret, self.MASK)
        return value

    def data(self, value):
        """``value`` with every string masked. Mapping keys (the reply's
        own keys, output and container names) are masked only for
        secrets of MIN_REDACTED_LENGTH characters or more, so a short
        secret never breaks the reply's shape."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(k, MIN_REDACTED_LENGTH): self.data(v)
                    for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.data(v) for v in value]
        return value


class RedactingFilter(logging.Filter):
    """Masks secrets in every log record that passes a handler."""

    def __init__(self, redactor):
        super().__init__()
        self.redactor = redactor

    def filter(self, record):
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to logging
            return True
        masked = self.redactor.text(message)
        if masked != message:
            record.msg, record.args = masked, ()
        if record.exc_info or record.exc_text:
            # A traceback ends with the exception's message, which may
            # quote a secret: format it here, masked, for every handler.
            text = record.exc_text or logging.Formatter().formatException(
                record.exc_info)
            record.exc_text = self.redactor.text(text)
            record.exc_info = None
        return True


# Runs in progress in this process (the agent runs groups in parallel
# threads): every handler's formatted lines are masked with all of their
# redactors, and a handler keeps its masking wrapper while any run holds
# it, whatever order the runs end in.
_lock = threading.Lock()
_active = []            # the redactors of the runs in progress
_holders = {}           # handler -> number of runs holding its wrapper


def _mask_all(text):
    for redactor in list(_active):
        text = redactor.text(text)
    return text


def _wrap(handler):
    format_record = handler.format

    def format(record):
        return _mask_all(format_record(record))
    format.unmasked = format_record
    handler.format = format


def _unwrap(handler):
    unmasked = getattr(handler.format, 'unmasked', None)
    if unmasked is None:
        return
    if getattr(unmasked, '__self__', None) is handler:
        del handler.format      # the class's own method again
    else:
        handler.format = unmasked


class redacted_logs:
    """Context manager: mask secrets in all log output while it is held."""

    def __init__(self, redactor):
        self.redactor = redactor
        self.filter = RedactingFilter(redactor)
        self.handlers = []

    def __enter__(self):
        with _lock:
            _active.append(self.redactor)
            self.handlers = list(logging.getLogger().handlers)
            for handler in self.handlers:
                handler.addFilter(self.filter)
                # The formatter adds text of its own after the filters ran
                # (oslo.log appends the active exception's message to
                # WARNING and ERROR lines): mask the formatted line too.
                if not _holders.get(handler):
                    _wrap(handler)
                _holders[handler] = _holders.get(handler, 0) + 1
        return self

    def __exit__(self, *exc):
        with _lock:
            _active.remove(self.redactor)
            for handler in self.handlers:
                handler.removeFilter(self.filter)
                _holders[handler] -= 1
                if not _holders[handler]:
                    del _holders[handler]
                    _unwrap(handler)
