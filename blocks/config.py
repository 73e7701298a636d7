"""Module level configuration.

Blocks allows module-wide configuration values to be set using a YAML
configuration file and environment variables. Environment variables override
the configuration file which in its turn overrides the defaults.

The configuration is read from ``~/.blocksrc`` if it exists. A custom
configuration file can be used by setting the ``BLOCKS_CONFIG`` environment
variable. A configuration file is of the form:

.. code-block:: yaml

   default_seed: 1
   compile_mode: FAST_COMPILE

If a setting is not configured and does not provide a default, a
:class:`ConfigurationError` is raised when it is accessed. So is a value
that is not what the option expects; the error names the option, where the
value came from (the file or the environment variable), the value, and
what is expected. :meth:`Configuration.check` reads every option at once.

Configuration values can be accessed as attributes of
:const:`blocks.config.config`.

    >>> from blocks.config import config
    >>> print(config.default_seed)
    1

The following configurations are supported:

.. option:: default_seed, BLOCKS_DEFAULT_SEED

   The seed used when initializing random number generators (RNGs) such as
   NumPy :class:`~numpy.random.RandomState` objects as well as PyTensor's
   :class:`~blocks.random_streams.RandomStream` objects. Must be an
   integer in [0, 2**32 - 1] (booleans and fractions are refused). By
   default this is set to 1.

.. option:: recursion_limit, BLOCKS_RECURSION_LIMIT

   The recursion max depth limit used in
   :class:`~blocks.main_loop.MainLoop` as well as in other situations when
   deep recursion is required (pickling big computation graphs). A
   positive integer; defaults to 10000.

.. option:: profile, BLOCKS_PROFILE

   A boolean value which determines whether to print profiling information
   at the end of a call to :meth:`.MainLoop.run`.

.. option:: log_backend, BLOCKS_LOG_BACKEND

   The backend to use for logging experiments. Defaults to `python`, which
   stores the log as a Python object in memory. The other option is
   `sqlite`.

.. option:: sqlite_database, BLOCKS_SQLITEDB

   The SQLite database file to use (``~`` is expanded); its directory must
   exist.

.. option:: max_blob_size, BLOCKS_MAX_BLOB_SIZE

   The maximum size of an object to store in an SQLite database in bytes.
   Objects beyond this size will trigger a warning. Defaults to 4 kilobyte.

.. option:: compile_mode, BLOCKS_COMPILE_MODE

   The PyTensor mode every function that Blocks compiles uses (any name
   :func:`pytensor.compile.mode.get_mode` accepts: ``NUMBA``, ``FAST_RUN``,
   ``CVM``, ``JAX``, ``FAST_COMPILE``). When unset, PyTensor's own default
   mode (``pytensor.config.mode``) is used. This option is an addition of
   this port: Theano had one global device and mode, PyTensor compiles each
   function with the mode it is given.

"""
import logging
import os

import yaml

logger = logging.getLogger(__name__)

NOT_SET = object()


class ConfigurationError(Exception):
    """Error raised when a configuration value is requested but not set."""


def bool_(val):
    """Parse a boolean from a YAML value or an environment variable string.

    >>> bool_('yes'), bool_('0'), bool_(True)
    (True, False, True)

    """
    if isinstance(val, bool):
        return val
    text = str(val).strip().lower()
    if text in ('1', 'true', 'yes', 'on'):
        return True
    if text in ('0', 'false', 'no', 'off', ''):
        return False
    raise ValueError("expected a boolean (true/false, yes/no, 1/0), "
                     "got {!r}".format(val))


def str_or_none(val):
    """Parse a string that may be left unset (``None``).

    >>> str_or_none(None), str_or_none(3)
    (None, '3')

    """
    return None if val is None else str(val)


#: The name this port first gave :func:`str_or_none`.
optional_str = str_or_none


def _integer(value, expected):
    """An integer from a YAML value or an environment variable string.

    Booleans and fractional numbers are refused rather than truncated
    (YAML reads ``true`` as a boolean, which Python would take for 1).

    """
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError("expected {}, got {!r}".format(expected, value))
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            raise ValueError("expected {}, got {!r}".format(
                expected, value)) from None
    return value


