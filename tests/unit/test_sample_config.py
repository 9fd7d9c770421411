import os
import re

import testtools

from heat_container_hooks import conf

SAMPLE = os.path.join(os.path.dirname(__file__), '..', '..', 'etc',
                      'heat-container-hooks.conf.sample')


class SampleConfigTest(testtools.TestCase):
    """etc/ is generated (tox -e genconfig); it must hold every option."""

    def test_every_option_is_in_the_sample(self):
        with open(SAMPLE) as handle:
            sample = handle.read()
        for group, opts in conf.list_opts():
            if group is not None:
                self.assertTrue('[%s]' % group in sample,
                                '[%s] is not in the sample: run tox -e '
                                'genconfig' % group)
            for opt in opts:
                self.assertTrue(
                    re.search(r'^#%s =' % re.escape(opt.dest), sample,
                              re.MULTILINE),
                    '%s is not in %s: run tox -e genconfig'
                    % (opt.dest, SAMPLE))
                self.assertTrue(opt.help, '%s has no help text' % opt.dest)
