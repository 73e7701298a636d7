"""The compile backend: how Blocks turns a graph into a running function.

Every function Blocks builds goes through
:func:`blocks.compile.compilation.compile_function` (re-exported as
``blocks.utils.compile_function``), which applies the configured
``compile_mode``.

"""
