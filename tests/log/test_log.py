"""The in-memory training log."""
import pickle
from uuid import UUID, uuid4

import pytest

from blocks.log import BACKENDS, SQLiteLog, TrainingLog, TrainingLogBase


def test_backends():
    assert BACKENDS == {'python': TrainingLog, 'sqlite': SQLiteLog}
    assert issubclass(TrainingLog, TrainingLogBase)
    assert issubclass(SQLiteLog, TrainingLogBase)


def test_new_log_status():
    log = TrainingLog()
    assert dict(log.status) == {'iterations_done': 0, 'epochs_done': 0,
                                '_epoch_ends': [], '_resumed_from': None}
    # Printing shows the keys without a leading underscore, and only those.
    assert sorted(key for key in log.status if not key.startswith('_')) == [
        'epochs_done', 'iterations_done']
    assert isinstance(log.uuid, UUID)
    assert log.h_uuid == log.uuid.hex
    assert TrainingLog().h_uuid != log.h_uuid
    # Fresh mutable defaults for each log.
    log.status['_epoch_ends'].append(3)
    assert TrainingLog().status['_epoch_ends'] == []


def test_uuid_argument():
    uuid = uuid4()
    assert TrainingLog(uuid=uuid).uuid == uuid
    assert TrainingLog(uuid=uuid.hex).uuid == uuid
    with pytest.raises(ValueError, match="uuid must be a uuid.UUID or its "
                                         "hexadecimal string, got 'nope'"):
        TrainingLog(uuid='nope')


def test_rows():
    log = TrainingLog()
    assert log[5] == {}
    assert 5 in log
    log[2]['cost'] = 1.5
    log[2].update({'error': 0.25})
    assert log[2] == {'cost': 1.5, 'error': 0.25}
    log[3] = {'cost': 1.}
    assert log[3]['cost'] == 1.
    assert sorted(log) == [2, 3, 5]


def test_current_previous_and_last_epoch_rows():
    log = TrainingLog()
    log.current_row['a'] = 0
    for iteration in range(1, 5):
        log.status['iterations_done'] += 1
        log.current_row['a'] = iteration
        if iteration in (2, 4):
            log.status['epochs_done'] += 1
            log.status['_epoch_ends'] += [iteration]
    log.status['iterations_done'] += 1
    log.current_row['a'] = 5
    assert log.current_row == {'a': 5}
    assert log.previous_row == {'a': 4}
    assert log.last_epoch_row == {'a': 4}
    assert log.status['_epoch_ends'] == [2, 4]


def test_previous_row_at_start_is_an_error():
    log = TrainingLog()
    with pytest.raises(ValueError, match="time must be a non-negative "
                                         "integer, got -1"):
        log.previous_row


def test_last_epoch_row_before_any_epoch_is_an_error():
    with pytest.raises(IndexError, match="no epoch has ended yet"):
        TrainingLog().last_epoch_row


@pytest.mark.parametrize('time', [-1, 1.5, '3', True, None])
def test_invalid_times(time):
    log = TrainingLog()
    with pytest.raises(ValueError, match=r"time must be a non-negative "
                                         r"integer, got "):
        log[time]
    with pytest.raises(ValueError, match=r"time must be a non-negative "
                                         r"integer, got "):
        log[time] = {}


def test_numpy_integer_times():
    import numpy
    log = TrainingLog()
    log[numpy.int64(3)]['a'] = 1
    assert log[3] == {'a': 1}
    assert list(log) == [3] and type(list(log)[0]) is int


def test_pickling_keeps_rows_status_and_uuid():
    log = TrainingLog()
    log.current_row['cost'] = 2.
    log.status['iterations_done'] = 7
    log.status['_epoch_ends'] = [3, 7]
    log.status['_training_started'] = True
    log[7]['saved_to'] = ('a', 'b')
    loaded = pickle.loads(pickle.dumps(log))
    assert type(loaded) is TrainingLog
    assert loaded.uuid == log.uuid
    assert dict(loaded) == {0: {'cost': 2.}, 7: {'saved_to': ('a', 'b')}}
    assert loaded.status == log.status
    assert loaded.last_epoch_row == {'saved_to': ('a', 'b')}
    # Still a defaultdict of rows.
    assert loaded[100] == {}
    # Pickling does not change the pickled log.
    assert log.uuid == loaded.uuid


def test_resume():
    log = TrainingLog()
    log.status['iterations_done'] = 3
    log.status['_epoch_ends'] = [3]
    log.current_row['cost'] = 1.
    old_uuid = log.h_uuid
    log.resume()
    assert log.h_uuid != old_uuid
    assert log.status['_resumed_from'] == old_uuid
    assert log.current_row == {'cost': 1., 'resumed_from': old_uuid}
    assert log.status['iterations_done'] == 3
    assert log.status['_epoch_ends'] == [3]
    # Resuming again records the intermediate log.
    second_uuid = log.h_uuid
    log.status['iterations_done'] = 4
    log.resume()
    assert log.status['_resumed_from'] == second_uuid
    assert log[3]['resumed_from'] == old_uuid
    assert log[4]['resumed_from'] == second_uuid
