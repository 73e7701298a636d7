"""The reverse_words example: its data pipeline, and a few training batches."""
import numpy
import pytest
from numpy.testing import assert_allclose

from blocks.serialization import load
from examples.reverse_words import (ALPHABET, CHAR2CODE, decode, encode,
                                    evaluate_checkpoint, main, make_chunks,
                                    parse_args, prepare_corpus,
                                    reverse_words, reversed_text,
                                    training_stream)


def test_reverse_words_reverses_each_word():
    codes = encode('the cat sat')
    targets, = reverse_words((codes,))
    assert decode(targets) == 'eht tac tas'
    assert targets[-1] == CHAR2CODE['</S>']
    assert len(targets) == len(codes) - 1
    assert reversed_text('the cat sat') == 'eht tac tas'


def test_corpus_chunks_and_stream(tmp_path):
    chunks = make_chunks('a bb ccc dddd eeeee'.split(), numpy.random.RandomState(0),
                         max_characters=8, max_words=3)
    assert ' '.join(chunks).split() == 'a bb ccc dddd eeeee'.split()
    assert all(len(chunk) <= 8 for chunk in chunks)
    train, valid, valid_chunks, words, unseen = prepare_corpus(str(tmp_path))
    assert len(valid_chunks) > 1000 and len(words) > 500
    assert set(unseen) <= set(words)
    assert all(len(word) <= 8 and set(word) <= set(ALPHABET)
               for word in words)
    with open(train) as file_:
        training_text = file_.read()
    assert not any(' {} '.format(word) in ' ' + training_text.replace(
        '\n', ' ') + ' ' for word in unseen)
    stream = training_stream(train, 4)
    assert stream.sources == ('features', 'features_mask', 'targets',
                              'targets_mask')
    features, features_mask, targets, targets_mask = next(
        stream.get_epoch_iterator())
    assert features.shape[1] == targets.shape[1] == 4
    length = int(features_mask[:, 0].sum())
    text = decode(features[1:length, 0])
    assert decode(targets[:, 0]) == reversed_text(text)


def test_reverse_words_example_trains_samples_and_checkpoints(tmp_path,
                                                              capsys):
    checkpoint = str(tmp_path / 'reverse.tar')
    main_loop = main(num_batches=3, batch_size=4, dimension=8,
                     checkpoint=checkpoint, data_dir=str(tmp_path),
                     beam_size=2, max_sentences=2, max_words=2)
    row = main_loop.log.current_row
    assert main_loop.status['iterations_done'] == 3
    for name in ('valid_word_rate', 'valid_unseen_word_rate',
                 'valid_sentence_rate'):
        assert 0 <= row[name] <= 1
    assert 'beam search' in capsys.readouterr().out
    with open(checkpoint, 'rb') as source:
        loaded = load(source)
    saved = loaded.model.get_parameter_values()
    for name, value in main_loop.model.get_parameter_values().items():
        assert_allclose(saved[name], value)


def test_reverse_words_example_command_line(capsys):
    with pytest.raises(SystemExit) as exit_:
        parse_args(['--help'])
    assert exit_.value.code == 0
    assert '--evaluate' in capsys.readouterr().out
    assert parse_args(['--num-batches', '5']).num_batches == 5
    assert callable(evaluate_checkpoint)
