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

message_prefix_template = 'Metadata for {}'
message_body_template = """

The command used to generate this file is

    {}

Relevant versions are

    H5PYDataset     {}
    fuel.converters {}
"""


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
    title = message_prefix_template.format(os.path.basename(path))
    body = message_body_template.format(attrs['fuel_convert_command'],
                                        attrs['h5py_interface_version'],
                                        attrs['fuel_convert_version'])
    lines = [title, '=' * len(title)] + body.split('\n')[1:-1] + [
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
