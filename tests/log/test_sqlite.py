"""The SQLite training log."""
import pickle
import sqlite3
import subprocess
import sys
import threading
import warnings

import numpy
import pytest
from numpy.testing import assert_allclose

from blocks.config import config
from blocks.log import SQLiteLog
from blocks.log.sqlite import SQLiteEntry, SQLiteStatus


@pytest.fixture
def database(tmp_path):
    return str(tmp_path / 'log.sqlite')


def read_entries(database, uuid):
    """Read the rows of a log with a separate connection."""
    connection = sqlite3.connect(database)
    try:
        return connection.execute(
            'SELECT time, "key", value, typeof(value) FROM entries '
            'WHERE uuid = ? ORDER BY time, "key"', (uuid,)).fetchall()
    finally:
        connection.close()


def test_new_log_status(database):
    log = SQLiteLog(database)
    assert isinstance(log.status, SQLiteStatus)
    assert dict(log.status) == {'iterations_done': 0, 'epochs_done': 0,
                                '_epoch_ends': [], '_resumed_from': None}
    assert sorted(log.status) == ['_epoch_ends', '_resumed_from',
                                  'epochs_done', 'iterations_done']
    assert len(log.status) == 4
    assert log.database == database


def test_database_from_config(tmp_path, monkeypatch):
    database = str(tmp_path / 'configured.sqlite')
    monkeypatch.setenv('BLOCKS_SQLITEDB', database)
    assert config.sqlite_database == database
    log = SQLiteLog()
    log.current_row['a'] = 1
    assert read_entries(database, log.h_uuid) == [(0, 'a', 1, 'integer')]


@pytest.mark.parametrize('database', ['', 'file:log?mode=memory'])
def test_empty_name_and_uris_are_refused(database):
    with pytest.raises(ValueError, match="database must name a file or be "
                                         "':memory:', got "):
        SQLiteLog(database)


def test_in_memory_database_as_in_blocks():
    log = SQLiteLog(':memory:')
    other = SQLiteLog(':memory:')
    log.current_row['cost'] = 1.5
    log.status['iterations_done'] += 1
    log.current_row['cost'] = numpy.float64(0.5)
    assert dict(log.previous_row) == {'cost': 1.5}
    assert log.current_row['cost'] == 0.5
    assert log.status['iterations_done'] == 1
    # Each ':memory:' log has a database of its own.
    assert len(other) == 0 and other.status['iterations_done'] == 0
    # Another thread's connection sees the same database.
    seen = []
    thread = threading.Thread(target=lambda: seen.append(dict(log[1])))
    thread.start()
    thread.join()
    assert seen == [{'cost': 0.5}]


def test_database_type_is_checked():
    with pytest.raises(TypeError, match="database must be a file name, "
                                        "got 3"):
        SQLiteLog(3)


def test_rows_are_readable_by_another_connection_while_open(database):
    log = SQLiteLog(database)
    log.current_row['cost'] = numpy.float32(0.5)
    log.current_row['n'] = numpy.int64(3)
    log.current_row['zero_d'] = numpy.array(2.5, dtype='float32')
    log.current_row['flag'] = True
    log.current_row['note'] = 'text'
    log.current_row['nothing'] = None
    log.status['iterations_done'] += 1
    log.current_row.update({'cost': 0.25, 'n': 4})
    assert read_entries(database, log.h_uuid) == [
        (0, 'cost', 0.5, 'real'), (0, 'flag', 1, 'integer'),
        (0, 'n', 3, 'integer'), (0, 'note', 'text', 'text'),
        (0, 'nothing', None, 'null'), (0, 'zero_d', 2.5, 'real'),
        (1, 'cost', 0.25, 'real'), (1, 'n', 4, 'integer')]
    connection = sqlite3.connect(database)
    assert connection.execute(
        'SELECT value FROM status WHERE uuid = ? AND "key" = ?',
        (log.h_uuid, 'iterations_done')).fetchone() == (1,)
    connection.close()
    # And read back through the log.
    assert dict(log.previous_row) == {
        'cost': 0.5, 'n': 3, 'zero_d': 2.5, 'flag': 1, 'note': 'text',
        'nothing': None}
    assert log.current_row['cost'] == 0.25
    assert 'cost' in log.current_row and 'other' not in log.current_row
    assert log.current_row.get('other', 'default') == 'default'
    with pytest.raises(KeyError):
        log.current_row['other']


