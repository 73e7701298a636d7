"""Blocks: build and train neural networks on an annotated PyTensor graph.

Importing Blocks makes its compile mode (``config.compile_mode``, the C VM
by default) PyTensor's default mode as well, unless PyTensor's ``mode`` or
``linker`` are configured; see :func:`blocks.compile.compilation.make_default_for_pytensor`.

"""
from blocks.compile.compilation import make_default_for_pytensor

__version__ = '0.2.0'

make_default_for_pytensor()
