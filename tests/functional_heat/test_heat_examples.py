"""heat-templates' own software-config examples on the local Heat, their
deployments run by our real heat-container-agent (issue 20, point 4).

The examples are vendored (heat_examples.py says why, and checks their
sha256) and changed only where they cannot exist here: the Nova server is
this host (OS::Heat::DeployedServer), the Neutron resources are dropped,
the images are local stand-ins built in the test from the busybox image
(no registry is reachable). Their ports, env files, links and compose
layouts are upstream's. Each example creates, updates and deletes:

- example-docker-compose-template.yaml: two docker-compose deployments
  (a StructuredConfig with env_file lists ./common.env and ./apps/web.env,
  and a compose v1 file read with get_file), their env files from the
  `env_files` input; the update changes one env file's content, which
  replaces only the container that reads it.
- example-pristine-atomic-docker-compose.yaml (+ its _env): a compose
  service publishing 5000:5000; the update moves it to a new image.
- example-pristine-atomic-tool.yaml (+ its _env): the atomic group with an
  image that carries INSTALL and RUN labels; the update moves it to a new
  image (UNINSTALL of the old one runs, then INSTALL and RUN of the new).
"""

import fcntl
import os
import tempfile
import urllib.request

from tests.functional import base as functional_base
from tests.functional_heat import base
from tests.functional_heat import heat_examples
from tests.functional_heat import test_scenarios


def http_get(port):
    with urllib.request.urlopen('http://127.0.0.1:%d/' % port,
                                timeout=10) as response:  # nosec
        return response.read().decode()


def env_of(container):
    return dict(item.split('=', 1)
                for item in container.attrs['Config']['Env'] or ())


