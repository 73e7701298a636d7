"""Blocks in PyTensor's JAX mode, end to end.

JAX is a test dependency (the ``test`` extra), so these tests run wherever
the suite does; the error for a missing JAX is tested by hiding it.
"""
import io
import sys

import numpy
import pytensor
import pytest
from numpy.testing import assert_allclose
from pytensor import tensor

from blocks.algorithms import GradientDescent, Scale
from blocks.extensions import FinishAfter
from blocks.extensions.monitoring import (DataStreamMonitoring,
                                          TrainingDataMonitoring)
from blocks.extensions.saveload import Checkpoint
from blocks.graph import ComputationGraph, apply_dropout
from blocks.main_loop import MainLoop
from blocks.model import Model
from blocks.serialization import dump, load, load_parameters
from blocks.utils import compile_function
from examples.mnist import build_model, stream as mnist_stream
from tests.helpers import dropout_mlp_cost

FLOATX = pytensor.config.floatX
#: JAX and the Python VM sum in different orders.
TOLERANCE = ({'rtol': 1e-4, 'atol': 1e-6} if FLOATX == 'float32' else
             {'rtol': 1e-8, 'atol': 1e-10})


def is_jax_function(function):
    from pytensor.link.jax.linker import JAXLinker
    return isinstance(function.maker.linker, JAXLinker)


def tutorial_main_loop(mode, checkpoint=None):
    """The tutorial's model and training on 2400 examples (last batch 96)."""
    cost, error_rate = build_model()
    algorithm = GradientDescent(
        cost=cost, parameters=ComputationGraph(cost).parameters,
        step_rule=Scale(learning_rate=0.1), theano_func_kwargs={'mode': mode})
    extensions = [DataStreamMonitoring([cost, error_rate],
                                       mnist_stream('test', 512, 1000),
                                       prefix='test'),
                  TrainingDataMonitoring([cost], prefix='train',
                                         after_epoch=True),
                  FinishAfter(after_n_epochs=1)]
    if checkpoint:
        extensions.append(Checkpoint(checkpoint, after_n_batches=5,
                                     after_training=False))
    return MainLoop(algorithm, mnist_stream('train', 256, 2400),
                    model=Model(cost), extensions=extensions)


@pytest.fixture(scope='module')
def jax_run(tmp_path_factory):
    """One tutorial epoch in the JAX mode, checkpointed after 5 batches."""
    checkpoint = str(tmp_path_factory.mktemp('jax') / 'checkpoint.tar')
    numpy.random.seed(1)
    main_loop = tutorial_main_loop('JAX', checkpoint)
    main_loop.run()
    return main_loop, checkpoint


def final_state(main_loop):
    return (main_loop.model.get_parameter_values(),
            float(main_loop.log.current_row['test_cost_with_regularization']))


def test_tutorial_trains_in_jax_as_in_fast_compile(jax_run):
    jax_loop, _ = jax_run
    numpy.random.seed(1)
    reference_loop = tutorial_main_loop('FAST_COMPILE')
    reference_loop.run()
    assert jax_loop.status['iterations_done'] == 10
    assert is_jax_function(jax_loop.algorithm._function)

    parameters, test_cost = final_state(jax_loop)
    expected_parameters, expected_test_cost = final_state(reference_loop)
    assert sorted(parameters) == sorted(expected_parameters)
    for name, value in parameters.items():
        assert type(value) is numpy.ndarray
        assert_allclose(value, expected_parameters[name], **TOLERANCE)
    assert_allclose(test_cost, expected_test_cost, **TOLERANCE)
    assert_allclose(jax_loop.log.current_row['train_cost_with_regularization'],
                    reference_loop.log.current_row[
                        'train_cost_with_regularization'], **TOLERANCE)


def test_monitoring_compiles_in_the_training_mode(jax_run):
    main_loop, _ = jax_run
    data_stream_monitoring, training_data_monitoring = (
        main_loop.extensions[:2])
    evaluator = data_stream_monitoring._evaluator
    assert is_jax_function(evaluator._accumulate_fun)
    assert is_jax_function(evaluator.theano_buffer._readout_fun)
    assert is_jax_function(training_data_monitoring._variables._readout_fun)
    # The error rate of the trained parameters on the monitored test set: as
    # in Blocks, the mean of the rates of its batches (512 and 488 examples)
    parameters = main_loop.model.get_parameter_values()
    rates = []
    for batch in mnist_stream('test', 512, 1000).get_epoch_iterator(
            as_dict=True):
        hidden = numpy.maximum(
            batch['features'].dot(parameters['/input_to_hidden.W']) +
            parameters['/input_to_hidden.b'], 0)
        scores = (hidden.dot(parameters['/hidden_to_output.W']) +
                  parameters['/hidden_to_output.b'])
        rates.append((scores.argmax(axis=1) != batch['targets'].flatten())
                     .mean())
    assert len(rates) == 2 and 0 < numpy.mean(rates) < 1
    assert_allclose(main_loop.log.current_row['test_error_rate'],
                    numpy.mean(rates), rtol=1e-6)


