"""Env files in the one dialect every group reads: Compose v2's
(compose-go's ``dotenv`` package, as ``docker compose`` 2.40 reads an
``env_file``). The rules, checked against the real binary by
tests/functional/test_env_file_dialect.py:

- a UTF-8 byte order mark at the start is dropped; blank lines and lines
  starting with ``#`` are skipped; ``\\r`` counts as a space;
- ``export NAME=value`` is ``NAME=value``; ``NAME: value`` is accepted too;
  a name is letters, digits, ``_ . - [ ]``; spaces around it are dropped;
- a line holding only ``NAME`` takes the value of the hook's own
  environment, and is left out when it has none (returned as None);
- unquoted values end at the end of the line or at `` #`` (a space, then
  ``#``), trailing spaces trimmed, no escapes;
- ``'single quotes'`` are literal (``\\'`` is a quote) and may span lines;
- ``"double quotes"`` may span lines and understand ``\\n \\r \\t \\\\ \\"
  \\$`` and the other Go escapes (``\\a \\b \\f \\v``, ``\\0NNN`` octal);
- anything after a closing quote on its line starts a new statement
  (``# comment`` is one);
- unquoted and double-quoted values are interpolated as Compose does:
  ``$NAME``, ``${NAME}``, ``${NAME:-default}``, ``${NAME-default}``,
  ``${NAME:+alt}``, ``${NAME+alt}``, ``${NAME:?error}``, ``${NAME?error}``,
  ``$$`` for a literal ``$``; a name is looked up in the hook's environment
  first, then among the file's earlier variables; an unknown one is empty.

Docker's own ``--env-file`` reads values literally; Compose's dialect is
the one kept, so that one file means the same in every group.
"""

import re

_ESCAPES = {'a': '\a', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r',
            't': '\t', 'v': '\v', '"': '"', '\\': '\\', '$': '$$'}
_ESCAPE_RE = re.compile(r'\\([abfnrtv"\\$]|0\d{0,3})')
_SPACE = '\t\v\f\r \x85\xa0'
_NAME_RE = re.compile(r'[_a-z][_a-z0-9]*', re.IGNORECASE)
_BRACED_OPS = (':?', '?', ':-', '-', ':+', '+')


class EnvFileError(ValueError):
    """A file Compose would refuse; the text names the line and why."""


def parse(text, lookup=None, pairs=None):
    """[(name, value or None)] in file order (a later name wins when made
    into a mapping). ``lookup(name)`` gives the hook's own value or None.
    Raises EnvFileError where Compose v2 refuses the file; ``pairs``, if
    given, is the list the pairs are appended to (it keeps those read
    before the fault)."""
    lookup = lookup or (lambda name: None)
    if text.startswith('\ufeff'):
        text = text[1:]
    pairs = [] if pairs is None else pairs
    known = {}
    rest, line = text, 1
    while True:
        stripped = rest.lstrip()
        line += rest[:len(rest) - len(stripped)].count('\n')
        rest = stripped
        if not rest:
            return pairs
        if rest[0] == '#':
            end = rest.find('\n')
            if end < 0:
                return pairs
            rest = rest[end:]
            continue
        name, rest, inherited = _key(rest, line)
        if inherited:
            line += 1
            pairs.append((name, lookup(name)))
            continue
        value, rest, used = _value(rest, line, known, lookup)
        line += used
        known[name] = value
        pairs.append((name, value))


def _key(src, line):
    if re.match(r'export[%s]' % _SPACE, src):
        src = src[len('export'):].lstrip(_SPACE)
    for index, char in enumerate(src):
        if char in _SPACE:
            continue
        if char in '=:\n':
            key = src[:index].rstrip()
            if ' ' in key or not key:
                raise EnvFileError('line %d: %s' % (line, 'a name cannot '
                                   'hold a space' if key else 'no name'))
            return key, src[index + 1:].lstrip(_SPACE), char == '\n'
        if not (char.isalnum() or char in '_.-[]'):
            raise EnvFileError('line %d: unexpected character %r in the '
                               'name %r' % (line, char,
                                            src.split('\n')[0]))
    key = src.rstrip()            # a bare name on the last line
    if ' ' in key:
        raise EnvFileError('line %d: a name cannot hold a space' % line)
    return key, '', True


