"""The parity example: an LSTM learns the parity of bit sequences."""
import numpy
import pytest
from numpy.testing import assert_allclose

from blocks.serialization import load
from examples.parity_problem import main, parity_data, parse_args


def test_parity_data_is_the_running_xor():
    features, targets = parity_data(50, 7, seed=0)
    assert features.shape == targets.shape == (50, 7, 1)
    expected = numpy.logical_xor.accumulate(features.astype(bool), axis=1)
    assert numpy.array_equal(targets.astype(bool), expected)


def test_parity_example_learns_and_checkpoints(tmp_path):
    checkpoint = str(tmp_path / 'parity.tar')
    main_loop = main(epochs=6, checkpoint=checkpoint)
    log = main_loop.log
    assert main_loop.status['epochs_done'] == 6
    assert 0.4 < log[0]['test_accuracy'] < 0.6
    assert log.current_row['test_accuracy'] > 0.95
    assert log.current_row['test_cost'] < 0.5 * log[0]['test_cost']
    with open(checkpoint, 'rb') as source:
        loaded = load(source)
    assert loaded.status['epochs_done'] == 6
    saved = loaded.model.get_parameter_values()
    for name, value in main_loop.model.get_parameter_values().items():
        assert_allclose(saved[name], value)


def test_parity_example_command_line(capsys):
    with pytest.raises(SystemExit) as exit_:
        parse_args(['--help'])
    assert exit_.value.code == 0
    assert '--learning-rate' in capsys.readouterr().out
    arguments = parse_args(['--epochs', '3', '--dim', '8'])
    assert (arguments.epochs, arguments.dim) == (3, 8)
