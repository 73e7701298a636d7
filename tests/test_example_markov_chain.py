"""The Markov chain example, on a few batches."""
import numpy
import pytest
from numpy.testing import assert_allclose

from blocks.serialization import load
from examples.markov_chain import (best_cost_per_step, entropy_rate, main,
                                   parse_args, sample_chain,
                                   stationary_distribution, TRANSITIONS)


def test_chain_statistics():
    pi = stationary_distribution()
    assert_allclose(pi @ TRANSITIONS, pi)
    rate = sum(p * -(row * numpy.log(row)).sum()
               for p, row in zip(pi, TRANSITIONS))
    assert_allclose(entropy_rate(), rate)
    assert_allclose(best_cost_per_step(1), -(pi * numpy.log(pi)).sum())
    states = sample_chain(4000, 6, numpy.random.RandomState(0))
    # empirical transition frequencies from state 0
    after_zero = states[:, 1:][states[:, :-1] == 0]
    assert_allclose(numpy.bincount(after_zero, minlength=3) / after_zero.size,
                    TRANSITIONS[0], atol=0.03)


def test_markov_chain_example_learns_and_checkpoints(tmp_path, capsys):
    checkpoint = str(tmp_path / 'chain.tar')
    main_loop = main(epochs=2, num_batches=10, length=10,
                     checkpoint=checkpoint)
    assert 'entropy rate' in capsys.readouterr().out
    first = main_loop.log[0]['valid_per_sequence_element']
    last = main_loop.log.current_row['valid_per_sequence_element']
    assert last < first
    assert last > best_cost_per_step(10) - 0.02  # no better than the truth
    with open(checkpoint, 'rb') as source:
        loaded = load(source)
    assert loaded.status['epochs_done'] == 2
    saved = loaded.model.get_parameter_values()
    for name, value in main_loop.model.get_parameter_values().items():
        assert_allclose(saved[name], value)


def test_markov_chain_example_command_line(capsys):
    with pytest.raises(SystemExit) as exit_:
        parse_args(['--help'])
    assert exit_.value.code == 0
    assert '--length' in capsys.readouterr().out
