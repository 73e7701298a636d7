"""The batch normalization example: the Spiral with and without BN."""
import pytest
from numpy.testing import assert_allclose

from blocks.bricks import BatchNormalizedMLP
from blocks.serialization import load
from examples.batch_normalization import main, parse_args


def test_batch_normalization_helps_after_two_epochs(tmp_path):
    rates = {}
    for batch_norm in (True, False):
        checkpoint = str(tmp_path / 'spiral_{}.tar'.format(batch_norm))
        main_loop = main(batch_norm=batch_norm, num_epochs=2,
                         save_to=checkpoint)
        row = main_loop.log.current_row
        rates[batch_norm] = (row['train_misclassification_rate'],
                             row['test_misclassification_rate'])
        assert main_loop.status['epochs_done'] == 2
        with open(checkpoint, 'rb') as source:
            loaded = load(source)
        saved = loaded.model.get_parameter_values()
        for name, value in main_loop.model.get_parameter_values().items():
            assert_allclose(saved[name], value)
    train, test = rates[True]
    assert train < 0.6 and test < 0.62
    assert min(rates[False]) > 0.65


def test_population_statistics_are_learned(tmp_path):
    main_loop = main(batch_norm=True, num_epochs=1, num_examples=200,
                     save_to=str(tmp_path / 'spiral.tar'))
    mlp, = [brick for brick in main_loop.model.top_bricks
            if isinstance(brick, BatchNormalizedMLP)]
    brick = mlp.activations[0].children[0]
    # Moved away from their initial values (0 and 1) by the updates.
    assert abs(brick.population_mean.get_value()).max() > 1e-3
    assert abs(brick.population_stdev.get_value() - 1).max() > 1e-3


def test_command_line(capsys):
    with pytest.raises(SystemExit) as exit_:
        parse_args(['--help'])
    assert exit_.value.code == 0
    assert '--no-batch-norm' in capsys.readouterr().out
    arguments = parse_args(['--no-batch-norm', '--num-epochs', '3'])
    assert arguments.no_batch_norm and arguments.num_epochs == 3
