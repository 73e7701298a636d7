"""The one compile path, the modes it selects, and the C BLAS it sets up."""
import logging
import os
import re
import subprocess
import sys

import numpy
import pytensor
import pytest
from numpy.testing import assert_allclose
from pytensor import tensor

from blocks.config import ConfigurationError, config
from blocks.extensions import FinishAfter
from blocks.main_loop import MainLoop
from blocks.utils import compile_function
from blocks.compile.compilation import (default_mode, resolve_mode,
                                        uses_c_linker)
from tests.helpers import (regression_algorithm, regression_model,
                           regression_stream)


def test_resolve_mode_precedence(monkeypatch):
    assert resolve_mode('JAX') == 'JAX'
    monkeypatch.setenv('BLOCKS_COMPILE_MODE', 'NUMBA')
    assert resolve_mode() == 'NUMBA'
    monkeypatch.delenv('BLOCKS_COMPILE_MODE')
    assert resolve_mode() == default_mode() == 'CVM'


def test_compile_function_uses_the_configured_mode(monkeypatch):
    x = tensor.vector('x')
    monkeypatch.setenv('BLOCKS_COMPILE_MODE', 'FAST_COMPILE')
    function = compile_function([x], 2 * x)
    assert not uses_c_linker(function.maker.mode)
    assert function([1., 2.]).tolist() == [2., 4.]
    explicit = compile_function([x], 2 * x, mode='CVM')
    assert uses_c_linker(explicit.maker.mode)


def train_in(mode, steps=3):
    cost, linear = regression_model()
    algorithm = regression_algorithm(cost, theano_func_kwargs={'mode': mode})
    main_loop = MainLoop(algorithm, regression_stream(20, 5),
                         extensions=[FinishAfter(after_n_batches=steps)])
    main_loop.run()
    return linear.W.get_value(), linear.b.get_value()


@pytest.mark.parametrize('mode', ['CVM', 'NUMBA'])
def test_training_step_agrees_across_modes(mode):
    reference = train_in('FAST_COMPILE')
    result = train_in(mode)
    rtol = 1e-5 if pytensor.config.floatX == 'float32' else 1e-12
    for value, expected in zip(result, reference):
        assert_allclose(value, expected, rtol=rtol)


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_python(code, tmp_path, **environment):
    env = dict(os.environ, PYTHONPATH=ROOT,
               PYTENSOR_FLAGS='base_compiledir={}'.format(tmp_path))
    env.pop('BLOCKS_COMPILE_MODE', None)
    env.update(environment)
    return subprocess.run([sys.executable, '-c', code], env=env,
                          capture_output=True, text=True, timeout=300)


def test_c_blas_is_found_on_its_own(tmp_path):
    code = "\n".join([
        "import numpy, pytensor, blocks",
        "from pytensor import tensor",
        "from pytensor.tensor.blas import Dot22, Gemm",
        "from blocks.compile import blas",
        "from blocks.compile.linker import ParallelCVMLinker",
        "linker = pytensor.compile.mode.get_default_mode().linker",
        "assert isinstance(linker, ParallelCVMLinker), pytensor.config.mode",
        "assert blas._configured is None  # not at import",
        "x = tensor.matrix('x'); y = tensor.matrix('y')",
        "f = pytensor.function([x, y], tensor.dot(x, y))",
        "assert 'blocks_openblas_shim' in pytensor.config.blas__ldflags",
        "kinds = {type(node.op) for node in f.maker.fgraph.toposort()}",
        "assert kinds & {Dot22, Gemm}, kinds",
        "a = numpy.arange(6.).reshape(2, 3); b = numpy.arange(12.).reshape(3, 4)",
        "assert numpy.allclose(f(a, b), a.dot(b))",
        "print('ok')"])
    result = run_python(code, tmp_path)
    assert result.returncode == 0, result.stderr
    assert 'ok' in result.stdout
    shims = [os.path.join(root, name) for root, _, names in os.walk(tmp_path)
             for name in names if name == 'libblocks_openblas_shim.so']
    assert shims


IMPORT_COMPILES_NOTHING = """
import os, subprocess, sys
import pytensor  # PyTensor itself runs `g++ -v` when imported
spawned = []
original = subprocess.Popen.__init__
def record(self, args, *rest, **kwargs):
    spawned.append(args)
    return original(self, args, *rest, **kwargs)
subprocess.Popen.__init__ = record
import blocks
from blocks.compile import blas, compilation
assert spawned == [], spawned
assert blas._configured is None
assert not compilation.make_default_for_pytensor()  # done once, at import
mode = pytensor.config.mode
pytensor.config.mode = 'FAST_COMPILE'
assert not compilation.make_default_for_pytensor()
assert pytensor.config.mode == 'FAST_COMPILE'
compilation._register_rewrites()  # again: PyTensor would refuse a name twice
print(type(mode).__name__, sorted(os.listdir(pytensor.config.compiledir)))
"""


def test_import_compiles_nothing_and_sets_the_mode_once(tmp_path):
    result = run_python(IMPORT_COMPILES_NOTHING, tmp_path)
    assert result.returncode == 0, result.stderr
    mode, files = result.stdout.split(' ', 1)
    assert mode == 'BlocksCVMMode'
    assert 'blocks_openblas_shim' not in files


@pytest.mark.parametrize('name, canonical', [
    ('cvm', 'CVM'), ('fast_run', 'FAST_RUN'), ('FAST_RUN', 'FAST_RUN'),
    ('numba', 'NUMBA'), ('jax', 'JAX'), ('Fast_Compile', 'FAST_COMPILE'),
    ('debugmode', 'DebugMode')])
