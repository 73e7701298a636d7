"""Old import path of :mod:`blocks.compile.c_modules` (kept for scripts and pickles).

The module object is the same, so attributes set through either path are
seen through both.

"""
import sys

from blocks.compile import c_modules

sys.modules[__name__] = c_modules
