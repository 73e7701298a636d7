"""``fuel-info``: print how a Fuel HDF5 file was made.

Prints the command that created the file and the versions of the HDF5
interface and of the converters, as ``fuel-convert`` recorded them, and the
file's splits and sources.
"""
import argparse
import os
import sys

import h5py

NOT_AVAILABLE = 'N/A'


def _text(value):
    if isinstance(value, bytes):
        return value.decode('utf8')
    return str(value)


def describe(path):
    """The text that ``fuel-info`` prints for a file."""
    from fuel.datasets.hdf5 import H5PYDataset
    with h5py.File(path, 'r') as h5file:
        attrs = {key: _text(h5file.attrs.get(key, NOT_AVAILABLE)) for key in (
            'fuel_convert_command', 'h5py_interface_version',
            'fuel_convert_version', 'fuel_version')}
        try:
            split_dict = H5PYDataset.get_split_dict(h5file)
        except ValueError:
            split_dict = {}
        splits = []
        for split, sources in split_dict.items():
            sizes = ', '.join('{} ({})'.format(source, stop - start if indices is None
                                               else len(indices))
                              for source, (start, stop, indices, _)
                              in sorted(sources.items()))
            splits.append('    {}: {}'.format(split, sizes or 'no sources'))
    title = 'Metadata for {}'.format(os.path.basename(path))
    lines = [title, '=' * len(title), '',
             'The command used to generate this file is', '',
             '    {}'.format(attrs['fuel_convert_command']), '',
             'Relevant versions are', '',
             '    H5PYDataset     {}'.format(attrs['h5py_interface_version']),
             '    fuel.converters {}'.format(attrs['fuel_convert_version']),
             '    fuel            {}'.format(attrs['fuel_version'])]
    if splits:
        lines += ['', 'Splits (examples per source)', ''] + splits
    return '\n'.join(lines)


def main(args=None):
    """Run ``fuel-info`` with ``args`` (default: the command line)."""
    parser = argparse.ArgumentParser(
        prog='fuel-info',
        description='Print the metadata of a Fuel HDF5 file.')
    parser.add_argument('filename', help='the HDF5 file')
    options = parser.parse_args(sys.argv[1:] if args is None else args)
    if not os.path.isfile(options.filename):
        parser.error('{} is not a file'.format(options.filename))
    print(describe(options.filename))


if __name__ == '__main__':
    main()