def test_mode_names_are_accepted_in_any_case(monkeypatch, name, canonical):
    monkeypatch.setenv('BLOCKS_COMPILE_MODE', name)
    assert resolve_mode() == canonical
    assert resolve_mode(name.lower()) == canonical
    monkeypatch.delenv('BLOCKS_COMPILE_MODE')
    config.compile_mode = name
    try:
        assert resolve_mode() == canonical
    finally:
        config.unset('compile_mode')


def test_lowercase_mode_compiles_in_that_mode():
    x = tensor.vector('x')
    function = compile_function([x], 2 * x, mode='cvm')
    assert uses_c_linker(function.maker.mode)
    assert function([1., 2.]).tolist() == [2., 4.]


ACCEPTED = r".*CVM.*FAST_COMPILE.*FAST_RUN.*NUMBA"


def test_wrong_mode_in_the_environment_names_the_variable(monkeypatch):
    monkeypatch.setenv('BLOCKS_COMPILE_MODE', 'fast_rn')
    with pytest.raises(ConfigurationError,
                       match=r"'fast_rn'.*compile_mode.*environment variable "
                             r"BLOCKS_COMPILE_MODE" + ACCEPTED):
        resolve_mode()
    x = tensor.vector('x')
    with pytest.raises(ConfigurationError, match='BLOCKS_COMPILE_MODE'):
        compile_function([x], 2 * x)


def test_wrong_mode_in_the_file_names_the_file(monkeypatch, tmp_path):
    path = tmp_path / 'blocksrc'
    path.write_text('compile_mode: c_vm\n')
    monkeypatch.delenv('BLOCKS_COMPILE_MODE')
    monkeypatch.setenv('BLOCKS_CONFIG', str(path))
    config.load_yaml()
    try:
        with pytest.raises(ConfigurationError,
                           match=r"'c_vm'.*compile_mode.*configuration file "
                                 + re.escape(str(path)) + ACCEPTED):
            resolve_mode()
    finally:
        monkeypatch.delenv('BLOCKS_CONFIG')
        config.load_yaml()


def test_wrong_mode_in_python_or_as_an_argument(monkeypatch):
    config.compile_mode = 'turbo'
    try:
        with pytest.raises(ConfigurationError,
                           match=r"'turbo'.*compile_mode.*Python" + ACCEPTED):
            resolve_mode()
    finally:
        config.unset('compile_mode')
    x = tensor.vector('x')
    with pytest.raises(ValueError,
                       match=r"'turbo'.*mode argument" + ACCEPTED):
        compile_function([x], 2 * x, mode='turbo')


def test_a_wrong_mode_does_not_break_the_import(tmp_path):
    result = run_python("import blocks; print('imported')", tmp_path,
                        BLOCKS_COMPILE_MODE='fast_rn')
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ['imported']


def test_compile_function_says_what_it_compiles(caplog):
    x = tensor.vector('x')
    with caplog.at_level(logging.INFO, logger='blocks.compile.compilation'):
        compile_function([x], 2 * x, description='the doubling function')
        compile_function([x], 3 * x)
    messages = [record.getMessage() for record in caplog.records
                if record.name == 'blocks.compile.compilation']
    assert messages[0] == 'Compiling the doubling function...'
    assert re.fullmatch(r'Compiling the doubling function\.\.\. \d+\.\d s',
                        messages[1])
    assert len(messages) == 2


QUIET_JOB = """
import logging
import blocks
from blocks.utils.logging_setup import configure_logging
configure_logging()
assert configure_logging() is None  # once
logging.getLogger('pytensor.link.c.cmodule').info('g++ -march=native')
logging.getLogger('blocks.main_loop').info('Entered the main loop')
from pytensor import tensor
from blocks.compile.compilation import compile_function
x = tensor.vector('x')
compile_function([x], 2 * x, mode='FAST_COMPILE', description='the f function')
logging.getLogger('blocks.main_loop').warning('careful')
"""


def test_a_main_job_shows_the_compile_lines_and_warnings_only(tmp_path):
    result = run_python(QUIET_JOB, tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    assert re.fullmatch(r'Compiling the f function\.\.\. \d+\.\d s', lines[0])
    assert lines[1] == 'WARNING:blocks.main_loop:careful'


def test_jax_arange_over_flattened_labels_compiles():
    pytest.importorskip('jax')
    from blocks.bricks.simple import select_classes
    from blocks.compile.jax_support import compile_jax_function
    x, y = tensor.matrix('x'), tensor.lmatrix('y')
    cost = select_classes(tensor.special.log_softmax(x, axis=-1),
                          y.flatten()).mean()
    outputs = [cost, pytensor.grad(cost, x)]
    jax_function = compile_jax_function([x, y], outputs)
    reference = compile_function([x, y], outputs, mode='FAST_COMPILE')
    values = (numpy.arange(12.).reshape(3, 4).astype(x.dtype) / 7,
              numpy.array([[0], [3], [1]]))
    for ours, expected in zip(jax_function(*values), reference(*values)):
        assert_allclose(numpy.asarray(ours), expected, rtol=1e-6)


def test_user_configuration_of_pytensor_wins(tmp_path):
    code = ("import blocks, pytensor; "
            "print(pytensor.config.mode, repr(pytensor.config.blas__ldflags))")
    result = run_python(code, tmp_path, PYTENSOR_FLAGS=(
        'base_compiledir={},mode=FAST_COMPILE,blas__ldflags='.format(
            tmp_path)))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ['FAST_COMPILE', "''"]
