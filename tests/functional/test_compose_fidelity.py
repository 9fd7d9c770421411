"""The docker-compose hook does what Compose makes of the same input: each
kind of input that was once unfaithful (issue 15), on the real engine, on
Compose v2 and Debian's docker-compose v1; heat-templates' example and
heat-agents' own test input, read from heat-agents' sdist."""

import ast
import json
import os
import re

from tests.functional import base
from tests.functional import test_compose
from tests.functional import upstream

SERVICE = test_compose.SERVICE


class FidelityMixin(test_compose.ComposeHelpers):
    # A host port per Compose version: the two classes run in parallel.
    port = None

    def env_of(self, service):
        return self.containers()[service].attrs['Config']['Env']

    # -- 1. env_files names -------------------------------------------------

    def test_env_file_names_as_upstream_writes_them(self):
        config = {'services': {'web': self.service(env_file=[
            './common.env', '.env.production', './apps/web.env'])}}
        env_files = [{'file_name': './common.env', 'content': 'C=1\n'},
                     {'file_name': '.env.production', 'content': 'P=2\n'},
                     {'file_name': './apps/web.env', 'content': 'W=3'}]
        result = self.run_hook(self.compose_item(
            config, inputs=[('env_files', json.dumps(env_files))]))
        self.assertEqual(0, result.code, result.error)
        env = self.env_of('web')
        for expected in ('C=1', 'P=2', 'W=3'):
            self.assertIn(expected, env)
        self.assertEqual('W=3', self.read_project_file('apps/web.env'))

    # -- 2. env_files content byte for byte ------------------------------

    def test_env_file_content_byte_for_byte(self):
        config = {'services': {'reader': {
            'image': self.image, 'restart': 'no',
            'command': ['sh', '-c', 'od -c /run/secrets/pw'],
            'labels': {'heat_container_hooks.oneshot': 'true'},
            'secrets': ['pw']}},
            'secrets': {'pw': {'file': './password.txt'}}}
        env_files = [{'file_name': 'password.txt', 'content': 'db-78n9n'}]
        result = self.run_hook(self.compose_item(
            config, outputs=['reader_stdout'],
            inputs=[('env_files', repr(env_files))]))
        self.assertEqual(0, result.code, result.error)
        # Eight characters, no newline.
        self.assertEqual(['d', 'b', '-', '7', '8', 'n', '9', 'n'],
                         result.reply['reader_stdout'].split('\n')[0]
                         .split()[1:])
        self.assertEqual('db-78n9n', self.read_project_file('password.txt'))

    # -- 3. .env is the deployment's own ---------------------------------

    def test_dotenv_is_the_users_interpolation_file(self):
        config = {'services': {
            'web': self.service(environment={
                'FROM_DOTENV': '${TAG}', 'PW': '${db_password}',
                'OVERRIDDEN': '${MODE}'}),
            'worker': self.service(env_file='.env')}}
        env_files = [{'file_name': '.env',
                      'content': 'TAG=7\nMODE=from-dotenv\n'}]
        result = self.run_hook(self.compose_item(config, inputs=[
            ('env_files', json.dumps(env_files)), ('MODE', 'from-input'),
            ('db_password', 'pw-1')]))
        self.assertEqual(0, result.code, result.error)
        web = self.env_of('web')
        for expected in ('FROM_DOTENV=7', 'PW=pw-1', 'OVERRIDDEN=from-input'):
            self.assertIn(expected, web)
        worker = self.env_of('worker')
        self.assertIn('TAG=7', worker)
        self.assertFalse([e for e in worker if e.startswith('db_password')])
        self.assertEqual('TAG=7\nMODE=from-dotenv\n',
                         self.read_project_file('.env'))

    # -- 4. YAML 1.2 for text, YAML 1.1 repaired for mappings --------------

    def test_text_config_is_read_as_yaml_1_2(self):
        text = '\n'.join([
            'services:',
            '  web:',
            '    image: %s' % self.image,
            '    command: %s' % json.dumps(SERVICE),
            '    restart: no',
            '    ports: [%d:%d]' % (self.port, self.port),
            '    environment:',
            '      ENABLED: yes',
            '      MODE: on',
        ])
        result = self.run_hook(self.compose_item(text))
        self.assertEqual(0, result.code, result.error)
        web = self.containers()['web'].attrs
        self.assertEqual({'%d/tcp' % self.port},
                         set(web['HostConfig']['PortBindings']))
        self.assertEqual('no', web['HostConfig']['RestartPolicy']['Name'])
        self.assertIn('ENABLED=yes', web['Config']['Env'])
        self.assertIn('MODE=on', web['Config']['Env'])
        again = self.run_hook(self.compose_item(text))
        self.assertEqual(0, again.code, again.error)
        self.assertIn('compose up not run', again.error)
        deleted = self.run_hook(self.compose_item(text, action='DELETE'))
        self.assertEqual(0, deleted.code, deleted.error)
        self.assertEqual([], self.stack_containers())

    def test_mapping_from_heat_is_normalised_with_notes(self):
        # What Heat's YAML 1.1 made of restart: no, ports: [47:47] and
        # ENABLED: yes in a StructuredConfig.
        sexagesimal = self.port * 60 + self.port
        config = {'services': {'web': self.service(
            restart=False, ports=[sexagesimal],
            environment={'ENABLED': True})}}
        result = self.run_hook(self.compose_item(config))
        self.assertEqual(0, result.code, result.error)
        web = self.containers()['web'].attrs
        self.assertEqual('no', web['HostConfig']['RestartPolicy']['Name'])
        self.assertEqual({'%d/tcp' % sexagesimal},
                         set(web['HostConfig']['PortBindings']))
        self.assertIn('ENABLED=true', web['Config']['Env'])
        self.assertIn('config.services.web.environment.ENABLED is a boolean',
                      result.error)
        self.assertIn('config.services.web.ports[0] is the number %d'
                      % sexagesimal, result.error)
        self.assertIn('"%d:%d"' % (self.port, self.port), result.error)
        deleted = self.run_hook(self.compose_item(config, action='DELETE'))
        self.assertEqual(0, deleted.code, deleted.error)
        self.assertEqual([], self.stack_containers())

    # -- 5. interpolation in the image reference ---------------------------

    def test_interpolated_image_reference_reruns(self):
        repo, _, tag = self.image.rpartition(':')
        config = {'services': {'web': self.service(
            image='%s:${TAG:-%s}' % (repo, tag))}}
        first = self.run_hook(self.compose_item(config))
        self.assertEqual(0, first.code, first.error)
        web = self.containers()['web']
        again = self.run_hook(self.compose_item(config))
        self.assertEqual(0, again.code, again.error)
        self.assertIn('compose up not run', again.error)
        self.assertEqual(web.id, self.containers()['web'].id)
        given = self.run_hook(self.compose_item(
            config, inputs=[('TAG', tag)]))
        self.assertEqual(0, given.code, given.error)
        self.assertEqual(web.id, self.containers()['web'].id)

    # -- 6. one-shots others wait on ----------------------------------------

    def test_service_others_wait_on_to_complete_is_a_one_shot(self):
        config = {'services': {
            'migrate': {'image': self.image, 'command': ['true'],
                        'restart': 'no'},
            'app': self.service(depends_on={'migrate': {
                'condition': 'service_completed_successfully'}})}}
        result = self.run_hook(self.compose_item(
            config, outputs=['containers']))
        self.assertEqual(0, result.code, result.error)
        out = result.reply['containers']
        self.assertEqual(0, out['migrate']['exit_code'])
        self.assertEqual('running', out['app']['state'])
        again = self.run_hook(self.compose_item(
            config, outputs=['containers']))
        self.assertEqual(0, again.code, again.error)
        self.assertEqual('kept', again.reply['containers']['migrate'][
            'action'])

    def test_lone_exited_service_fails_as_compose_wait_judges_it(self):
        # docker compose up --wait: "container ... exited (0)".
        config = {'services': {
            'lone': {'image': self.image, 'command': ['true'],
                     'restart': 'no'},
            'app': self.service()}}
        result = self.run_hook(self.compose_item(config))
        self.assertNotEqual(0, result.code)
        self.assertIn('lone', result.error.split('\n')[0])

    def test_services_compose_does_not_run_are_not_expected(self):
        config = {'services': {
            'app': self.service(),
            'debug': self.service(profiles=['debug'])}}
        result = self.run_hook(self.compose_item(
            config, outputs=['containers']))
        self.assertEqual(0, result.code, result.error)
        self.assertEqual({'app'}, set(result.reply['containers']))
        both = self.run_hook(self.compose_item(
            config, outputs=['containers'],
            inputs=[('COMPOSE_PROFILES', 'debug')]))
        self.assertEqual(0, both.code, both.error)
        self.assertEqual({'app', 'debug'}, set(both.reply['containers']))

    # -- heat-templates' example, heat-agents' test input -------------------

    def test_heat_templates_example(self):
        """heat-templates' example-docker-compose-template.yaml: its
        StructuredConfig and its SoftwareConfig (get_file), each with its
        env_files input as the template gives it. Images are the local
        busybox (no registry here); host ports are this test's own."""
        structured = {
            'db': {'image': self.image, 'command': SERVICE,
                   'env_file': ['./common.env', './apps/web.env']},
            'web': {'image': self.image, 'command': SERVICE,
                    'env_file': './test.env', 'links': ['db'],
                    'ports': ['%d:8000' % (self.port + 1000)]}}
        env_files = [
            {'file_name': './common.env', 'content': 'COMMON=1\n'},
            {'file_name': './apps/web.env', 'content': 'APP=web\n'},
            {'file_name': './test.env', 'content': 'TEST=yes\n'}]
        result = self.run_hook(self.compose_item(
            structured, name=self.prefix + '-test_deployment',
            inputs=[('env_files', repr(env_files))]))
        self.assertEqual(0, result.code, result.error)
        db = self.containers()['db'].attrs['Config']['Env']
        self.assertIn('COMMON=1', db)
        self.assertIn('APP=web', db)
        self.assertIn('TEST=yes',
                      self.containers()['web'].attrs['Config']['Env'])
        text = '\n'.join([
            'busybox:',
            '  env_file: ./busybox.env',
            '  image: %s' % self.image,
            "  command: ['nc', '-p', '8080', '-l', '-l', '-e', 'echo', "
            "'hello world!']",
            '  ports:',
            '  - %d:8080' % (self.port + 2000)])
        other = self.run_hook(self.compose_item(
            text, name=self.prefix + '-other_deployment', resource='other',
            inputs=[('env_files', repr([{'file_name': './busybox.env',
                                         'content': 'BUSY=1'}]))]))
        self.assertEqual(0, other.code, other.error)
        busybox = [c for c in self.stack_containers()
                   if c.labels['com.docker.compose.service'] == 'busybox']
        self.assertIn('BUSY=1', busybox[0].attrs['Config']['Env'])

    def test_heat_agents_test_input(self):
        """heat-agents' own hook test input (tests/test_hook_docker_compose
        .py in its sdist): env_files as a JSON string of ./-names, and
        compose configs that refer to them; images are local."""
        path = os.path.join(upstream.heat_agents_dir(), 'tests',
                            'test_hook_docker_compose.py')
        with open(path) as handle:
            source = handle.read()
        # The class attribute ``data = {...}``, a Python literal.
        literal = re.search(r'\n    data = (\{.*?\n    \})\n', source,
                            re.S).group(1)
        data = ast.literal_eval(literal)
        # "name" is no compose key (heat-agents' test runs a fake tool).
        config = {name: dict({k: v for k, v in service.items()
                              if k != 'name'},
                             image=self.image, command=SERVICE)
                  for name, service in data['config'].items()}
        inputs = [(i['name'], i['value']) for i in data['inputs']]
        self.assertTrue(inputs[0][1].startswith('[ { "file_name": "./'))
        result = self.run_hook(self.compose_item(config, inputs=inputs))
        # Accepted and written byte for byte; what Compose then makes of
        # a line without "=" is Compose's own (v1 passes it on unset, v2
        # refuses "=zzz"), exactly as for plain Compose.
        self.assertNotEqual(2, result.code, result.error)
        self.assertNotIn('file_name', result.error)
        for name, content in (('common.env', 'xxxxx'), ('test.env', 'yyyy'),
                              ('test1.env', 'zzz')):
            self.assertEqual(content, self.read_project_file(name))


class FidelityV2Test(FidelityMixin, base.FunctionalTest):
    compose_version = 'v2'
    port = 47


class FidelityV1Test(FidelityMixin, base.FunctionalTest):
    compose_version = 'v1'
    port = 48
