"""Configuration: defaults, the YAML file, environment variables, Python."""
import logging

import pytest

from blocks.config import (bool_, config, Configuration, ConfigurationError,
                           optional_str)


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty home directory and no BLOCKS_* variables."""
    monkeypatch.setenv('HOME', str(tmp_path))
    for name in ['BLOCKS_CONFIG', 'BLOCKS_DEFAULT_SEED', 'BLOCKS_TEMPDIR',
                 'BLOCKS_PROFILE']:
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def make_configuration():
    configuration = Configuration()
    configuration.add_config('default_seed', type_=int, default=1,
                             env_var='BLOCKS_DEFAULT_SEED')
    configuration.add_config('temp_dir', type_=optional_str, default=None,
                             env_var='BLOCKS_TEMPDIR')
    configuration.add_config('profile', type_=bool_, default=False,
                             env_var='BLOCKS_PROFILE')
    configuration.add_config('data_path', type_=str)
    configuration.load_yaml()
    return configuration


def write(path, text):
    path.write_text(text)
    return str(path)


def test_defaults(home):
    configuration = make_configuration()
    assert configuration.default_seed == 1
    assert configuration.temp_dir is None
    assert configuration.profile is False
    assert configuration.yaml_path is None


def test_precedence_default_file_environment_python(home, monkeypatch):
    write(home / '.blocksrc', 'default_seed: 2\n')
    configuration = make_configuration()
    assert configuration.default_seed == 2
    monkeypatch.setenv('BLOCKS_DEFAULT_SEED', '3')
    assert configuration.default_seed == 3
    configuration.default_seed = 4
    assert configuration.default_seed == 4
    configuration.unset('default_seed')
    assert configuration.default_seed == 3
    monkeypatch.delenv('BLOCKS_DEFAULT_SEED')
    assert configuration.default_seed == 2


def test_blocksrc_in_the_home_directory(home):
    path = write(home / '.blocksrc', 'temp_dir: /somewhere\nprofile: yes\n')
    configuration = make_configuration()
    assert configuration.yaml_path == path
    assert configuration.temp_dir == '/somewhere'
    assert configuration.profile is True


def test_blocks_config_names_the_file(home, tmp_path, monkeypatch):
    write(home / '.blocksrc', 'default_seed: 2\n')
    other = write(tmp_path / 'other.yaml', 'default_seed: 7\n')
    monkeypatch.setenv('BLOCKS_CONFIG', other)
    configuration = make_configuration()
    assert configuration.yaml_path == other
    assert configuration.default_seed == 7


def test_blocks_config_naming_a_missing_file(home, tmp_path, monkeypatch,
                                             caplog):
    missing = str(tmp_path / 'missing.yaml')
    monkeypatch.setenv('BLOCKS_CONFIG', missing)
    configuration = make_configuration()
    assert configuration.default_seed == 1
    assert "missing.yaml, which is not a file" in caplog.text


def test_invalid_yaml(home):
    write(home / '.blocksrc', 'default_seed: [1\n')
    with pytest.raises(ConfigurationError, match="not valid YAML"):
        make_configuration()


def test_yaml_must_hold_a_mapping(home):
    write(home / '.blocksrc', '- 1\n- 2\n')
    with pytest.raises(ConfigurationError, match="must hold a mapping of "
                                                 "option names to values, "
                                                 "got a list"):
        make_configuration()


def test_empty_yaml(home):
    write(home / '.blocksrc', '')
    assert make_configuration().default_seed == 1


def test_unknown_options_in_the_file_are_reported(home, caplog):
    write(home / '.blocksrc', 'default_seed: 2\nno_such_option: 1\n')
    with caplog.at_level(logging.WARNING, logger='blocks.config'):
        configuration = make_configuration()
    assert configuration.default_seed == 2
    assert 'no_such_option' in caplog.text


def test_non_integer_seed_from_the_environment(home, monkeypatch):
    configuration = make_configuration()
    monkeypatch.setenv('BLOCKS_DEFAULT_SEED', 'abc')
    with pytest.raises(ConfigurationError,
                       match=r"invalid value 'abc' for the configuration "
                             r"option default_seed \(from the environment "
                             r"variable BLOCKS_DEFAULT_SEED\)"):
        configuration.default_seed


def test_non_integer_seed_from_the_file(home):
    path = write(home / '.blocksrc', 'default_seed: 1.5.2\n')
    configuration = make_configuration()
    with pytest.raises(ConfigurationError,
                       match="default_seed \\(from the configuration file "
                             "{}\\)".format(path)):
        configuration.default_seed


def test_global_config_reads_the_environment(monkeypatch):
    monkeypatch.setenv('BLOCKS_DEFAULT_SEED', '17')
    assert config.default_seed == 17
    monkeypatch.setenv('BLOCKS_DEFAULT_SEED', 'seventeen')
    with pytest.raises(ConfigurationError, match="default_seed.*"
                                                 "BLOCKS_DEFAULT_SEED"):
        config.default_seed


def test_global_config_options():
    for option in ['default_seed', 'recursion_limit', 'profile',
                   'log_backend', 'sqlite_database', 'max_blob_size',
                   'temp_dir', 'compile_mode']:
        assert option in config.config
    assert config.config['default_seed']['env_var'] == 'BLOCKS_DEFAULT_SEED'
    assert config.config['compile_mode']['env_var'] == 'BLOCKS_COMPILE_MODE'


def test_unknown_option_is_an_attribute_error(home):
    configuration = make_configuration()
    with pytest.raises(AttributeError, match="no configuration option named "
                                             "'no_such_option'"):
        configuration.no_such_option
    # As in Blocks, other attributes can be set on the configuration object
    configuration.new_option = 'value'
    assert configuration.new_option == 'value'
    assert not hasattr(config, 'new_option')


def test_option_without_default(home):
    configuration = make_configuration()
    with pytest.raises(ConfigurationError,
                       match="configuration value not set: data_path"):
        configuration.data_path
    configuration.data_path = '/data'
    assert configuration.data_path == '/data'


def test_option_without_default_set_in_the_file(home):
    write(home / '.blocksrc', 'data_path: /from/file\n')
    assert make_configuration().data_path == '/from/file'


def test_value_set_in_python_is_converted(home):
    configuration = make_configuration()
    configuration.default_seed = '12'
    assert configuration.default_seed == 12
    configuration.default_seed = 'x'
    with pytest.raises(ConfigurationError, match="from a value set in "
                                                 "Python"):
        configuration.default_seed


def test_bool_parsing():
    assert [bool_(v) for v in ['1', 'true', 'Yes', 'on', True]] == [True] * 5
    assert [bool_(v) for v in ['0', 'false', 'No', 'off', '', False]] == [
        False] * 6
    with pytest.raises(ValueError, match="expected a boolean.*got 'maybe'"):
        bool_('maybe')


def test_bool_option_from_the_environment(home, monkeypatch):
    configuration = make_configuration()
    monkeypatch.setenv('BLOCKS_PROFILE', 'true')
    assert configuration.profile is True
    monkeypatch.setenv('BLOCKS_PROFILE', 'sometimes')
    with pytest.raises(ConfigurationError, match="profile"):
        configuration.profile


def test_optional_str():
    assert optional_str(None) is None
    assert optional_str(3) == '3'
