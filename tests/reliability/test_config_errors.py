"""Configuration mistakes fail with the option, its source, the value and what is expected.

Each case failed silently or without a path before issue 11: a seed of
``-5``, ``1.7`` or ``true`` (read as 1), a negative recursion limit, a
binary ``~/.blocksrc`` (a bare ``UnicodeDecodeError``), an SQLite log in a
missing directory, and a documented ``temp_dir`` that nothing read.

"""
import logging
import re

import pytest

from blocks.config import (Configuration, ConfigurationError, config, path,
                           positive_int, seed)
from blocks.extensions import FinishAfter
from blocks.log.sqlite import SQLiteLog
from blocks.main_loop import MainLoop
from tests.helpers import (regression_algorithm, regression_model,
                           regression_stream)


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty home directory and no BLOCKS_* variables."""
    monkeypatch.setenv('HOME', str(tmp_path))
    for name in ['BLOCKS_CONFIG', 'BLOCKS_DEFAULT_SEED', 'BLOCKS_TEMPDIR',
                 'BLOCKS_RECURSION_LIMIT', 'BLOCKS_SQLITEDB',
                 'BLOCKS_MAX_BLOB_SIZE']:
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def configuration():
    """A configuration with Blocks' own options, read from the file."""
    result = Configuration()
    result.add_config('default_seed', type_=seed, default=1,
                      env_var='BLOCKS_DEFAULT_SEED')
    result.add_config('recursion_limit', type_=positive_int, default=10000,
                      env_var='BLOCKS_RECURSION_LIMIT')
    result.add_config('max_blob_size', type_=positive_int, default=4096,
                      env_var='BLOCKS_MAX_BLOB_SIZE')
    result.add_config('sqlite_database', type_=path,
                      default='~/blocks_log.sqlite', env_var='BLOCKS_SQLITEDB')
    result.load_yaml()
    return result


def blocksrc(home, text):
    path_ = home / '.blocksrc'
    path_.write_text(text)
    return str(path_)


@pytest.mark.parametrize('text,shown', [('-5', '-5'), ('1.7', '1.7'),
                                        ('true', 'True'),
                                        ('4294967296', '4294967296'),
                                        ('seven', "'seven'")])
def test_bad_seed_in_the_file(home, text, shown):
    file_name = blocksrc(home, 'default_seed: {}\n'.format(text))
    with pytest.raises(ConfigurationError, match=re.escape(
            "invalid value {} for the configuration option default_seed "
            "(from the configuration file {}): expected an integer in "
            "[0, 4294967295], got {}".format(shown, file_name, shown))):
        configuration().default_seed


@pytest.mark.parametrize('text', ['-5', '1.7', 'true'])
def test_bad_seed_in_the_environment(home, monkeypatch, text):
    monkeypatch.setenv('BLOCKS_DEFAULT_SEED', text)
    with pytest.raises(ConfigurationError, match=re.escape(
            "invalid value '{0}' for the configuration option default_seed "
            "(from the environment variable BLOCKS_DEFAULT_SEED): expected "
            "an integer in [0, 4294967295], got '{0}'".format(text))):
        configuration().default_seed


def test_good_seeds_still_work(home, monkeypatch):
    blocksrc(home, 'default_seed: 4294967295\n')
    assert configuration().default_seed == 2 ** 32 - 1
    monkeypatch.setenv('BLOCKS_DEFAULT_SEED', ' 0 ')
    assert configuration().default_seed == 0


@pytest.mark.parametrize('text,shown', [('-5', '-5'), ('0', '0'),
                                        ('false', 'False'), ('2.5', '2.5')])
def test_bad_recursion_limit_in_the_file(home, text, shown):
    file_name = blocksrc(home, 'recursion_limit: {}\n'.format(text))
    with pytest.raises(ConfigurationError, match=re.escape(
            "invalid value {} for the configuration option recursion_limit "
            "(from the configuration file {}): expected an integer greater "
            "than 0, got {}".format(shown, file_name, shown))):
        configuration().recursion_limit


def test_bad_recursion_limit_stops_the_main_loop_before_training(
        home, monkeypatch):
    monkeypatch.setenv('BLOCKS_RECURSION_LIMIT', '-5')
    cost, _ = regression_model()
    main_loop = MainLoop(regression_algorithm(cost), regression_stream(),
                         extensions=[FinishAfter(after_n_epochs=1)])
    with pytest.raises(ConfigurationError, match=re.escape(
            "invalid value '-5' for the configuration option recursion_limit "
            "(from the environment variable BLOCKS_RECURSION_LIMIT): expected "
            "an integer greater than 0, got '-5'")):
        main_loop.run()
    assert main_loop.status['iterations_done'] == 0


