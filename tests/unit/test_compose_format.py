"""The compose format: reading both layouts, the project name, env files,
what the hook writes, and ContainerSpecs rendered for compose."""

import json

import testtools
import yaml

from heat_container_hooks import deployment as deployment_mod
from heat_container_hooks import environment
from heat_container_hooks import errors
from heat_container_hooks.formats import compose
from heat_container_hooks import spec as spec_mod


def make_deployment(name='web-app', stack='s/1', resource='r', inputs=(),
                    config=None):
    items = [{'name': n, 'value': v} for n, v in inputs]
    items += [{'name': 'deploy_stack_id', 'value': stack},
              {'name': 'deploy_resource_name', 'value': resource}]
    return deployment_mod.from_dict({'id': 'x', 'name': name,
                                     'group': 'docker-compose',
                                     'config': config, 'inputs': items})


def problem_fields(exc):
    return [p.field for p in exc.problems]


class LoadTest(testtools.TestCase):

    def test_v1_layout_becomes_services(self):
        loaded = compose.load({'web': {'image': 'i', 'net': 'host',
                                       'log_driver': 'syslog'}})
        self.assertEqual({'services': {'web': {
            'image': 'i', 'network_mode': 'host',
            'logging': {'driver': 'syslog'}}}}, loaded)

    def test_v3_layout_drops_version_keeps_the_rest(self):
        loaded = compose.load({'version': '3.8', 'services': {
            'db': {'image': 'i'}}, 'volumes': {'data': None}})
        self.assertEqual({'services': {'db': {'image': 'i'}},
                          'volumes': {'data': None}}, loaded)

    def test_services_key_without_version(self):
        loaded = compose.load({'services': {'a': {'image': 'i'}}})
        self.assertEqual(['a'], list(loaded['services']))

    def test_v1_service_named_services(self):
        loaded = compose.load({'services': {'image': 'i'}})
        self.assertEqual({'services': {'services': {'image': 'i'}}},
                         loaded)

    def test_yaml_string_with_booleans_and_nulls(self):
        text = ('version: "2"\nservices:\n  a:\n    image: i\n'
                '    privileged: true\n    tty: false\n'
                '    environment: {ON_: yes, OFF_: false, EMPTY: null}\n'
                '    labels: {x: true}\n')
        service = compose.load(text)['services']['a']
        self.assertIs(True, service['privileged'])
        # YAML 1.2, as Compose v2 reads it: yes is a string.
        self.assertEqual({'ON_': 'yes', 'OFF_': 'false', 'EMPTY': None},
                         service['environment'])
        self.assertEqual({'x': 'true'}, service['labels'])

    def test_json_string(self):
        text = json.dumps({'services': {'a': {'image': 'i'}}})
        self.assertEqual({'a': {'image': 'i'}},
                         compose.load(text)['services'])

    def test_empty_configs(self):
        for empty in (None, '', '  \n', {}):
            self.assertIsNone(compose.load(empty))

    def test_boolean_keys_rejected_with_path(self):
        exc = self.assertRaises(
            errors.InvalidDeployment, compose.load,
            'a:\n  image: i\n  environment:\n    true: 1\n')
        self.assertEqual(['config.a.environment'], problem_fields(exc))
        self.assertIn('quote', str(exc))
        # off, on, yes and no are strings in YAML 1.2.
        self.assertEqual({'off': 1}, compose.load(
            'a:\n  image: i\n  environment:\n    off: 1\n'
        )['services']['a']['environment'])

    def test_every_problem_at_once(self):
        exc = self.assertRaises(errors.InvalidDeployment, compose.load, {
            'services': {
                'no-image': {'command': 'x'},
                'bad name!': {'image': 'i'},
                'paths': {'image': 'i', 'env_file': ['/etc/x', 'ok.env',
                                                     '../up.env'],
                          'volumes': ['./data:/d', '../../etc:/e',
                                      '/srv:/srv'],
                          'extends': {'file': '/abs.yml'}},
                'list': ['not', 'a', 'mapping']},
            'secrets': {'s': {'file': '../s.txt'}, 'ok': {'file': '/srv/s'}},
            'bogus': 1})
        self.assertEqual(sorted([
            'config.bogus', 'config.services.no-image.image',
            'config.services.bad name!',
            'config.services.paths.env_file[0]',
            'config.services.paths.env_file[2]',
            'config.services.paths.volumes[1]',
            'config.services.paths.extends.file',
            'config.services.list', 'config.secrets.s.file']),
            sorted(problem_fields(exc)))

    def test_not_a_mapping(self):
        exc = self.assertRaises(errors.InvalidDeployment, compose.load,
                                '- a\n- b\n')
        self.assertEqual(['config'], problem_fields(exc))

    def test_invalid_yaml(self):
        exc = self.assertRaises(errors.InvalidDeployment, compose.load,
                                'a: [b\n')
        self.assertIn('not valid YAML', str(exc))


