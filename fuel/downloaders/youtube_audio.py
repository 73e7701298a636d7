"""The sound track of a YouTube video (with the ``pafy`` package)."""
import os


def download(directory, youtube_id, clear=False):
    """Download the best audio stream of a video as ``{youtube_id}.m4a``.

    Parameters
    ----------
    directory : str
        Where to save the file.
    youtube_id : str
        The video's id (after ``watch?v=`` in its URL).
    clear : bool, optional
        Delete the file instead.

    Raises
    ------
    ImportError
        When ``pafy`` (and the ``youtube-dl`` it drives) is not installed.
    """
    filepath = os.path.join(directory, '{}.m4a'.format(youtube_id))
    if clear:
        if os.path.isfile(filepath):
            os.remove(filepath)
        return
    try:
        import pafy
    except ImportError as error:
        raise ImportError('downloading YouTube audio needs the pafy package '
                          '(pip install pafy youtube-dl)') from error
    url = 'https://www.youtube.com/watch?v={}'.format(youtube_id)
    audio = pafy.new(url).getbestaudio()
    audio.download(quiet=False, filepath=filepath)


def fill_subparser(subparser):
    """Set up the ``youtube_audio`` subcommand of ``fuel-download``."""
    subparser.add_argument('--youtube-id', type=str, required=True,
                           help='the id of the video (after watch?v= in its URL)')
    return download
