import testtools

from heat_container_hooks import cleanup
from heat_container_hooks import deployment
from heat_container_hooks import labels
from heat_container_hooks.observed import ObservedContainer
from tests.unit import test_container_group


def item(group, stack, resource='r', config_id='c'):
    return {'id': config_id, 'group': group, 'inputs': [
        {'name': 'deploy_stack_id', 'value': stack},
        {'name': 'deploy_resource_name', 'value': resource}]}


class CurrentOwnersTest(testtools.TestCase):

    items = [item('docker-cmd', 's/1'), item('docker-compose', 's/2'),
             {'broken': True}, 'not even a mapping']

    def test_own_group_only_by_default(self):
        keys, ids = cleanup.current_owners('docker-cmd', self.items,
                                           test_container_group.make_conf())
        self.assertEqual({'s/1/r'}, keys)

    def test_every_group_when_managed_by_is_shared(self):
        conf = test_container_group.make_conf()
        conf.set_override('managed_by', 'tripleo')
        keys, _ = cleanup.current_owners('docker-cmd', self.items, conf)
        self.assertEqual({'s/1/r', 's/2/r'}, keys)


class StaleTest(testtools.TestCase):

    def container(self, managed_by, owner=None, config_id='c'):
        found = {labels.MANAGED_BY: managed_by, labels.CONFIG_ID: config_id}
        if owner:
            found[labels.OWNER] = owner
        return ObservedContainer(id=owner or config_id, name='n',
                                 state='running', labels=found)

    def test_rules(self):
        observed = [self.container('docker-cmd', 's/1/r'),
                    self.container('docker-cmd', 's/9/r'),
                    self.container('someone-else', 's/9/r'),
                    self.container('docker-cmd', config_id='old-upstream'),
                    self.container('docker-cmd', config_id='c')]
        gone = cleanup.stale(observed, 'docker-cmd', {'s/1/r'}, {'c'})
        self.assertEqual(['s/9/r', 'old-upstream'], [c.id for c in gone])
        self.assertIsInstance(deployment.Owner('a', 'b'), deployment.Owner)
