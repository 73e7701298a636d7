"""blocks.compile.c_kernels: build once, reuse, fall back without a compiler."""
import ctypes
import logging
import os

import numpy
import pytensor
import pytest

from blocks.compile import c_kernels

SOURCE = '''
extern "C" double total(const double *values, long count) {
    double sum = 0;
    for (long i = 0; i < count; ++i) sum += values[i];
    return sum;
}
'''

needs_compiler = pytest.mark.skipif(not pytensor.config.cxx,
                                    reason='no C++ compiler')


@needs_compiler
def test_kernels_are_built_once_and_called():
    library = c_kernels.load_kernels('test_total', SOURCE)
    assert library is c_kernels.load_kernels('test_total', SOURCE)
    total = library.total
    total.restype = ctypes.c_double
    values = numpy.arange(10.)
    assert total(c_kernels.pointer(values), ctypes.c_long(10)) == 45.0
    # kept in PyTensor's compile directory, where a new process finds it
    directory, name = os.path.split(library._name)
    assert directory == os.path.join(pytensor.config.compiledir,
                                     'blocks_kernels')
    assert name.startswith('libtest_total_') and os.path.exists(library._name)


def test_switched_off_by_the_environment(monkeypatch):
    monkeypatch.setenv(c_kernels.ENVIRONMENT_VARIABLE, '0')
    assert not c_kernels.enabled()
    assert c_kernels.load_kernels('test_total', SOURCE) is None


def test_a_bad_setting_is_named(monkeypatch):
    monkeypatch.setenv(c_kernels.ENVIRONMENT_VARIABLE, 'maybe')
    with pytest.raises(ValueError, match="BLOCKS_C_KERNELS must be 0 or 1, "
                                         "got 'maybe'"):
        c_kernels.enabled()


@needs_compiler
def test_a_failed_build_warns_and_returns_none(caplog):
    with caplog.at_level(logging.WARNING, logger='blocks.compile.c_kernels'):
        library = c_kernels.load_kernels('test_broken',
                                         'extern "C" void f( {')
    assert library is None
    assert "could not build the C kernels 'test_broken'" in caplog.text


def test_strides_in_elements():
    array = numpy.zeros((4, 6), dtype='float32')[::2, 1::3]
    assert c_kernels.strides_in_elements(array) == (12, 3)
    misaligned = numpy.zeros(9, dtype='uint8')[1:].view('float64')
    assert c_kernels.strides_in_elements(misaligned) == (1,)


TYPED_SOURCE = '''
extern "C" double first_float(const float *values) { return values[0]; }
extern "C" double first_double(const double *values) { return values[0]; }
'''


@needs_compiler
@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_typed_kernels_are_chosen_by_dtype(dtype):
    first = c_kernels.typed_kernel('test_typed', TYPED_SOURCE, 'first', dtype,
                                   restype=ctypes.c_double)
    values = numpy.array([2.5, 1.], dtype)
    assert first(c_kernels.pointer(values)) == 2.5
    assert c_kernels.typed_kernel('test_typed', TYPED_SOURCE, 'first',
                                  dtype) is first


def test_typed_kernels_exist_for_floats_only(monkeypatch):
    assert c_kernels.typed_kernel('test_typed', TYPED_SOURCE, 'first',
                                  'int64') is None
    monkeypatch.setenv(c_kernels.ENVIRONMENT_VARIABLE, '0')
    assert c_kernels.typed_kernel('test_typed', TYPED_SOURCE, 'first',
                                  'float64') is None
