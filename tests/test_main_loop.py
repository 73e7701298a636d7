import os
import pickle
import signal
import sqlite3

import numpy
import pytest
from numpy.testing import assert_allclose

from blocks.extensions import FinishAfter, Printing, TrainingExtension
from blocks.main_loop import MainLoop
from blocks.bricks import Linear
from fuel.schemes import ShuffledScheme
from tests.helpers import (RecordingExtension, regression_algorithm,
                           regression_data, regression_model,
                           regression_stream)


def make_main_loop(extensions=(), num_examples=20, batch_size=5, scheme=None,
                   **kwargs):
    cost, linear = regression_model()
    main_loop = MainLoop(regression_algorithm(cost),
                         regression_stream(num_examples, batch_size, scheme),
                         extensions=list(extensions), **kwargs)
    return main_loop, linear


def test_callbacks_run_in_order():
    recorder = RecordingExtension()
    main_loop, _ = make_main_loop([FinishAfter(after_n_epochs=2), recorder],
                                  num_examples=4, batch_size=2)
    main_loop.run()
    epoch = [('before_epoch', 0), ('before_batch', 0), ('after_batch', 1),
             ('before_batch', 1), ('after_batch', 2), ('after_epoch', 2)]
    second_epoch = [('before_epoch', 2), ('before_batch', 2),
                    ('after_batch', 3), ('before_batch', 3),
                    ('after_batch', 4), ('after_epoch', 4)]
    assert recorder.calls == ([('before_training', 0)] + epoch +
                              second_epoch + [('after_training', 4)])
    assert main_loop.status['iterations_done'] == 4
    assert main_loop.status['epochs_done'] == 2
    assert main_loop.status['_epoch_ends'] == [2, 4]
    assert main_loop.log.current_row['training_finished']


def test_training_reduces_cost_and_matches_numpy():
    main_loop, linear = make_main_loop([FinishAfter(after_n_batches=1)],
                                       num_examples=5, batch_size=5)
    main_loop.run()
    features, targets = regression_data(5)
    # One SGD step from zero on mean squared error summed over features
    gradient = -2 * features.T.dot(targets) / 5
    assert_allclose(linear.W.get_value(), -0.1 * gradient, rtol=1e-5)


def test_printing_layout(capsys):
    main_loop, _ = make_main_loop([FinishAfter(after_n_epochs=1),
                                   Printing()], num_examples=4,
                                  batch_size=2)
    main_loop.run()
    out = capsys.readouterr().out
    rule = '-' * 79
    assert out.count(rule) == 6
    first = out.split('\n\n')[0].strip().split('\n')
    assert first == [rule, 'BEFORE FIRST EPOCH', rule, 'Training status:',
                     '\t epochs_done: 0', '\t iterations_done: 0',
                     'Log records from the iteration 0:']
    assert 'AFTER ANOTHER EPOCH' in out
    assert 'TRAINING HAS BEEN FINISHED:' in out
    assert '\t training_finished: True' in out
    assert '_epoch_ends' not in out


class Failing(TrainingExtension):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.errors = []

    def after_batch(self, batch):
        raise_deep_error()

    def on_error(self, exception):
        self.errors.append(exception)


def raise_deep_error():
    raise RuntimeError("extension exploded")


def test_error_in_extension_runs_on_error_and_reraises():
    failing = Failing()
    main_loop, _ = make_main_loop([failing])
    with pytest.raises(RuntimeError, match="extension exploded") as info:
        main_loop.run()
    assert len(failing.errors) == 1
    assert failing.errors[0] is info.value
    assert str(info.value) == "extension exploded"
    assert 'raise_deep_error' in [entry.name for entry in info.traceback]
    assert 'extension exploded' in main_loop.log.current_row['got_exception']
    # the signal handlers are restored
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


class SendSignal(TrainingExtension):
    def __init__(self, signals_at, **kwargs):
        super().__init__(**kwargs)
        self.signals_at = dict(signals_at)
        self.interrupted = False

    def after_batch(self, batch):
        iteration = self.main_loop.status['iterations_done']
        if iteration in self.signals_at:
            os.kill(os.getpid(), self.signals_at[iteration])

    def on_interrupt(self):
        self.interrupted = True


def test_first_sigint_finishes_the_epoch():
    sender = SendSignal({2: signal.SIGINT})
    main_loop, _ = make_main_loop([sender], num_examples=20, batch_size=5)
    main_loop.run()
    assert main_loop.status['iterations_done'] == 4
    assert main_loop.status['epochs_done'] == 1
    assert sender.interrupted
    assert main_loop.log[2]['epoch_interrupt_received']
    assert main_loop.log.current_row['training_finished']


def test_second_sigint_finishes_the_batch():
    sender = SendSignal({1: signal.SIGINT, 2: signal.SIGINT})
    main_loop, _ = make_main_loop([sender], num_examples=20, batch_size=5)
    main_loop.run()
    assert main_loop.status['iterations_done'] == 2
    assert sender.interrupted
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_sigterm_finishes_the_batch():
    sender = SendSignal({3: signal.SIGTERM})
    main_loop, _ = make_main_loop([sender], num_examples=20, batch_size=5)
    main_loop.run()
    assert main_loop.status['iterations_done'] == 3
    assert main_loop.log[3]['batch_interrupt_received']
    assert sender.interrupted


