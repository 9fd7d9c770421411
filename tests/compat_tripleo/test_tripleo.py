"""tripleo-heat-templates' own docker_config, and the paunch row, through
heat-config-docker-cmd and paunch 7.0.4 on the real engine: every step
must give the same containers, or differ only by a documented decision
(compare.DECISIONS, doc/compatibility.md).

Needs root (the volume sandbox is a bind mount with shared propagation),
the Docker engine, busybox-static and PyPI; a missing one fails the test.
"""

import collections
import os

import fixtures
import testtools
from testtools import content

from tests.compat_tripleo import compare
from tests.compat_tripleo import paunch_row
from tests.compat_tripleo import suite

# Service templates that cannot be evaluated, each for an upstream
# reason: (release, service) -> reason. Anything else unresolved fails.
KNOWN_UNRESOLVED = {
    # Its ContainersCommon points at ../containers-common.yaml, a file
    # that is not in the tree (the template moved to deprecated/ alone).
    ('wallaby',
     'deployment/deprecated/cavium/liquidio-compute-config-container-puppet'):
    'template file missing',
}


class CompatTest(testtools.TestCase):

    def run_services(self, release, services=None):
        workdir = self.useFixture(fixtures.TempDir()).path
        if services is None:
            results, unresolved = suite.run_release(release, workdir)
        else:
            results = suite.run_services(release, services, workdir)
            unresolved = []
        text = suite.report(results)
        if os.environ.get('HCH_COMPAT_DUMP'):
            suite.dump(results, os.path.join(
                os.environ['HCH_COMPAT_DUMP'], '%s.json' % release))
        counts = collections.Counter(r.verdict for r in results)
        decided = collections.Counter(
            d for r in results for d in r.decisions)
        text += '\ndecisions used: %s' % dict(sorted(decided.items()))
        text += '\nunresolved: %s' % [
            '%s (%s)' % (u.name, u.detail) for u in unresolved]
        self.addDetail('compat-report', content.text_content(text))
        return results, unresolved, counts, text


class TestTripleoHeatTemplates(CompatTest):
    """Every step of every service of three THT releases."""

    def check_release(self, release):
        results, unresolved, counts, text = self.run_services(release)
        self.assertGreater(len(results), 100, text)
        unexpected = ['%s: %s' % (u.name, u.detail) for u in unresolved
                      if KNOWN_UNRESOLVED.get((release, u.name)) != u.reason]
        self.assertEqual([], unexpected, 'services the resolver could not '
                         'evaluate:\n' + text)
        self.assertEqual(0, counts[suite.FAIL], text)

    def test_queens(self):
        self.check_release('queens')

    def test_train(self):
        self.check_release('train')

    def test_wallaby(self):
        self.check_release('wallaby')


class TestPaunchRow(CompatTest):
    """Every paunch 7.0.4 key and action, one case each."""

    def test_every_case(self):
        results, _, counts, text = self.run_services(
            'paunch-row', services=paunch_row.services())
        self.assertEqual(len(paunch_row.CASES),
                         len({r.service for r in results}), text)
        self.assertEqual(0, counts[suite.FAIL], text)

    def test_every_decision_is_used_or_documented(self):
        with open('doc/compatibility.md') as handle:
            doc = handle.read()
        for key, decision in compare.DECISIONS.items():
            self.assertIn('`%s`' % key, doc)