def _value(src, line, known, lookup):
    """(value, rest, lines used)."""
    if not src or src[0] not in '"\'':
        value, newline, rest = src.partition('\n')
        value = value.split(' #', 1)[0].rstrip()
        return (_interpolate(value, known, lookup, line), rest,
                1 if newline else 0)
    quote, chars, escaped = src[0], [], False
    for index in range(1, len(src)):
        char = src[index]
        if char != quote:
            if not escaped and char == '\\':
                escaped = True
                continue
            if escaped:
                escaped = False
                chars.append('\\')
            chars.append(char)
            continue
        if escaped:
            escaped = False
            chars.append(char)
            continue
        value = ''.join(chars)
        if quote == '"':
            value = _interpolate(_unescape(value), known, lookup, line)
        return value, src[index + 1:], src[:index].count('\n')
    raise EnvFileError('line %d: unterminated quoted value %s'
                       % (line, src.split('\n')[0]))


def _unescape(value):
    def one(match):
        code = match.group(1)
        if code[0] != '0':
            return _ESCAPES[code]
        digits = code[1:]       # \0NNN: exactly three octal digits
        if len(digits) == 3 and set(digits) <= set('01234567') \
                and int(digits, 8) < 256:
            return chr(int(digits, 8))
        return match.group(0)
    return _ESCAPE_RE.sub(one, value)


def _interpolate(value, known, lookup, line):
    def mapping(name):
        found = lookup(name)
        if found is None:
            found = known.get(name)
        return found
    try:
        return substitute(value, mapping)
    except EnvFileError as exc:
        raise EnvFileError('line %d: %s' % (line, exc))


def substitute(template, mapping):
    """Compose's interpolation of ``template``; ``mapping(name)`` gives a
    value or None for an unset name. Raises EnvFileError for a required
    variable that is missing or a ``${`` that is not closed."""
    out, index = [], 0
    while True:
        dollar = template.find('$', index)
        if dollar < 0 or dollar == len(template) - 1:
            out.append(template[index:])
            return ''.join(out)
        out.append(template[index:dollar])
        following = template[dollar + 1]
        if following == '$':
            out.append('$')
            index = dollar + 2
            continue
        if following == '{':
            close = _closing_brace(template, dollar + 1)
            if close < 0:
                raise EnvFileError('invalid interpolation format for %r'
                                   % template)
            out.append(_braced(template[dollar + 2:close], mapping,
                               template))
            index = close + 1
            continue
        named = _NAME_RE.match(template, dollar + 1)
        if named is None:
            out.append('$')
            index = dollar + 1
            continue
        out.append(mapping(named.group()) or '')
        index = named.end()


def _closing_brace(text, opening):
    depth = 0
    index = opening
    while index < len(text):
        if text[index] == '}':
            depth -= 1
            if depth == 0:
                return index
        if text[index] == '{':
            depth += 1
            index += 1
        index += 1
    return -1


def _braced(body, mapping, template):
    named = _NAME_RE.match(body)
    if named is None:
        raise EnvFileError('invalid interpolation format for %r' % template)
    name, tail = named.group(), body[named.end():]
    if not tail:
        return mapping(name) or ''
    op = next((o for o in _BRACED_OPS if tail.startswith(o)), None)
    if op is None:
        raise EnvFileError('invalid interpolation format for %r' % template)
    argument = tail[len(op):]
    value = mapping(name)
    present = value is not None and (':' not in op or value != '')
    if op.endswith('?'):
        if not present:
            raise EnvFileError('required variable %s is missing a value: %s'
                               % (name, substitute(argument, mapping)))
        return value
    if op.endswith('-'):
        return value if present else substitute(argument, mapping)
    return substitute(argument, mapping) if present else (value or '')
