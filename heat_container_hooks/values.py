"""Readers for the loosely typed values Heat templates carry (durations,
booleans, string-or-list), each reporting a Problem instead of raising."""

import re
import shlex

from heat_container_hooks.deployment import json_type

_DURATION_RE = re.compile(r'(\d+(?:\.\d+)?)(us|ms|s|m|h)')
_UNIT_SECONDS = {'us': 1e-6, 'ms': 1e-3, 's': 1.0, 'm': 60.0, 'h': 3600.0}


class Invalid(ValueError):
    """A value of the wrong shape; its text says what was expected."""


def duration(value):
    """Seconds from a number or a Go/Compose duration ("1m30s", "500ms")."""
    if isinstance(value, bool):
        raise Invalid('must be a number of seconds or a duration like 1m30s')
    if isinstance(value, (int, float)):
        if value < 0:
            raise Invalid('must not be negative')
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r'\d+(\.\d+)?', text):
            return float(text)
        if text and _DURATION_RE.sub('', text) == '':
            return sum(float(n) * _UNIT_SECONDS[u]
                       for n, u in _DURATION_RE.findall(text))
    raise Invalid('is %r, not a number of seconds or a duration like 1m30s'
                  % (value,))


def whole_seconds(value):
    """A duration rounded up to whole seconds (Docker's stop timeout)."""
    seconds = duration(value)
    whole = int(seconds)
    return whole if whole == seconds else whole + 1


def boolean(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in (
            'true', 'yes', 'on', '1', 'false', 'no', 'off', '0'):
        return value.strip().lower() in ('true', 'yes', 'on', '1')
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise Invalid('is %r, not true or false' % (value,))


def integer(value, minimum=None):
    if isinstance(value, bool):
        raise Invalid('is a boolean, not a whole number')
    if isinstance(value, str) and re.fullmatch(r'\s*-?\d+\s*', value):
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise Invalid('is %r, not a whole number' % (value,))
    if minimum is not None and value < minimum:
        raise Invalid('must be at least %d' % minimum)
    return value


def text(value):
    """A scalar as text: numbers are accepted, structures are not."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise Invalid('is a boolean, not a string')
    if isinstance(value, (int, float)):
        return str(value)
    raise Invalid('is a %s, not a string' % json_type(value))


def image_reference(value):
    """An image reference (repo/name:tag, name@digest): one word that no
    tool can take for an option."""
    ref = text(value)
    if not ref or ref.startswith('-') or any(
            c.isspace() or ord(c) < 32 or c == '\x7f' for c in ref):
        raise Invalid('is %r, not an image reference like repo/name:tag'
                      % (ref if len(ref) <= 100 else ref[:100] + '...',))
    return ref


def text_list(value, split_string=False):
    """A list of strings; a single string becomes one item (or, with
    split_string, is split with shell rules)."""
    if isinstance(value, str):
        return tuple(shlex.split(value)) if split_string else (value,)
    if not isinstance(value, list):
        raise Invalid('is a %s, not a list of strings' % json_type(value))
    items = []
    for index, item in enumerate(value):
        try:
            items.append(text(item))
        except Invalid as exc:
            raise Invalid('item %d %s' % (index, exc))
    return tuple(items)


def words(value):
    """A command as a list of argv items; a string is split on whitespace
    and quotes mean nothing, exactly as heat-agents' docker-cmd hook and
    paunch do (Python's ``str.split()``). TripleO relies on it:
    ``bootstrap_host_exec NAME su x -c 'tool args'`` hands the quote
    characters to a script that re-reads them with ``eval $*``.
    The list form is the way to pass an argument holding spaces."""
    if isinstance(value, str):
        return tuple(value.split())
    return text_list(value)


def items(value):
    """A string-or-list of strings, as paunch reads its list keys: empty
    items (``""`` and the null a Heat ``if:`` leaves) are skipped and
    repeated items kept once, in first-seen order, as the docker CLI does
    with repeated flags."""
    if isinstance(value, list):
        value = [item for item in value if item not in (None, '')]
    elif value == '':
        return ()
    return tuple(dict.fromkeys(text_list(value)))


def command(value):
    """A command as a list of argv items; a string is split with shell
    rules (quotes kept together), as docker-compose does."""
    if isinstance(value, str):
        try:
            return tuple(shlex.split(value))
        except ValueError as exc:
            raise Invalid('cannot be split into arguments (%s)' % exc)
    return text_list(value)


PULL_POLICIES = ('missing', 'always', 'never')


def pull_policy(value):
    """A pull policy: missing, always or never (see registry)."""
    policy = text(value)
    if policy not in PULL_POLICIES:
        raise Invalid('is %r, not one of %s'
                      % (policy, ', '.join(PULL_POLICIES)))
    return policy


ENGINES = ('docker', 'podman')


def engine(value):
    """A container engine of the docker-cmd group: docker or podman."""
    name = text(value).strip().lower()
    if name not in ENGINES:
        raise Invalid('is %r, not one of %s' % (value, ', '.join(ENGINES)))
    return name


def env_value(value):
    """An environment value: null means pass-through; "" and 0 are values."""
    if value is None:
        return None
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value
    raise Invalid('is a %s, not a string, number or boolean'
                  % json_type(value))
