"""Old import path of :mod:`blocks.compile.numpy_elemwise` (kept for scripts and pickles).

The module object is the same, so attributes set through either path are
seen through both.

"""
import sys

from blocks.compile import numpy_elemwise

sys.modules[__name__] = numpy_elemwise
