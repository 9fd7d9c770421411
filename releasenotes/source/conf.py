# Sphinx configuration of the release notes (tox -e releasenotes): reno
# reads releasenotes/notes/*.yaml from the git history (see
# doc/contributing.md) and renders them by version.

project = 'heat-container-hooks Release Notes'
copyright = 'heat-container-hooks developers'

extensions = ['reno.sphinxext']

root_doc = 'index'
exclude_patterns = ['build']
html_theme = 'alabaster'
html_static_path = ['_static']


def _unreleased_title(app, doctree):
    """reno titles the notes of a repository that has no tag yet "0.0.0"
    (and pbr would build 0.0.1.devN): call them what they are."""
    from docutils import nodes
    for title in doctree.findall(nodes.title):
        if title.astext() == '0.0.0':
            title.children = [nodes.Text('Not released yet')]


def setup(app):
    app.connect('doctree-read', _unreleased_title)
