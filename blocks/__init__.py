"""Blocks: build and train neural networks on an annotated PyTensor graph.

Importing Blocks makes its compile mode (``config.compile_mode``, the C VM
by default) PyTensor's default mode as well, unless PyTensor's ``mode`` or
``linker`` are configured; see
:func:`blocks.compile.compilation.make_default_for_pytensor`. That is all
the import does: it compiles nothing (the C BLAS that the C VM links
against is set up by the first compilation that needs it), and doing it
again changes nothing.

"""
from blocks.compile.compilation import make_default_for_pytensor

__version__ = '0.2.0'

make_default_for_pytensor()