def seed(value):
    """Parse a seed for NumPy's ``RandomState``: an integer in [0, 2**32).

    >>> seed('17'), seed(0)
    (17, 0)
    >>> seed(1.7)
    Traceback (most recent call last):
      ...
    ValueError: expected an integer in [0, 4294967295], got 1.7

    """
    expected = 'an integer in [0, {}]'.format(2 ** 32 - 1)
    number = _integer(value, expected)
    if not 0 <= number < 2 ** 32:
        raise ValueError("expected {}, got {!r}".format(expected, value))
    return number


def positive_int(value):
    """Parse an integer greater than 0.

    >>> positive_int('10000')
    10000
    >>> positive_int(-5)
    Traceback (most recent call last):
      ...
    ValueError: expected an integer greater than 0, got -5

    """
    number = _integer(value, 'an integer greater than 0')
    if number <= 0:
        raise ValueError("expected an integer greater than 0, got "
                         "{!r}".format(value))
    return number


def path(value):
    """Parse a file name, expanding ``~`` (YAML and the shell do not)."""
    if not isinstance(value, (str, os.PathLike)):
        raise ValueError("expected a file name, got {!r}".format(value))
    return os.path.expanduser(os.fspath(value))


class Configuration:
    """Configuration options with a default, a file value and an environment variable.

    The value of an option is looked up, in order of precedence, in: a value
    assigned in Python (``config.default_seed = 3``), the option's
    environment variable, the YAML configuration file, the option's default.
    Environment variables are read at every access, so that changing one
    takes effect at once.

    Examples
    --------
    >>> configuration = Configuration()
    >>> configuration.add_config('answer', type_=int, default=42)
    >>> configuration.answer
    42
    >>> configuration.answer = 7
    >>> configuration.answer
    7

    """
    def __init__(self):
        self.config = {}
        self.yaml_settings = {}
        self.yaml_path = None

    def load_yaml(self):
        """(Re)read the YAML file named by ``BLOCKS_CONFIG`` or ``~/.blocksrc``."""
        if 'BLOCKS_CONFIG' in os.environ:
            yaml_path = os.environ['BLOCKS_CONFIG']
            if not os.path.isfile(yaml_path):
                logger.warning("BLOCKS_CONFIG names %s, which is not a "
                               "file; using defaults and the environment",
                               yaml_path)
        else:
            yaml_path = os.path.expanduser('~/.blocksrc')
        if not os.path.isfile(yaml_path):
            self.yaml_settings, self.yaml_path = {}, None
            self._warn_ignored()
            return
        with open(yaml_path, encoding='utf-8') as yaml_file:
            try:
                settings = yaml.safe_load(yaml_file)
            except yaml.YAMLError as error:
                raise ConfigurationError(
                    "the configuration file {} is not valid YAML: {}".format(
                        yaml_path, error)) from error
            except UnicodeDecodeError as error:
                raise ConfigurationError(
                    "the configuration file {} is not a UTF-8 text file "
                    "(byte {} cannot be decoded: {}); it should hold YAML "
                    "settings such as 'default_seed: 1'; fix it or point "
                    "BLOCKS_CONFIG at another file".format(
                        yaml_path, error.start, error.reason)) from None
        if settings is None:
            settings = {}
        if not isinstance(settings, dict):
            raise ConfigurationError(
                "the configuration file {} must hold a mapping of option "
                "names to values, got a {}".format(
                    yaml_path, type(settings).__name__))
        unknown = sorted(set(settings) - set(self.config))
        if unknown:
            logger.warning("unknown options in %s: %s", yaml_path,
                           ", ".join(unknown))
        self.yaml_settings, self.yaml_path = settings, yaml_path
        self._warn_ignored()

    def _warn_ignored(self):
        """Say so when an option that nothing reads is set."""
        for key, option in sorted(self.config.items()):
            if not option.get('ignored'):
                continue
            if option['env_var'] in os.environ:
                logger.warning("the environment variable %s (option %s) is "
                               "ignored: %s", option['env_var'], key,
                               option['ignored'])
            elif key in self.yaml_settings:
                logger.warning("the option %s in %s is ignored: %s", key,
                               self.yaml_path, option['ignored'])

    def add_config(self, key, type_, default=NOT_SET, env_var=None):
        """Add a configuration setting.

        Parameters
        ----------
        key : str
            The name of the configuration setting. This must be a valid
            Python attribute name i.e. alphanumeric with underscores.
        type_ : function
            A function such as ``float``, ``int`` or ``str`` which takes
            the configuration value and returns an object of the correct
            type. Note that the values retrieved from environment
            variables are always strings, while those retrieved from the
            YAML file might already be parsed. Hence, the function provided
            here must accept both types of input.
        default : object, optional
            The default configuration to return if not set. By default none
            is set and an error is raised instead.
        env_var : str, optional
            The environment variable name that holds this configuration
            value. If not given, this configuration can only be set in the
            YAML configuration file.

        """
        self.config[key] = {'type': type_, 'default': default,
                            'env_var': env_var}

    def source(self, key):
        """Where the value of an option comes from, for messages.

        >>> configuration = Configuration()
        >>> configuration.add_config('answer', type_=int, default=42,
        ...                          env_var='ANSWER')
        >>> configuration.source('answer')
        'the default'

        """
        return self._lookup(key)[1]

    def _lookup(self, key):
        """Return ``(raw value, where it came from)`` for an option."""
        option = self.config[key]
        if 'value' in option:
            return option['value'], 'a value set in Python'
        env_var = option['env_var']
        if env_var is not None and env_var in os.environ:
            return (os.environ[env_var],
                    'the environment variable {}'.format(env_var))
        if key in self.yaml_settings:
            return (self.yaml_settings[key],
                    'the configuration file {}'.format(self.yaml_path))
        if option['default'] is not NOT_SET:
            return option['default'], 'the default'
        raise ConfigurationError("configuration value not set: {}".format(key))

    def __getattr__(self, key):
        if key.startswith('__') or key not in self.__dict__.get('config', {}):
            raise AttributeError("no configuration option named {!r}".format(
                key))
        value, source = self._lookup(key)
        if value is None:
            return None
        try:
            return self.config[key]['type'](value)
        except (TypeError, ValueError) as error:
            raise ConfigurationError(
                "invalid value {!r} for the configuration option {} "
                "(from {}): {}".format(value, key, source, error)) from None

    def check(self):
        """Read every option once, so that a bad value fails now.

        Raises
        ------
        ConfigurationError
            For the first option whose value is invalid, naming it, where
            its value came from, the value and what is expected.

        """
        for key in self.config:
            try:
                getattr(self, key)
            except ConfigurationError as error:
                if str(error).startswith("configuration value not set"):
                    continue
                raise

    def __setattr__(self, key, value):
        if key not in ('config', 'yaml_settings', 'yaml_path') and \
                key in self.__dict__.get('config', {}):
            self.config[key]['value'] = value
        else:
            super().__setattr__(key, value)

    def unset(self, key):
        """Forget a value set in Python, falling back to the other sources."""
        self.config[key].pop('value', None)


