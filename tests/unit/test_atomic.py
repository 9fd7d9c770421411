"""The atomic group's pure parts: config reading, the label substitution,
the runners' argv and what the label protocol cannot honour."""

import types

import fixtures
import testtools

from heat_container_hooks import conf as conf_mod
from heat_container_hooks import deployment as deployment_mod
from heat_container_hooks.engines import atomic as engine
from heat_container_hooks.engines import atomic_runner as runners
from heat_container_hooks import errors
from heat_container_hooks.formats import atomic as fmt
from heat_container_hooks import spec as spec_mod

TRICKY = 'a b; rm -rf / $(id) `id` "q" \'s\' | & > < $HOME'


def variables(**overrides):
    args = dict(image='reg/img:1', name='web', opts=(None, None, None),
                datadir_base='/srv/data')
    args.update(overrides)
    return fmt.label_variables(**args)


class SubstituteTest(testtools.TestCase):

    def test_split_first_then_substitute_inside_items(self):
        argv = fmt.substitute(
            'docker run -d --name ${NAME} -v ${DATADIR}:/var/lib '
            '-e "X=${OPT1}" ${IMAGE} sh -c \'echo $X ${NAME}\'',
            variables(opts=(TRICKY, None, None)))
        self.assertEqual(
            ['docker', 'run', '-d', '--name', 'web', '-v',
             '/srv/data/web:/var/lib', '-e', 'X=' + TRICKY, 'reg/img:1',
             'sh', '-c', 'echo $X web'], argv)

    def test_value_with_spaces_stays_one_item(self):
        argv = fmt.substitute('prog $OPT1 ${OPT2}',
                              variables(opts=(TRICKY, 'x y', None)))
        self.assertEqual(['prog', TRICKY, 'x y'], argv)

    def test_unset_option_leaves_no_empty_argument(self):
        argv = fmt.substitute('docker run ${OPT1} ${IMAGE} ${OPT2} run.sh '
                              '${OPT3}', variables())
        self.assertEqual(['docker', 'run', 'reg/img:1', 'run.sh'], argv)
        self.assertNotIn('', argv)

    def test_list_option_becomes_several_items(self):
        argv = fmt.substitute('docker run ${OPT1} ${IMAGE}', variables(
            opts=(('-p', '80:80'), None, None)))
        self.assertEqual(['docker', 'run', '-p', '80:80', 'reg/img:1'], argv)

    def test_unknown_variables_are_left_for_the_container(self):
        argv = fmt.substitute("sh -c 'echo $HOME ${FOO}' $NAMEX",
                              variables())
        self.assertEqual(['sh', '-c', 'echo $HOME ${FOO}', '$NAMEX'], argv)

    def test_legacy_bare_words_and_documented_directories(self):
        argv = fmt.substitute(
            'docker run -e NAME=NAME -e IMAGE=IMAGE -e CONFDIR=${CONFDIR} '
            '-e LOGDIR=$LOGDIR --name NAME IMAGE', variables())
        self.assertEqual(
            ['docker', 'run', '-e', 'NAME=web', '-e', 'IMAGE=reg/img:1',
             '-e', 'CONFDIR=/etc/web', '-e', 'LOGDIR=/var/log/web',
             '--name', 'web', 'reg/img:1'], argv)

    def test_unbalanced_quotes_are_an_error(self):
        self.assertRaises(fmt.LabelError, fmt.substitute, 'echo "open',
                          variables())

    def test_default_run_command(self):
        self.assertEqual(
            ['docker', 'run', '-d', '-v', '/var/log/web:/var/log', '-v',
             '/srv/data/web:/var/lib', '--name', 'web', 'reg/img:1'],
            fmt.substitute(fmt.DEFAULT_RUN, variables()))


class ReadTest(testtools.TestCase):

    def test_upstream_config(self):
        unit = fmt.read({'command': 'install', 'image': 'reg/img:1',
                         'name': 'web', 'installcmd': 'a "b c"',
                         'opt1': '-x', 'environment': {'A': 1}})
        self.assertEqual(('a', 'b c'), unit.installcmd)
        self.assertEqual(('-x', None, None), unit.opts)
        self.assertEqual((('A', '1'),), unit.environment)

    def test_defaults(self):
        unit = fmt.read('image: reg/img:1')
        self.assertEqual('install', unit.command)
        self.assertIsNone(unit.name)
        self.assertFalse(unit.privileged)

    def test_every_problem_at_once(self):
        exc = self.assertRaises(errors.InvalidDeployment, fmt.read, {
            'command': 'explode', 'image': 'has space', 'name': '-bad',
            'privileged': 'maybe', 'environment': ['1X=2'], 'colour': 1,
            'opt2': {'a': 1}})
        fields = [p.field for p in exc.problems]
        for field in ('config.colour', 'config.command', 'config.image',
                      'config.name', 'config.privileged', 'config.opt2',
                      'config.environment.1X'):
            self.assertIn(field, fields)

    def test_installcmd_only_with_install(self):
        exc = self.assertRaises(errors.InvalidDeployment, fmt.read, {
            'command': 'run', 'image': 'i', 'installcmd': 'x'})
        self.assertEqual(['config.installcmd'],
                         [p.field for p in exc.problems])

    def test_not_a_mapping(self):
        exc = self.assertRaises(errors.InvalidDeployment, fmt.read, '[1]')
        self.assertEqual('config', exc.problems[0].field)

    def test_default_name_is_the_deployment_id(self):
        dep = deployment_mod.from_dict({'id': 'c0ffee-1', 'name': 'x'})
        self.assertEqual('c0ffee-1', fmt.default_name(dep))
        dep = deployment_mod.from_dict({'id': '/odd id', 'name': 'x'})
        self.assertEqual('a-odd-id', fmt.default_name(dep))

    def test_fingerprint_follows_image_and_environment(self):
        unit = fmt.read({'image': 'i'})
        first = unit.fingerprint('sha256:1', [('A', '1')])
        self.assertEqual(first, unit.fingerprint('sha256:1', [('A', '1')]))
        self.assertNotEqual(first, unit.fingerprint('sha256:2', [('A', '1')]))
        self.assertNotEqual(first, unit.fingerprint('sha256:1', [('A', '2')]))


