
import pytest

from blocks.extensions import (CallbackName, CompositeExtension, FinishAfter,
                               Predicate, ProgressBar, SimpleExtension,
                               Timestamp, Timing, TrainingExtension)
from blocks.extensions.predicates import OnLogRecord
from blocks.extensions.stopping import FinishIfNoImprovementAfter
from blocks.extensions.training import SharedVariableModifier, TrackTheBest
from blocks.log import TrainingLog
from blocks.main_loop import MainLoop
from blocks.utils import shared_floatx
from tests.helpers import (regression_algorithm, regression_model,
                           regression_stream)


class Recorder(SimpleExtension):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.done = []

    def do(self, which_callback, *args):
        self.done.append((which_callback,
                          self.main_loop.status['iterations_done'],
                          self.main_loop.status['epochs_done'],
                          args))


def run(extensions, num_examples=20, batch_size=5, epochs=2, **kwargs):
    cost, linear = regression_model()
    main_loop = MainLoop(regression_algorithm(cost),
                         regression_stream(num_examples, batch_size),
                         extensions=[FinishAfter(after_n_epochs=epochs)] +
                         list(extensions), **kwargs)
    main_loop.run()
    return main_loop


@pytest.mark.parametrize('trigger, value, expected', [
    ('every_n_batches', 3, [3, 6]),
    ('after_n_batches', 5, [5]),
    ('after_batch', True, [1, 2, 3, 4, 5, 6, 7, 8]),
    ('every_n_epochs', 2, [8]),
    ('after_n_epochs', 1, [4]),
    ('after_epoch', True, [4, 8]),
    ('before_first_epoch', True, [0]),
    ('before_epoch', True, [0, 4]),
    ('before_training', True, [0]),
    ('after_training', True, [8]),
])
def test_triggers(trigger, value, expected):
    recorder = Recorder(**{trigger: value})
    run([recorder])
    assert [iteration for _, iteration, _, _ in recorder.done] == expected


def test_add_condition_with_arguments_and_parse_args():
    recorder = Recorder()
    recorder.add_condition(['after_batch'], predicate=Predicate(
        'every_n_batches', 4), arguments=('from_user',))
    run([recorder])
    (callback, iteration, _, args), _ = recorder.done
    assert (callback, iteration) == ('after_batch', 4)
    from_main_loop, from_user = SimpleExtension.parse_args(callback, args)
    assert set(from_main_loop[0]) == {'features', 'targets'}
    assert from_user == ('from_user',)
    assert SimpleExtension.parse_args('after_epoch', ('x',)) == ((), ('x',))


def test_set_conditions_replaces_and_validates():
    recorder = Recorder(after_batch=True)
    assert recorder.set_conditions(after_epoch=True) is recorder
    run([recorder])
    assert [i for _, i, _, _ in recorder.done] == [4, 8]
    with pytest.raises(KeyError, match="Invalid condition: after_lunch"):
        Recorder().set_conditions(after_lunch=True)
    with pytest.raises(TypeError, match="after_lunch"):
        Recorder(after_lunch=True)
    with pytest.raises(ValueError, match=r"every_n_batches must be a "
                                         r"positive integer, got 0"):
        Recorder(every_n_batches=0)
    with pytest.raises(ValueError, match="is not a callback"):
        Recorder().add_condition(['after_lunch'])
    with pytest.raises(ValueError, match="must be list or tuple"):
        Recorder().add_condition('after_batch')


def test_callback_name():
    assert CallbackName('after_batch') == 'after_batch'
    assert CallbackName('after_batch') != 'after_epoch'
    with pytest.raises(TypeError, match="after_lunch is not a valid"):
        CallbackName('after_batch') == 'after_lunch'


def test_predicate():
    log = TrainingLog()
    log.status['iterations_done'] = 6
    log.status['epochs_done'] = 2
    assert Predicate('every_n_batches', 3)(log)
    assert not Predicate('after_n_batches', 5)(log)
    assert Predicate('after_n_epochs', 2)(log)
    assert not Predicate('every_n_epochs', 4)(log)


