"""Old import path of :mod:`blocks.compile.jax_support` (kept for scripts and pickles).

The module object is the same, so attributes set through either path are
seen through both.

"""
import sys

from blocks.compile import jax_support

sys.modules[__name__] = jax_support