class HeatExamplesTest(test_scenarios.ScenarioBase):

    def setUp(self):
        super().setUp()
        # The examples publish fixed host ports (80, 8080, 5000): one
        # example at a time on this host, across test workers.
        lock = open(os.path.join(tempfile.gettempdir(),
                                 'hch-heat-examples.lock'), 'w')
        self.addCleanup(lock.close)
        fcntl.flock(lock, fcntl.LOCK_EX)
        self.examples = os.path.join(self.tmp, 'examples')
        os.makedirs(self.examples)

    def stand_in(self, name, lines, version='v1'):
        """A local image standing in for the example's image name."""
        tag = 'hch20-example/%s:%s-%s' % (name, self.prefix, version)
        functional_base.build_image(
            tag, ['FROM %s' % base.BUSYBOX_IMAGE] + lines, client=self.docker)
        self.addCleanup(self.docker.images.remove, tag, force=True)
        return tag

    def web_image(self, name, port, page, version='v1'):
        return self.stand_in(name, [
            'RUN mkdir /www && echo "%s" > /www/index.html' % page,
            'CMD ["httpd", "-f", "-p", "%d", "-h", "/www"]' % port],
            version)

    def update_stack(self, stack_id, template, parameters=None,
                     environment=None):
        """Update with our agent running; waits for UPDATE_COMPLETE."""
        from heatclient.common import template_utils
        files, tpl = template_utils.get_template_contents(
            template_file=template)
        env_files, env = \
            template_utils.process_multiple_environments_and_files(
                env_paths=environment or [])
        files.update(env_files)
        self.hc.stacks.update(stack_id, template=tpl, files=files,
                              environment=env, parameters=parameters or {})
        stack = self.wait_stack(stack_id, ('UPDATE_COMPLETE',), agent=False)
        self.assertEqual('UPDATE_COMPLETE', stack.stack_status,
                         stack.stack_status_reason)

    def by_service(self):
        """Our running compose containers by service name."""
        found = {}
        for container in self.ours():
            service = container.labels.get('com.docker.compose.service')
            if service and container.status == 'running':
                found[service] = container
        return found

    def test_docker_compose_template(self):
        images = {'redis': self.web_image('redis', 6379, 'redis stand-in'),
                  'nginx': self.web_image('nginx', 8000, 'nginx stand-in'),
                  'busybox': base.BUSYBOX_IMAGE}
        template, _ = heat_examples.write(
            'example-docker-compose-template.yaml', self.examples, images)
        parameters = {'env_file_0': 'COMMON=%s' % self.prefix,
                      'env_file_1': 'WEB=web-1',
                      'env_file_2': 'TEST=test-1',
                      'env_file_3': 'BUSYBOX=bb-1'}
        stack_id = self.deploy(template, parameters)
        self.assertEqual(0, self.outputs(stack_id)['status_code_deployment'])
        services = self.by_service()
        self.assertEqual(['busybox', 'db', 'web'], sorted(services))
        db_env = env_of(services['db'])
        self.assertEqual((self.prefix, 'web-1'),
                         (db_env.get('COMMON'), db_env.get('WEB')))
        self.assertEqual('test-1', env_of(services['web']).get('TEST'))
        self.assertEqual('bb-1', env_of(services['busybox']).get('BUSYBOX'))
        self.assertEqual('nginx stand-in\n', http_get(80))   # 80:8000
        self.assertIn('hello world!', test_scenarios.ask(8080, b'\n')
                      .decode())

        parameters['env_file_1'] = 'WEB=web-2'
        self.update_stack(stack_id, template, parameters)
        after = self.by_service()
        self.assertEqual('web-2', env_of(after['db']).get('WEB'))
        self.assertNotEqual(services['db'].id, after['db'].id)
        self.assertEqual(services['web'].id, after['web'].id)
        self.assertEqual(services['busybox'].id, after['busybox'].id)
        self.delete_and_check(stack_id)

    def test_pristine_atomic_docker_compose(self):
        name = 'example-pristine-atomic-docker-compose'
        v1 = self.web_image('webapp', 5000, 'Hello world!')
        template, env = heat_examples.write(
            name + '.yaml', self.examples, {'training/webapp': v1},
            name + '_env.yaml')
        stack_id = self.deploy(template, environment=[env])
        self.assertEqual(0, self.outputs(stack_id)['status_code'])
        [web] = self.by_service().values()
        self.assertEqual('Hello world!\n', http_get(5000))

        v2 = self.web_image('webapp', 5000, 'Hello world! v2', 'v2')
        template, env = heat_examples.write(
            name + '.yaml', self.examples, {'training/webapp': v2},
            name + '_env.yaml')
        self.update_stack(stack_id, template, environment=[env])
        [after] = self.by_service().values()
        self.assertNotEqual(web.id, after.id)
        self.assertEqual(v2, after.attrs['Config']['Image'])
        self.assertEqual('Hello world! v2\n', http_get(5000))
        self.delete_and_check(stack_id)

    def atomic_image(self, version):
        install = ('docker run --net=none --rm -v ${DATADIR}:/m ${IMAGE} '
                   'sh -c "echo %s >> /m/installed"' % version)
        # Not managed_by: the docker-cmd cleanup would take a container
        # with our managed_by and none of its other labels for its own.
        run = ('docker run --net=none -d --name ${NAME} '
               '--label hch20.example=%s ${IMAGE} sleep 3600' % self.prefix)
        uninstall = ('docker run --net=none --rm -v ${DATADIR}:/m '
                     '${IMAGE} sh -c "echo uninstalled-%s >> /m/installed"'
                     % version)
        return self.stand_in('atomic-install-rabbitmq', [
            'LABEL %s="%s"' % (label, command.replace('$', '\\$')
                               .replace('"', '\\"'))
            for label, command in (('INSTALL', install), ('RUN', run),
                                   ('UNINSTALL', uninstall))], version)

    def run_containers(self):
        """The containers the RUN labels of our atomic images made."""
        return self.docker.containers.list(
            all=True, filters={'label': 'hch20.example=%s' % self.prefix},
            ignore_removed=True)

    def test_pristine_atomic_tool(self):
        self.addCleanup(lambda: functional_base.remove_quietly(
            self.run_containers()))
        self.hook_conf_text += '[atomic]\nrunner = docker\n' \
            'datadir_base = %s\n' % os.path.join(self.tmp, 'atomic')
        name = 'example-pristine-atomic-tool'
        source = 'imain/atomic-install-rabbitmq'
        template, env = heat_examples.write(
            name + '.yaml', self.examples,
            {source: self.atomic_image('v1')}, name + '_env.yaml')
        stack_id = self.deploy(template, environment=[env])
        self.assertEqual(0, self.outputs(stack_id)['status_code'])
        [first] = self.run_containers()
        self.assertEqual('running', first.status)
        marker = os.path.join(self.tmp, 'atomic', first.name, 'installed')
        with open(marker) as handle:
            self.assertEqual('v1\n', handle.read())

        v2 = self.atomic_image('v2')
        template, env = heat_examples.write(
            name + '.yaml', self.examples, {source: v2}, name + '_env.yaml')
        self.update_stack(stack_id, template, environment=[env])
        [after] = self.run_containers()
        self.assertEqual(('running', v2),
                         (after.status, after.attrs['Config']['Image']))
        with open(marker) as handle:
            self.assertEqual('v1\nuninstalled-v1\nv2\n', handle.read())
        self.delete_and_check(stack_id)
        # The agent's cleanup ran UNINSTALL and removed the container.
        self.assertEqual([], self.run_containers())
        with open(marker) as handle:
            self.assertEqual('v1\nuninstalled-v1\nv2\nuninstalled-v2\n',
                             handle.read())