class ProjectNameTest(testtools.TestCase):

    def test_stable_across_updates_unique_per_owner(self):
        first = compose.project_name(make_deployment())
        update = deployment_mod.from_dict(dict(
            id='new-id', name='web-app', group='docker-compose',
            inputs=[{'name': 'deploy_stack_id', 'value': 's/1'},
                    {'name': 'deploy_resource_name', 'value': 'r'}]))
        self.assertEqual(first, compose.project_name(update))
        other = compose.project_name(make_deployment(stack='s/2'))
        self.assertNotEqual(first, other)
        self.assertTrue(first.startswith('web-app-'))

    def test_sanitised(self):
        name = compose.project_name(make_deployment(name='My App.v2 (x)'))
        self.assertRegex(name, r'^my-app-v2-x-[0-9a-f]{8}$')
        name = compose.project_name(make_deployment(name='___'))
        self.assertRegex(name, r'^deployment-[0-9a-f]{8}$')
        long = compose.project_name(make_deployment(name='a' * 300))
        self.assertLessEqual(len(long), compose.PROJECT_NAME_LENGTH + 9)

    def test_odd_names_rejected(self):
        for bad in ('../evil', '/abs', 'a/b', '..', '.', 'a\\b', 'x\ny'):
            exc = self.assertRaises(errors.InvalidDeployment,
                                    compose.project_name,
                                    make_deployment(name=bad))
            self.assertEqual(['name'], problem_fields(exc))


class EnvFilesTest(testtools.TestCase):
    files = [{'file_name': 'a.env', 'content': 'A=1'},
             {'file_name': 'conf/b.env', 'content': 'B=2\n'},
             {'file_name': 'empty.env', 'content': None}]
    expected = (compose.ProjectFile('a.env', 'A=1'),
                compose.ProjectFile('conf/b.env', 'B=2\n'),
                compose.ProjectFile('empty.env', ''))

    def test_three_encodings(self):
        for value in (self.files, json.dumps(self.files), str(self.files)):
            self.assertEqual(self.expected, compose.env_files(value))

    def test_absent(self):
        self.assertEqual((), compose.env_files(None))
        self.assertEqual((), compose.env_files(''))

    def test_bad_names_rejected(self):
        bad = ['../../x.env', '/etc/x.env', 'a/../../b', '.', 'conf/',
               'docker-compose.yml', '.heat-container-hooks.json',
               './.secrets/x', 'a\nb', '', '~/x', '.heat-container-hooks'
               '.applied.json']
        value = [{'file_name': n, 'content': ''} for n in bad]
        value.append({'file_name': 'ok.env', 'content': 3})
        value.append({'file_name': 'ok.env', 'content': ''})
        value.append('nope')
        exc = self.assertRaises(errors.InvalidDeployment,
                                compose.env_files, value)
        fields = problem_fields(exc)
        self.assertEqual(['inputs.env_files[%d].file_name' % i
                          for i in range(len(bad))]
                         + ['inputs.env_files[%d].content' % len(bad),
                            'inputs.env_files[%d].file_name' % (len(bad) + 1),
                            'inputs.env_files[%d]' % (len(bad) + 2)],
                         fields)

    def test_not_a_list(self):
        exc = self.assertRaises(errors.InvalidDeployment,
                                compose.env_files, 'A=1')
        self.assertEqual(['inputs.env_files'], problem_fields(exc))


