"""The compile backend: how Blocks turns a graph into a running function.

Every function Blocks builds (the training step, the monitoring functions,
``ComputationGraph.get_theano_function``) goes through
:func:`blocks.compile.compilation.compile_function` (re-exported as
``blocks.utils.compile_function``; the modules of this package are also
importable under their old names ``blocks.utils.compilation``, ...). The
path a graph takes from there, for each mode::

    compile_function(inputs, outputs, mode=None, description=None)   compilation
      resolve_mode: the mode argument, else compile_mode                compilation
        (BLOCKS_COMPILE_MODE, ~/.blocksrc, Python), else CVM;
        any PyTensor mode name, in any case
      pytensor_mode: 'CVM' -> BlocksCVMMode(ParallelCVMLinker)          compilation
      |
      +-- CVM (the default)
      |     configure_blas: the OpenBLAS trampoline, built once         blas
      |       per compile directory, before the first rewrite
      |     pytensor.function: PyTensor's fast_run rewrites plus        (PyTensor)
      |       the inlining of Softmax & co. (tag blocks_cvm)            compilation
      |     ParallelCVMLinker.make_all, for each node of the graph:     linker
      |       views, shapes, checks   -> a Python thunk                 linker
      |       elementwise in NumPy    -> a NumPy thunk                  numpy_elemwise
      |       the rest                -> its C module: the missing      c_modules
      |          ones compiled in parallel (g++ per CPU, precompiled
      |          header), filed into PyTensor's module cache
      |     PyTensor's VM links the thunks: the C VM runs them          (PyTensor)
      |
      +-- FAST_COMPILE (the unit tests)
      |     pytensor.function: few rewrites, Python thunks only,        (PyTensor)
      |       no C compiler involved
      |
      +-- NUMBA (PyTensor's own default; FAST_RUN)
      |     pytensor.function with PyTensor's Numba linker;             (PyTensor)
      |       each new graph JIT-compiles on its first call
      |
      +-- JAX
            compile_jax_function: JAX or an install hint;               jax_support
              jax_mode adds the 'unsafe' rewrite (no Asserts) and the
              arange rewrites (static bounds, typed constants)
            pytensor.function with PyTensor's JAX linker                (PyTensor)
            JAXFunction: shared random generators kept in step          jax_support

Every private PyTensor API these modules use is in
:mod:`blocks.compile.pytensor_internals`, with the PyTensor versions it was
checked against; on another version the ``CVM`` mode links exactly as
PyTensor's own C VM does (with one warning). A failure in the fast path
(generating, compiling or filing a C module) falls back to PyTensor's own
path with one :class:`~blocks.compile.pytensor_internals.FastPathWarning`
naming what failed.

Importing the package compiles nothing; ``import blocks`` only makes the
configured mode PyTensor's default mode, once
(:func:`~blocks.compile.compilation.make_default_for_pytensor`).

"""
