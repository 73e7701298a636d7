"""Transformers for images in ``(channel, height, width)`` layout.

Each transformer works on streams of examples, whose images are arrays of
shape ``(channel, height, width)`` (axis labels ``('channel', 'height',
'width')``), and on streams of batches: arrays of shape ``(batch, channel,
height, width)`` (labels ``('batch', 'channel', 'height', 'width')``), or
lists (or object arrays) of ``(channel, height, width)`` arrays when the
images differ in size. As in the original Fuel, resizing and rotating use
Pillow, channel by channel, for the dtypes Pillow holds (uint8, int32,
float32), so that the pixels are the original's; other dtypes go through
:mod:`scipy.ndimage` (or NumPy for nearest-neighbour resizing). Decoding
uses Pillow.
"""
import math

import numpy
from PIL import Image

from fuel import config
from fuel.transformers.base import (ExpectsAxisLabels, SourcewiseTransformer,
                                    check_data_stream, source_names)
from fuel.transformers.batches import stack_examples
from fuel.transformers.image_io import decode_image

RESAMPLE_ORDERS = {'nearest': 0, 'bilinear': 1, 'bicubic': 3}
#: Pillow's filters, by the names the original took (``resample='bicubic'``).
RESAMPLE_FILTERS = {'nearest': Image.NEAREST, 'bilinear': Image.BILINEAR,
                    'bicubic': Image.BICUBIC}
#: The dtypes whose 2D arrays Pillow holds as an image (mode 'L', 'I', 'F').
PIL_DTYPES = ('uint8', 'int32', 'float32')
BATCH_LABELS = ('batch', 'channel', 'height', 'width')
EXAMPLE_LABELS = ('channel', 'height', 'width')


def _make_rng(rng):
    if rng is None:
        return numpy.random.RandomState(config.default_seed)
    if isinstance(rng, (int, numpy.integer)):
        return numpy.random.RandomState(int(rng))
    return rng


def _check_shape(name, shape):
    """``shape`` as a ``(height, width)`` tuple of positive integers."""
    if len(shape) != 2 or any(int(size) < 1 for size in shape):
        raise ValueError('{} must be a (height, width) pair of positive '
                         'integers, got {!r}'.format(name, shape))
    return tuple(int(size) for size in shape)


class ImageAxesError(NotImplementedError, ValueError):
    """An image has a number of axes a transformer does not handle.

    The original raised ``NotImplementedError`` in
    :class:`MinimumImageDimensions`; it is a ``ValueError`` as well.
    """


def _check_2d_or_3d(image):
    if image.ndim not in (2, 3):
        raise ImageAxesError('images must have 2 or 3 axes, got shape {}'
                             .format(image.shape))


def _check_3d(image):
    if not isinstance(image, numpy.ndarray) or image.ndim != 3:
        raise ValueError('images must be arrays with 3 axes (channel, height, '
                         'width), got {}'.format(
                             'shape {}'.format(image.shape)
                             if isinstance(image, numpy.ndarray) else
                             type(image).__name__))


def _check_resample(resample):
    if resample not in RESAMPLE_ORDERS:
        raise ValueError('resample must be one of {}, got {!r}'.format(
            ', '.join(RESAMPLE_ORDERS), resample))
    return resample


class _ImageTransformer(SourcewiseTransformer, ExpectsAxisLabels):
    """Shared plumbing: check the axis labels, map a batch image by image."""
    def __init__(self, data_stream, **kwargs):
        check_data_stream(data_stream)
        kwargs.setdefault('axis_labels', data_stream.axis_labels)
        super().__init__(data_stream, data_stream.produces_examples, **kwargs)

    def _labels(self, source_name):
        labels = self.data_stream.axis_labels
        return labels.get(source_name) if labels else None

    def transform_source_example(self, example, source_name):
        self.verify_axis_labels(EXAMPLE_LABELS, self._labels(source_name),
                                source_name)
        return self._transform_image(numpy.asarray(example), self._draw(1)[0])

    def transform_source_batch(self, batch, source_name):
        self.verify_axis_labels(BATCH_LABELS, self._labels(source_name),
                                source_name)
        parameters = self._draw(len(batch))
        images = [self._transform_image(numpy.asarray(image), parameter)
                  for image, parameter in zip(batch, parameters)]
        if isinstance(batch, numpy.ndarray):
            return stack_examples(images)
        return images

    def _draw(self, count):
        """The random parameters of ``count`` images (none by default)."""
        return [None] * count

    def _transform_image(self, image, parameter):
        raise NotImplementedError


