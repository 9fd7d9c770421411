"""Pull policies and registry credentials on the real engine, against a
private registry on 127.0.0.1 with basic auth (tests/functional/
registry.py)."""

import os

import docker

from tests.functional import base
from tests.functional import registry as registry_mod

SERVICE = ['sh', '-c', "trap 'exit 0' TERM; while true; do sleep 0.2; done"]


class PullPolicyTest(base.FunctionalTest):

    def setUp(self):
        super().setUp()
        self.registry = self.useFixture(registry_mod.Registry(
            os.path.join(self.tmp, 'registry')))
        self.ref = '%s/hch-test/app-%s:latest' % (self.registry.address,
                                                  self.prefix)
        self.built = []
        self.addCleanup(self.remove_images)

    def untag(self):
        try:
            self.client.images.remove(self.ref, force=True)
        except docker.errors.ImageNotFound:
            pass

    def remove_images(self):
        """The tag and every image this test built (a re-pull leaves the
        old one untagged)."""
        self.remove_test_containers()
        self.untag()
        for ident in self.built:
            try:
                self.client.images.remove(ident, force=True)
            except docker.errors.ImageNotFound:
                pass

    def build_and_push(self, version):
        """Build a distinct image for the ref and push it; its id."""
        base.build_image(self.ref, ['FROM %s' % self.image,
                                    'LABEL hch-version=%s-%s'
                                    % (version, self.prefix)],
                         client=self.client)
        for event in self.client.api.push(self.ref, stream=True,
                                          decode=True,
                                          auth_config=self.registry.login()):
            self.assertNotIn('error', event, event)
        ident = self.client.images.get(self.ref).id
        self.built.append(ident)
        return ident

    def config(self, name, **extra):
        return {name: dict({'image': self.ref, 'command': SERVICE}, **extra)}

    def assert_secret_nowhere(self, result):
        password = self.registry.password
        self.assertNotIn(password, str(result.reply))
        self.assertNotIn(password, result.stderr)

    def test_pull_with_credentials_and_always_repull(self):
        app = self.name('app')
        first = self.build_and_push('1')
        self.untag()
        options = {'registry_auth_file': self.registry.auth_file}

        # Without credentials the registry refuses the pull.
        refused = self.run_hook(self.item(self.config(app)))
        self.assertNotEqual(0, refused.code)
        self.assertIn('%s is not present and could not be pulled'
                      % self.ref, refused.error)
        self.assertIsNone(self.container(app))

        # With the auth file: pulled (missing), container runs.
        pulled = self.run_hook(self.item(self.config(app), options=options,
                                         config_id='one'))
        self.assertEqual(0, pulled.code, pulled.error)
        self.assertIn('pulled image %s' % self.ref, pulled.error)
        self.assertEqual(first, self.container(app).attrs['Image'])
        self.assert_secret_nowhere(pulled)
        started = self.container(app).id

        # A new push under the same tag; the local tag stays on the old
        # image. missing: nothing pulled, container kept.
        second = self.build_and_push('2')
        self.client.images.get(first).tag(self.ref)
        kept = self.run_hook(self.item(self.config(app), options=options,
                                       config_id='two'))
        self.assertEqual(0, kept.code, kept.error)
        self.assertNotIn('pulled image', kept.error)
        self.assertEqual(started, self.container(app).id)

        # always (the deployment's option): pulled again, container
        # replaced on the new image.
        again = self.run_hook(self.item(self.config(app), config_id='three',
                                        options=dict(options,
                                                     pull='always')))
        self.assertEqual(0, again.code, again.error)
        self.assertIn('pulled image %s' % self.ref, again.error)
        self.assertIn('replaced %s' % app, again.stdout)
        self.assertEqual(second, self.container(app).attrs['Image'])
        self.assert_secret_nowhere(again)

        # always, nothing new: pulled, the container is kept.
        same = self.run_hook(self.item(self.config(app, pull='always'),
                                       options=options, config_id='four'))
        self.assertEqual(0, same.code, same.error)
        self.assertIn('kept %s' % app, same.stdout)

    def test_always_fails_clearly_when_the_registry_refuses(self):
        app = self.name('app')
        self.build_and_push('1')
        wrong = os.path.join(self.tmp, 'wrong.json')
        self.registry.write_auth_file(wrong, 'not-the-password')
        result = self.run_hook(self.item(
            self.config(app, pull='always'),
            options={'registry_auth_file': wrong}))
        self.assertNotEqual(0, result.code)
        self.assertIn('%s is present but could not be pulled' % self.ref,
                      result.error)
        self.assertIsNone(self.container(app))

    def test_never_fails_clearly_when_the_image_is_absent(self):
        app = self.name('app')
        result = self.run_hook(self.item(self.config(app, pull='never')))
        self.assertNotEqual(0, result.code)
        self.assertIn('pull policy is never (container %s)' % app,
                      result.error)
        self.assertIsNone(self.container(app))
        # Present: never runs it without asking the registry.
        self.build_and_push('1')
        result = self.run_hook(self.item(self.config(app), options={
            'pull': 'never'}))
        self.assertEqual(0, result.code, result.error)
        self.assertNotIn('pulled image', result.error)

    def test_unreadable_auth_file_is_a_clear_error(self):
        app = self.name('app')
        result = self.run_hook(self.item(self.config(app, pull='always'),
                                         options={'registry_auth_file':
                                                  '/nonexistent/cfg.json'}))
        self.assertNotEqual(0, result.code)
        self.assertIn('registry_auth_file: cannot read /nonexistent/'
                      'cfg.json', result.error)
        self.assertIsNone(self.container(app))