def test_refuses_uninitialized_parameters():
    cost, linear = regression_model()
    linear.W.set_value(numpy.nan * linear.W.get_value())
    main_loop = MainLoop(regression_algorithm(cost), regression_stream())
    with pytest.raises(ValueError, match=r"never initialized: /linear\.W"):
        main_loop.run()


def test_refuses_duplicate_parameter_paths():
    from pytensor import tensor
    from blocks.bricks.cost import SquaredError
    from blocks.initialization import Constant
    x, y = tensor.matrix('features'), tensor.matrix('targets')
    first = Linear(3, 3, weights_init=Constant(0.), biases_init=Constant(0.))
    second = Linear(3, 1, weights_init=Constant(0.), biases_init=Constant(0.))
    first.initialize()
    second.initialize()
    cost = SquaredError().apply(y, second.apply(first.apply(x)))
    main_loop = MainLoop(regression_algorithm(cost), regression_stream())
    with pytest.raises(ValueError, match=r"/linear\.W.*distinct names"):
        main_loop.run()


def test_refuses_missing_and_extra_sources():
    from fuel.transformers import Rename
    cost, _ = regression_model()
    stream = Rename(regression_stream(), {'targets': 'labels'})
    main_loop = MainLoop(regression_algorithm(cost), stream)
    with pytest.raises(ValueError, match=r"\['targets'\].*'labels'"):
        main_loop.run()


def test_extra_sources_follow_on_unused_sources():
    from fuel.transformers import Mapping

    cost, _ = regression_model()
    stream = Mapping(regression_stream(), add_constant_source,
                     add_sources=('weights',))
    main_loop = MainLoop(regression_algorithm(cost), stream,
                         extensions=[FinishAfter(after_n_batches=1)])
    with pytest.raises(ValueError, match=r"\['weights'\]"):
        main_loop.run()
    main_loop = MainLoop(
        regression_algorithm(cost, on_unused_sources='ignore'), stream,
        extensions=[FinishAfter(after_n_batches=1)])
    main_loop.run()
    assert main_loop.status['iterations_done'] == 1


def add_constant_source(data):
    return (numpy.ones(len(data[0])),)


def test_find_extension():
    printing = Printing(name='printer')
    main_loop, _ = make_main_loop([printing, FinishAfter()])
    assert main_loop.find_extension('printer') is printing
    with pytest.raises(ValueError):
        main_loop.find_extension('missing')


def test_model_is_optional():
    main_loop, _ = make_main_loop()
    with pytest.raises(AttributeError, match="no model"):
        main_loop.model


def run_and_collect(main_loop):
    main_loop.run()
    return [p.get_value() for p in main_loop.algorithm.parameters]


class PickleAt(TrainingExtension):
    """Pickles the main loop after a given iteration."""
    def __init__(self, iteration, **kwargs):
        super().__init__(**kwargs)
        self.iteration = iteration
        self.pickled = None

    def after_batch(self, batch):
        if self.main_loop.status['iterations_done'] == self.iteration:
            self.pickled = pickle.dumps(self.main_loop)


def test_pickled_mid_epoch_resumes_identically():
    scheme = ShuffledScheme(20, 5, rng=numpy.random.RandomState(3))
    straight, _ = make_main_loop([FinishAfter(after_n_epochs=3)],
                                 scheme=scheme)
    expected = run_and_collect(straight)

    scheme = ShuffledScheme(20, 5, rng=numpy.random.RandomState(3))
    pickler = PickleAt(6)
    interrupted, _ = make_main_loop([FinishAfter(after_n_epochs=3), pickler],
                                    scheme=scheme)
    interrupted.run()
    resumed = pickle.loads(pickler.pickled)
    resumed.extensions[1].iteration = -1  # do not pickle again
    assert resumed.status['iterations_done'] == 6
    result = run_and_collect(resumed)
    for value, reference in zip(result, expected):
        assert numpy.array_equal(value, reference)
    assert resumed.log[6]['resumed_from'] is not None
    assert resumed.status['iterations_done'] == 12


def test_sqlite_log_readable_during_training(tmp_path, monkeypatch):
    database = str(tmp_path / 'log.sqlite')
    seen = []

    class ReadDatabase(TrainingExtension):
        def after_batch(self, batch):
            self.main_loop.log.current_row['marker'] = 1.5
            with sqlite3.connect(database) as connection:
                seen.append(connection.execute(
                    "SELECT COUNT(*) FROM entries").fetchone()[0])

    monkeypatch.setenv('BLOCKS_SQLITEDB', database)
    main_loop, _ = make_main_loop([ReadDatabase(),
                                   FinishAfter(after_n_batches=3)],
                                  log_backend='sqlite')
    main_loop.run()
    assert seen and seen[-1] >= 3
    assert main_loop.log[2]['marker'] == 1.5


def test_bad_log_backend():
    cost, _ = regression_model()
    with pytest.raises(ValueError, match="log_backend must be one of"):
        MainLoop(regression_algorithm(cost), regression_stream(),
                 log_backend='csv')