config = Configuration()

# Options
config.add_config('default_seed', type_=seed, default=1,
                  env_var='BLOCKS_DEFAULT_SEED')
config.add_config('recursion_limit', type_=positive_int, default=10000,
                  env_var='BLOCKS_RECURSION_LIMIT')
config.add_config('profile', type_=bool_, default=False,
                  env_var='BLOCKS_PROFILE')
config.add_config('log_backend', type_=str, default='python',
                  env_var='BLOCKS_LOG_BACKEND')
config.add_config('sqlite_database', type_=path,
                  default=os.path.expanduser('~/blocks_log.sqlite'),
                  env_var='BLOCKS_SQLITEDB')
config.add_config('max_blob_size', type_=positive_int, default=4096,
                  env_var='BLOCKS_MAX_BLOB_SIZE')
# Accepted so that an old .blocksrc still loads, but read by nothing: a
# checkpoint's temporary file must be next to it for the rename to be
# atomic, and the compile cache is PyTensor's (its compiledir flag).
config.add_config('temp_dir', type_=optional_str, default=None,
                  env_var='BLOCKS_TEMPDIR')
config.config['temp_dir']['ignored'] = (
    "Blocks writes a checkpoint's temporary file next to the checkpoint "
    "(so that replacing it is atomic) and compiles in PyTensor's "
    "compiledir; remove the option")
config.add_config('compile_mode', type_=optional_str, default=None,
                  env_var='BLOCKS_COMPILE_MODE')
config.load_yaml()
