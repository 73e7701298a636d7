"""Sphinx configuration of the Blocks and Fuel documentation.

Build the site with ``sphinx-build -W -b html docs docs/_build/html``; the
``>>>`` examples of the pages run as doctests with the test suite
(``pytest``), not in the build.

"""
import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__),
                                                '..')))
# Autodoc imports every module: compile nothing while doing so.
os.environ.setdefault('BLOCKS_COMPILE_MODE', 'FAST_COMPILE')

project = 'Blocks'
author = 'Blocks developers'
copyright = 'the Blocks developers'
release = version = '0.2.0'

extensions = [
    'sphinx.ext.autodoc',
    'sphinx.ext.autosummary',
    'sphinx.ext.doctest',
    'sphinx.ext.mathjax',
    'sphinx.ext.napoleon',
    'sphinx.ext.todo',
    'sphinx.ext.viewcode',
]

exclude_patterns = ['_build', 'Thumbs.db', '.DS_Store']
templates_path = ['_templates']
master_doc = 'index'

autosummary_generate = True
# Packages re-export their modules' names: each name is documented once,
# in the module that defines it.
autodoc_default_options = {'members': True, 'show-inheritance': True,
                           'ignore-module-all': True}
autodoc_member_order = 'bysource'
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
# Attributes sections as fields, not as second descriptions of properties.
napoleon_use_ivar = True

html_theme = 'alabaster'
html_static_path = []
html_title = 'Blocks and Fuel'
