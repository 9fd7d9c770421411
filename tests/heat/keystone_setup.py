"""What Heat needs in the local Keystone, made after `keystone-manage
bootstrap` (which makes the admin user, project and roles admin/member/
reader, region RegionOne and the identity endpoints).

Run with the Heat virtualenv's Python, a JSON object on stdin:

    {"auth_url": "http://127.0.0.1:K/v3", "admin_password": "...",
     "heat_password": "...", "domain_admin_password": "...",
     "heat_url": "http://127.0.0.1:H/v1/%(tenant_id)s",
     "cfn_url": "http://127.0.0.1:C/v1"}

It makes, as a Heat deployment guide does: the `service` project; the
`heat` service user (role admin in `service`); roles `heat_stack_owner`
(also given to admin in `admin`) and `heat_stack_user` (Heat gives it to
the stack users it creates); the `heat` domain holding the stack users,
with `heat_domain_admin` (role admin on that domain); the services
orchestration (`heat`) and cloudformation (`heat-cfn`) with public,
internal and admin endpoints in RegionOne. Prints a JSON object of the ids
made.
"""

import json
import sys

from keystoneauth1.identity import v3
from keystoneauth1 import session
from keystoneclient.v3 import client

REGION = 'RegionOne'


def _one(found):
    return found[0] if found else None


def main():
    spec = json.load(sys.stdin)
    auth = v3.Password(auth_url=spec['auth_url'], username='admin',
                       password=spec['admin_password'],
                       user_domain_id='default', project_name='admin',
                       project_domain_id='default')
    ks = client.Client(session=session.Session(auth=auth))
    # Idempotent: a kept state directory (tools/heat-local --state-dir)
    # starts again on the same database, with new passwords and ports.
    roles = {r.name: r for r in ks.roles.list()}
    for name in ('heat_stack_owner', 'heat_stack_user'):
        if name not in roles:
            roles[name] = ks.roles.create(name)
    admin_user = ks.users.find(name='admin', domain='default')
    admin_project = ks.projects.find(name='admin', domain='default')
    ks.roles.grant(roles['heat_stack_owner'], user=admin_user,
                   project=admin_project)

    service_project = _one(ks.projects.list(
        name='service', domain='default')) or ks.projects.create(
            'service', 'default')
    heat_user = _user(ks, 'heat', 'default', spec['heat_password'])
    ks.roles.grant(roles['admin'], user=heat_user, project=service_project)

    stack_domain = _one(ks.domains.list(name='heat')) or ks.domains.create(
        'heat', description='Heat stack users')
    domain_admin = _user(ks, 'heat_domain_admin', stack_domain,
                         spec['domain_admin_password'])
    ks.roles.grant(roles['admin'], user=domain_admin, domain=stack_domain)

    for name, kind, url in (('heat', 'orchestration', spec['heat_url']),
                            ('heat-cfn', 'cloudformation', spec['cfn_url'])):
        service = _one(ks.services.list(type=kind)) or ks.services.create(
            name, type=kind)
        for old in ks.endpoints.list(service=service):
            ks.endpoints.delete(old)
        for interface in ('public', 'internal', 'admin'):
            ks.endpoints.create(service, url, interface=interface,
                                region=REGION)
    json.dump({'admin_project_id': admin_project.id,
               'service_project_id': service_project.id,
               'heat_user_id': heat_user.id,
               'stack_domain_id': stack_domain.id}, sys.stdout)


def _user(ks, name, domain, password):
    user = _one(ks.users.list(name=name, domain=domain))
    if user is None:
        return ks.users.create(name, domain=domain, password=password)
    return ks.users.update(user, password=password)


if __name__ == '__main__':
    main()
