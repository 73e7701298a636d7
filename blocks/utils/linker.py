"""Old import path of :mod:`blocks.compile.linker` (kept for scripts and pickles).

The module object is the same, so attributes set through either path are
seen through both.

"""
import sys

from blocks.compile import linker

sys.modules[__name__] = linker