def test_jax_checkpoint_loads_and_continues_in_fast_compile(jax_run):
    jax_loop, checkpoint = jax_run
    with open(checkpoint, 'rb') as source:
        main_loop = load(source)
        saved = load_parameters(source)
    assert main_loop.status['iterations_done'] == 5
    for parameter in main_loop.model.parameters:
        assert type(parameter.get_value(borrow=True)) is numpy.ndarray
    assert all(type(value) is numpy.ndarray for value in saved.values())

    main_loop.algorithm.theano_func_kwargs['mode'] = 'FAST_COMPILE'
    main_loop.run()
    assert main_loop.status['iterations_done'] == 10
    assert not is_jax_function(main_loop.algorithm._function)
    parameters, test_cost = final_state(main_loop)
    expected_parameters, expected_test_cost = final_state(jax_loop)
    for name, value in parameters.items():
        assert_allclose(value, expected_parameters[name], **TOLERANCE)
    assert_allclose(test_cost, expected_test_cost, **TOLERANCE)


def dropout_function(mode, seed=3):
    x = tensor.matrix('x')
    cg = apply_dropout(ComputationGraph([2 * x]), [x], 0.5, seed=seed)
    rng, = [variable for variable in cg.variables
            if isinstance(variable.type, tensor.random.type.RandomType)]
    return compile_function([x], cg.outputs[0], mode=mode), x, cg, rng


@pytest.mark.parametrize('mode', ['FAST_COMPILE', 'JAX'])
def test_dropout_masks_differ_between_calls(mode):
    function, _, _, rng = dropout_function(mode)
    before = rng.get_value().bit_generator.state
    data = numpy.ones((4, 50), dtype=FLOATX)
    first = numpy.asarray(function(data))
    second = numpy.asarray(function(data))
    for output in (first, second):
        assert set(numpy.unique(output).tolist()) == {0.0, 4.0}
    assert (first != second).any()
    # The shared generator advanced, as in every mode.
    assert rng.get_value().bit_generator.state != before


def test_jax_random_state_lives_in_the_shared_generator(recwarn):
    function, x, cg, rng = dropout_function('JAX')
    assert not [warning for warning in recwarn
                if 'RandomType SharedVariables' in str(warning.message)]
    data = numpy.ones((4, 50), dtype=FLOATX)
    function(data)
    saved = rng.get_value()  # a copy, as a checkpoint holds it
    third = numpy.asarray(function(data))

    # A function compiled later from the saved state (a resumed
    # checkpoint) draws what the first function drew from it.
    rng.set_value(saved)
    recompiled = compile_function([x], cg.outputs[0], mode='JAX')
    assert_allclose(numpy.asarray(recompiled(data)), third)
    # The first function picks up the state the second one left.
    rng.set_value(saved)
    assert_allclose(numpy.asarray(function(data)), third)
    fourth = numpy.asarray(recompiled(data))
    assert (fourth != third).any()
    # A NumPy backend continues from the state JAX reached.
    fast = compile_function([x], cg.outputs[0], mode='FAST_COMPILE')
    assert set(numpy.unique(fast(data)).tolist()) == {0.0, 4.0}


def dropout_main_loop(mode, checkpoint=None):
    numpy.random.seed(2)
    dropout_cost, parameters = dropout_mlp_cost(20)
    algorithm = GradientDescent(cost=dropout_cost, parameters=parameters,
                                step_rule=Scale(0.5),
                                theano_func_kwargs={'mode': mode})
    extensions = [FinishAfter(after_n_epochs=1)]
    if checkpoint:
        extensions.append(Checkpoint(checkpoint, after_n_batches=2,
                                     after_training=False))
    return MainLoop(algorithm, mnist_stream('train', 64, 320),
                    model=Model(dropout_cost), extensions=extensions)


def test_dropout_training_resumes_exactly_in_jax(tmp_path):
    checkpoint = str(tmp_path / 'dropout.tar')
    straight = dropout_main_loop('JAX', checkpoint)
    straight.run()
    with open(checkpoint, 'rb') as source:
        resumed = load(source)
    assert resumed.status['iterations_done'] == 2
    resumed.run()
    assert resumed.status['iterations_done'] == 5
    expected = straight.model.get_parameter_values()
    for name, value in resumed.model.get_parameter_values().items():
        assert_allclose(value, expected[name], rtol=1e-12, atol=0)


def test_jax_arrays_are_saved_as_numpy_arrays():
    import jax.numpy as jnp
    parameter = pytensor.shared(numpy.ones(3, dtype=FLOATX), name='W')
    other = pytensor.shared(numpy.zeros(2, dtype=FLOATX), name='buffer')
    parameter.container.storage[0] = jnp.asarray(numpy.full(3, 2, FLOATX))
    other.container.storage[0] = jnp.asarray(numpy.full(2, 5, FLOATX))
    file_ = io.BytesIO()
    dump((parameter, other), file_, parameters=[parameter])
    loaded_parameter, loaded_other = load(file_)
    for variable, value in ((loaded_parameter, 2), (loaded_other, 5)):
        stored = variable.get_value(borrow=True)
        assert type(stored) is numpy.ndarray and stored.flags.writeable
        assert stored.tolist() == [value] * len(stored)
    assert load_parameters(file_)['W'].tolist() == [2.0] * 3


def test_missing_jax_gives_an_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, 'jax', None)
    x = tensor.vector('x')
    with pytest.raises(ImportError, match=r"pip install jax"):
        compile_function([x], 2 * x, mode='JAX')
    cost = (x ** 2).sum()
    W = pytensor.shared(numpy.ones(2, dtype=FLOATX), name='W')
    algorithm = GradientDescent(cost=(cost * W).sum(), parameters=[W],
                                theano_func_kwargs={'mode': 'JAX'})
    with pytest.raises(ImportError, match=r"pip install -e '\.\[jax\]'"):
        algorithm.initialize()
