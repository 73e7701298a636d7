"""Fuel's configuration.

Fuel reads its settings, in order of precedence, from

1. a value set in Python (``fuel.config.data_path = '/data'``),
2. an environment variable (``FUEL_DATA_PATH``, ``FUEL_FLOATX``, ...),
3. the YAML file named by ``FUEL_CONFIG``, else ``~/.fuelrc``,
4. a default.

The settings:

``data_path``
    Where datasets are looked for: one or several directories separated by
    ``os.pathsep`` (a YAML list is accepted too). ``config.data_path`` is
    always a list. Environment variable ``FUEL_DATA_PATH``; default
    ``$XDG_DATA_HOME/fuel``, else ``~/.local/share/fuel``.
``floatX``
    The float type of the features the default transformers deliver.
    Environment variable ``FUEL_FLOATX``; default PyTensor's
    ``pytensor.config.floatX``, read when the setting is read.
``default_seed``
    The seed of the random number generators that Fuel creates when none is
    given (e.g. by :class:`~fuel.schemes.ShuffledScheme`). Default 1.
``extra_downloaders``, ``extra_converters``
    Names of modules with an ``all_downloaders`` or ``all_converters`` tuple of
    ``(name, fill_subparser)`` pairs that ``fuel-download`` and
    ``fuel-convert`` offer next to the built-in ones.
    Environment variables ``FUEL_EXTRA_DOWNLOADERS`` and
    ``FUEL_EXTRA_CONVERTERS`` (separated by spaces).
``local_data_path``
    A directory on a local disk where :func:`fuel.utils.cache.cache_file`
    copies the dataset files it is given (useful when the data path is on a
    network file system). Environment variable ``FUEL_LOCAL_DATA_PATH``;
    default empty (no copy).

Examples
--------
>>> from fuel import config
>>> config.default_seed
1
>>> isinstance(config.data_path, list)
True
>>> multiple_paths_parser(os.pathsep.join(['/data/a', '/data/b']))
['/data/a', '/data/b']

"""
import os
import sys

import yaml

from fuel.exceptions import ConfigurationError

NOT_SET = object()
FLOAT_TYPES = ('float16', 'float32', 'float64')


def multiple_paths_parser(value):
    """Turn ``os.pathsep``-separated paths (or a list of paths) into a list.

    >>> multiple_paths_parser('a' + os.pathsep + 'b')
    ['a', 'b']
    >>> multiple_paths_parser(['a', 'b'])
    ['a', 'b']
    """
    if isinstance(value, str):
        return [path for path in value.split(os.pathsep) if path]
    if isinstance(value, (list, tuple)):
        return [str(path) for path in value]
    raise ConfigurationError(
        'data_path must be a string of paths separated by {!r} or a list of '
        'paths, got {!r}'.format(os.pathsep, value))


def extra_downloader_converter(value):
    """Parse ``extra_downloaders``/``extra_converters``: module names.

    A string is split at spaces; any other iterable is taken as a list.

    >>> extra_downloader_converter('my.downloaders other.downloaders')
    ['my.downloaders', 'other.downloaders']
    >>> extra_downloader_converter(['my.converters'])
    ['my.converters']
    """
    if isinstance(value, str):
        return value.split()
    return list(value)


extra_modules_parser = extra_downloader_converter


def float_type(value):
    """Check that ``value`` names a float type.

    >>> float_type('float32')
    'float32'
    """
    value = str(value)
    if value not in FLOAT_TYPES:
        raise ConfigurationError('floatX must be one of {}, got {!r}'.format(
            ', '.join(FLOAT_TYPES), value))
    return value


def default_data_path():
    """``$XDG_DATA_HOME/fuel`` if ``XDG_DATA_HOME`` is set, else
    ``~/.local/share/fuel``."""
    data_home = os.environ.get('XDG_DATA_HOME')
    if not data_home:
        data_home = os.path.join(os.path.expanduser('~'), '.local', 'share')
    return [os.path.join(data_home, 'fuel')]


def default_floatX():
    """PyTensor's ``config.floatX``, or ``'float64'`` without PyTensor."""
    try:
        import pytensor
    except ImportError:  # pragma: no cover - pytensor is a dependency
        return 'float64'
    return pytensor.config.floatX


