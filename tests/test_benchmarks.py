"""The benchmark suite runs (``python -m benchmarks --quick``); no timing is checked.

The tests that run benchmarks are marked ``benchmarks``: they take minutes,
so they are a CI step of their own (``pytest -m benchmarks``), not part of
``pytest``.
"""
import os
import subprocess
import sys

import pytest

from benchmarks import BENCHMARKS
from benchmarks.common import Result, markdown_table, text_table

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEADER = ('| benchmark | Blocks (s) | PyTorch (s) | Blocks/PyTorch | '
          'compile (s) |')


def run_benchmarks(*arguments, module=True):
    """Run the suite in a subprocess from the repository root (the test
    session's environment, so FAST_COMPILE and its FUEL_DATA_PATH)."""
    entry = ['-m', 'benchmarks'] if module else [
        os.path.join('benchmarks', 'run.py')]
    return subprocess.run([sys.executable] + entry + list(arguments), cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.benchmarks
def test_quick_suite_runs():
    completed = run_benchmarks('--quick')
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert HEADER in completed.stdout
    rows = [line.split(' | ')[0].lstrip('| ')
            for line in completed.stdout.splitlines() if line.startswith('| ')]
    for name in ('mlp_epoch', 'big_mlp', 'data_stream/memory',
                 'data_stream/hdf5', 'data_stream/server', 'checkpoint/write',
                 'checkpoint/read', 'cold_start/cold'):
        assert name in rows
    assert 'FAILED' not in completed.stdout


@pytest.mark.benchmarks
def test_script_without_torch():
    completed = run_benchmarks('--quick', '--no-torch', '--only', 'checkpoint',
                               module=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert HEADER in completed.stdout
    assert '| checkpoint/write |' in completed.stdout
    assert '| mlp_epoch |' not in completed.stdout
    assert 'PyTorch not run (--no-torch)' in completed.stdout
    write_row = [line for line in completed.stdout.splitlines()
                 if line.startswith('| checkpoint/write |')][0]
    assert write_row.split(' | ')[2:4] == ['n/a', 'n/a']


def test_unknown_benchmark_is_refused():
    completed = run_benchmarks('--only', 'mlp_epoch,nope')
    assert completed.returncode == 2
    assert "--only must name benchmarks among {}, got 'mlp_epoch,nope'".format(
        ', '.join(BENCHMARKS)) in completed.stderr


def test_tables():
    results = [Result('a', 2.0, 1.0, compile=0.5, blocks_rate=10.0,
                      torch_rate=20.0, unit='GFLOP/s', notes='x|y'),
               Result('b', 0.25)]
    lines = markdown_table(results).splitlines()
    assert lines[0].startswith(HEADER)
    assert lines[2] == ('| a | 2 | 1 | 2.00 | 0.5 | 10 GFLOP/s | 20 GFLOP/s '
                        '| x\\|y |')
    assert lines[3] == '| b | 0.25 | n/a | n/a |  |  |  |  |'
    text = text_table(results).splitlines()
    assert text[0].split()[:3] == ['benchmark', 'Blocks', '(s)']
    assert text[3].split() == ['b', '0.25', 'n/a', 'n/a']