class PlanAndRenderTest(testtools.TestCase):

    def project(self, inputs=(), secret_inputs=()):
        deployment = make_deployment(inputs=inputs)
        env = environment.from_inputs(deployment, secret_inputs,
                                      ['*password*'])
        return deployment, compose.plan(
            deployment, compose.load({'web': {'image': 'i',
                                              'labels': ['a=b']}}), env)

    def test_inputs_split_public_and_secret_env_files_excluded(self):
        _, project = self.project(inputs=[
            ('GREETING', 'hi'), ('db_password', "p$w #x"),
            ('env_files', [{'file_name': 'a.env', 'content': 'A=1'}]),
            ('deploy_password', 'never')])
        self.assertEqual((('GREETING', 'hi'),), project.variables)
        self.assertEqual((('db_password', 'p$w #x'),), project.secrets)
        self.assertEqual(('p$w #x',), project.secret_values)
        self.assertEqual(('a.env',), tuple(f.path for f in project.files))

    def test_secret_with_quote_or_line_break_accepted(self):
        # Secrets reach Compose in its environment, not a dotenv file.
        deployment = make_deployment(inputs=[('db_password', "it's\nx")])
        env = environment.from_inputs(deployment, (), ['*password*'])
        project = compose.plan(deployment, {'services': {}}, env)
        self.assertEqual((('db_password', "it's\nx"),), project.secrets)

    def test_render_files(self):
        deployment, project = self.project(inputs=[
            ('db_password', 'sekret'), ('PUBLIC', 'visible')])
        owner = deployment.owner('docker-compose')
        files = {f.path: f for f in compose.render(project, owner)}
        self.assertEqual({'docker-compose.yml',
                          '.heat-container-hooks.json'}, set(files))
        self.assertTrue(all(f.mode == 0o600 for f in files.values()))
        written = yaml.safe_load(files['docker-compose.yml'].content)
        labels = written['services']['web']['labels']
        self.assertEqual('b', labels['a'])
        self.assertEqual('docker-compose', labels['managed_by'])
        self.assertEqual('s/1/r', labels['heat_container_hooks.owner'])
        self.assertNotIn('config_id', labels)
        self.assertNotIn('sekret', json.dumps(
            [f.content for f in files.values()]))
        for name in ('docker-compose.yml', '.heat-container-hooks.json'):
            self.assertNotIn('sekret', files[name].content)
            self.assertNotIn('visible', files[name].content)
        marker = json.loads(files['.heat-container-hooks.json'].content)
        self.assertEqual(project.name, marker['project'])

    def test_render_is_stable(self):
        deployment, project = self.project()
        owner = deployment.owner('docker-compose')
        self.assertEqual(compose.render(project, owner),
                         compose.render(project, owner))

    def test_service_wait(self):
        self.assertEqual((False, (0,)), compose.service_wait({}))
        self.assertEqual((True, (0, 3)), compose.service_wait({'labels': [
            'heat_container_hooks.oneshot=true',
            'heat_container_hooks.exit_codes=0,3']}))
        exc = self.assertRaises(errors.InvalidDeployment, compose.load, {
            'a': {'image': 'i', 'labels': {
                'heat_container_hooks.exit_codes': 'zero'}}})
        self.assertEqual(
            ['config.services.a.labels.heat_container_hooks.exit_codes'],
            problem_fields(exc))