class Configuration:
    """Settings read from Python, the environment, a YAML file or defaults.

    Each setting is an attribute; reading it goes through the sources in
    order of precedence every time, so a changed environment variable is
    seen at once. Assigning to an attribute overrides every other source.

    Examples
    --------
    >>> configuration = Configuration()
    >>> configuration.add_config('batch_size', type_=int, default=128,
    ...                          env_var='MY_BATCH_SIZE')
    >>> configuration.batch_size
    128
    >>> configuration.batch_size = 32
    >>> configuration.batch_size
    32
    """
    def __init__(self):
        self.config = {}
        self.yaml_file = None

    def load_yaml(self):
        """Read ``$FUEL_CONFIG``, else ``~/.fuelrc``, if the file exists."""
        if 'FUEL_CONFIG' in os.environ:
            yaml_file = os.environ['FUEL_CONFIG']
        else:
            yaml_file = os.path.expanduser('~/.fuelrc')
        for setting in self.config.values():
            setting.pop('yaml', None)
        self.yaml_file = yaml_file
        if not os.path.isfile(yaml_file):
            return
        with open(yaml_file) as file_:
            try:
                settings = yaml.safe_load(file_)
            except yaml.YAMLError as error:
                raise ConfigurationError('{} is not valid YAML: {}'.format(
                    yaml_file, error)) from error
        if settings is None:
            return
        if not isinstance(settings, dict):
            raise ConfigurationError(
                '{} must hold a mapping of setting names to values, got '
                '{!r}'.format(yaml_file, settings))
        unknown = sorted(str(key) for key in settings if key not in self.config)
        for key, value in settings.items():
            if key in self.config:
                self.config[key]['yaml'] = value
        if unknown:
            raise ConfigurationError(
                'unrecognized setting(s) {} in {}; known settings: {}'.format(
                    ', '.join(unknown), yaml_file,
                    ', '.join(sorted(self.config))))

    def __getattr__(self, key):
        if key == 'config' or key not in self.config:
            raise AttributeError(key)
        setting = self.config[key]
        if 'value' in setting:
            value = setting['value']
        elif setting['env_var'] and os.environ.get(setting['env_var']):
            value = os.environ[setting['env_var']]
        elif 'yaml' in setting:
            value = setting['yaml']
        elif setting['default'] is not NOT_SET:
            value = setting['default']
            if callable(value):
                value = value()
        else:
            raise ConfigurationError(
                'configuration setting {!r} is not set and has no default'
                .format(key))
        return setting['type'](value)

    def __setattr__(self, key, value):
        if key not in ('config', 'yaml_file') and key in self.config:
            self.config[key]['value'] = value
        else:
            super().__setattr__(key, value)

    def __delattr__(self, key):
        if key in self.config:
            self.config[key].pop('value', None)
        else:
            super().__delattr__(key)

    def add_config(self, key, type_, default=NOT_SET, env_var=None):
        """Declare a setting.

        Parameters
        ----------
        key : str
            The setting's name, used as attribute and as YAML key.
        type_ : callable
            Turns the raw value (a string from the environment, or a YAML
            value) into the setting's value.
        default : object or callable, optional
            The value when no other source sets it; a callable is called
            each time the default is needed.
        env_var : str, optional
            The environment variable that sets it.
        """
        self.config[key] = {'type': type_, 'default': default,
                            'env_var': env_var}


config = Configuration()
config.add_config('data_path', type_=multiple_paths_parser,
                  default=default_data_path, env_var='FUEL_DATA_PATH')
config.add_config('floatX', type_=float_type, default=default_floatX,
                  env_var='FUEL_FLOATX')
config.add_config('default_seed', type_=int, default=1)
config.add_config('extra_downloaders', type_=extra_downloader_converter,
                  default=list, env_var='FUEL_EXTRA_DOWNLOADERS')
config.add_config('extra_converters', type_=extra_downloader_converter,
                  default=list, env_var='FUEL_EXTRA_CONVERTERS')
config.add_config('local_data_path', type_=str, default='',
                  env_var='FUEL_LOCAL_DATA_PATH')
try:
    config.load_yaml()
except ConfigurationError as error:  # a broken ~/.fuelrc must not break import
    sys.stderr.write('fuel: ignoring the configuration file: {}\n'.format(error))