class MinimumImageDimensions(_ImageTransformer):
    """Enlarge images that are smaller than a minimum size, keeping their aspect.

    Parameters
    ----------
    data_stream : :class:`~fuel.streams.AbstractDataStream`
        A stream of images.
    minimum_shape : tuple of int
        The minimum ``(height, width)``.
    resample : {'nearest', 'bilinear', 'bicubic'}, optional
        The interpolation. Default ``'nearest'``.
    which_sources : tuple of str, optional
        The sources to resize. Default: all.

    Examples
    --------
    >>> import numpy
    >>> from fuel.datasets import IterableDataset
    >>> from fuel.streams import DataStream
    >>> images = IterableDataset({'images': [numpy.ones((3, 2, 4), 'uint8')]},
    ...                          axis_labels={'images': EXAMPLE_LABELS})
    >>> stream = MinimumImageDimensions(DataStream(images), (4, 4))
    >>> next(stream.get_epoch_iterator())[0].shape
    (3, 4, 8)
    """
    def __init__(self, data_stream, minimum_shape, resample='nearest', **kwargs):
        check_data_stream(data_stream)
        self.minimum_shape = _check_shape('minimum_shape', minimum_shape)
        self.resample = _check_resample(resample)
        super().__init__(data_stream, **kwargs)

    def _transform_image(self, image, _):
        _check_2d_or_3d(image)
        min_height, min_width = self.minimum_shape
        height, width = image.shape[-2:]
        if height >= min_height and width >= min_width:
            return image
        multiplier = max(1, min_width / width, min_height / height)
        shape = (int(math.ceil(height * multiplier)),
                 int(math.ceil(width * multiplier)))
        return resize(image, shape, self.resample)


class RandomFixedSizeCrop(_ImageTransformer):
    """Crop a window of fixed size at a random position of each image.

    Parameters
    ----------
    data_stream : :class:`~fuel.streams.AbstractDataStream`
        A stream of images.
    window_shape : tuple of int
        The ``(height, width)`` of the crops.
    rng : numpy.random.RandomState or int, optional
        The random number generator (or its seed). Default: seeded with
        ``fuel.config.default_seed``.
    which_sources : tuple of str, optional
        The sources to crop. Default: all.

    Examples
    --------
    >>> import numpy
    >>> from fuel.datasets import IndexableDataset
    >>> from fuel.schemes import SequentialScheme
    >>> from fuel.streams import DataStream
    >>> images = IndexableDataset({'images': numpy.zeros((4, 3, 5, 5))},
    ...                           axis_labels={'images': BATCH_LABELS})
    >>> stream = RandomFixedSizeCrop(
    ...     DataStream(images, iteration_scheme=SequentialScheme(4, 2)), (2, 3))
    >>> next(stream.get_epoch_iterator())[0].shape
    (2, 3, 2, 3)
    """
    def __init__(self, data_stream, window_shape, rng=None, **kwargs):
        check_data_stream(data_stream)
        self.window_shape = _check_shape('window_shape', window_shape)
        self.rng = _make_rng(rng)
        super().__init__(data_stream, **kwargs)

    def transform_source_batch(self, source, source_name):
        batch = source
        if isinstance(batch, numpy.ndarray) and batch.ndim == 4:
            self.verify_axis_labels(BATCH_LABELS, self._labels(source_name),
                                    source_name)
            height, width = self.window_shape
            max_h, max_w = batch.shape[2] - height, batch.shape[3] - width
            if max_h < 0 or max_w < 0:
                raise ValueError('cannot crop windows of shape {} from images of '
                                 'shape {}'.format(self.window_shape,
                                                   batch.shape[2:]))
            offsets_w = self.rng.randint(0, max_w + 1, size=len(batch))
            offsets_h = self.rng.randint(0, max_h + 1, size=len(batch))
            out = numpy.empty(batch.shape[:2] + self.window_shape, dtype=batch.dtype)
            for i, (top, left) in enumerate(zip(offsets_h, offsets_w)):
                out[i] = batch[i, :, top:top + height, left:left + width]
            return out
        if isinstance(batch, numpy.ndarray) and batch.dtype != object:
            raise ValueError('a batch of images must be an array with 4 axes or '
                             'a list of arrays with 3, got shape {}'.format(
                                 batch.shape))
        return super().transform_source_batch(batch, source_name)

    def _transform_image(self, image, _):
        if image.ndim != 3:
            raise ValueError('images must have 3 axes (channel, height, width), '
                             'got shape {}'.format(image.shape))
        height, width = self.window_shape
        max_h, max_w = image.shape[1] - height, image.shape[2] - width
        if max_h < 0 or max_w < 0:
            raise ValueError('cannot crop a window of shape {} from an image of '
                             'shape {}'.format(self.window_shape, image.shape[1:]))
        top = self.rng.randint(0, max_h + 1) if max_h else 0
        left = self.rng.randint(0, max_w + 1) if max_w else 0
        return image[:, top:top + height, left:left + width]


