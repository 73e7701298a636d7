"""Decode encoded images (PNG, JPEG, and every format Pillow reads) with Pillow.

Examples
--------
>>> decode_image(b'P6 1 1 255 ' + bytes([10, 20, 30]), 'RGB').tolist()
[[[10]], [[20]], [[30]]]
"""
import io

import numpy
from PIL import Image, UnidentifiedImageError

COLOR_MODES = ('RGB', 'L', None)


def decode_image(data, color_mode='RGB'):
    """Decode the bytes of an image file into a ``(channel, height, width)`` array.

    Parameters
    ----------
    data : bytes
        The encoded image.
    color_mode : {'RGB', 'L', None}
        Convert to RGB, to grey levels (ITU-R 601-2 luma, as Pillow does),
        or keep the image's own mode.

    Returns
    -------
    numpy.ndarray
        Of shape ``(channel, height, width)``; uint8 for 8-bit images.

    Raises
    ------
    ValueError
        When Pillow does not recognize the bytes as an image.

    >>> decode_image(b'GIF89a')
    Traceback (most recent call last):
    ...
    ValueError: cannot decode this image (6 bytes starting with b'GIF89a'): ...
    """
    try:
        image = Image.open(io.BytesIO(data))
        if color_mode is not None:
            image = image.convert(color_mode)
        array = numpy.array(image)
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise ValueError('cannot decode this image ({} bytes starting with {!r}):'
                         ' {}'.format(len(data), bytes(data[:8]), error)) from error
    if array.ndim == 2:
        return array[numpy.newaxis]
    if array.ndim == 3:
        return array.transpose(2, 0, 1)
    raise ValueError('a decoded image has {} axes, expected 2 or 3'.format(
        array.ndim))


def encode_image(image, format='PNG'):
    """Encode a ``(channel, height, width)`` uint8 array (1, 3 or 4 channels).

    >>> pixels = numpy.arange(6, dtype='uint8').reshape(1, 2, 3)
    >>> numpy.array_equal(decode_image(encode_image(pixels), None), pixels)
    True
    """
    image = numpy.asarray(image)
    if image.ndim != 3 or image.shape[0] not in (1, 3, 4):
        raise ValueError('images to encode must have shape (channel, height, '
                         'width) with 1, 3 or 4 channels, got {}'.format(
                             image.shape))
    pixels = image[0] if image.shape[0] == 1 else image.transpose(1, 2, 0)
    output = io.BytesIO()
    Image.fromarray(numpy.ascontiguousarray(pixels)).save(output, format=format)
    return output.getvalue()