def test_rows_are_readable_by_another_process_while_open(database):
    log = SQLiteLog(database)
    for iteration in range(3):
        log.current_row['cost'] = 1. / (iteration + 1)
        log.status['iterations_done'] += 1
    script = ("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
              "print(c.execute('SELECT time, value FROM entries WHERE "
              "uuid = ? ORDER BY time', (sys.argv[2],)).fetchall()); "
              "print(c.execute('SELECT value FROM status WHERE uuid = ? AND "
              "\"key\" = ?', (sys.argv[2], 'iterations_done')).fetchall())")
    output = subprocess.run(
        [sys.executable, '-c', script, database, log.h_uuid],
        capture_output=True, text=True, check=True, timeout=60).stdout
    assert output.splitlines() == [
        '[(0, 1.0), (1, 0.5), (2, 0.3333333333333333)]', '[(3,)]']
    # The log keeps working after the other process read the database.
    log.current_row['cost'] = 0.25
    assert log.current_row['cost'] == 0.25


def test_blobs(database):
    log = SQLiteLog(database)
    array = numpy.arange(6, dtype='float32').reshape(2, 3)
    log.current_row['array'] = array
    log.current_row['list'] = [1, (2, 'b')]
    log.current_row['nan'] = float('nan')
    log.current_row['big_int'] = 2 ** 70
    log.current_row['raw'] = b'\x00\x01'
    log.status['_epoch_ends'] = [1, 2]
    types = {key: kind for _, key, _, kind in read_entries(
        database, log.h_uuid)}
    assert types == {'array': 'blob', 'list': 'blob', 'nan': 'blob',
                     'big_int': 'blob', 'raw': 'blob'}
    loaded = log.current_row['array']
    assert loaded.dtype == array.dtype
    assert_allclose(loaded, array)
    assert log.current_row['list'] == [1, (2, 'b')]
    assert numpy.isnan(log.current_row['nan'])
    assert log.current_row['big_int'] == 2 ** 70
    assert log.current_row['raw'] == b'\x00\x01'
    assert log.status['_epoch_ends'] == [1, 2]


def test_large_blob_warning(database):
    log = SQLiteLog(database)
    config.max_blob_size = 500
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            log.current_row['small'] = numpy.zeros(2)
            log.current_row['large'] = numpy.zeros(100)
    finally:
        config.unset('max_blob_size')
    messages = [str(warning.message) for warning in caught]
    assert len(messages) == 1
    assert messages[0].startswith("the log record 'large' holds a ndarray, "
                                  "which pickles to more than "
                                  "config.max_blob_size (500 bytes)")
    assert_allclose(log.current_row['large'], numpy.zeros(100))


def test_keys_must_be_strings(database):
    log = SQLiteLog(database)
    with pytest.raises(TypeError, match="keys must be strings, got 1"):
        log.current_row[1] = 2
    with pytest.raises(TypeError, match="keys must be strings, got 1"):
        log.status[1] = 2


def test_status_is_written_through(database):
    log = SQLiteLog(database)
    log.status['_epoch_ends'] += [5]
    log.status['_epoch_ends'] += [9]
    assert log.status['_epoch_ends'] == [5, 9]
    # In-place mutation of a value read from the database is lost.
    log.status['_epoch_ends'].append(10)
    assert log.status['_epoch_ends'] == [5, 9]
    log.status.setdefault('_training_started', False)
    log.status.setdefault('_training_started', True)
    assert log.status['_training_started'] == 0
    assert log.status.get('missing') is None
    del log.status['_training_started']
    assert '_training_started' not in log.status
    with pytest.raises(KeyError):
        del log.status['_training_started']
    log.status.update({'a': 1}, b=2)
    assert log.status['a'] == 1 and log.status['b'] == 2


def test_rows_iteration_and_epoch_rows(database):
    log = SQLiteLog(database)
    for iteration in range(4):
        log.current_row['i'] = iteration
        log.status['iterations_done'] += 1
        if iteration % 2:
            log.status['_epoch_ends'] += [log.status['iterations_done']]
            log.current_row['epoch_end'] = True
    assert list(log) == [0, 1, 2, 3, 4]
    assert len(log) == 5
    assert 3 in log and 7 not in log and -1 not in log
    assert isinstance(log[9], SQLiteEntry) and dict(log[9]) == {}
    assert dict(log.previous_row) == {'i': 3}
    assert dict(log.last_epoch_row) == {'epoch_end': 1}
    assert log.last_epoch_row == {'epoch_end': 1}
    del log[0]['i']
    assert dict(log[0]) == {}
    with pytest.raises(KeyError):
        del log[0]['i']
    with pytest.raises(ValueError, match="time must be a non-negative "
                                         "integer, got -2"):
        log[-2]


