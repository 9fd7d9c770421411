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
