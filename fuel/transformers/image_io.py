"""Decode encoded images into ``(channel, height, width)`` uint8 arrays.

Pillow decodes every format it knows when it is installed. Without it, PNG
(8 and 16 bits, grey, grey and alpha, RGB, RGBA, palette; not interlaced) and
binary PNM (PGM ``P5``, PPM ``P6``) are read here with NumPy and zlib.

Examples
--------
>>> decode_image(b'P6 1 1 255 ' + bytes([10, 20, 30]), 'RGB').tolist()
[[[10]], [[20]], [[30]]]
"""
import io
import struct
import zlib

import numpy

PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def decode_image(data, color_mode='RGB'):
    """Decode the bytes of an image file.

    Parameters
    ----------
    data : bytes
        The encoded image.
    color_mode : {'RGB', 'L', None}
        Convert to RGB, to grey levels, or keep the image's own channels.

    Returns
    -------
    numpy.ndarray
        uint8 (or uint16 for 16-bit PNGs kept as they are), shape
        ``(channel, height, width)``.
    """
    try:
        from PIL import Image
    except ImportError:
        Image = None
    if Image is not None:
        image = Image.open(io.BytesIO(data))
        if color_mode is not None:
            image = image.convert(color_mode)
        array = numpy.array(image)
        return array[numpy.newaxis] if array.ndim == 2 else array.transpose(2, 0, 1)
    if data.startswith(PNG_SIGNATURE):
        pixels, mode = read_png(data)
    elif data[:2] in (b'P5', b'P6'):
        pixels, mode = read_pnm(data)
    else:
        raise ValueError('cannot decode this image: without Pillow only PNG and '
                         'binary PGM/PPM images can be read (install Pillow for '
                         'JPEG and other formats)')
    return convert_mode(pixels, mode, color_mode).transpose(2, 0, 1)


def convert_mode(pixels, mode, color_mode):
    """Convert ``(height, width, channel)`` pixels of ``mode`` ('L', 'LA', 'RGB', 'RGBA').

    Grey levels follow ITU-R 601-2, as Pillow does; alpha is dropped.

    >>> convert_mode(numpy.array([[[255, 0, 0]]], 'uint8'), 'RGB', 'L').tolist()
    [[[76]]]
    """
    if color_mode is None or color_mode == mode:
        return pixels
    if mode in ('L', 'LA'):
        grey = pixels[..., :1]
        return grey if color_mode == 'L' else numpy.repeat(grey, 3, axis=-1)
    rgb = pixels[..., :3]
    if color_mode == 'RGB':
        return rgb
    rgb = rgb.astype(numpy.uint32)
    grey = (rgb[..., 0] * 19595 + rgb[..., 1] * 38470 + rgb[..., 2] * 7471 +
            0x8000) >> 16
    return grey[..., numpy.newaxis].astype(pixels.dtype)


def read_pnm(data):
    """Read a binary PGM (``P5``) or PPM (``P6``) image with values up to 255."""
    fields = []
    position = 2
    while len(fields) < 3:
        while position < len(data) and data[position:position + 1].isspace():
            position += 1
        if data[position:position + 1] == b'#':
            position = data.index(b'\n', position)
            continue
        start = position
        while position < len(data) and not data[position:position + 1].isspace():
            position += 1
        fields.append(int(data[start:position]))
    width, height, maxval = fields
    if maxval > 255:
        raise ValueError('only 8-bit PNM images are supported, got maxval {}'
                         .format(maxval))
    channels = 1 if data[:2] == b'P5' else 3
    pixels = numpy.frombuffer(data, numpy.uint8, height * width * channels,
                              position + 1)
    return (pixels.reshape(height, width, channels),
            'L' if channels == 1 else 'RGB')


