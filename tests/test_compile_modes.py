"""The one compile path, the modes it selects, and the C BLAS it sets up."""
import os
import subprocess
import sys

import pytensor
import pytest
from numpy.testing import assert_allclose
from pytensor import tensor

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
        "from blocks.compile.linker import ParallelCVMLinker",
        "linker = pytensor.compile.mode.get_default_mode().linker",
        "assert isinstance(linker, ParallelCVMLinker), pytensor.config.mode",
        "assert 'blocks_openblas_shim' in pytensor.config.blas__ldflags",
        "x = tensor.matrix('x'); y = tensor.matrix('y')",
        "f = pytensor.function([x, y], tensor.dot(x, y))",
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


def test_user_configuration_of_pytensor_wins(tmp_path):
    code = ("import blocks, pytensor; "
            "print(pytensor.config.mode, repr(pytensor.config.blas__ldflags))")
    result = run_python(code, tmp_path, PYTENSOR_FLAGS=(
        'base_compiledir={},mode=FAST_COMPILE,blas__ldflags='.format(
            tmp_path)))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ['FAST_COMPILE', "''"]