class Random2DRotation(_ImageTransformer):
    """Rotate each image by a random angle, filling the corners with zeros.

    Parameters
    ----------
    data_stream : :class:`~fuel.streams.AbstractDataStream`
        A stream of images.
    maximum_rotation : float, optional
        Angles are drawn uniformly from ``[-maximum_rotation,
        maximum_rotation]``, in radians; it must be in :math:`(0, \\pi]`.
        Default :math:`\\pi`.
    resample : {'nearest', 'bilinear', 'bicubic'}, optional
        The interpolation. Default ``'nearest'``.
    rng : numpy.random.RandomState or int, optional
        The random number generator (or its seed). Default: seeded with
        ``fuel.config.default_seed``.
    which_sources : tuple of str, optional
        The sources to rotate. Default: all.

    Examples
    --------
    >>> import numpy
    >>> from fuel.datasets import IterableDataset
    >>> from fuel.streams import DataStream
    >>> image = numpy.arange(25, dtype='uint8').reshape(1, 5, 5)
    >>> images = IterableDataset({'images': [image]},
    ...                          axis_labels={'images': EXAMPLE_LABELS})
    >>> stream = Random2DRotation(DataStream(images), maximum_rotation=0.5)
    >>> rotated = next(stream.get_epoch_iterator())[0]
    >>> rotated.shape, rotated.dtype.name, int(rotated[0, 2, 2])  # the centre stays
    ((1, 5, 5), 'uint8', 12)
    """
    def __init__(self, data_stream, maximum_rotation=math.pi,
                 resample='nearest', rng=None, **kwargs):
        check_data_stream(data_stream)
        if not 0 < maximum_rotation <= math.pi:
            raise ValueError('maximum_rotation must be in (0, pi] (radians), got '
                             '{!r}'.format(maximum_rotation))
        self.maximum_rotation = maximum_rotation
        self.resample = _check_resample(resample)
        self.rng = _make_rng(rng)
        super().__init__(data_stream, **kwargs)

    def transform_source_batch(self, source, source_name):
        if isinstance(source, numpy.ndarray) and source.dtype != object:
            if source.ndim != 4:
                raise ValueError('a batch of images must be an array with 4 axes '
                                 'or a list of arrays with 3, got shape {}'
                                 .format(source.shape))
        else:
            for image in source:
                _check_3d(image)
        return super().transform_source_batch(source, source_name)

    def _draw(self, count):
        return self.rng.uniform(-self.maximum_rotation, self.maximum_rotation,
                                size=count)

    def _transform_image(self, image, angle):
        _check_3d(image)
        return rotate(image, angle, self.resample)


