"""Masking secrets in log output, also when several runs overlap in one
process (the agent runs groups in parallel threads)."""

import io
import logging

import testtools

from heat_container_hooks import redaction


class SuffixFormatter(logging.Formatter):
    """Adds text after the filters ran, as oslo.log does with the active
    exception's message."""

    def __init__(self, suffix):
        super().__init__('%(message)s')
        self.suffix = suffix

    def format(self, record):
        return super().format(record) + ' ' + self.suffix


class RedactedLogsTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.out = io.StringIO()
        self.handler = logging.StreamHandler(self.out)
        root = logging.getLogger()
        root.addHandler(self.handler)
        self.addCleanup(root.removeHandler, self.handler)
        self.log = logging.getLogger('hch-redaction-test')

    def test_formatter_text_is_masked_in_every_overlapping_run(self):
        self.handler.setFormatter(SuffixFormatter('extra=secret-of-b'))
        a = redaction.redacted_logs(redaction.Redactor(['secret-of-a']))
        b = redaction.redacted_logs(redaction.Redactor(['secret-of-b']))
        a.__enter__()
        b.__enter__()
        a.__exit__(None, None, None)     # A ends first, B still runs
        self.log.error('b says secret-of-b')
        b.__exit__(None, None, None)
        self.assertEqual('b says *** extra=***\n', self.out.getvalue())

    def test_the_handler_is_as_before_once_every_run_ended(self):
        before = self.handler.format
        with redaction.redacted_logs(redaction.Redactor(['abcdef'])):
            with redaction.redacted_logs(redaction.Redactor(['ghijkl'])):
                self.log.error('abcdef ghijkl')
        self.log.error('abcdef ghijkl')
        self.assertEqual(before, self.handler.format)
        self.assertEqual(['*** ***', 'abcdef ghijkl'],
                         self.out.getvalue().splitlines())