class RenderSpecsTest(testtools.TestCase):

    def test_full_mapping(self):
        db = spec_mod.ContainerSpec(
            name='db', image='db:1', command=('run', '$HOME'),
            environment=(('A', 'x$y'), ('PW', 'sekret'), ('N', None)),
            secret_env=frozenset({'PW'}), network_mode='host',
            ports=('8080:80',), user='1000', privileged=True,
            restart='always', volumes=('/srv:/srv',),
            healthcheck=spec_mod.Healthcheck(('CMD', 'true'), interval=1.5,
                                             retries=3),
            stop_grace_period=90, labels=(('k', 'v'),))
        init = spec_mod.ContainerSpec(name='init', image='i', detach=False,
                                      exit_codes=(0, 2), start_order=0)
        web = spec_mod.ContainerSpec(name='web', image='w', start_order=1,
                                     volumes_from=('db', 'other'))
        rendered = compose.render_specs([db, init, web])
        services = rendered['services']
        self.assertEqual({
            'image': 'db:1', 'command': ['run', '$$HOME'],
            'environment': {'A': 'x$$y'},
            'env_file': ['.secrets/db.env'], 'network_mode': 'host',
            'ports': ['8080:80'], 'user': '1000', 'privileged': True,
            'restart': 'always', 'volumes': ['/srv:/srv'],
            'healthcheck': {'test': ['CMD', 'true'], 'interval': '1.5s',
                            'retries': 3},
            'stop_grace_period': '90s', 'labels': {'k': 'v'}},
            services['db'])
        self.assertEqual('no', services['init']['restart'])
        self.assertEqual((True, (0, 2)),
                         compose.service_wait(services['init']))
        self.assertEqual({'db': {'condition': 'service_healthy'},
                          'init': {'condition':
                                   'service_completed_successfully'}},
                         services['web']['depends_on'])
        self.assertEqual(['db', 'container:other'],
                         services['web']['volumes_from'])
        self.assertNotIn('depends_on', services['db'])
        (secret_file,) = compose.secret_env_files([db, init, web])
        self.assertEqual(compose.ProjectFile('.secrets/db.env',
                                             "PW='sekret'\n"), secret_file)
        self.assertNotIn('sekret', json.dumps(rendered))
        # What it renders is a valid compose mapping for the hook too.
        self.assertEqual(rendered, compose.load(rendered))

    def test_unsupported_fields_named(self):
        specs = [spec_mod.ContainerSpec(name='a', image='i', uts_mode='host',
                                        remove=True),
                 spec_mod.ContainerSpec(name='b', action=spec_mod.EXEC,
                                        command=('a', 'ls'))]
        exc = self.assertRaises(errors.InvalidDeployment,
                                compose.render_specs, specs)
        self.assertEqual(['config.a.uts', 'config.a.remove',
                          'config.b.action'], problem_fields(exc))
        self.assertEqual(3, len(compose.spec_problems(specs)))

    def test_plan_specs(self):
        deployment = make_deployment()
        spec = spec_mod.ContainerSpec(name='a', image='i',
                                      environment=(('PW', 'sekret'),),
                                      secret_env=frozenset({'PW'}))
        project = compose.plan_specs(deployment, [spec])
        self.assertEqual(('a',), project.services)
        self.assertEqual(('.secrets/a.env',),
                         tuple(f.path for f in project.files))
        self.assertEqual(('sekret',), project.secret_values)
        self.assertIsNone(compose.plan_specs(deployment, []).compose)
        odd = make_deployment(name='a/b')
        self.assertIsNone(compose.plan_specs(odd, []).name)
        self.assertRaises(errors.InvalidDeployment, compose.plan_specs, odd,
                          [spec])