def test_every_option_is_checked_when_the_main_loop_starts(home,
                                                           monkeypatch):
    # max_blob_size is otherwise read only at the first large log record,
    # which may be hours into training.
    monkeypatch.setenv('BLOCKS_MAX_BLOB_SIZE', 'big')
    cost, _ = regression_model()
    main_loop = MainLoop(regression_algorithm(cost), regression_stream(),
                         extensions=[FinishAfter(after_n_epochs=1)])
    with pytest.raises(ConfigurationError, match=re.escape(
            "invalid value 'big' for the configuration option max_blob_size "
            "(from the environment variable BLOCKS_MAX_BLOB_SIZE): expected "
            "an integer greater than 0, got 'big'")):
        main_loop.run()
    assert not main_loop.algorithm.initialized


def test_a_binary_blocksrc_names_the_file(home):
    file_name = home / '.blocksrc'
    file_name.write_bytes(b'\x89PNG\r\n\x1a\n\x00\x00\xff\xfe')
    with pytest.raises(ConfigurationError, match=(
            r"^the configuration file {} is not a UTF-8 text file \(byte 0 "
            r"cannot be decoded: invalid start byte\); it should hold YAML "
            r"settings".format(re.escape(str(file_name))))):
        configuration()


def test_a_binary_file_named_by_blocks_config(home, tmp_path, monkeypatch):
    file_name = tmp_path / 'settings.yaml'
    file_name.write_bytes(b'default_seed: 1\n\xff\xff')
    monkeypatch.setenv('BLOCKS_CONFIG', str(file_name))
    with pytest.raises(ConfigurationError, match=(
            r"^the configuration file {} is not a UTF-8 text file".format(
                re.escape(str(file_name))))):
        configuration()


def test_sqlite_database_in_a_missing_directory_from_the_environment(
        home, tmp_path, monkeypatch):
    database = tmp_path / 'no' / 'such' / 'log.sqlite'
    monkeypatch.setenv('BLOCKS_SQLITEDB', str(database))
    with pytest.raises(ValueError, match=re.escape(
            "cannot create the SQLite log database {} "
            "(config.sqlite_database, from the environment variable "
            "BLOCKS_SQLITEDB): the directory {} does not exist; create it, "
            "or set sqlite_database (BLOCKS_SQLITEDB) to a file in an "
            "existing directory".format(database, database.parent))):
        SQLiteLog()


def test_sqlite_database_in_a_missing_directory_from_the_file(
        home, tmp_path, monkeypatch):
    file_name = blocksrc(home, 'sqlite_database: ~/logs/run.sqlite\n')
    monkeypatch.setattr('blocks.log.sqlite.config', configuration())
    with pytest.raises(ValueError, match=re.escape(
            "cannot create the SQLite log database {} (config.sqlite_database"
            ", from the configuration file {}): the directory {} does not "
            "exist".format(home / 'logs' / 'run.sqlite', file_name,
                           home / 'logs'))):
        SQLiteLog()


def test_sqlite_database_argument_in_a_missing_directory(tmp_path):
    database = tmp_path / 'missing' / 'log.sqlite'
    with pytest.raises(ValueError, match=re.escape(
            "cannot create the SQLite log database {} (the database "
            "argument): the directory".format(database))):
        SQLiteLog(str(database))


def test_sqlite_database_that_is_not_a_database(tmp_path):
    database = tmp_path / 'notes.txt'
    database.write_text('not a database, ' * 100)
    with pytest.raises(ValueError, match=re.escape(
            "cannot use the SQLite log database {} (the database argument): "
            "file is not a database".format(database))):
        SQLiteLog(str(database))


def test_sqlite_database_expands_the_home_directory(home, monkeypatch):
    (home / 'logs').mkdir()
    blocksrc(home, 'sqlite_database: ~/logs/run.sqlite\n')
    monkeypatch.setattr('blocks.log.sqlite.config', configuration())
    log = SQLiteLog()
    assert log.database == str(home / 'logs' / 'run.sqlite')
    log.close()


def test_temp_dir_is_no_longer_documented_as_an_option():
    import blocks.config
    root = __file__.rsplit('/tests/', 1)[0]
    with open('{}/.blocksrc.example'.format(root)) as text:
        assert 'temp_dir' not in text.read()
    with open('{}/docs/configuration.rst'.format(root)) as text:
        assert '``temp_dir``, ``BLOCKS_TEMPDIR``' not in text.read()
    assert 'temp_dir' not in blocks.config.__doc__


def test_temp_dir_when_set_says_it_is_ignored(home, monkeypatch, caplog):
    file_name = blocksrc(home, 'temp_dir: /scratch\n')
    with caplog.at_level(logging.WARNING, logger='blocks.config'):
        config.load_yaml()
    assert re.search(r"the option temp_dir in {} is ignored: Blocks writes "
                     r"a checkpoint's temporary file next to the "
                     r"checkpoint".format(re.escape(file_name)), caplog.text)
    caplog.clear()
    monkeypatch.setenv('BLOCKS_TEMPDIR', '/scratch')
    with caplog.at_level(logging.WARNING, logger='blocks.config'):
        config.load_yaml()
    assert re.search(r"the environment variable BLOCKS_TEMPDIR \(option "
                     r"temp_dir\) is ignored", caplog.text)
    monkeypatch.delenv('BLOCKS_TEMPDIR')
    (home / '.blocksrc').unlink()
    config.load_yaml()
