import os

import pytest

from fuel import config
from fuel.config_parser import Configuration, multiple_paths_parser
from fuel.exceptions import ConfigurationError


@pytest.fixture
def fresh_yaml(monkeypatch):
    """Reload the YAML settings after the test, whatever it loaded."""
    yield
    monkeypatch.undo()
    config.load_yaml()


def test_data_path_from_environment_is_a_list(monkeypatch):
    monkeypatch.setenv('FUEL_DATA_PATH', os.pathsep.join(['/a', '/b/c']))
    assert config.data_path == ['/a', '/b/c']


def test_default_data_path_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv('FUEL_DATA_PATH', raising=False)
    monkeypatch.setenv('FUEL_CONFIG', str(tmp_path / 'missing.yaml'))
    config.load_yaml()
    try:
        monkeypatch.setenv('XDG_DATA_HOME', str(tmp_path))
        assert config.data_path == [str(tmp_path / 'fuel')]
        monkeypatch.delenv('XDG_DATA_HOME')
        assert config.data_path == [os.path.join(
            os.path.expanduser('~'), '.local', 'share', 'fuel')]
    finally:
        monkeypatch.undo()
        config.load_yaml()


def test_yaml_file_sets_values_and_environment_wins(monkeypatch, tmp_path,
                                                    fresh_yaml):
    rc = tmp_path / 'fuelrc'
    rc.write_text('data_path: [/yaml/a, /yaml/b]\ndefault_seed: 7\n'
                  'floatX: float32\n')
    monkeypatch.setenv('FUEL_CONFIG', str(rc))
    monkeypatch.delenv('FUEL_FLOATX', raising=False)
    config.load_yaml()
    assert config.default_seed == 7
    assert config.floatX == 'float32'
    monkeypatch.delenv('FUEL_DATA_PATH')
    assert config.data_path == ['/yaml/a', '/yaml/b']
    monkeypatch.setenv('FUEL_DATA_PATH', '/env')
    assert config.data_path == ['/env']


def test_unknown_yaml_setting_is_named(monkeypatch, tmp_path, fresh_yaml):
    rc = tmp_path / 'fuelrc'
    rc.write_text('data_pth: /x\n')
    monkeypatch.setenv('FUEL_CONFIG', str(rc))
    with pytest.raises(ConfigurationError, match=r"unrecognized setting\(s\) "
                                                 r"data_pth in .*fuelrc"):
        config.load_yaml()


def test_floatx_follows_pytensor_unless_set(monkeypatch):
    import pytensor
    monkeypatch.delenv('FUEL_FLOATX', raising=False)
    with pytensor.config.change_flags(floatX='float32'):
        assert config.floatX == 'float32'
    with pytensor.config.change_flags(floatX='float64'):
        assert config.floatX == 'float64'
        monkeypatch.setenv('FUEL_FLOATX', 'float32')
        assert config.floatX == 'float32'


def test_bad_floatx_is_a_clear_error(monkeypatch):
    monkeypatch.setenv('FUEL_FLOATX', 'float8')
    with pytest.raises(ConfigurationError, match="floatX must be one of "
                                                 "float16, float32, float64, "
                                                 "got 'float8'"):
        config.floatX


def test_value_set_in_python_wins_until_deleted(monkeypatch):
    monkeypatch.setenv('FUEL_DATA_PATH', '/env')
    config.data_path = ['/python']
    try:
        assert config.data_path == ['/python']
    finally:
        del config.data_path
    assert config.data_path == ['/env']


def test_setting_without_default_is_an_error():
    configuration = Configuration()
    configuration.add_config('needed', type_=str)
    with pytest.raises(ConfigurationError, match="'needed' is not set"):
        configuration.needed


def test_multiple_paths_parser_rejects_other_types():
    with pytest.raises(ConfigurationError, match='data_path must be'):
        multiple_paths_parser(3)


def test_extra_downloader_converter_parses_module_names(monkeypatch):
    from fuel import config
    from fuel.config_parser import extra_downloader_converter
    assert extra_downloader_converter('a.b  c.d') == ['a.b', 'c.d']
    assert extra_downloader_converter(('a.b',)) == ['a.b']
    monkeypatch.setenv('FUEL_EXTRA_DOWNLOADERS', 'my.downloaders other.one')
    assert config.extra_downloaders == ['my.downloaders', 'other.one']


def test_scripts_messages_and_directory_action(tmp_path):
    import argparse
    import pytest
    from fuel.bin.fuel_convert import CheckDirectoryAction
    from fuel.bin.fuel_download import url_prefix_message
    from fuel.bin.fuel_info import message_body_template, message_prefix_template
    assert message_prefix_template.format('x.hdf5') == 'Metadata for x.hdf5'
    assert 'H5PYDataset     0.3' in message_body_template.format('cmd', '0.3', '0.2')
    assert url_prefix_message.startswith('Some files for this dataset do not have '
                                         'a download URL.')
    parser = argparse.ArgumentParser()
    parser.add_argument('-d', action=CheckDirectoryAction)
    assert parser.parse_args(['-d', str(tmp_path)]).d == str(tmp_path)
    with pytest.raises(ValueError, match='is not an existing directory'):
        parser.parse_args(['-d', str(tmp_path / 'missing')])