def test_composite_extension_dispatch_order():
    order = []

    class Named(SimpleExtension):
        def do(self, which_callback, *args):
            order.append(self.name)

    inner = [Named(name='a', after_training=True),
             Named(name='b', after_training=True)]
    composite = CompositeExtension(inner, after_training=True, name='outer')
    composite.do = lambda *args: order.append('outer')
    run([composite])
    assert order == ['outer', 'a', 'b']
    order[:] = []
    inner = [Named(name='a', after_training=True)]
    last = CompositeExtension(inner, run_before_children=False,
                              after_training=True, name='outer')
    last.do = lambda *args: order.append('outer')
    run([last])
    assert order == ['a', 'outer']


def test_finish_after_batches():
    main_loop = run([FinishAfter(after_n_batches=3)], epochs=5)
    assert main_loop.status['iterations_done'] == 3
    assert main_loop.log[3]['training_finish_requested']


def test_timing_records():
    main_loop = run([Timing(every_n_batches=2)])
    row = main_loop.log[2]
    assert row['time_train_this_batch'] >= 0
    assert row['time_read_data_this_batch'] >= 0
    assert main_loop.log[0]['time_initialization'] > 0
    assert (main_loop.log[8]['time_compile_total'] >=
            main_loop.log[0]['time_compile_total'] > 0)
    assert main_loop.log[8]['time_train_total'] >= row['time_train_total']


def test_timestamp():
    class FixedTimestamp(Timestamp):
        def get_timestamp(self):
            return '2026-01-01 00:00:00'

    main_loop = run([FixedTimestamp()])
    assert main_loop.log[0]['timestamp'] == '2026-01-01 00:00:00'
    assert main_loop.log[4]['timestamp'] == '2026-01-01 00:00:00'


def test_progress_bar_runs_and_pickles(capsys):
    import pickle
    bar = ProgressBar()
    run([bar])
    assert bar.get_iter_per_epoch() == 4
    assert bar.bar is None
    restored = pickle.loads(pickle.dumps(bar))
    assert restored.bar is None


class Halving:
    def __call__(self, iterations_done, old_value):
        return old_value / 2


def schedule(iterations_done):
    return 1.0 / (1 + iterations_done)


def test_shared_variable_modifier():
    learning_rate = shared_floatx(1.0, name='learning_rate')
    run([SharedVariableModifier(learning_rate, schedule)])
    assert float(learning_rate.get_value()) == pytest.approx(1 / 9)
    run([SharedVariableModifier(learning_rate, Halving(), num_args=2,
                                after_batch=False, after_epoch=True)])
    assert float(learning_rate.get_value()) == pytest.approx(1 / 36)
    with pytest.raises(TypeError, match="must be a shared variable"):
        SharedVariableModifier(1.0, schedule)


class WriteValues(SimpleExtension):
    def __init__(self, values, **kwargs):
        kwargs.setdefault('after_epoch', True)
        super().__init__(**kwargs)
        self.values = values

    def do(self, which_callback, *args):
        epoch = self.main_loop.status['epochs_done']
        self.main_loop.log.current_row['valid'] = self.values[epoch - 1]


def test_track_the_best_and_early_stopping():
    values = [3., 2., 2.5, 2.2, 2.1, 1.0]
    tracker = TrackTheBest('valid')
    stopper = FinishIfNoImprovementAfter('valid_best_so_far', epochs=2)
    main_loop = run([WriteValues(values), tracker, stopper], epochs=6,
                    num_examples=5, batch_size=5)
    assert main_loop.status['best_valid'] == 2.
    assert main_loop.log[1]['valid_best_so_far']
    assert main_loop.log[2]['valid_best_so_far']
    assert 'valid_best_so_far' not in main_loop.log[3]
    assert main_loop.log[3]['valid_best_so_far_patience_epochs'] == 1
    assert main_loop.status['epochs_done'] == 4
    with pytest.raises(ValueError, match="exactly one of epochs"):
        FinishIfNoImprovementAfter('x', epochs=1, iterations=1)


def test_on_log_record_predicate():
    log = TrainingLog()
    predicate = OnLogRecord('saved')
    assert not predicate(log)
    log.current_row['saved'] = True
    assert predicate(log)


def test_main_loop_required():
    with pytest.raises(ValueError, match="main loop must be assigned"):
        TrainingExtension().main_loop