class ComposeReadingTest(testtools.TestCase):
    """The hook reads a compose file as Compose does."""

    def test_text_is_yaml_1_2(self):
        text = ('services:\n  web:\n    image: i\n    restart: no\n'
                '    ports: [47:47]\n    environment: {ENABLED: yes}\n'
                '    labels: {built: 2024-01-01}\n')
        compose_, notes = compose.load_with_notes(text)
        web = compose_['services']['web']
        self.assertEqual('no', web['restart'])
        self.assertEqual(['47:47'], web['ports'])
        self.assertEqual({'ENABLED': 'yes'}, web['environment'])
        self.assertEqual({'built': '2024-01-01'}, web['labels'])
        self.assertEqual((), notes)

    def test_text_anchors_merge_keys_and_duplicates(self):
        text = ('x-base: &base {image: i, restart: "no"}\n'
                'services:\n  a: {<<: *base, command: ["true"]}\n')
        self.assertEqual({'image': 'i', 'restart': 'no',
                          'command': ['true']},
                         compose.load(text)['services']['a'])
        exc = self.assertRaises(errors.InvalidDeployment, compose.load,
                                'services:\n  a: {image: i}\n  a: {}\n')
        self.assertEqual(['config'], problem_fields(exc))

    def test_mapping_from_heat_is_normalised_with_notes(self):
        # What Heat's YAML 1.1 made of restart: no, ports: [47:47],
        # ENABLED: yes.
        compose_, notes = compose.load_with_notes({'services': {'web': {
            'image': 'i', 'restart': False, 'ports': [2867, '80:80', 8],
            'environment': {'ENABLED': True}}}})
        web = compose_['services']['web']
        self.assertEqual('no', web['restart'])
        self.assertEqual([2867, '80:80', 8], web['ports'])
        self.assertEqual({'ENABLED': 'true'}, web['environment'])
        self.assertEqual(2, len(notes))
        self.assertIn('config.services.web.environment.ENABLED', notes[0])
        self.assertIn('config.services.web.ports[0] is the number 2867',
                      notes[1])
        self.assertIn('"47:47"', notes[1])
        v1, notes = compose.load_with_notes({'web': {'image': 'i',
                                                     'restart': False}})
        self.assertEqual('no', v1['services']['web']['restart'])
        self.assertEqual((), notes)

    def test_env_file_names_as_upstream_writes_them(self):
        files = compose.env_files([
            {'file_name': './common.env', 'content': 'A=1'},
            {'file_name': '.env.production', 'content': 'B=2'},
            {'file_name': './apps/web.env', 'content': ''},
            {'file_name': '.env', 'content': 'TAG=1'},
            {'file_name': 'password.txt', 'content': 'db-78n9n'}])
        self.assertEqual(
            [('common.env', 'A=1'), ('.env.production', 'B=2'),
             ('apps/web.env', ''), ('.env', 'TAG=1'),
             ('password.txt', 'db-78n9n')],
            [(f.path, f.content) for f in files])

    def test_completion_awaited_services_are_one_shots(self):
        compose_ = compose.load({'services': {
            'migrate': {'image': 'i', 'restart': 'no'},
            'seed': {'image': 'i'},
            'app': {'image': 'i', 'depends_on': {
                'migrate': {'condition': 'service_completed_successfully'},
                'seed': {'condition': 'service_started'}}},
            'other': {'image': 'i', 'depends_on': ['seed']}}})
        self.assertEqual({'migrate'}, compose.completion_awaited(compose_))
        labelled = compose.with_labels(
            compose_, make_deployment().owner('docker-compose'))
        self.assertEqual((True, (0,)), compose.service_wait(
            labelled['services']['migrate']))
        self.assertFalse(compose.service_wait(
            labelled['services']['seed'])[0])

    def test_expected_services_follow_profiles_and_scale(self):
        compose_ = compose.load({'services': {
            'web': {'image': 'i'},
            'debug': {'image': 'i', 'profiles': ['debug']},
            'off': {'image': 'i', 'scale': 0},
            'none': {'image': 'i', 'deploy': {'replicas': 0}}}})
        self.assertEqual(('web',), compose.expected_services(compose_, {}))
        self.assertEqual(('web', 'debug'), compose.expected_services(
            compose_, {'COMPOSE_PROFILES': 'x,debug'}))

    def test_name_key_dropped_the_deployment_names_the_project(self):
        self.assertEqual({'services': {'a': {'image': 'i'}}}, compose.load(
            'name: other\nservices:\n  a: {image: i}\n'))
