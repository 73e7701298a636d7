"""Every downloader against a local web server: URLs, file names, checksums.

The ``mirror`` fixture (``conftest.py``) answers on 127.0.0.1 for every
remote host; nothing leaves the machine.
"""
import hashlib
import os

import pytest

from fuel.bin import fuel_download
from fuel.downloaders import (adult, caltech101_silhouettes, celeba,
                              dogs_vs_cats, ilsvrc2012, svhn)
from fuel.downloaders.base import (default_downloader, download,
                                   filename_from_url)
from fuel.downloaders.youtube_audio import download as download_youtube
from fuel.exceptions import NeedURLPrefix

UCI = 'https://archive.ics.uci.edu/ml/machine-learning-databases/'

#: name, extra arguments, URLs expected (in order), file names saved.
PLAIN_DOWNLOADS = [
    ('adult', [], [UCI + 'adult/adult.data', UCI + 'adult/adult.test'],
     ['adult.data', 'adult.test']),
    ('iris', [], [UCI + 'iris/iris.data'], ['iris.data']),
    ('binarized_mnist', [],
     ['http://www.cs.toronto.edu/~larocheh/public/datasets/binarized_mnist/'
      'binarized_mnist_{}.amat'.format(name) for name in ('train', 'valid', 'test')],
     ['binarized_mnist_{}.amat'.format(name) for name in ('train', 'valid', 'test')]),
    ('caltech101_silhouettes', ['16'],
     ['https://people.cs.umass.edu/~marlin/data/'
      'caltech101_silhouettes_16_split1.mat'],
     ['caltech101_silhouettes_16_split1.mat']),
    ('dogs_vs_cats', [],
     ['https://www.dropbox.com/s/s3u30quvpxqdbz6/train.zip?dl=1',
      'https://www.dropbox.com/s/21rwu6drnplsbkb/test1.zip?dl=1'],
     ['dogs_vs_cats.train.zip', 'dogs_vs_cats.test1.zip']),
    ('svhn', ['1'], ['http://ufldl.stanford.edu/housenumbers/{}.tar.gz'.format(name)
                     for name in ('train', 'test', 'extra')],
     ['train.tar.gz', 'test.tar.gz', 'extra.tar.gz']),
]


def serve_distinct_files(mirror, urls):
    contents = [u'content of {}'.format(url).encode('utf8') * 50 for url in urls]
    for url, content in zip(urls, contents):
        mirror.serve(url, content)
    return contents


@pytest.mark.parametrize('name, arguments, urls, filenames', PLAIN_DOWNLOADS,
                         ids=[entry[0] for entry in PLAIN_DOWNLOADS])
def test_downloader_fetches_its_urls_into_its_files(mirror, tmp_path, name,
                                                    arguments, urls, filenames):
    contents = serve_distinct_files(mirror, urls)
    fuel_download.main([name] + arguments + ['-d', str(tmp_path)])
    assert mirror.requested() == urls
    assert sorted(os.listdir(tmp_path)) == sorted(filenames)
    for filename, content in zip(filenames, contents):
        assert (tmp_path / filename).read_bytes() == content
    fuel_download.main([name] + arguments + ['-d', str(tmp_path), '--clear'])
    assert os.listdir(tmp_path) == []


def test_checksums_are_verified(mirror, tmp_path, monkeypatch):
    """CelebA's published MD5 sums reject other content; matching ones pass."""
    contents = serve_distinct_files(mirror, celeba.URLS)
    with pytest.raises(ValueError, match='the download of img_align_celeba.zip '
                                         'from .* is corrupted: its MD5 sum is '
                                         '[0-9a-f]{32}, expected '
                                         '00d2c5bc6d35e252742224ab0c1e8fcb'):
        fuel_download.main(['celeba', '-d', str(tmp_path)])
    assert os.listdir(tmp_path) == []  # nothing unverified is kept
    monkeypatch.setattr(celeba, 'MD5', [hashlib.md5(content).hexdigest()
                                        for content in contents])
    fuel_download.main(['celeba', '-d', str(tmp_path)])
    assert sorted(os.listdir(tmp_path)) == sorted(celeba.FILENAMES)
    assert mirror.requested()[-2:] == celeba.URLS
    requests = len(mirror.requests)
    fuel_download.main(['celeba', '-d', str(tmp_path)])  # verified: not again
    assert len(mirror.requests) == requests


def test_svhn_format_2_checksums(mirror, tmp_path):
    names = ['train_32x32.mat', 'test_32x32.mat', 'extra_32x32.mat']
    urls = [svhn.URL_PREFIX + name for name in names]
    serve_distinct_files(mirror, urls)
    with pytest.raises(ValueError, match='expected e26dedcc434d2e4c54c9b2d4a06d8373'):
        svhn.svhn_downloader(2, str(tmp_path))
    assert mirror.requested() == urls[:1]


def test_cifar_checksums(mirror, tmp_path):
    url = 'https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz'
    mirror.serve(url, b'not cifar')
    with pytest.raises(ValueError, match='expected eb9058c3a382ffc7106e4002c42a8d85'):
        fuel_download.main(['cifar100', '-d', str(tmp_path)])
    assert mirror.requested() == [url]


