"""Telling Heat how a deployment went, by the transport Heat gave it
(deploy_signal_transport): CFN_SIGNAL (POST to deploy_signal_id),
TEMP_URL_SIGNAL (PUT), HEAT_SIGNAL (python-heatclient resources.signal
with the deploy_* Keystone credentials), ZAQAR_SIGNAL (when zaqarclient is
importable), NO_SIGNAL (nothing). With [agent] signal_mode =
deployments-api, signalled deployments are completed through the Heat API
the agent collects from instead (software_deployments.update).

Connection errors and 5xx answers are retried with exponential backoff;
4xx is an error at once (PermanentSignalError). Replies larger than
max_signal_bytes are trimmed (reply.trim, the hooks' own: the longest
outputs from the front).
"""

import json
import time

from oslo_log import log as logging

from heat_container_hooks.agent import opts as opts_mod
from heat_container_hooks import reply as reply_mod

LOG = logging.getLogger(__name__)

TRIM_MARK = '[heat-container-agent: %d characters trimmed]\n'


class SignalError(Exception):
    """The signal did not go out (retried; may work later)."""


class PermanentSignalError(SignalError):
    """Heat refused the signal (4xx): sending it again will not help."""


def trim(reply, limit):
    """reply_mod.trim with the agent's marker."""
    return reply_mod.trim(reply, limit, TRIM_MARK)


def inputs_of(item):
    return {i.get('name'): i.get('value') for i in item.get('inputs') or []}


def transport_of(item):
    values = inputs_of(item)
    transport = values.get('deploy_signal_transport')
    if transport:
        return transport
    # Older items carry no transport: infer it as heat-config-notify does.
    if values.get('deploy_signal_id'):
        return 'TEMP_URL_SIGNAL' if values.get('deploy_signal_verb') == \
            'PUT' else 'CFN_SIGNAL'
    if values.get('deploy_queue_id'):
        return 'ZAQAR_SIGNAL'
    if values.get('deploy_auth_url'):
        return 'HEAT_SIGNAL'
    return 'NO_SIGNAL'


def heat_status(item, reply):
    """(status, reason) as Heat derives them from a signal."""
    code = reply.get('deploy_status_code')
    if code and str(code) != '0':
        return 'FAILED', ('deploy_status_code : Deployment exited with '
                          'non-zero status code: %s' % code)
    for output in item.get('outputs') or []:
        if output.get('error_output') and reply.get(output.get('name')):
            return 'FAILED', 'Error: %s' % reply[output['name']]
    return 'COMPLETE', 'Outputs received'


REASON_STDERR_CHARS = 1000


def failure_reason(reason, reply):
    """reason, then the start of deploy_stderr (where the hooks put what
    failed and the fix), at most REASON_STDERR_CHARS of it."""
    stderr = (reply.get('deploy_stderr') or '').strip()
    if not stderr:
        return reason
    return '%s\n%s' % (reason, stderr[:REASON_STDERR_CHARS])


