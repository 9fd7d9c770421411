"""Keeping secrets out of replies and logs: every secret value a
deployment carries is replaced by a mask wherever it would be shown."""

import logging

# Shorter values would mask ordinary words; secrets are longer than this.
MIN_REDACTED_LENGTH = 4


class Redactor:
    """Hides secret values in any text or JSON-like structure."""

    MASK = '***'

    def __init__(self, secrets=()):
        self._secrets = sorted({s for s in secrets
                                if isinstance(s, str)
                                and len(s) >= MIN_REDACTED_LENGTH},
                               key=len, reverse=True)

    def add(self, secrets):
        self.__init__(list(self._secrets) + list(secrets))

    def text(self, value):
        if not self._secrets or not isinstance(value, str):
            return value
        for secret in self._secrets:
            if secret in value:
                value = value.replace(secret, self.MASK)
        return value

    def data(self, value):
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(k): self.data(v) for k, v in value.items()}
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
        return True


class redacted_logs:
    """Context manager: mask secrets in all log output while it is held."""

    def __init__(self, redactor):
        self.filter = RedactingFilter(redactor)
        self.handlers = []

    def __enter__(self):
        self.handlers = list(logging.getLogger().handlers)
        for handler in self.handlers:
            handler.addFilter(self.filter)
        return self

    def __exit__(self, *exc):
        for handler in self.handlers:
            handler.removeFilter(self.filter)