OPTS = types.SimpleNamespace(atomic_path='atomic', podman_path='podman')


class RunnerTest(testtools.TestCase):

    def unit(self, **kwargs):
        return fmt.AtomicConfig(image='reg/img:1', name='web', **kwargs)

    def test_atomic_cli_argv(self):
        unit = self.unit(opts=('a b', None, None), privileged=True)
        self.assertEqual(
            ['atomic', 'run', '--name', 'web', '--opt1', 'a b', '--spc',
             'reg/img:1'],
            runners.label_argv('atomic', OPTS, 'RUN', 'ignored', 'reg/img:1',
                               unit, {}))
        self.assertEqual(
            ['atomic', 'install', '--name', 'web', 'reg/img:1', 'x', 'y z'],
            runners.label_argv('atomic', OPTS, 'INSTALL', '', 'reg/img:1',
                               self.unit(), {}, ('x', 'y z')))

    def test_podman_argv(self):
        self.assertEqual(
            ['podman', 'container', 'runlabel', '--name', 'web', 'uninstall',
             'reg/img:1'],
            runners.label_argv('podman', OPTS, 'UNINSTALL', '', 'reg/img:1',
                               self.unit(), {}))

    def test_native_argv(self):
        self.assertEqual(
            ['docker', 'rm', '-f', 'web', 'extra'],
            runners.label_argv('docker', OPTS, 'UNINSTALL',
                               'docker rm -f ${NAME}', 'reg/img:1',
                               self.unit(), variables(), ('extra',)))

    def choose(self, runner='auto', found=()):
        conf = types.SimpleNamespace(atomic=types.SimpleNamespace(
            runner=runner, atomic_path='atomic', podman_path='podman'))
        self.useFixture(fixtures.MockPatch(
            'shutil.which', lambda name: name if name in found else None))
        return runners.choose_runner(conf)

    def test_runner_order(self):
        self.assertEqual('atomic', self.choose(found=('atomic', 'podman')))
        self.assertEqual('podman', self.choose(found=('podman',)))
        self.assertEqual('docker', self.choose())
        self.assertEqual('docker', self.choose('docker', ('atomic',)))

    def test_privileged_on_podman(self):
        problems = runners.config_problems(self.unit(privileged=True),
                                           'podman')
        self.assertEqual(['config.privileged'],
                         [p.field for p in problems.items])
        self.assertFalse(runners.config_problems(
            self.unit(privileged=True), 'docker'))


class OutputTest(testtools.TestCase):

    def test_long_output_keeps_its_end(self):
        text = 'a' * 20000 + 'THE END'
        kept = runners._tail(text)
        self.assertTrue(kept.endswith('THE END'))
        self.assertLess(len(kept), runners.OUTPUT_LIMIT + 40)
        self.assertIn('characters cut', kept)
        self.assertEqual('short', runners._tail('short'))


class SpecTest(testtools.TestCase):

    def test_fields_the_protocol_cannot_honour(self):
        spec = spec_mod.ContainerSpec(
            name='web', image='i', volumes=('/a:/b',), network_mode='host',
            environment=(('A', '1'),), command=('x',))
        problems = runners.spec_problems([spec], 'podman').items
        self.assertEqual(['config.web.network_mode', 'config.web.volumes'],
                         sorted(p.field for p in problems))
        self.assertIn('podman container runlabel', problems[0].message)

    def test_supported_spec_becomes_a_run_unit(self):
        spec = spec_mod.ContainerSpec(name='web', image='i',
                                      environment=(('A', '1'),),
                                      command=('serve', '--x'))
        self.assertFalse(runners.spec_problems([spec], 'docker'))
        unit = engine.unit_from_spec(spec)
        self.assertEqual('run', unit.command)
        self.assertEqual(('serve', '--x'), unit.run_args)
        self.assertEqual((('A', '1'),), unit.environment)

    def test_exec_spec_is_refused(self):
        spec = spec_mod.ContainerSpec(name='e', action='exec',
                                      exec_target='web', command=('ls',))
        fields = [p.field for p in runners.spec_problems([spec],
                                                         'docker').items]
        self.assertIn('config.e.action', fields)
        self.assertIn('config.e.image', fields)


class OptsTest(testtools.TestCase):

    def test_registered_in_group_atomic(self):
        conf = conf_mod.cfg.ConfigOpts()
        conf_mod.register_opts(conf)
        conf([])
        self.assertEqual('auto', conf.atomic.runner)
        self.assertEqual('/var/lib', conf.atomic.datadir_base)
        groups = [g for g, _ in conf_mod.list_opts()]
        self.assertIn('atomic', groups)
