# Sphinx configuration of the docs (tox -e docs): the Markdown pages in
# this directory stay the source (they read as they are on GitHub); the
# configuration reference and the commands' usage are generated from the
# code (oslo.config's Sphinx extensions, the console scripts' argparse
# parsers).

project = 'heat-container-hooks'
copyright = 'heat-container-hooks developers'

extensions = [
    'myst_parser',
    'oslo_config.sphinxext',
    'oslo_config.sphinxconfiggen',
    'sphinxcontrib.autoprogram',
]

source_suffix = {'.rst': 'restructuredtext', '.md': 'markdown'}
root_doc = 'index'
exclude_patterns = ['build', 'requirements.txt']

# The pages are written for GitHub, where a heading may skip a level (an
# H3 under the H1); Sphinx builds them as they are.
suppress_warnings = ['myst.header']

# Links to a heading of another page (agent.md#the-agent-container).
myst_heading_anchors = 4

# oslo.config's sample generator, writing _static/heat-container-hooks.conf
# .sample (not committed) for configuration.rst to include.
config_generator_config_file = [
    ('../etc/oslo-config-generator/heat-container-hooks.conf',
     '_static/heat-container-hooks'),
]

html_theme = 'alabaster'
html_static_path = ['_static']