def read_png(data):
    """Read a non-interlaced PNG image; returns ``(pixels, mode)``."""
    position = len(PNG_SIGNATURE)
    header, palette, transparency, compressed = None, None, None, []
    while position < len(data):
        length, kind = struct.unpack('>I4s', data[position:position + 8])
        chunk = data[position + 8:position + 8 + length]
        position += 12 + length
        if kind == b'IHDR':
            header = struct.unpack('>IIBBBBB', chunk)
        elif kind == b'PLTE':
            palette = numpy.frombuffer(chunk, numpy.uint8).reshape(-1, 3)
        elif kind == b'tRNS':
            transparency = numpy.frombuffer(chunk, numpy.uint8)
        elif kind == b'IDAT':
            compressed.append(chunk)
        elif kind == b'IEND':
            break
    if header is None:
        raise ValueError('this PNG image has no IHDR chunk')
    width, height, depth, color_type, _, _, interlace = header
    if interlace:
        raise ValueError('interlaced PNG images need Pillow')
    if color_type not in PNG_CHANNELS or depth not in (1, 2, 4, 8, 16):
        raise ValueError('unsupported PNG: color type {}, bit depth {}'.format(
            color_type, depth))
    channels = PNG_CHANNELS[color_type]
    raw = numpy.frombuffer(zlib.decompress(b''.join(compressed)), numpy.uint8)
    row_bytes = (width * channels * depth + 7) // 8
    rows = unfilter_png(raw.reshape(height, row_bytes + 1),
                        max(1, channels * depth // 8))
    if depth == 16:
        pixels = rows.view('>u2').astype(numpy.uint16).reshape(height, width,
                                                               channels)
    elif depth == 8:
        pixels = rows.reshape(height, width, channels)
    else:
        bits = numpy.unpackbits(rows, axis=1).reshape(height, -1, depth)
        values = (bits * (1 << numpy.arange(depth - 1, -1, -1))).sum(axis=-1)
        pixels = values[:, :width].astype(numpy.uint8)[..., numpy.newaxis]
        if color_type == 0:
            pixels = pixels * (255 // ((1 << depth) - 1))
    if color_type == 3:
        if palette is None:
            raise ValueError('this palette PNG image has no PLTE chunk')
        rgb = palette[pixels[..., 0]]
        if transparency is not None:
            alpha = numpy.full(len(palette), 255, numpy.uint8)
            alpha[:len(transparency)] = transparency
            return numpy.concatenate([rgb, alpha[pixels]], axis=-1), 'RGBA'
        return rgb, 'RGB'
    return pixels, {1: 'L', 2: 'LA', 3: 'RGB', 4: 'RGBA'}[channels]


def unfilter_png(filtered, bpp):
    """Undo the PNG row filters; ``filtered`` has the filter byte first on each row."""
    height, width = filtered.shape[0], filtered.shape[1] - 1
    out = numpy.zeros((height + 1, width), dtype=numpy.int32)  # row 0: zeros
    for y in range(height):
        kind, line = filtered[y, 0], filtered[y, 1:].astype(numpy.int32)
        previous = out[y]
        if kind == 0:
            row = line
        elif kind == 2:
            row = (line + previous) & 0xFF
        elif kind == 1:  # each byte adds the one bpp to its left: a running sum
            row = (numpy.cumsum(line.reshape(-1, bpp), axis=0) & 0xFF).ravel() \
                if width % bpp == 0 else _unfilter_sub(line, bpp)
        elif kind in (3, 4):
            row = line.copy()
            for x in range(width):
                left = row[x - bpp] if x >= bpp else 0
                up = previous[x]
                if kind == 3:
                    row[x] = (row[x] + (left + up) // 2) & 0xFF
                else:
                    corner = previous[x - bpp] if x >= bpp else 0
                    estimate = left + up - corner
                    distances = (abs(estimate - left), abs(estimate - up),
                                 abs(estimate - corner))
                    predictor = (left if distances[0] <= distances[1] and
                                 distances[0] <= distances[2]
                                 else up if distances[1] <= distances[2]
                                 else corner)
                    row[x] = (row[x] + predictor) & 0xFF
        else:
            raise ValueError('invalid PNG filter type {}'.format(kind))
        out[y + 1] = row
    return out[1:].astype(numpy.uint8)


def _unfilter_sub(line, bpp):
    row = line.copy()
    for x in range(bpp, len(row)):
        row[x] = (row[x] + row[x - bpp]) & 0xFF
    return row
