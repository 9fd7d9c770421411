"""Asking a real Keystone for a token, as the overcloud checks do."""

import json
import urllib.request


def admin_token(keystone_url, password, timeout=60):
    """An admin token scoped to the admin project, from the Keystone at
    ``keystone_url`` (its root, e.g. http://host:5000): (HTTP status, the
    X-Subject-Token header, the token body)."""
    body = {'auth': {
        'identity': {'methods': ['password'], 'password': {'user': {
            'name': 'admin', 'domain': {'id': 'default'},
            'password': password}}},
        'scope': {'project': {'name': 'admin',
                              'domain': {'id': 'default'}}}}}
    request = urllib.request.Request(
        keystone_url.rstrip('/') + '/v3/auth/tokens',
        data=json.dumps(body).encode(),
        headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return (response.status, response.headers.get('X-Subject-Token'),
                json.load(response)['token'])
