import base64
import json
import os

import fixtures
import testtools

from heat_container_hooks import errors
from heat_container_hooks import registry
from heat_container_hooks import spec as spec_mod


def spec(name, image='img:1', pull=None, action=spec_mod.RUN):
    return spec_mod.ContainerSpec(name=name, image=image, pull=pull,
                                  action=action)


class PullPlanTest(testtools.TestCase):

    def test_default_and_own_policies(self):
        found = registry.needs([spec('a'), spec('b', 'other:1', 'never'),
                                spec('x', None, action=spec_mod.EXEC)],
                               default='always')
        self.assertEqual({'img:1': 'always', 'other:1': 'never'},
                         {r: n.policy for r, n in found.items()})

    def test_shared_image_takes_the_strongest(self):
        found = registry.needs([spec('a', pull='never'),
                                spec('b', pull='missing')])
        self.assertEqual('missing', found['img:1'].policy)
        self.assertEqual(('a', 'b'), found['img:1'].containers)

    def test_to_pull(self):
        table = [
            ('missing', {}, ['img:1'], 0),
            ('missing', {'img:1': 'sha'}, [], 0),
            ('always', {'img:1': 'sha'}, ['img:1'], 0),
            ('always', {}, ['img:1'], 0),
            ('never', {'img:1': 'sha'}, [], 0),
            ('never', {}, [], 1),
        ]
        for policy, present, pulls, problems in table:
            found = registry.to_pull(
                registry.needs([spec('a', pull=policy)]), present)
            self.assertEqual((pulls, problems), (found[0], len(found[1])),
                             (policy, present))
        _, problems = registry.to_pull(
            registry.needs([spec('web', pull='never')]), {})
        self.assertIn('container web', problems[0])
        self.assertIn('pull: missing', problems[0])


class CredentialsTest(testtools.TestCase):

    def write(self, data):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'config.json')
        with open(path, 'w') as handle:
            handle.write(data if isinstance(data, str) else json.dumps(data))
        return path

    def test_auth_for_the_image_registry(self):
        token = base64.b64encode(b'user:s3cret').decode()
        creds = registry.load_credentials(self.write(
            {'auths': {'127.0.0.1:5000': {'auth': token}}}))
        found = creds.for_image('127.0.0.1:5000/team/app:1')
        self.assertEqual(('user', 's3cret'),
                         (found['username'], found['password']))
        self.assertIsNone(creds.for_image('quay.io/x/app:1'))
        self.assertIsNone(registry.load_credentials(None).for_image('a'))

    def test_bad_files_name_the_field_never_the_content(self):
        for data in ('{"auths": [] , "x": "s3cret"}', 's3cret not json'):
            exc = self.assertRaises(errors.HookError,
                                    registry.load_credentials,
                                    self.write(data),
                                    'options.registry_auth_file')
            self.assertIn('options.registry_auth_file', str(exc))
            self.assertNotIn('s3cret', str(exc))
        exc = self.assertRaises(errors.HookError, registry.load_credentials,
                                '/nonexistent/config.json')
        self.assertIn('cannot read', str(exc))
