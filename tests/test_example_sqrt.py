"""The square-root example, on a few batches."""
import pytest
from numpy.testing import assert_allclose

from blocks.serialization import load
from examples.sqrt import main, parse_args


def test_sqrt_example_learns_and_checkpoints(tmp_path):
    checkpoint = str(tmp_path / 'sqrt.tar')
    main_loop = main(epochs=4, num_batches=50, checkpoint=checkpoint)
    log = main_loop.log
    assert main_loop.status['epochs_done'] == 4
    first = log[0]['test_mean_squared_error']
    last = log.current_row['test_mean_squared_error']
    # the data is uniform on [0, 1): predicting the mean root 2/3 gives 1/18
    assert last < 0.01 < first
    with open(checkpoint, 'rb') as source:
        loaded = load(source)
    saved = loaded.model.get_parameter_values()
    for name, value in main_loop.model.get_parameter_values().items():
        assert_allclose(saved[name], value)


def test_sqrt_example_command_line(capsys):
    with pytest.raises(SystemExit) as exit_:
        parse_args(['--help'])
    assert exit_.value.code == 0
    assert '--hidden-dim' in capsys.readouterr().out
    assert parse_args(['--epochs', '3']).epochs == 3