def test_ilsvrc2010_public_files_and_url_prefix(mirror, tmp_path, capsys):
    public = ['http://www.image-net.org/challenges/LSVRC/2010/'
              'ILSVRC2010_test_ground_truth.txt',
              'http://www.image-net.org/challenges/LSVRC/2010/download/'
              'ILSVRC2010_devkit-1.0.tar.gz']
    tars = ['ILSVRC2010_images_train.tar', 'ILSVRC2010_images_val.tar',
            'ILSVRC2010_images_test.tar', 'patch_images.tar']
    private = ['https://mirror.example.org/ilsvrc/' + name for name in tars]
    serve_distinct_files(mirror, public + private)
    with pytest.raises(SystemExit):
        fuel_download.main(['ilsvrc2010', '-d', str(tmp_path)])
    assert 'Provide a URL prefix with --url-prefix' in capsys.readouterr().err
    fuel_download.main(['ilsvrc2010', '-d', str(tmp_path), '--url-prefix',
                        'https://mirror.example.org/ilsvrc/'])
    assert mirror.requested()[-6:] == public + private
    assert sorted(os.listdir(tmp_path)) == sorted(
        ['ILSVRC2010_test_ground_truth.txt', 'ILSVRC2010_devkit-1.0.tar.gz'] + tars)


def test_ilsvrc2012_needs_a_prefix_and_checks_md5(mirror, tmp_path):
    with pytest.raises(NeedURLPrefix, match='ILSVRC2012_devkit_t12.tar.gz has no URL'):
        default_downloader(str(tmp_path), [None], ['ILSVRC2012_devkit_t12.tar.gz'])
    url = 'http://mirror.example.org/ILSVRC2012_devkit_t12.tar.gz'
    mirror.serve(url, b'not the devkit')
    with pytest.raises(ValueError, match='expected fa75699e90414af021442c21a62c3abf'):
        fuel_download.main(['ilsvrc2012', '-d', str(tmp_path), '-P',
                            'http://mirror.example.org/'])
    assert mirror.requested() == [url]
    assert ilsvrc2012.MD5['ILSVRC2012_img_val.tar'] == \
        '29b22e2961454d5413ddabcf34fc5622'


def test_silhouettes_downloader_checks_the_size(tmp_path):
    with pytest.raises(ValueError, match='size must be 16 or 28, got 32'):
        caltech101_silhouettes.silhouettes_downloader(32, directory=str(tmp_path))


def test_filename_from_url_reads_content_disposition(mirror):
    mirror.serve('https://data.example.org/get?id=7', b'x',
                 headers={'Content-Disposition': 'attachment; filename="train.zip"'})
    assert filename_from_url('https://data.example.org/get?id=7') == 'train.zip'
    assert mirror.requested('HEAD') == ['https://data.example.org/get?id=7']
    assert filename_from_url('https://data.example.org/files/a.tar.gz') == 'a.tar.gz'


def test_default_downloader_names_files_from_urls(mirror, tmp_path):
    url = 'https://data.example.org/download?file=3'
    mirror.serve(url, b'data', headers={'Content-Disposition': 'attachment; '
                                                               'filename=three.bin'})
    default_downloader(str(tmp_path / 'new'), [url], [None])
    assert (tmp_path / 'new' / 'three.bin').read_bytes() == b'data'


def test_download_shows_progress(mirror, tmp_path, capsys):
    url = 'https://data.example.org/big.bin'
    mirror.serve(url, b'0123456789' * 1000)
    with open(tmp_path / 'big.bin', 'wb') as file_handle:
        download(url, file_handle, show_progress=True)
    assert (tmp_path / 'big.bin').stat().st_size == 10000
    assert '100%' in capsys.readouterr().out


def test_youtube_audio_needs_pafy(tmp_path):
    with pytest.raises(ImportError, match='needs the pafy package'):
        download_youtube(str(tmp_path), 'XqaJ2Ol5cC4')
    (tmp_path / 'XqaJ2Ol5cC4.m4a').write_bytes(b'audio')
    download_youtube(str(tmp_path), 'XqaJ2Ol5cC4', clear=True)
    assert os.listdir(tmp_path) == []


def test_every_downloader_is_a_subcommand():
    parser, functions = fuel_download.build_parser()
    assert sorted(functions) == sorted([
        'adult', 'binarized_mnist', 'caltech101_silhouettes', 'celeba',
        'cifar10', 'cifar100', 'dogs_vs_cats', 'ilsvrc2010', 'ilsvrc2012',
        'iris', 'mnist', 'svhn', 'youtube_audio'])
    assert adult.FILENAMES == ['adult.data', 'adult.test']
    assert dogs_vs_cats.FILENAMES == ['dogs_vs_cats.train.zip',
                                      'dogs_vs_cats.test1.zip']


# --- HTTP through requests, as the original (whose tests mock it) -------------

def mock_requests_get(mock_requests, content=b'mock', headers=None):
    from unittest import mock
    response = mock.MagicMock()
    response.iter_content = mock.MagicMock(return_value=[content])
    response.headers = dict(headers or {})
    response.status_code = 200
    mock_requests.get.return_value = response


def test_http_downloads_go_through_requests(tmp_path):
    from unittest import mock
    from fuel.downloaders.base import download, filename_from_url
    with mock.patch('fuel.downloaders.base.requests') as mock_requests:
        mock_requests_get(mock_requests, headers={'content-length': 4})
        with open(str(tmp_path / "x"), "wb") as file_handle:
            download('http://example.com/a/mock.data', file_handle)
        assert (tmp_path / 'x').read_bytes() == b'mock'
        assert filename_from_url('http://example.com/a/mock.data') == 'mock.data'
        mock_requests_get(mock_requests, headers={
            'Content-Disposition': 'attachment; filename="real.tar.gz"'})
        assert filename_from_url('http://example.com/get?id=3') == 'real.tar.gz'
        default_downloader(str(tmp_path), [None], ['m.data'],
                           url_prefix='http://example.com/')
        assert mock_requests.get.call_args[0][0] == 'http://example.com/m.data'
        assert (tmp_path / 'm.data').read_bytes() == b'mock'
