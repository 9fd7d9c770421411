import os
import re

import testtools

from heat_container_hooks import conf

SAMPLE = os.path.join(os.path.dirname(__file__), '..', '..', 'etc',
                      'heat-container-hooks.conf.sample')
# What tox -e genconfig and the docs' sample generate from.
GENERATOR_CONFIG = os.path.join(os.path.dirname(SAMPLE),
                                'oslo-config-generator',
                                'heat-container-hooks.conf')


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

    def test_sample_is_what_the_generator_writes_now(self):
        # Defaults and help texts too, not only the option names.
        import io

        from oslo_config import cfg
        from oslo_config import generator
        gen_conf = cfg.ConfigOpts()
        generator.register_cli_opts(gen_conf)
        gen_conf(['--config-file', GENERATOR_CONFIG])
        out = io.StringIO()
        generator.generate(gen_conf, output_file=out)
        with open(SAMPLE) as handle:
            self.assertEqual(out.getvalue(), handle.read(),
                             '%s is stale: run tox -e genconfig' % SAMPLE)
