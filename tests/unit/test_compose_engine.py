"""The compose adapter without an engine: the files it writes, and DELETE
of a project that left nothing."""

import os
import stat

import docker.errors
import fixtures
import testtools

from heat_container_hooks import conf as conf_mod
from heat_container_hooks import deployment
from heat_container_hooks.engines import compose as engine
from heat_container_hooks.engines import compose_cli
from heat_container_hooks.engines import compose_project
from heat_container_hooks import errors
from heat_container_hooks.formats import compose as compose_format
from heat_container_hooks import observed
from tests.unit.test_compose_cli import options


class FilesTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.root = self.useFixture(fixtures.TempDir()).path
        self.project = os.path.join(self.root, 'p')

    def write(self, *files):
        compose_project.safe_dir(self.project, self.root)
        compose_project.write_files(self.project, self.root, files)

    def read(self, name):
        with open(os.path.join(self.project, name)) as handle:
            return handle.read()

    def test_truncated_0600_no_temp_left(self):
        self.write(compose_format.ProjectFile('a.env', 'LONGVALUE=abcdef\n'))
        self.write(compose_format.ProjectFile('a.env', 'B=1\n'),
                   compose_format.ProjectFile('conf/b.env', 'C=2\n'))
        self.assertEqual('B=1\n', self.read('a.env'))
        self.assertEqual('C=2\n', self.read('conf/b.env'))
        for path in ('a.env', 'conf/b.env'):
            mode = os.stat(os.path.join(self.project, path)).st_mode
            self.assertEqual(0o600, stat.S_IMODE(mode))
        self.assertEqual(0o700, stat.S_IMODE(os.stat(self.project).st_mode))
        self.assertEqual(['a.env', 'conf'], sorted(os.listdir(self.project)))

    def test_symlinked_directory_refused(self):
        outside = self.useFixture(fixtures.TempDir()).path
        os.makedirs(self.project)
        os.symlink(outside, os.path.join(self.project, 'conf'))
        self.assertRaises(errors.HookError, self.write,
                          compose_format.ProjectFile('conf/x.env', 'A=1'))
        self.assertEqual([], os.listdir(outside))

    def test_outside_refused(self):
        self.assertRaises(errors.HookError, self.write,
                          compose_format.ProjectFile('../x.env', 'A=1'))
        self.assertFalse(os.path.exists(os.path.join(self.root, 'x.env')))

    def test_stale_env_files_removed(self):
        self.write(compose_format.ProjectFile('old.env', 'A=1'),
                   compose_format.ProjectFile('new.env', 'A=1'))
        compose_project.remove_stale_files(
            self.project, ['old.env', 'new.env', '../../etc/passwd'],
            (compose_format.ProjectFile('new.env', ''),))
        self.assertEqual(['new.env'], os.listdir(self.project))

    def test_secret_dotenv_of_an_earlier_release_removed(self):
        # Earlier releases wrote the secret inputs to an unlisted .env.
        self.write(compose_format.ProjectFile('.env', "db_password='x'\n"))
        compose_project.remove_stale_files(self.project, [], ())
        self.assertEqual([], os.listdir(self.project))
        # A .env the deployment gives is its own.
        given = compose_format.ProjectFile('.env', 'TAG=1')
        self.write(given)
        compose_project.remove_stale_files(self.project, ['.env'], (given,))
        self.assertEqual(['.env'], os.listdir(self.project))


class FakeAPI:
    def __init__(self):
        self.calls = []

    def containers(self, all=False, filters=None):
        self.calls.append(('containers', filters))
        return []

    def networks(self, filters=None):
        self.calls.append(('networks', filters))
        return []

    def close(self):
        pass


def settings(work_dir):
    return conf_mod.Settings(
        managed_by='docker-compose', working_dir=work_dir, lock_dir=work_dir,
        lock_timeout=1, start_timeout=1, healthy_timeout=1,
        oneshot_timeout=1, exec_timeout=1, stop_grace_period=1,
        settle_time=0)


