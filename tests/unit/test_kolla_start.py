"""kolla_set_configs / kolla_start of the locally built service images
(images/kolla-base/kolla_start.py): Kolla's config.json contract, on a
temporary tree (no image, no root needed)."""

import grp
import importlib.util
import json
import os
import pwd

import fixtures
import testtools

SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), 'images', 'kolla-base', 'kolla_start.py')


def load_script():
    spec = importlib.util.spec_from_file_location('hch_kolla_start', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


kolla = load_script()
ME = pwd.getpwuid(os.getuid()).pw_name
MY_GROUP = grp.getgrgid(os.getgid()).gr_name


class KollaSetConfigsTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.root = self.useFixture(fixtures.TempDir()).path
        self.src = self.path('src')
        self.dst = self.path('etc')
        os.makedirs(self.src)

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def write(self, path, text='x', mode=0o644):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as handle:
            handle.write(text)
        os.chmod(path, mode)
        return path

    def read(self, path):
        with open(path) as handle:
            return handle.read()

    def run_set_configs(self, config, strategy='COPY_ALWAYS', **env):
        environ = {'KOLLA_CONFIG': json.dumps(config)}
        if strategy is not None:
            environ['KOLLA_CONFIG_STRATEGY'] = strategy
        environ.update(env)
        return kolla.set_configs(environ, root=self.root)

    def entry(self, source, dest, **extra):
        return dict(extra, source=source, dest=dest)

    # -- config_files ------------------------------------------------------

    def test_copies_file_to_dest_and_writes_run_command(self):
        self.write(self.path('src', 'my.cnf'), 'conf')
        command = self.run_set_configs({
            'command': '/usr/sbin/mysqld --user=mysql',
            'config_files': [self.entry(self.path('src', 'my.cnf'),
                                        self.path('etc', 'mysql', 'my.cnf'))]})
        self.assertEqual('conf', self.read(self.path('etc', 'mysql',
                                                     'my.cnf')))
        self.assertEqual('/usr/sbin/mysqld --user=mysql', command)
        self.assertEqual('/usr/sbin/mysqld --user=mysql\n',
                         self.read(self.path('run_command')))

    def test_trailing_slash_copies_every_glob_match_into_the_dir(self):
        self.write(self.path('src', 'a.conf'), 'a')
        self.write(self.path('src', 'b.conf'), 'b')
        self.write(self.path('src', 'c.txt'), 'c')
        self.run_set_configs({'command': 'true', 'config_files': [
            self.entry(self.path('src', '*.conf'), self.dst + '/')]})
        self.assertEqual(['a.conf', 'b.conf'], sorted(os.listdir(self.dst)))

    def test_without_trailing_slash_dest_is_the_target_path(self):
        self.write(self.path('src', 'a.conf'), 'a')
        self.run_set_configs({'command': 'true', 'config_files': [
            self.entry(self.path('src', 'a.conf'), self.path('etc', 'b'))]})
        self.assertEqual('a', self.read(self.path('etc', 'b')))

    def test_directory_source_replaces_dest_unless_merge(self):
        self.write(self.path('src', 'd', 'new'), 'n')
        self.write(self.path('etc', 'd', 'old'), 'o')
        self.run_set_configs({'command': 'true', 'config_files': [
            self.entry(self.path('src', 'd'), self.path('etc', 'd'))]})
        self.assertEqual(['new'], os.listdir(self.path('etc', 'd')))

    def test_merge_keeps_what_dest_already_holds(self):
        self.write(self.path('src', 'd', 'new'), 'n')
        self.write(self.path('etc', 'd', 'old'), 'o')
        self.run_set_configs({'command': 'true', 'config_files': [
            self.entry(self.path('src', 'd'), self.path('etc', 'd'),
                       merge=True)]})
        self.assertEqual(['new', 'old'],
                         sorted(os.listdir(self.path('etc', 'd'))))

    def test_perm_and_owner_are_applied(self):
        self.write(self.path('src', 'f'), mode=0o644)
        self.run_set_configs({'command': 'true', 'config_files': [
            self.entry(self.path('src', 'f'), self.path('etc', 'f'),
                       perm='0600', owner='%s:%s' % (ME, MY_GROUP))]})
        info = os.stat(self.path('etc', 'f'))
        self.assertEqual(0o600, info.st_mode & 0o7777)
        self.assertEqual((os.getuid(), os.getgid()),
                         (info.st_uid, info.st_gid))

    def test_preserve_properties_keeps_the_source_mode(self):
        self.write(self.path('src', 'f'), mode=0o751)
        self.run_set_configs({'command': 'true', 'config_files': [
            self.entry(self.path('src', 'f'), self.path('etc', 'f'),
                       perm='0600', preserve_properties=True)]})
        self.assertEqual(0o751,
                         os.stat(self.path('etc', 'f')).st_mode & 0o7777)

    def test_missing_required_source_fails_naming_it(self):
        error = self.assertRaises(
            kolla.KollaError, self.run_set_configs,
            {'command': 'true', 'config_files': [
                self.entry(self.path('src', 'nope.conf'), self.dst + '/')]})
        self.assertIn('nope.conf is not found', str(error))
        self.assertIn('"optional": true', str(error))
        self.assertFalse(os.path.exists(self.path('run_command')))

    def test_missing_optional_source_is_skipped(self):
        self.run_set_configs({'command': 'true', 'config_files': [
            self.entry(self.path('src', 'nope'), self.dst + '/',
                       optional=True)]})
        self.assertFalse(os.path.exists(self.dst))

    # -- strategy ----------------------------------------------------------

    def test_copy_always_copies_on_every_start(self):
        source = self.write(self.path('src', 'f'), 'one')
        config = {'command': 'true', 'config_files': [
            self.entry(source, self.path('etc', 'f'))]}
        self.run_set_configs(config)
        self.write(source, 'two')
        self.run_set_configs(config)
        self.assertEqual('two', self.read(self.path('etc', 'f')))

    def test_copy_once_copies_only_on_the_first_start(self):
        source = self.write(self.path('src', 'f'), 'one')
        config = {'command': 'true', 'config_files': [
            self.entry(source, self.path('etc', 'f'))]}
        self.run_set_configs(config, strategy='COPY_ONCE')
        self.write(source, 'two')
        self.run_set_configs(config, strategy='COPY_ONCE')
        self.assertEqual('one', self.read(self.path('etc', 'f')))
        self.assertTrue(os.path.exists(self.path('configured')))

    def test_strategy_is_required(self):
        for strategy in (None, 'COPY_SOMETIMES'):
            error = self.assertRaises(kolla.KollaError, self.run_set_configs,
                                      {'command': 'true'}, strategy=strategy)
            self.assertIn('KOLLA_CONFIG_STRATEGY', str(error))
            self.assertIn('COPY_ALWAYS or COPY_ONCE', str(error))

    # -- permissions -------------------------------------------------------

    def test_permissions_recurse(self):
        self.write(self.path('data', 'a', 'b'), mode=0o644)
        self.run_set_configs({'command': 'true', 'permissions': [
            {'path': self.path('data'), 'owner': ME, 'perm': '0700',
             'recurse': True}]})
        for path in (self.path('data'), self.path('data', 'a'),
                     self.path('data', 'a', 'b')):
            self.assertEqual(0o700, os.stat(path).st_mode & 0o7777, path)

    def test_permissions_without_recurse_touch_only_the_path(self):
        self.write(self.path('data', 'b'), mode=0o644)
        self.run_set_configs({'command': 'true', 'permissions': [
            {'path': self.path('data'), 'owner': ME, 'perm': '0750'}]})
        self.assertEqual(0o750, os.stat(self.path('data')).st_mode & 0o7777)
        self.assertEqual(0o644,
                         os.stat(self.path('data', 'b')).st_mode & 0o7777)

    def test_unknown_owner_fails_naming_it(self):
        self.write(self.path('src', 'f'))
        error = self.assertRaises(
            kolla.KollaError, self.run_set_configs,
            {'command': 'true', 'config_files': [
                self.entry(self.path('src', 'f'), self.path('etc', 'f'),
                           owner='no-such-user-hch')]})
        self.assertIn("no user 'no-such-user-hch'", str(error))

    # -- loading and validation ------------------------------------------

    def test_kolla_config_env_wins_over_the_file(self):
        path = self.write(self.path('config.json'),
                          json.dumps({'command': 'from-file'}))
        environ = {'KOLLA_CONFIG_FILE': path}
        self.assertEqual('from-file', kolla.load_config(environ)['command'])
        environ['KOLLA_CONFIG'] = json.dumps({'command': 'from-env'})
        self.assertEqual('from-env', kolla.load_config(environ)['command'])

    def test_default_file_path(self):
        self.assertEqual('/var/lib/kolla/config_files/config.json',
                         kolla.DEFAULT_CONFIG_FILE)
        error = self.assertRaises(kolla.KollaError, kolla.load_config,
                                  {'KOLLA_CONFIG_FILE': self.path('none')})
        self.assertIn('set KOLLA_CONFIG', str(error))

    def test_every_problem_is_reported_at_once(self):
        error = self.assertRaises(kolla.KollaError, kolla.validate, {
            'config_files': [{'source': 'a'}, 'x', {'source': 'b',
                                                    'dest': 'c',
                                                    'perm': 'rw'}],
            'permissions': [{'perm': '0600'}]})
        text = str(error)
        for fragment in ('"command" is required',
                         'config_files[0].dest is required',
                         'config_files[1] must be an object',
                         "config_files[2].perm 'rw' must be an octal",
                         'permissions[0].path is required',
                         'permissions[0].owner is required'):
            self.assertIn(fragment, text)

    def test_invalid_json_names_the_origin(self):
        error = self.assertRaises(kolla.KollaError, kolla.load_config,
                                  {'KOLLA_CONFIG': '{nope'})
        self.assertIn('KOLLA_CONFIG environment variable', str(error))

    # -- kolla_start -------------------------------------------------------

    def test_command_is_split_on_white_space_like_kolla(self):
        self.assertEqual(['/bin/sh', '-c', "'echo", "hi'", 'extra'],
                         kolla.argv_of("/bin/sh  -c 'echo hi'", ['extra']))

    def test_main_reports_errors_without_traceback(self):
        stderr = self.useFixture(fixtures.StringStream('stderr')).stream
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', stderr))
        self.useFixture(fixtures.EnvironmentVariable(
            'KOLLA_CONFIG', json.dumps({'command': ''})))
        self.assertEqual(1, kolla.main(['kolla_set_configs']))
        stderr.seek(0)
        output = stderr.read()
        self.assertIn('ERROR:kolla_set_configs:', output)
        self.assertIn('"command" is required', output)
        self.assertNotIn('Traceback', output)
