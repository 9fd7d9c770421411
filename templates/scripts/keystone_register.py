# Registers a service in Keystone (project "service", user with role
# admin, service, public and internal endpoints) through Keystone's v3 API
# with the standard library only. Idempotent. Run by a one-shot container
# with OS_AUTH_URL, OS_ADMIN_PASSWORD, SERVICE_NAME, SERVICE_TYPE,
# SERVICE_USER, SERVICE_PASSWORD, ENDPOINT_URL, REGION.
import json
import os
import sys
import urllib.error
import urllib.request

env = os.environ
base = env['OS_AUTH_URL'].rstrip('/')
if not base.endswith('/v3'):
    base += '/v3'


def call(method, path, body=None, token=None):
    request = urllib.request.Request(
        base + path, method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={'Content-Type': 'application/json'})
    if token:
        request.add_header('X-Auth-Token', token)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            text = answer.read().decode() or '{}'
            return answer.headers, json.loads(text)
    except urllib.error.HTTPError as exc:
        sys.stderr.write('keystone_register: %s %s: HTTP %s %s\n'
                         % (method, path, exc.code, exc.read()[:300]))
        sys.exit(1)


headers, _ = call('POST', '/auth/tokens', {'auth': {
    'identity': {'methods': ['password'], 'password': {'user': {
        'name': 'admin', 'domain': {'id': 'default'},
        'password': env['OS_ADMIN_PASSWORD']}}},
    'scope': {'project': {'name': 'admin', 'domain': {'id': 'default'}}}}})
token = headers['X-Subject-Token']


def ensure(collection, key, query, body):
    _, found = call('GET', '/%s?%s' % (collection, query), token=token)
    if found[collection]:
        return found[collection][0]
    _, made = call('POST', '/' + collection, {key: body}, token=token)
    return made[key]


project = ensure('projects', 'project', 'name=service',
                 {'name': 'service', 'domain_id': 'default'})
user = ensure('users', 'user', 'name=' + env['SERVICE_USER'],
              {'name': env['SERVICE_USER'], 'domain_id': 'default',
               'password': env['SERVICE_PASSWORD']})
call('PATCH', '/users/' + user['id'],
     {'user': {'password': env['SERVICE_PASSWORD']}}, token=token)
role = ensure('roles', 'role', 'name=admin', {'name': 'admin'})
call('PUT', '/projects/%s/users/%s/roles/%s'
     % (project['id'], user['id'], role['id']), token=token)
service = ensure('services', 'service', 'type=' + env['SERVICE_TYPE'],
                 {'name': env['SERVICE_NAME'], 'type': env['SERVICE_TYPE']})
for interface in ('public', 'internal'):
    _, found = call('GET', '/endpoints?service_id=%s&interface=%s'
                    % (service['id'], interface), token=token)
    body = {'service_id': service['id'], 'interface': interface,
            'url': env['ENDPOINT_URL'], 'region_id': env['REGION']}
    if found['endpoints']:
        call('PATCH', '/endpoints/' + found['endpoints'][0]['id'],
             {'endpoint': body}, token=token)
    else:
        call('POST', '/endpoints', {'endpoint': body}, token=token)
print('registered %s (%s) at %s' % (env['SERVICE_NAME'],
                                    env['SERVICE_TYPE'],
                                    env['ENDPOINT_URL']))
