"""Convert the sound track of a downloaded YouTube video to HDF5 (with ffmpeg).

The input, ``{youtube_id}.m4a`` (what ``fuel-download youtube_audio``
saves), is turned into a WAV file by ``ffmpeg`` with the channels and sample
rate asked for, then stored as one example: ``features``, the samples, of
shape ``(1, time, channel)``, in a split ``train``.
"""
import os
import shutil
import subprocess

from fuel.converters.base import MissingInputFiles, write_converted_file


def convert_youtube_audio(directory, output_directory, youtube_id, channels,
                          sample, output_filename=None):
    """Convert a video's audio to HDF5.

    Parameters
    ----------
    directory : str
        The directory of ``{youtube_id}.m4a``; the WAV file is written there.
    output_directory : str
        Where to write the HDF5 file.
    youtube_id : str
        The video's id.
    channels : int
        The number of channels to keep (ffmpeg's ``-ac``).
    sample : int
        The sample rate in Hz (ffmpeg's ``-ar``).
    output_filename : str, optional
        Default ``'{youtube_id}.hdf5'``.

    Returns
    -------
    tuple of str
        The path of the file written.

    Raises
    ------
    RuntimeError
        When ``ffmpeg`` is not installed or fails.
    """
    from scipy.io import wavfile
    input_file = os.path.join(directory, '{}.m4a'.format(youtube_id))
    if not os.path.isfile(input_file):
        raise MissingInputFiles('required input files are missing', [input_file])
    if shutil.which('ffmpeg') is None:
        raise RuntimeError('converting YouTube audio needs ffmpeg, which is not '
                           'on the PATH (Debian: apt-get install ffmpeg)')
    wav_file = os.path.join(directory, '{}.wav'.format(youtube_id))
    command = ['ffmpeg', '-y', '-i', input_file, '-ac', str(channels), '-ar',
               str(sample), wav_file]
    completed = subprocess.run(command, capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError('{} failed with exit code {}: {}'.format(
            ' '.join(command), completed.returncode,
            completed.stderr.strip()[-2000:]))
    _, data = wavfile.read(wav_file)
    if data.ndim == 1:
        data = data[:, None]
    if output_filename is None:
        output_filename = '{}.hdf5'.format(youtube_id)
    return write_converted_file(output_directory, output_filename,
                                [('train', 'features', data[None])],
                                {'features': ('batch', 'time', 'feature')})


def fill_subparser(subparser):
    """Set up the ``youtube_audio`` subcommand of ``fuel-convert``."""
    subparser.add_argument('--youtube-id', type=str, required=True,
                           help='the id of the video (after watch?v= in its URL)')
    subparser.add_argument('--channels', type=int, default=1,
                           help='the number of channels to keep (default 1)')
    subparser.add_argument('--sample', type=int, default=16000,
                           help='the sample rate in Hz (default 16000)')
    return convert_youtube_audio