class ImagesFromBytes(SourcewiseTransformer, ExpectsAxisLabels):
    """Decode images stored as encoded bytes (PNG, JPEG, ...) with Pillow.

    Parameters
    ----------
    data_stream : :class:`~fuel.streams.AbstractDataStream`
        A stream whose selected sources hold encoded images (``bytes`` or
        uint8 arrays).
    color_mode : {'RGB', 'L', None}, optional
        Convert the images to this mode (``'L'``: grey levels); ``None``
        keeps each image's own. Default ``'RGB'``.
    which_sources : tuple of str, optional
        The sources to decode. Default: all.

    Notes
    -----
    Images come out as uint8 arrays of shape ``(channel, height, width)``;
    a batch becomes a list of them, since images may differ in size.

    Examples
    --------
    >>> from fuel.datasets import IterableDataset
    >>> from fuel.streams import DataStream
    >>> pgm = b'P5 2 1 255 ' + bytes([0, 255])
    >>> stream = ImagesFromBytes(DataStream(IterableDataset([pgm])),
    ...                          color_mode='L')
    >>> next(stream.get_epoch_iterator())[0].tolist()
    [[[0, 255]]]
    """
    def __init__(self, data_stream, color_mode='RGB', **kwargs):
        check_data_stream(data_stream)
        if color_mode not in ('RGB', 'L', None):
            raise ValueError("color_mode must be 'RGB', 'L' or None, got "
                             '{!r}'.format(color_mode))
        self.color_mode = color_mode
        if data_stream.axis_labels:
            decoded = source_names(kwargs.get('which_sources'), data_stream)
            kwargs.setdefault('axis_labels', {
                source: (BATCH_LABELS if not data_stream.produces_examples
                         else EXAMPLE_LABELS)
                if source in decoded
                else labels for source, labels in data_stream.axis_labels.items()})
        super().__init__(data_stream, data_stream.produces_examples, **kwargs)

    def transform_source_example(self, example, source_name):
        if isinstance(example, numpy.ndarray) and example.dtype == numpy.uint8:
            example = example.tobytes()
        if not isinstance(example, (bytes, bytearray, memoryview)):
            raise TypeError('ImagesFromBytes expects the examples of source {!r} '
                            'to be bytes (or uint8 arrays), got {}'.format(
                                source_name, type(example).__name__))
        try:
            return decode_image(bytes(example), self.color_mode)
        except ValueError as error:
            raise ValueError('source {!r}: {}'.format(source_name, error)) \
                from error

    def transform_source_batch(self, batch, source_name):
        return [self.transform_source_example(image, source_name)
                for image in batch]


def resize(image, shape, resample='nearest'):
    """Resize an image of shape ``(..., height, width)`` to ``shape`` (height, width).

    >>> resize(numpy.arange(4).reshape(2, 2), (4, 4)).tolist()[0]
    [0, 0, 1, 1]
    """
    height, width = image.shape[-2:]
    if image.dtype.name in PIL_DTYPES:
        return _channel_by_channel(image, lambda channel: channel.resize(
            (shape[1], shape[0]), RESAMPLE_FILTERS[resample]))
    if resample == 'nearest':
        rows = numpy.minimum(((numpy.arange(shape[0]) + 0.5) * height /
                              shape[0]).astype(int), height - 1)
        columns = numpy.minimum(((numpy.arange(shape[1]) + 0.5) * width /
                                 shape[1]).astype(int), width - 1)
        return image[..., rows[:, None], columns]
    from scipy import ndimage
    factors = (1,) * (image.ndim - 2) + (shape[0] / height, shape[1] / width)
    resized = ndimage.zoom(image.astype(numpy.float64), factors,
                           order=RESAMPLE_ORDERS[resample], mode='nearest',
                           grid_mode=True)
    return _back_to_dtype(resized, image.dtype)


def rotate(image, angle, resample='nearest'):
    """Rotate an image of shape ``(..., height, width)`` by ``angle`` radians.

    >>> rotate(numpy.eye(3), math.pi / 2).tolist()
    [[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
    """
    if image.dtype.name in PIL_DTYPES:
        return _channel_by_channel(image, lambda channel: channel.rotate(
            math.degrees(angle), resample=RESAMPLE_FILTERS[resample]))
    from scipy import ndimage
    rotated = ndimage.rotate(image.astype(numpy.float64), math.degrees(angle),
                             axes=(image.ndim - 1, image.ndim - 2), reshape=False,
                             order=RESAMPLE_ORDERS[resample], mode='constant',
                             cval=0.0)
    return _back_to_dtype(rotated, image.dtype)


def _channel_by_channel(image, transform):
    """Apply a Pillow ``transform`` to each ``(height, width)`` plane of ``image``."""
    planes = image.reshape((-1,) + image.shape[-2:])
    out = [numpy.asarray(transform(Image.fromarray(numpy.ascontiguousarray(plane))))
           for plane in planes]
    return numpy.stack(out).reshape(image.shape[:-2] + out[0].shape) \
        .astype(image.dtype, copy=False)


def _back_to_dtype(array, dtype):
    if numpy.dtype(dtype).kind in 'iub':
        info = numpy.iinfo(dtype) if numpy.dtype(dtype).kind != 'b' else None
        array = numpy.rint(array)
        if info is not None:
            array = numpy.clip(array, info.min, info.max)
    return array.astype(dtype)
