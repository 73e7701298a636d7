"""The C VM as Blocks links it: parallel C modules, Python bookkeeping."""
import json
import os
import pickle
import subprocess
import sys

import numpy
import pytensor
import pytest
from pytensor import tensor
from pytensor.compile.builders import OpFromGraph
from pytensor.compile.mode import Mode
from pytensor.link.c.exceptions import CompileError
from pytensor.link.c.op import COp
from pytensor.graph.basic import Apply
from pytensor.tensor.shape import Shape_i
from pytensor.tensor.special import softmax

from blocks.compile.c_modules import precompile_c_modules
from blocks.compile.compilation import compile_function
from blocks.compile.linker import ParallelCVMLinker, runs_in_python
from blocks.compile.numpy_elemwise import runs_in_numpy

pytestmark = pytest.mark.skipif(not pytensor.config.cxx,
                                reason="needs a C++ compiler")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def c_thunk_kinds(function):
    """For each node of a compiled function: whether its thunk is C."""
    vm = function.vm
    return {node: hasattr(thunk, 'cthunk')
            for node, thunk in zip(vm.nodes, vm.thunks)}


def test_bookkeeping_runs_in_python_and_arrays_in_c():
    x = tensor.matrix('x')
    n = x.shape[0]
    y = tensor.exp(x.T).sum(axis=0) / (n * 2 + 1)
    f = compile_function([x], y, mode='CVM')
    kinds = c_thunk_kinds(f)
    for node, in_c in kinds.items():
        assert in_c == (not (runs_in_python(node) or runs_in_numpy(node))), \
            node
    assert any(kinds.values()) and not all(kinds.values())
    assert any(isinstance(node.op, Shape_i) and not in_c
               for node, in_c in kinds.items())
    value = numpy.arange(6.).reshape(2, 3).astype(x.dtype)
    numpy.testing.assert_allclose(f(value),
                                  numpy.exp(value.T).sum(axis=0) / 5)


def test_numpy_thunks_can_be_turned_off():
    x = tensor.matrix('x')
    mode = Mode(linker=ParallelCVMLinker(numpy_thunks=False),
                optimizer='fast_run')
    f = pytensor.function([x], tensor.exp(x) * x.shape[0], mode=mode)
    assert all(c_thunk_kinds(f).values())


def test_ops_are_left_as_they_were():
    x = tensor.matrix('x')
    f = compile_function([x], x.T * x.shape[1], mode='CVM')
    for node in f.maker.fgraph.toposort():
        assert 'make_thunk' not in vars(node.op), node
    pickle.loads(pickle.dumps(f.maker.fgraph.outputs[0]))


def test_softmax_is_inlined_and_fused():
    x = tensor.matrix('x')
    f = compile_function([x], softmax(x, axis=1), mode='CVM')
    assert not any(isinstance(node.op, OpFromGraph)
                   for node in f.maker.fgraph.toposort())
    value = numpy.array([[1., 2., 3.], [0., 0., 1000.]], dtype=x.dtype)
    expected = numpy.exp(value - value.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    numpy.testing.assert_allclose(f(value), expected, rtol=1e-6)


def test_cached_modules_are_not_compiled_again():
    x = tensor.matrix('x')
    y = tensor.dot(x, x.T).sum(axis=0) * 3
    f = compile_function([x], y, mode='CVM')
    compiled = [node for node, in_c in c_thunk_kinds(f).items() if in_c]
    assert compiled
    assert precompile_c_modules(compiled) == 0


def test_linker_validates_workers():
    for workers in (0, True, 2.):
        with pytest.raises(ValueError, match='workers'):
            ParallelCVMLinker(workers=workers)


class BrokenCOp(COp):
    """An op whose C code does not compile."""
    __props__ = ()

    def make_node(self, x):
        x = tensor.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, outputs):
        outputs[0][0] = inputs[0].copy()

    def c_code(self, node, name, inputs, outputs, sub):
        return 'this is not C++;'

    def c_code_cache_version(self):
        return (1,)


def test_compile_errors_are_reported_by_pytensor():
    x = tensor.vector('x')
    node = BrokenCOp()(x).owner
    assert precompile_c_modules([node]) == 0
    with pytest.raises(CompileError):
        compile_function([x], BrokenCOp()(x), mode='CVM')


COLD_START = """
import json, sys, time
import numpy, pytensor
from pytensor import tensor
from pytensor.link.c.basic import get_module_cache
import blocks
from blocks.compile.compilation import compile_function

x = tensor.matrix('x'); w = tensor.matrix('w'); t = tensor.matrix('t')
h = tensor.tanh(x.dot(w))
cost = ((h - t) ** 2).mean() + abs(w).sum() / x.shape[0]
f = compile_function([x, w, t], [cost] + pytensor.grad(cost, [w]))
rng = numpy.random.RandomState(1)
values = [rng.normal(size=shape).astype(x.dtype)
          for shape in ((4, 3), (3, 2), (4, 2))]
print(json.dumps({'compiled': get_module_cache().stats[2],
                  'values': [o.tolist() for o in f(*values)]}))
"""


def run_cold_start(compiledir):
    env = dict(os.environ, PYTHONPATH=ROOT,
               PYTENSOR_FLAGS='base_compiledir={}'.format(compiledir))
    env.pop('BLOCKS_COMPILE_MODE', None)
    result = subprocess.run([sys.executable, '-c', COLD_START], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_cold_cache_compiles_in_parallel_into_pytensors_cache(tmp_path):
    cold = run_cold_start(tmp_path)
    assert cold['compiled'] >= 4
    headers = [name for _, _, names in os.walk(tmp_path) for name in names
               if name == 'blocks_modules.h.gch']
    assert headers
    warm = run_cold_start(tmp_path)
    assert warm['compiled'] == 0
    assert warm['values'] == cold['values']

    rng = numpy.random.RandomState(1)
    x, w, t = [rng.normal(size=shape)
               for shape in ((4, 3), (3, 2), (4, 2))]
    h = numpy.tanh(x.dot(w))
    cost = ((h - t) ** 2).mean() + abs(w).sum() / 4
    gradient = (x.T.dot(2 * (h - t) / h.size * (1 - h ** 2)) +
                numpy.sign(w) / 4)
    tolerance = 1e-5 if pytensor.config.floatX == 'float32' else 1e-10
    numpy.testing.assert_allclose(cold['values'][0], cost, rtol=tolerance)
    numpy.testing.assert_allclose(cold['values'][1], gradient,
                                  rtol=tolerance, atol=tolerance)
