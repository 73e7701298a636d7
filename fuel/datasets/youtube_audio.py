"""The sound track of a YouTube video, as a dataset of one long sequence."""
from fuel.datasets.hdf5 import _BuiltinH5PYDataset
from fuel.utils import find_in_data_path


class YouTubeAudio(_BuiltinH5PYDataset):
    """The audio of a YouTube video, for sequence models of raw sound.

    Create ``{youtube_id}.hdf5`` with ``fuel-download youtube_audio
    --youtube-id ID`` (needs the ``pafy`` package) and ``fuel-convert
    youtube_audio --youtube-id ID`` (needs ``ffmpeg``).

    Parameters
    ----------
    youtube_id : str
        The video's id, e.g. ``'XqaJ2Ol5cC4'``.
    load_in_memory : bool, optional
        Default ``True``.
    \\*\\*kwargs
        See :class:`~fuel.datasets.H5PYDataset`.

    Notes
    -----
    One split, ``'train'``, with one example: ``features``, int16 of shape
    ``(1, time, channel)``, the samples of the sound track.

    Examples
    --------
    >>> YouTubeAudio.filename_of('XqaJ2Ol5cC4')
    'XqaJ2Ol5cC4.hdf5'
    """
    def __init__(self, youtube_id, **kwargs):
        self.youtube_id = youtube_id
        super().__init__(which_sets=('train',), **kwargs)

    @staticmethod
    def filename_of(youtube_id):
        """The file name of the dataset of a video."""
        return '{}.hdf5'.format(youtube_id)

    @property
    def filename(self):
        return self.filename_of(self.youtube_id)

    def locate(self):
        return find_in_data_path(self.filename, [
            'fuel-download youtube_audio --youtube-id {}'.format(self.youtube_id),
            'fuel-convert youtube_audio --youtube-id {}'.format(self.youtube_id)])
