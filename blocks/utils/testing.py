"""Helpers for testing code that uses Blocks: mock main loops, skips."""
import io
import logging
import os
import sys
import time
from functools import wraps
from importlib import import_module
from unittest import SkipTest

from blocks.algorithms import TrainingAlgorithm
from blocks.config import config
from blocks.main_loop import MainLoop


def silence_printing(test):
    """Decorator: run a test with standard output and Blocks' logging muted."""
    @wraps(test)
    def wrapper(*args, **kwargs):
        stdout = sys.stdout
        logger = logging.getLogger('blocks')
        level = logger.level
        sys.stdout = io.StringIO()
        logger.setLevel(logging.CRITICAL)
        try:
            return test(*args, **kwargs)
        finally:
            sys.stdout = stdout
            logger.setLevel(level)
    return wrapper


def skip_if_not_available(modules=None, datasets=None, configurations=None):
    """Raises a SkipTest exception when requirements are not met.

    Parameters
    ----------
    modules : list
        A list of strings of module names. If one of the modules fails to
        import, the test will be skipped.
    datasets : list
        A list of strings of folder names. If the data path is not
        configured, or the folder does not exist, the test is skipped.
    configurations : list
        A list of strings of configuration names. If this configuration
        is not set and does not have a default, the test will be skipped.

    """
    for module in modules or []:
        try:
            import_module(module)
        except Exception:
            raise SkipTest("module {} is not available".format(module))
    if datasets:
        from fuel import config as fuel_config
        data_paths = list(getattr(fuel_config, 'data_path', None) or [])
        for dataset in datasets:
            if not any(os.path.exists(os.path.join(path, dataset))
                       for path in data_paths):
                raise SkipTest("dataset {} is not available".format(dataset))
    for configuration in configurations or []:
        try:
            getattr(config, configuration)
        except Exception:
            raise SkipTest("configuration {} is not set".format(
                configuration))


def skip_if_configuration_set(configuration, value, message=None):
    """Raise SkipTest if a configuration option has a certain value.

    Parameters
    ----------
    configuration : str
        Configuration option to check.
    value : str
        Value of `blocks.config.<attribute>` which should cause
        a `SkipTest` to be raised.
    message : str, optional
        Reason for skipping the test.

    """
    if getattr(config, configuration) == value:
        raise SkipTest(message) if message is not None else SkipTest


class MockAlgorithm(TrainingAlgorithm):
    """An algorithm that only saves data.

    Also checks that the initialization routine is only called once.

    Parameters
    ----------
    delay_time : float, optional
        Seconds to sleep in every :meth:`process_batch`.

    """
    def __init__(self, delay_time=0):
        self._initialized = False
        self.delay_time = delay_time

    def initialize(self):
        assert not self._initialized
        self._initialized = True

    def process_batch(self, batch):
        self.batch = batch
        time.sleep(self.delay_time)


class MockMainLoop(MainLoop):
    """Mock main loop with mock algorithm and simple data stream.

    Can be used with `main_loop = MagicMock(wraps=MockMainLoop())` to check
    which calls were made.

    Examples
    --------
    >>> from blocks.extensions import FinishAfter
    >>> main_loop = MockMainLoop(extensions=[FinishAfter(after_n_epochs=2)])
    >>> main_loop.run()
    >>> main_loop.status['iterations_done'], main_loop.algorithm.batch
    (20, {'data': 9})

    """
    def __init__(self, delay_time=0, **kwargs):
        from fuel.datasets import IterableDataset
        kwargs.setdefault('data_stream',
                          IterableDataset(range(10)).get_example_stream())
        kwargs.setdefault('algorithm', MockAlgorithm(delay_time))
        super().__init__(**kwargs)
