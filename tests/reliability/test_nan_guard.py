"""The NanGuard stops training at the first NaN and keeps the last good checkpoint."""
import pickle
from collections import OrderedDict

import numpy
import pytensor
import pytest

from blocks.algorithms import GradientDescent, Scale
from blocks.extensions import FinishAfter, SimpleExtension
from blocks.extensions.nan_guard import NanGuard, NonFiniteError
from blocks.extensions.saveload import Checkpoint, SAVED_TO
from blocks.graph import ComputationGraph
from blocks.main_loop import MainLoop
from blocks.model import Model
from blocks.serialization import load, load_parameters
from fuel.datasets import IndexableDataset
from fuel.schemes import SequentialScheme
from fuel.streams import DataStream
from tests.helpers import regression_data, regression_model, regression_stream


def main_loop_with(extensions, learning_rate=0.1, stream=None):
    cost, linear = regression_model()
    algorithm = GradientDescent(cost=cost,
                                parameters=ComputationGraph(cost).parameters,
                                step_rule=Scale(learning_rate))
    return MainLoop(algorithm, stream or regression_stream(),
                    model=Model(cost), extensions=extensions), linear


def test_a_diverging_run_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    path = tmp_path / 'checkpoint.tar'
    main_loop, linear = main_loop_with(
        [NanGuard(), Checkpoint(path, after_batch=True),
         FinishAfter(after_n_batches=500)], learning_rate=1e15)
    with pytest.raises(NonFiniteError,
                       match=r"NanGuard stopped training at iteration (\d+) "
                             r"\(\d+ epochs done\): the (training cost "
                             r"'cost' is (nan|inf)|parameter /linear\.\w "
                             r"holds \d+ NaN and \d+ infinite values out of "
                             r"\d+)\. The last good checkpoint is .*"
                             r"checkpoint\.tar \(iteration (\d+)\); it is "
                             r"kept") as raised:
        main_loop.run()
    stopped_at = main_loop.status['iterations_done']
    assert str(stopped_at) in str(raised.value)
    assert stopped_at < 50
    last_good = int(str(raised.value).split('(iteration ')[1].split(')')[0])
    assert last_good == stopped_at - 1
    with open(path, 'rb') as file_:
        saved = load(file_)
        parameters = load_parameters(file_)
    assert saved.status['iterations_done'] == last_good
    assert all(numpy.isfinite(value).all() for value in parameters.values())
    assert SAVED_TO not in main_loop.log[stopped_at]


def test_the_guard_runs_before_a_checkpoint_listed_first(tmp_path):
    path = tmp_path / 'checkpoint.tar'
    main_loop, _ = main_loop_with(
        [Checkpoint(path, after_batch=True), NanGuard(),
         FinishAfter(after_n_batches=500)], learning_rate=1e15)
    with pytest.raises(NonFiniteError, match=r"The last good checkpoint is "
                                             r".*checkpoint\.tar"):
        main_loop.run()
    with open(path, 'rb') as file_:
        saved = load(file_)
    assert saved.status['iterations_done'] == \
        main_loop.status['iterations_done'] - 1
    for parameter in saved.model.parameters:
        assert numpy.isfinite(parameter.get_value()).all()


def test_nan_in_the_data_names_the_cost():
    features, targets = regression_data(20)
    features[12, 1] = numpy.nan  # in the third batch of five
    stream = DataStream(IndexableDataset(OrderedDict(
        [('features', features), ('targets', targets)])),
        iteration_scheme=SequentialScheme(20, 5))
    main_loop, _ = main_loop_with([NanGuard(), FinishAfter(after_n_epochs=2)],
                                  stream=stream)
    with pytest.raises(NonFiniteError,
                       match=r"at iteration 3 \(0 epochs done\): the training "
                             r"cost 'cost' is nan\. No checkpoint was saved "
                             r"in this run\."):
        main_loop.run()
    assert main_loop.log[3]['nan_guard'].startswith(
        "NanGuard stopped training at iteration 3")


class BreakParameter(SimpleExtension):
    """Sets a parameter to infinity after a given batch."""
    def __init__(self, parameter, **kwargs):
        super().__init__(**kwargs)
        self.parameter = parameter

    def do(self, which_callback, *args):
        value = self.parameter.get_value()
        value[1] = numpy.inf
        self.parameter.set_value(value)


def test_a_non_finite_parameter_is_named(tmp_path):
    cost, linear = regression_model()
    main_loop, linear = main_loop_with([])
    main_loop.extensions = [BreakParameter(linear.W, after_n_batches=2),
                            NanGuard(), FinishAfter(after_n_batches=5)]
    with pytest.raises(NonFiniteError,
                       match=r"at iteration 2 \(0 epochs done\): the "
                             r"parameter /linear\.W holds 0 NaN and 1 "
                             r"infinite values out of 3\."):
        main_loop.run()


def test_the_guard_pickles_and_guards_a_resumed_run(tmp_path):
    path = tmp_path / 'checkpoint.tar'
    main_loop, _ = main_loop_with([NanGuard(), Checkpoint(path),
                                   FinishAfter(after_n_batches=3)])
    main_loop.run()
    with open(path, 'rb') as file_:
        resumed = load(file_)
    guard = resumed.extensions[0]
    assert isinstance(guard, NanGuard)
    # The update keeping the cost is pickled with the algorithm
    assert guard._cost_value in [variable for variable, _ in
                                 resumed.algorithm.updates]
    assert pickle.loads(pickle.dumps(guard))._cost_name == 'cost'
    resumed.algorithm.step_rule.learning_rate.set_value(
        numpy.asarray(1e15, dtype=pytensor.config.floatX))
    resumed.extensions[2].set_conditions(after_n_batches=100)
    with pytest.raises(NonFiniteError, match=r"The last good checkpoint is "
                                             r".*checkpoint\.tar \(iteration "
                                             r"3\); it is kept"):
        resumed.run()
    assert resumed.status['iterations_done'] > 3
    with open(path, 'rb') as file_:
        assert load(file_).status['iterations_done'] == 3


def test_the_guard_checks_a_scalar_cost():
    with pytest.raises(ValueError, match=r"NanGuard checks a scalar cost, got "
                                         r".* of ndim 1"):
        NanGuard(cost=pytensor.tensor.vector('costs'))


def test_a_trigger_replaces_checking_every_batch():
    conditions = NanGuard(every_n_batches=10)._conditions
    assert [name for name, _, _ in conditions] == ['after_batch']
    assert conditions[0][1].num == 10
    assert [name for name, _, _ in NanGuard()._conditions] == ['after_batch']
