"""Old import path of :mod:`blocks.compile.compilation` (kept for scripts and pickles).

The module object is the same, so attributes set through either path are
seen through both.

"""
import sys

from blocks.compile import compilation

sys.modules[__name__] = compilation
