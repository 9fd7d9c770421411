"""The env-file dialect (Compose v2's), as a table.

Each row: a file, the hook's environment, and what a container gets from
it: a mapping, or ERROR where Compose refuses the file. The rows are drawn
from Compose's documented env-file rules and Docker's examples, and were
measured on Compose v2.40.3; tests/functional/test_env_file_dialect.py
checks every row against the real binary on the engine.
"""

import testtools

from heat_container_hooks import envfile
from heat_container_hooks import environment

ERROR = 'error'
HOST = {'HOSTVAR': 'fromhost', 'A': 'hostA'}

CASES = [
    # name, file text, expected environment
    ('plain', 'A=1\nB=two words\n', {'A': '1', 'B': 'two words'}),
    ('bom', '\ufeffNAME=1\nX=2\n', {'NAME': '1', 'X': '2'}),
    ('bom not at start', 'A=1\n\ufeffB=2\n', ERROR),
    ('export', 'export KEY=v\nexport   K2=6\n', {'KEY': 'v', 'K2': '6'}),
    ('export is only a prefix with a space', 'exportFOO=2\nexport=1\n',
     {'exportFOO': '2', 'export': '1'}),
    ('comments and blank lines', '# c\n\n   # indented\nA=1\n\n',
     {'A': '1'}),
    ('empty values', 'E=\nF=""\nG=\'\'\n', {'E': '', 'F': '', 'G': ''}),
    ('inline comment after a space', 'J=value # comment\nL=val#ue\n'
     'T=a\t#b\nH=#start\nI= #c\n',
     {'J': 'value', 'L': 'val#ue', 'T': 'a\t#b', 'H': '#start',
      'I': '#c'}),
    ('spaces trimmed', 'M=  spaced  \n S = 5\n', {'M': 'spaced', 'S': '5'}),
    ('yaml-style colon', 'T: yaml style\nB :  2\n',
     {'T': 'yaml style', 'B': '2'}),
    ('equals in value', 'R=a=b\nQ="a=b"\n', {'R': 'a=b', 'Q': 'a=b'}),
    ('double quotes and escapes',
     'F="quoted value"\nH="a\\nb"\nQ="esc \\"q\\""\nX="t\\tb\\\\c\\$d"\n'
     'U="\\x41\\u00e9"\n',
     {'F': 'quoted value', 'H': 'a\nb', 'Q': 'esc "q"', 'X': 't\tb\\c$d',
      'U': '\\x41\\u00e9'}),
    ('single quotes are literal',
     "G='single $HOSTVAR'\nI='a\\nb'\nC='it\\'s'\nD='a\\\\b'\n",
     {'G': 'single $HOSTVAR', 'I': 'a\\nb', 'C': "it's", 'D': 'a\\\\b'}),
    ('quoted values span lines', 'N="multi\nline"\nS=\'x\ny\'\n',
     {'N': 'multi\nline', 'S': 'x\ny'}),
    ('after a closing quote', 'AA=\'x\' # c\nAB="x" # c\nAC="  y  "\n',
     {'AA': 'x', 'AB': 'x', 'AC': '  y  '}),
    ('unquoted: no escapes', 'W=a\\tb\nU=a\\\\b\n',
     {'W': 'a\\tb', 'U': 'a\\\\b'}),
    ('crlf', 'A=1\r\nB="x"\r\n#c\r\n', {'A': '1', 'B': 'x'}),
    ('bare name takes the hook\'s value', 'HOSTVAR\nexport NOPE\n',
     {'HOSTVAR': 'fromhost'}),
    ('interpolation', 'X=1\nO=${X}\nP=$NOPE\nY=${NOPE:-def}\nZ=$$X\n'
     'W=$X$X\nU=pre${X}post\nT=${X:+alt}\nV=${NOPE-d2}\n'
     'N=${NOPE:-${X:-x}}\n',
     {'X': '1', 'O': '1', 'P': '', 'Y': 'def', 'Z': '$X', 'W': '11',
      'U': 'pre1post', 'T': 'alt', 'V': 'd2', 'N': '1'}),
    ('the hook\'s environment first', 'A=1\nB=${A}\n',
     {'A': '1', 'B': 'hostA'}),
    ('empty vs unset', 'K=\nL=${K:-d}\nM=${K-d}\n',
     {'K': '', 'L': 'd', 'M': ''}),
    ('dollar without a name', 'A=$\nB=$1\nC=a$\nE=$NOPE.x\n',
     {'A': '$', 'B': '$1', 'C': 'a$', 'E': '.x'}),
    ('later wins', 'D=1\nD=2\nE=${D}\n', {'D': '2', 'E': '2'}),
    ('names', 'A.B=1\n_C=2\n1D=3\nA-B=4\n',
     {'A.B': '1', '_C': '2', '1D': '3', 'A-B': '4'}),
    ('space in a name', 'A B=1\n', ERROR),
    ('bad character in a name', 'A$B=1\n', ERROR),
    ('unterminated quote', 'A="abc\nB=1\n', ERROR),
    ('required variable', 'A=${NOPE:?must be set}\n', ERROR),
    ('json', 'A={"a": 1}\n', {'A': '{"a": 1}'}),
]


def resolved(text, host=HOST):
    """What a container gets: later names win, bare names the hook lacks
    are left out."""
    return {name: value for name, value in envfile.parse(text, host.get)
            if value is not None}


class DialectTableTest(testtools.TestCase):

    def test_table(self):
        for name, text, expected in CASES:
            if expected == ERROR:
                self.assertRaises(envfile.EnvFileError, envfile.parse,
                                  text, HOST.get)
                continue
            self.assertEqual(expected, resolved(text), name)

    def test_errors_name_the_line(self):
        exc = self.assertRaises(envfile.EnvFileError, envfile.parse,
                                '# c\nA=1\n\nB="open\n')
        self.assertIn('line 4', str(exc))

    def test_tolerant_reader_keeps_what_came_before(self):
        self.assertEqual([('A', '1')],
                         environment.parse_env_file('A=1\nB="open\n'))
