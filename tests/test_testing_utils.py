import pickle
from unittest import SkipTest

import pytest

from blocks.extensions import FinishAfter, Printing
from blocks.utils.testing import (MockMainLoop, silence_printing,
                                  skip_if_configuration_set,
                                  skip_if_not_available)


def test_mock_main_loop_initializes_its_algorithm_once():
    main_loop = MockMainLoop(extensions=[FinishAfter(after_n_batches=5)])
    main_loop.run()
    resumed = pickle.loads(pickle.dumps(main_loop))
    resumed.extensions[0].set_conditions(after_n_batches=8)
    resumed.run()
    assert resumed.status['iterations_done'] == 8
    assert resumed.algorithm.batch == {'data': 7}


def test_skips():
    with pytest.raises(SkipTest):
        skip_if_not_available(modules=['no_such_module_anywhere'])
    with pytest.raises(SkipTest):
        skip_if_not_available(datasets=['no_such_dataset.hdf5'])
    skip_if_not_available(modules=['numpy'], configurations=['default_seed'])
    with pytest.raises(SkipTest, match="seed is one"):
        skip_if_configuration_set('default_seed', 1, "seed is one")
    skip_if_configuration_set('default_seed', 2)


def test_silence_printing(capsys):
    @silence_printing
    def noisy():
        main_loop = MockMainLoop(extensions=[FinishAfter(after_n_batches=1),
                                             Printing()])
        main_loop.run()
        return main_loop.status['iterations_done']

    assert noisy() == 1
    assert capsys.readouterr().out == ''
