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

from blocks.compile import pytensor_internals as internals
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


def fresh_warnings(monkeypatch):
    """Forget which fallbacks were already warned about."""
    monkeypatch.setattr(internals, '_warned', set())


def exp_graph():
    x = tensor.matrix('x')
    return x, tensor.exp(x).sum(axis=0) * x.shape[0]


def check_exp_graph(function):
    value = numpy.arange(6.).reshape(2, 3).astype(pytensor.config.floatX)
    numpy.testing.assert_allclose(function(value),
                                  numpy.exp(value).sum(axis=0) * 2,
                                  rtol=1e-6)


def test_unknown_pytensor_version_links_as_pytensor_does(
        monkeypatch, recwarn):
    fresh_warnings(monkeypatch)
    monkeypatch.setattr(pytensor, '__version__', '9.9.9')
    monkeypatch.delenv(internals.TRUST_VARIABLE, raising=False)
    mode = Mode(linker=ParallelCVMLinker(), optimizer='fast_run')
    x, y = exp_graph()
    with pytest.warns(internals.FastPathWarning,
                      match=r"checked with PyTensor 3\.0\.7 and 3\.3\.8, "
                            r"not 9\.9\.9.*PyTensor's own path"):
        f = pytensor.function([x], y, mode=mode)
    assert all(c_thunk_kinds(f).values())  # no Python or NumPy thunks
    check_exp_graph(f)
    recwarn.clear()
    pytensor.function([x], y * 2, mode=mode)
    assert not [w for w in recwarn
                if issubclass(w.category, internals.FastPathWarning)]
    monkeypatch.setenv(internals.TRUST_VARIABLE, '1')
    assert not all(c_thunk_kinds(pytensor.function([x], y, mode=mode))
                   .values())


def test_a_broken_internal_when_generating_modules_warns_once(monkeypatch):
    fresh_warnings(monkeypatch)

    def renamed(node):
        raise AttributeError("'CLinker' object has no attribute "
                             "'cmodule_key'")
    monkeypatch.setattr(internals, 'c_module_key', renamed)
    x, y = exp_graph()
    with pytest.warns(internals.FastPathWarning,
                      match=r"could not generate the C module of \w+ ahead "
                            r"of linking \(AttributeError: .*cmodule_key"):
        f = compile_function([x], y, mode='CVM')
    check_exp_graph(f)


def test_a_failure_when_filing_a_module_does_not_abort(monkeypatch):
    fresh_warnings(monkeypatch)

    def refuses(cache, key, stand_in):
        raise RuntimeError('the cache refuses')
    monkeypatch.setattr(internals, 'file_module', refuses)
    # Every module is compiled again, as if the cache were cold.
    monkeypatch.setattr(internals, 'module_known',
                        lambda cache, key=None, module_hash=None: False)
    x = tensor.matrix('x')
    y = tensor.dot(x, x.T).sum(axis=0) * 3
    with pytest.warns(internals.FastPathWarning,
                      match=r"could not file a C module.*RuntimeError: the "
                            r"cache refuses.*PyTensor's own path"):
        f = compile_function([x], y, mode='CVM')
    value = numpy.arange(6.).reshape(2, 3).astype(x.dtype)
    numpy.testing.assert_allclose(f(value), value.dot(value.T).sum(axis=0) * 3)


def test_a_failure_of_the_whole_parallel_step_does_not_abort(monkeypatch):
    fresh_warnings(monkeypatch)

    def missing(*args, **kwargs):
        raise TypeError("'NoneType' object is not callable")
    monkeypatch.setattr(internals, 'get_module_cache', missing)
    x, y = exp_graph()
    with pytest.warns(internals.FastPathWarning,
                      match=r"could not compile the C modules in parallel "
                            r"\(TypeError"):
        f = compile_function([x], y * 5, mode='CVM')
    numpy.testing.assert_allclose(
        f(numpy.ones((2, 3), dtype=x.dtype)), numpy.full(3, 20 * numpy.e),
        rtol=1e-6)
