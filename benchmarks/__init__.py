"""Benchmarks: Blocks and Fuel against the same work in PyTorch (CPU).

Run them all from the repository root with ``python -m benchmarks`` (or
``python benchmarks/run.py``); ``--help`` lists the options and
``benchmarks/README.md`` describes each benchmark and holds the latest
table. Each benchmark is a module of this package with a ``run(quick,
repeats, torch)`` function returning a list of
:class:`benchmarks.common.Result` rows.

This module imports nothing heavy: the runner must set the BLAS thread
variables before NumPy is first imported.
"""

#: The benchmarks, in the order the runner runs them (module names).
BENCHMARKS = ('mlp_epoch', 'big_mlp', 'conv', 'recurrent', 'reverse_words',
              'data_stream', 'background_stream', 'checkpoint',
              'compile_modes', 'cold_start', 'distributed')
