"""checkpoint: writing and reading the tutorial's main loop.

The introduction tutorial's main loop (its MLP and cost, ``GradientDescent``
with ``Scale(0.1)``, the MNIST training stream, ``DataStreamMonitoring`` on
the test set, ``FinishAfter(after_n_epochs=1)`` and ``Printing``, with a
:class:`~blocks.model.Model` of the cost) is built, not trained, and saved
as :class:`~blocks.extensions.saveload.Checkpoint` saves it::

    secure_dump(main_loop, path, dump_function=dump_and_add_to_dump,
                parameters=main_loop.model.parameters)

(a tar archive of the pickled main loop and an ``.npz`` of the parameters,
written to a temporary file, fsync-ed and renamed), then read back with
:func:`blocks.serialization.load`. Next to it: ``torch.save`` and
``torch.load`` of a state dict holding the same parameter arrays (named by
their brick paths); the write is flushed and fsync-ed like
``secure_dump``'s, and the notes give a plain ``torch.save`` too, as well as
the time of ``dump_and_add_to_dump`` into memory (no disk), and the sizes of
the files and of the archive's members. Timed: the median of ``repeats``
writes (reads) after one warm-up.
"""
import io
import os
import shutil
import tarfile
import tempfile

import numpy

from benchmarks.common import Result, median, time_calls, tutorial_stream


def tutorial_main_loop(quick):
    """The tutorial's main loop, built and initialized but not trained."""
    from blocks.algorithms import GradientDescent, Scale
    from blocks.extensions import FinishAfter, Printing
    from blocks.extensions.monitoring import DataStreamMonitoring
    from blocks.main_loop import MainLoop
    from blocks.model import Model

    from benchmarks.mlp_epoch import LEARNING_RATE, tutorial_model

    _, cost, parameters = tutorial_model()
    algorithm = GradientDescent(cost=cost, parameters=parameters,
                                step_rule=Scale(learning_rate=LEARNING_RATE))
    monitor = DataStreamMonitoring(
        variables=[cost], prefix='test',
        data_stream=tutorial_stream(quick, which_set='test', batch_size=1024))
    return MainLoop(data_stream=tutorial_stream(quick), algorithm=algorithm,
                    model=Model(cost),
                    extensions=[monitor, FinishAfter(after_n_epochs=1),
                                Printing()])


def run(quick=False, repeats=3, torch=None):
    """Run the benchmark; rows for writing and for reading."""
    from blocks.serialization import dump_and_add_to_dump, load, secure_dump

    main_loop = tutorial_main_loop(quick)
    parameters = main_loop.model.parameters
    values = {name: parameter.get_value() for name, parameter
              in main_loop.model.get_parameter_dict().items()}
    directory = tempfile.mkdtemp(prefix='blocks-bench-checkpoint-')
    try:
        blocks_path = os.path.join(directory, 'checkpoint.tar')
        torch_path = os.path.join(directory, 'state_dict.pt')

        def write():
            secure_dump(main_loop, blocks_path,
                        dump_function=dump_and_add_to_dump,
                        parameters=parameters)

        def read():
            with open(blocks_path, 'rb') as file_:
                return load(file_)

        write_time = median(time_calls(write, repeats))
        read_time = median(time_calls(read, repeats))
        loaded = read().model.get_parameter_dict()
        for name, value in values.items():
            numpy.testing.assert_array_equal(loaded[name].get_value(), value)
        in_memory = median(time_calls(
            lambda: dump_and_add_to_dump(main_loop, io.BytesIO(),
                                         parameters=parameters), repeats))
        with tarfile.open(blocks_path) as archive:
            members = ', '.join('{} {:.3g} MB'.format(member.name,
                                                      member.size / 1e6)
                                for member in archive.getmembers())
        write_notes = ['secure_dump(main_loop, dump_and_add_to_dump)',
                       'in memory {:.3g} s'.format(in_memory)]
        read_notes = ['blocks.serialization.load']
        sizes = ['Blocks tar {:.3g} MB ({})'.format(
            os.path.getsize(blocks_path) / 1e6, members)]
        torch_write = torch_read = None
        if torch is not None:
            state = {name: torch.from_numpy(value.copy())
                     for name, value in values.items()}

            def durable_torch_save():
                with open(torch_path, 'wb') as file_:
                    torch.save(state, file_)
                    file_.flush()
                    os.fsync(file_.fileno())
            torch_write = median(time_calls(durable_torch_save, repeats))
            plain = median(time_calls(lambda: torch.save(state, torch_path),
                                      repeats))
            torch_read = median(time_calls(
                lambda: torch.load(torch_path), repeats))
            for name, value in torch.load(torch_path).items():
                numpy.testing.assert_array_equal(value.numpy(), values[name])
            write_notes.append('PyTorch: torch.save + fsync, {:.3g} s '
                               'without fsync'.format(plain))
            read_notes.append('PyTorch: torch.load')
            sizes.append('torch .pt {:.3g} MB'.format(
                os.path.getsize(torch_path) / 1e6))
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return [Result('checkpoint/write', write_time, torch_write,
                   notes='; '.join(write_notes + sizes)),
            Result('checkpoint/read', read_time, torch_read,
                   notes='; '.join(read_notes))]