class ConvergeTest(testtools.TestCase):

    def test_delete_of_a_project_never_made(self):
        work = self.useFixture(fixtures.TempDir()).path
        api = FakeAPI()
        compose = engine.ComposeEngine(
            settings(work), options(), api=api,
            compose=compose_cli.Compose(('false',), '2.0.0'))
        project = compose_format.Project(name='p-12345678', compose=None)
        result = compose.converge(project, None, deployment.Action.DELETE)
        self.assertIsNone(result.error)
        self.assertEqual([], result.results)
        self.assertIn(('networks', {'label':
                                    'com.docker.compose.project=p-12345678'}),
                      api.calls)

    def test_environment_carries_inputs_over_the_hosts(self):
        self.useFixture(fixtures.EnvironmentVariable('db_password', 'host'))
        compose = engine.ComposeEngine(
            settings('/nonexistent'), options(), api=FakeAPI())
        project = compose_format.Project(
            name='p', compose=None, variables=(('A', '1'),),
            secrets=(('db_password', 'x'),))
        env = compose._environment(project)
        self.assertEqual('1', env['A'])
        self.assertEqual('x', env['db_password'])


class ImageAPI(FakeAPI):
    """Knows the images: {ref: id}."""

    def __init__(self, images):
        super().__init__()
        self.images = images

    def inspect_image(self, ref):
        if ref not in self.images:
            raise docker.errors.ImageNotFound(ref)
        return {'Id': self.images[ref]}


class AsAppliedTest(testtools.TestCase):
    """When compose up would change nothing, it is not run."""

    def setUp(self):
        super().setUp()
        self.project = compose_format.Project(name='p', compose={
            'services': {'web': {'image': 'img:1'},
                         'init': {'image': 'img:1'}}})
        self.api = ImageAPI({'img:1': 'sha256:a'})
        self.engine = engine.ComposeEngine(settings('/nonexistent'),
                                           options(), api=self.api)

    def container(self, service, ident, state='running', image='sha256:a'):
        return observed.ObservedContainer(
            id=ident, name='p-%s-1' % service, state=state, image_id=image,
            labels={compose_format.SERVICE_LABEL: service})

    def as_applied(self, observed, finished=(), digest='d1', **record):
        applied = dict({'digest': 'd1', 'containers': {'web': 'w',
                                                       'init': 'i'},
                        'images': {'w': 'img:1', 'i': 'img:1', 'w2': 'img:1'}},
                       **record)
        return self.engine._as_applied(self.project, applied, digest,
                                       observed, set(finished))

    def test_same_files_same_containers_running_same_images(self):
        self.assertTrue(self.as_applied(
            [self.container('web', 'w'),
             self.container('init', 'i', state='exited')],
            finished={'init'}))

    def test_anything_else_runs_compose(self):
        running = [self.container('web', 'w'), self.container('init', 'i')]
        self.assertFalse(self.as_applied(running, digest='d2'))
        self.assertFalse(self.as_applied(
            [self.container('web', 'w2'), self.container('init', 'i')]))
        self.assertFalse(self.as_applied(running[:1]))
        self.assertFalse(self.as_applied(
            [self.container('web', 'w', state='exited'), running[1]]))
        self.assertFalse(self.as_applied(
            [self.container('web', 'w', image='sha256:old'), running[1]]))
        self.assertFalse(self.engine._as_applied(
            self.project, None, 'd1', running, set()))

    def test_a_service_without_an_image_runs_compose(self):
        self.project.compose['services']['web'] = {'build': '.'}
        self.assertFalse(self.as_applied(
            [self.container('web', 'w'), self.container('init', 'i')]))


class AsAppliedReferenceTest(AsAppliedTest):
    """An interpolated image reference is compared as Compose resolved
    it."""

    def setUp(self):
        super().setUp()
        self.project = compose_format.Project(name='p', compose={
            'services': {'web': {'image': 'img:${TAG:-1}'},
                         'init': {'image': 'img:${TAG:-1}'}}})

    def test_without_a_recorded_reference_compose_runs(self):
        self.assertFalse(self.as_applied(
            [self.container('web', 'w'),
             self.container('init', 'i', state='exited')],
            finished={'init'}, images={}))
