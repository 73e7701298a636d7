"""The extension framework and the extensions of blocks.extensions."""
import pickle
import re

import pytest

import blocks.utils.profile
from blocks.algorithms import GradientDescent
from blocks.extensions import (CallbackName, CompositeExtension, FinishAfter,
                               Predicate, Printing, ProgressBar,
                               SimpleExtension, Timestamp, Timing,
                               TrainingExtension)
from blocks.extensions.predicates import OnLogRecord
from blocks.extensions.saveload import Checkpoint
from blocks.extensions.stopping import (EarlyStopping,
                                        FinishIfNoImprovementAfter)
from blocks.extensions.training import SharedVariableModifier, TrackTheBest
from blocks.graph import ComputationGraph
from blocks.log import TrainingLog
from blocks.main_loop import MainLoop
from blocks.utils import shared_floatx
from fuel.schemes import IterationScheme
from fuel.streams import DataStream
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


def run(extensions, num_examples=20, batch_size=5, epochs=2, scheme=None,
        **kwargs):
    cost, linear = regression_model()
    main_loop = MainLoop(regression_algorithm(cost),
                         regression_stream(num_examples, batch_size, scheme),
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


class FakeClock:
    """Stands for the time module of the profile: time moves when told."""
    def __init__(self):
        self.now = 0.

    def perf_counter(self):
        return self.now


def test_timing_reports_the_time_of_each_section(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(blocks.utils.profile, 'time', clock)

    class ClockedDescent(GradientDescent):
        def initialize(self):
            super().initialize()
            clock.now += 1.5

        def process_batch(self, batch):
            super().process_batch(batch)
            clock.now += 0.25

    class ClockedStream(DataStream):
        def get_data(self, request=None):
            clock.now += 0.125
            return super().get_data(request)

    cost, _ = regression_model()
    stream = regression_stream(20, 5)
    stream = ClockedStream(stream.dataset,
                           iteration_scheme=stream.iteration_scheme)
    algorithm = ClockedDescent(cost=cost,
                               parameters=ComputationGraph(cost).parameters)
    main_loop = MainLoop(algorithm, stream, extensions=[
        FinishAfter(after_n_epochs=2), Timing(every_n_batches=2),
        Timing(prefix='epoch')])
    main_loop.run()
    log = main_loop.log
    assert log[0]['time_initialization'] == 1.5
    assert log[0]['epoch_time_initialization'] == 1.5
    for iteration in (2, 4, 6, 8):
        # Two batches since the last report, averaged
        assert log[iteration]['time_train_this_batch'] == 0.25
        assert log[iteration]['time_read_data_this_batch'] == 0.125
        assert log[iteration]['time_train_total'] == 0.25 * iteration
        assert log[iteration]['time_read_data_total'] == 0.125 * iteration
    for iteration in (4, 8):
        assert log[iteration]['epoch_time_train_this_epoch'] == 1.
        assert log[iteration]['epoch_time_read_data_this_epoch'] == 0.5
        assert log[iteration]['epoch_time_train_total'] == 0.25 * iteration
    assert 'time_train_this_batch' not in log[3]
    # Compilation is timed by the compile backend, on the real clock
    assert (log[8]['time_compile_total'] >= log[0]['time_compile_total'] >
            0)


def test_timestamp():
    class FixedTimestamp(Timestamp):
        def get_timestamp(self):
            return '2026-01-01 00:00:00'

    main_loop = run([FixedTimestamp()])
    assert main_loop.log[0]['timestamp'] == '2026-01-01 00:00:00'
    assert main_loop.log[4]['timestamp'] == '2026-01-01 00:00:00'


def test_progress_bar_counts_the_batches_of_each_epoch(capsys):
    bar = ProgressBar()
    run([bar])
    assert bar.get_iter_per_epoch() == 4
    assert bar.bar is None
    restored = pickle.loads(pickle.dumps(bar))
    assert restored.bar is None
    # The bar is written to standard error; each epoch ends at 4 of 4
    finished = re.findall(r'Epoch (\d+), step (\d+) \(100%\)',
                          capsys.readouterr().err)
    assert finished == [('0', '4'), ('1', '4')]


class UnsizedScheme(IterationScheme):
    """Two batches of five examples, without saying how many."""
    requests_examples = False

    def get_request_iterator(self):
        return iter([list(range(5)), list(range(5, 10))])


def test_progress_bar_without_a_known_epoch_length(capsys):
    bar = ProgressBar()
    run([bar], num_examples=10, scheme=UnsizedScheme())
    assert bar.get_iter_per_epoch() is None
    err = capsys.readouterr().err
    assert '%' not in err
    assert re.findall(r'Epoch (\d+), step (\d+)', err)[-1] == ('1', '2')


def printed_report(header, status, iteration, records):
    """The text :class:`Printing` prints, in the format of the seeds."""
    lines = ['', 79 * '-', header, 79 * '-']
    if status is not None:
        lines.append('Training status:')
        lines += ['\t {}: {}'.format(key, value)
                  for key, value in sorted(status.items())]
        lines.append('Log records from the iteration {}:'.format(iteration))
        lines += ['\t {}: {}'.format(key, value)
                  for key, value in sorted(records.items())
                  if not key.startswith('_')]
    return '\n'.join(lines + ['', ''])


def test_printing_reports_the_status_and_the_log(capsys):
    main_loop = run([WriteValues([0.5, 0.25]), Printing()])
    log = main_loop.log
    assert log[4]['valid'] == 0.5 and log[8]['_private'] == 'hidden'
    assert log[8]['training_finished']
    # The main loop marks the row finished after the last epoch's report
    before_finish = {key: value for key, value in log[8].items()
                     if key != 'training_finished'}
    expected = ''.join([
        printed_report('BEFORE FIRST EPOCH',
                       {'epochs_done': 0, 'iterations_done': 0}, 0, log[0]),
        printed_report('AFTER ANOTHER EPOCH',
                       {'epochs_done': 1, 'iterations_done': 4}, 4, log[4]),
        printed_report('AFTER ANOTHER EPOCH',
                       {'epochs_done': 2, 'iterations_done': 8}, 8,
                       before_finish),
        printed_report('TRAINING HAS BEEN FINISHED:',
                       {'epochs_done': 2, 'iterations_done': 8}, 8, log[8])])
    assert capsys.readouterr().out == expected
    # The last report holds every record of the last row
    assert 'training_finished: True' in expected
    assert 'valid: 0.25' in expected and '_private' not in expected


def test_printing_on_interrupt_prints_no_status(capsys):
    printing = Printing()
    printing.main_loop = run([])
    capsys.readouterr()
    printing.dispatch(CallbackName('on_interrupt'))
    assert capsys.readouterr().out == printed_report(
        'TRAINING HAS BEEN INTERRUPTED', None, None, None)


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
        self.main_loop.log.current_row['_private'] = 'hidden'


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


def test_early_stopping_saves_each_best_and_stops(tmp_path):
    values = [3., 2., 2.5, 2.2, 2.1, 1.0]
    checkpoint = Checkpoint(str(tmp_path / 'last.tar'), after_training=False)
    best = str(tmp_path / 'best.tar')
    stopping = EarlyStopping('valid', epochs=2,
                             checkpoint_extension=checkpoint,
                             checkpoint_filename=best)
    main_loop = run([WriteValues(values), stopping], epochs=6,
                    num_examples=5, batch_size=5)
    # The same decisions as the two extensions it is made of.
    assert main_loop.status['best_valid'] == 2.
    assert main_loop.status['epochs_done'] == 4
    assert main_loop.log[3]['valid_best_so_far_patience_epochs'] == 1
    # The checkpoint joined the main loop and saved the bests only.
    assert checkpoint in main_loop.extensions
    assert [row['saved_to'] for _, row in sorted(main_loop.log.items())
            if 'saved_to' in row] == [(best,), (best,)]
    assert not (tmp_path / 'last.tar').exists()
    pickle.loads(pickle.dumps(stopping))
    with pytest.raises(ValueError, match="without checkpoint_filename"):
        EarlyStopping('valid', epochs=1, checkpoint_extension=checkpoint)
    with pytest.raises(ValueError, match="exactly one of epochs"):
        EarlyStopping('valid')


def test_on_log_record_predicate():
    log = TrainingLog()
    predicate = OnLogRecord('saved')
    assert not predicate(log)
    log.current_row['saved'] = True
    assert predicate(log)


def test_main_loop_required():
    with pytest.raises(ValueError, match="main loop must be assigned"):
        TrainingExtension().main_loop


@pytest.mark.parametrize('module, names', [
    ('blocks.extensions.base', ['FinishAfter', 'Printing', 'ProgressBar',
                                'SimpleExtension', 'Timestamp', 'Timing',
                                'TrainingExtension']),
    ('blocks.extensions', ['FinishAfter', 'Printing', 'ProgressBar',
                           'Timestamp', 'Timing'])])
def test_pickles_naming_the_old_modules_still_load(module, names):
    """Checkpoints name a class by the module it was defined in."""
    for name in names:
        stream = 'c{}\n{}\n.'.format(module, name).encode()
        loaded = pickle.loads(stream)
        assert loaded.__name__ == name
        assert loaded is getattr(blocks.extensions, name)
