import numpy
import pytest
from numpy.testing import assert_allclose
from pytensor import tensor

from blocks.extensions import FinishAfter
from blocks.extensions.monitoring import (DataStreamMonitoring,
                                          MonitoringExtension,
                                          TrainingDataMonitoring)
from blocks.main_loop import MainLoop
from blocks.monitoring.aggregation import MonitoredQuantity
from tests.helpers import (regression_algorithm, regression_data,
                           regression_model, regression_stream)


def test_record_names():
    extension = MonitoringExtension(prefix='valid', suffix='avg')
    x = tensor.vector('cost')
    assert extension.record_name(x) == 'valid_cost_avg'
    assert MonitoringExtension().record_name(x) == 'cost'
    with pytest.raises(ValueError, match="record name must be a string"):
        extension._record_name(None)


def test_data_stream_monitoring_matches_numpy():
    cost, linear = regression_model()
    features, targets = regression_data(20)
    monitor = DataStreamMonitoring([cost], regression_stream(20, 20),
                                   prefix='test')
    main_loop = MainLoop(regression_algorithm(cost),
                         regression_stream(20, 5),
                         extensions=[monitor, FinishAfter(after_n_epochs=1)])
    main_loop.run()
    # Before the first epoch the weights are zero
    assert_allclose(main_loop.log[0]['test_cost'],
                    (targets ** 2).sum(axis=1).mean(), rtol=1e-5)
    W, b = linear.W.get_value(), linear.b.get_value()
    residual = targets - features.dot(W) - b
    assert_allclose(main_loop.log[4]['test_cost'],
                    (residual ** 2).sum(axis=1).mean(), rtol=1e-5)


def test_training_data_monitoring_averages_the_epoch():
    cost, linear = regression_model()
    monitor = TrainingDataMonitoring([cost], prefix='train',
                                     after_epoch=True)
    main_loop = MainLoop(regression_algorithm(cost),
                         regression_stream(20, 5),
                         extensions=[monitor, FinishAfter(after_n_epochs=1)])
    # Recompute the per-batch costs (before each update) in NumPy
    features, targets = regression_data(20)
    W = numpy.zeros((3, 1))
    b = numpy.zeros(1)
    costs = []
    for start in range(0, 20, 5):
        x, y = features[start:start + 5], targets[start:start + 5]
        residual = x.dot(W) + b - y
        costs.append((residual ** 2).sum(axis=1).mean())
        W -= 0.1 * 2 * x.T.dot(residual) / 5
        b -= 0.1 * 2 * residual.sum(axis=0) / 5
    main_loop.run()
    assert_allclose(main_loop.log[4]['train_cost'], numpy.mean(costs),
                    rtol=1e-4)
    assert_allclose(linear.W.get_value(), W, rtol=1e-4)


def test_monitoring_compiles_in_the_training_mode():
    cost, _ = regression_model()
    monitor = DataStreamMonitoring([cost], regression_stream(20, 20),
                                   prefix='test')
    algorithm = regression_algorithm(
        cost, theano_func_kwargs={'mode': 'FAST_COMPILE'})
    main_loop = MainLoop(algorithm, regression_stream(20, 5),
                         extensions=[monitor, FinishAfter(after_n_batches=1)])
    main_loop.run()
    from blocks.extensions.monitoring import training_compile_kwargs
    assert training_compile_kwargs(main_loop) == {'mode': 'FAST_COMPILE'}


def test_unmonitorable_object():
    with pytest.raises(ValueError, match="can not monitor 3"):
        TrainingDataMonitoring([3])


class MeanAbsoluteTarget(MonitoredQuantity):
    """A quantity computed in Python from an unnamed graph variable."""
    def initialize(self):
        self.total, self.count = 0., 0

    def aggregate(self, values):
        self.total += float(numpy.abs(values).sum())
        self.count += values.size

    def get_aggregated_value(self):
        return self.total / self.count


def test_training_data_monitoring_of_python_quantities():
    cost, _ = regression_model()
    targets = tensor.matrix('targets')
    quantity = MeanAbsoluteTarget(requires=[targets * 1], name='mean_abs')
    monitor = TrainingDataMonitoring([cost, quantity], after_epoch=True)
    main_loop = MainLoop(regression_algorithm(cost),
                         regression_stream(20, 5),
                         extensions=[monitor, FinishAfter(after_n_epochs=1)])
    main_loop.run()
    _, expected = regression_data(20)
    assert_allclose(main_loop.log[4]['mean_abs'], numpy.abs(expected).mean(),
                    rtol=1e-5)