class Signaller:

    def __init__(self, conf, heat=None, sleep=time.sleep):
        opts_mod.register_keystone_opts(conf)
        self.conf = conf
        self.agent = conf.agent
        self.heat = heat            # the collecting Heat client, if any
        self.sleep = sleep

    def send(self, item, reply):
        """Signal ``reply`` for ``item``; returns a description of what
        was done. Raises SignalError / PermanentSignalError."""
        transport = transport_of(item)
        if transport == 'NO_SIGNAL':
            return 'NO_SIGNAL: nothing sent'
        reply, cut = trim(reply, self.agent.max_signal_bytes)
        if cut:
            LOG.warning('reply of %s trimmed by %d characters to fit in %d '
                        'bytes', item.get('name'), cut,
                        self.agent.max_signal_bytes)
        if self.agent.signal_mode == 'deployments-api':
            return self._retrying(self._deployments_api, item, reply)
        method = {'CFN_SIGNAL': self._http, 'TEMP_URL_SIGNAL': self._http,
                  'HEAT_SIGNAL': self._heat_signal,
                  'ZAQAR_SIGNAL': self._zaqar}.get(transport)
        if method is None:
            raise PermanentSignalError(
                'unknown deploy_signal_transport %r (fix: use one of '
                'CFN_SIGNAL, TEMP_URL_SIGNAL, HEAT_SIGNAL, ZAQAR_SIGNAL, '
                'NO_SIGNAL)' % transport)
        return self._retrying(method, item, reply)

    def _retrying(self, method, item, reply):
        delay = self.agent.signal_backoff
        attempt = 0
        while True:
            try:
                return method(item, reply)
            except PermanentSignalError:
                raise
            except SignalError as exc:
                if attempt >= self.agent.signal_retries:
                    raise SignalError('%s (gave up after %d attempts)'
                                      % (exc, attempt + 1))
                LOG.warning('signal of %s failed (%s); retry in %gs',
                            item.get('name'), exc, delay)
                self.sleep(delay)
                attempt += 1
                delay = min(delay * 2 or 0.1, self.agent.signal_backoff_max)

    def _tls(self, **kwargs):
        """A keystoneauth1 session (no auth) built from the [agent] session
        options: its ``verify`` and ``cert`` are the TLS settings of every
        request, as keystoneauth reads cafile, certfile, keyfile and
        insecure."""
        from keystoneauth1 import loading as ks_loading
        return ks_loading.load_session_from_conf_options(
            self.conf, 'agent', **kwargs)

    def _http(self, item, reply):
        import requests
        values = inputs_of(item)
        url = values.get('deploy_signal_id')
        if not url:
            raise PermanentSignalError(
                'no deploy_signal_id input for %s (fix: Heat adds it for '
                'CFN_SIGNAL and TEMP_URL_SIGNAL deployments)'
                % transport_of(item))
        verb = values.get('deploy_signal_verb') or 'POST'
        tls = self._tls()
        try:
            answer = requests.request(
                verb, url, data=json.dumps(reply),
                headers={'Content-Type': 'application/json'},
                timeout=self.agent.signal_timeout, verify=tls.verify,
                cert=tls.cert)
        except requests.RequestException as exc:
            raise SignalError('%s %s: %s' % (verb, _safe_url(url),
                                             type(exc).__name__))
        if 400 <= answer.status_code < 500:
            raise PermanentSignalError(
                '%s %s answered %d %s' % (verb, _safe_url(url),
                                          answer.status_code, answer.reason))
        if answer.status_code >= 300:
            raise SignalError('%s %s answered %d' % (
                verb, _safe_url(url), answer.status_code))
        return '%s %s: %d' % (verb, _safe_url(url), answer.status_code)

    def _keystone_session(self, values):
        from keystoneauth1.identity import v3
        missing = [n for n in ('deploy_auth_url', 'deploy_password')
                   if not values.get(n)]
        if missing:
            raise PermanentSignalError(
                'missing input(s) %s for %s (fix: Heat adds them for '
                'HEAT_SIGNAL/ZAQAR_SIGNAL deployments)'
                % (', '.join(missing), values.get('deploy_signal_transport')))
        auth = v3.Password(auth_url=values['deploy_auth_url'],
                           user_id=values.get('deploy_user_id'),
                           password=values['deploy_password'],
                           project_id=values.get('deploy_project_id'))
        return self._tls(auth=auth, timeout=self.agent.signal_timeout)

    def _heat_signal(self, item, reply):
        from heatclient import client as heat_client
        values = inputs_of(item)
        with _client_errors('HEAT_SIGNAL'):
            sess = self._keystone_session(values)
            heat = heat_client.Client(
                '1', session=sess, service_type='orchestration',
                interface=self.agent.interface,
                region_name=values.get('deploy_region_name'))
            heat.resources.signal(values.get('deploy_stack_id'),
                                  values.get('deploy_resource_name'),
                                  data=reply)
        return 'HEAT_SIGNAL %s/%s' % (values.get('deploy_stack_id'),
                                      values.get('deploy_resource_name'))

    def _zaqar(self, item, reply):
        try:
            from zaqarclient.queues.v2 import client as zaqar_client
        except ImportError:
            raise PermanentSignalError(
                'ZAQAR_SIGNAL needs python-zaqarclient (fix: pip install '
                'python-zaqarclient in the agent\'s environment)')
        values = inputs_of(item)
        with _client_errors('ZAQAR_SIGNAL'):
            sess = self._keystone_session(values)
            endpoint = sess.get_endpoint(
                service_type='messaging', interface=self.agent.interface,
                region_name=values.get('deploy_region_name'))
            conf = {'auth_opts': {'backend': 'keystone', 'options': {
                'os_auth_token': sess.get_token(),
                'os_project_id': values.get('deploy_project_id')}}}
            queue = zaqar_client.Client(endpoint, conf=conf).queue(
                values.get('deploy_queue_id'))
            queue.post({'body': reply, 'ttl': 600})
        return 'ZAQAR_SIGNAL queue %s' % values.get('deploy_queue_id')

    def _deployments_api(self, item, reply):
        if self.heat is None:
            raise PermanentSignalError(
                'signal_mode = deployments-api needs the agent to talk to '
                'Heat (fix: set [agent] heat_url and heat_token, or the '
                'Keystone options)')
        values = inputs_of(item)
        server = self.agent.server_id or values.get('deploy_server_id')
        status, reason = heat_status(item, reply)
        if status == 'FAILED':
            # Heat builds a signal's reason from the status code alone;
            # here the agent writes it, so the failure itself (the first
            # lines of deploy_stderr) reaches the stack's reason.
            reason = failure_reason(reason, reply)
        with _client_errors('software_deployments.update'):
            found = [d for d in self.heat.software_deployments.list(
                server_id=server) if d.config_id == item.get('id')]
            if not found:
                raise PermanentSignalError(
                    'no software deployment of server %s has config %s '
                    '(it was deleted or replaced)' % (server, item.get('id')))
            self.heat.software_deployments.update(
                found[0].id, status=status, output_values=reply,
                status_reason=reason)
        return 'deployments-api %s %s' % (found[0].id, status)


def _safe_url(url):
    """The URL without its query (TempURL signatures, CFN signatures)."""
    return url.split('?', 1)[0]


class _client_errors:
    """heatclient / keystoneauth errors as Signal errors: 4xx permanent,
    everything else transient."""

    def __init__(self, what):
        self.what = what

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if exc is None or isinstance(exc, SignalError):
            return False
        if not isinstance(exc, Exception):
            return False
        code = getattr(exc, 'code', None) or getattr(exc, 'http_status',
                                                     None)
        message = '%s: %s: %s' % (self.what, type(exc).__name__, exc)
        if isinstance(code, int) and 400 <= code < 500:
            raise PermanentSignalError(message) from None
        raise SignalError(message) from None