def test_logs_in_one_database_are_separate(database):
    first, second = SQLiteLog(database), SQLiteLog(database)
    first.current_row['a'] = 1
    second.current_row['a'] = 2
    first.status['iterations_done'] = 5
    assert first.current_row.get('a') is None
    assert dict(first[0]) == {'a': 1} and dict(second[0]) == {'a': 2}
    assert second.status['iterations_done'] == 0


def test_reopen_by_uuid(database):
    log = SQLiteLog(database)
    log.current_row['a'] = 1
    log.status['iterations_done'] = 1
    reopened = SQLiteLog(database, uuid=log.uuid)
    assert reopened.status['iterations_done'] == 1
    assert dict(reopened[0]) == {'a': 1}


def test_resume_reads_ancestors(database):
    log = SQLiteLog(database)
    log.current_row['cost'] = 3.
    log.status['iterations_done'] = 1
    log.current_row['cost'] = 2.
    log.current_row['extra'] = 'old'
    first_uuid = log.h_uuid
    log.resume()
    assert log.h_uuid != first_uuid
    assert log.status['_resumed_from'] == first_uuid
    assert log.status['iterations_done'] == 1
    assert dict(log.current_row) == {'cost': 2., 'extra': 'old',
                                     'resumed_from': first_uuid}
    # The new log's records win over its ancestors'.
    log.current_row['cost'] = 1.5
    assert log.current_row['cost'] == 1.5
    assert log[0]['cost'] == 3.
    # A second resumption still reaches the first log.
    second_uuid = log.h_uuid
    log.status['iterations_done'] = 2
    log.current_row['cost'] = 1.
    log.resume()
    assert log.status['_resumed_from'] == second_uuid
    assert log[0]['cost'] == 3.
    assert log[1]['cost'] == 1.5
    assert list(log) == [0, 1, 2]
    # The old logs are untouched.
    assert [row[:3] for row in read_entries(database, first_uuid)] == [
        (0, 'cost', 3.), (1, 'cost', 2.), (1, 'extra', 'old')]
    # Records of an ancestor cannot be deleted through the new log.
    with pytest.raises(ValueError, match="written before the log was "
                                         "resumed"):
        del log[0]['cost']


def test_pickling_forks_the_live_log(database):
    log = SQLiteLog(database)
    log.current_row['cost'] = 1.
    log.status['iterations_done'] = 1
    log.status['_epoch_ends'] = [1]
    checkpoint_uuid = log.h_uuid
    pickled = pickle.dumps(log)
    # The live log goes on under a new UUID...
    assert log.h_uuid != checkpoint_uuid
    assert log.status['_resumed_from'] == checkpoint_uuid
    assert 'resumed_from' not in log.current_row
    log.current_row['cost'] = 0.5
    log.status['iterations_done'] = 2
    log.status['_epoch_ends'] += [2]
    # ... so that the pickle sees the status of the moment it was made.
    loaded = pickle.loads(pickled)
    assert isinstance(loaded, SQLiteLog)
    assert loaded.h_uuid == checkpoint_uuid
    assert loaded.status['iterations_done'] == 1
    assert loaded.status['_epoch_ends'] == [1]
    assert loaded[0]['cost'] == 1.
    assert 1 not in loaded
    loaded.resume()
    loaded.current_row['cost'] = 0.75
    assert log[1]['cost'] == 0.5
    assert loaded[1]['cost'] == 0.75
    assert loaded[0]['cost'] == 1.


def test_each_thread_has_its_own_connection(database):
    log = SQLiteLog(database)
    errors, connections = [], []

    def write():
        try:
            log.current_row['thread'] = 1
            log.status['from_thread'] = True
            connections.append(log.conn)
        except Exception as error:  # reported below
            errors.append(error)
    thread = threading.Thread(target=write)
    thread.start()
    thread.join()
    assert errors == []
    assert connections[0] is not log.conn
    assert log.current_row['thread'] == 1
    assert log.status['from_thread'] == 1


def test_close_and_reopen(database):
    log = SQLiteLog(database)
    log.current_row['a'] = 1
    log.close()
    assert log.current_row['a'] == 1
