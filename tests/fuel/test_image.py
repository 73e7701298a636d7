import math
import pickle
import struct
import zlib

import numpy
import pytest
from numpy.testing import assert_array_equal

from fuel.datasets import IndexableDataset, IterableDataset
from fuel.exceptions import AxisLabelsMismatchError
from fuel.schemes import SequentialScheme
from fuel.streams import DataStream
from fuel.transformers.image import (BATCH_LABELS, EXAMPLE_LABELS,
                                     ImagesFromBytes, MinimumImageDimensions,
                                     Random2DRotation, RandomFixedSizeCrop,
                                     resize, rotate)
from fuel.transformers.image_io import decode_image


def image_batch_stream(images, batch_size=2):
    dataset = IndexableDataset({'images': images},
                               axis_labels={'images': BATCH_LABELS})
    return DataStream(dataset, iteration_scheme=SequentialScheme(len(images),
                                                                 batch_size))


def test_random_crop_of_array_batch_matches_numpy(rng):
    images = rng.integers(0, 255, size=(5, 3, 8, 7)).astype('uint8')
    stream = RandomFixedSizeCrop(image_batch_stream(images), (4, 3), rng=7)
    crops = numpy.concatenate([b[0] for b in stream.get_epoch_iterator()])
    assert crops.shape == (5, 3, 4, 3) and crops.dtype == numpy.uint8
    draws = numpy.random.RandomState(7)
    expected = []
    for start in (0, 2, 4):
        count = min(2, 5 - start)
        offsets_w = draws.randint(0, 5, size=count)
        offsets_h = draws.randint(0, 5, size=count)
        for i, (top, left) in enumerate(zip(offsets_h, offsets_w)):
            expected.append(images[start + i, :, top:top + 4, left:left + 3])
    assert_array_equal(crops, numpy.array(expected))


def test_random_crop_of_images_of_different_sizes():
    images = [numpy.zeros((1, 5, 6)), numpy.ones((1, 4, 4))]
    dataset = IterableDataset({'images': images},
                              axis_labels={'images': EXAMPLE_LABELS})
    crops = [crop for crop, in RandomFixedSizeCrop(
        DataStream(dataset), (3, 3)).get_epoch_iterator()]
    assert [crop.shape for crop in crops] == [(1, 3, 3), (1, 3, 3)]
    assert crops[1].sum() == 9


def test_random_crop_errors():
    with pytest.raises(ValueError, match='cannot crop windows of shape'):
        list(RandomFixedSizeCrop(image_batch_stream(numpy.zeros((2, 1, 2, 2))),
                                 (3, 3)).get_epoch_iterator())
    with pytest.raises(ValueError, match='window_shape must be a'):
        RandomFixedSizeCrop(image_batch_stream(numpy.zeros((2, 1, 2, 2))), (3,))


def test_axis_labels_are_checked():
    dataset = IndexableDataset({'images': numpy.zeros((2, 4, 4, 1))},
                               axis_labels={'images': ('batch', 'height',
                                                       'width', 'channel')})
    stream = RandomFixedSizeCrop(
        DataStream(dataset, iteration_scheme=SequentialScheme(2, 2)), (2, 2))
    with pytest.raises(AxisLabelsMismatchError, match='RandomFixedSizeCrop '
                                                      'expects the axes'):
        next(stream.get_epoch_iterator())


def test_minimum_image_dimensions():
    small = numpy.arange(2 * 3, dtype='uint8').reshape(1, 2, 3)
    large = numpy.zeros((1, 10, 10), 'uint8')
    dataset = IterableDataset({'images': [small, large]},
                              axis_labels={'images': EXAMPLE_LABELS})
    stream = MinimumImageDimensions(DataStream(dataset), (4, 5))
    resized, kept = [image for image, in stream.get_epoch_iterator()]
    assert resized.shape == (1, 4, 6) and resized.dtype == numpy.uint8
    assert_array_equal(resized[0], small[0].repeat(2, axis=0).repeat(2, axis=1))
    assert kept is large or numpy.array_equal(kept, large)


def test_resize_bilinear_keeps_dtype_and_range():
    image = numpy.array([[0, 255], [255, 0]], dtype='uint8')
    resized = resize(image, (4, 4), 'bilinear')
    assert resized.dtype == numpy.uint8 and resized.shape == (4, 4)
    assert resized.min() >= 0 and resized.max() <= 255


def test_rotate_quarter_turn_matches_numpy():
    image = numpy.arange(20.).reshape(4, 5)[:, :4]
    # counterclockwise for positive angles, as Pillow rotates
    assert_array_equal(rotate(image, math.pi / 2), numpy.rot90(image, 1))
    assert_array_equal(rotate(image, -math.pi / 2), numpy.rot90(image, -1))
    assert_array_equal(rotate(image[None], math.pi), numpy.rot90(image, 2)[None])


def test_random_rotation_draws_uniform_angles():
    image = numpy.arange(25.).reshape(1, 5, 5)
    dataset = IterableDataset({'images': [image] * 3},
                              axis_labels={'images': EXAMPLE_LABELS})
    stream = Random2DRotation(DataStream(dataset), maximum_rotation=1.0, rng=3)
    rotated = [image for image, in stream.get_epoch_iterator()]
    draws = numpy.random.RandomState(3)
    for result in rotated:
        angle = draws.uniform(-1.0, 1.0, size=1)[0]
        assert_array_equal(result, rotate(image, angle))
        assert result[0, 2, 2] == 12  # the centre stays


def test_random_rotation_of_array_batch():
    images = numpy.ones((4, 2, 5, 5), 'float32')
    stream = Random2DRotation(image_batch_stream(images), rng=1)
    batches = list(stream.get_epoch_iterator())
    assert [b[0].shape for b in batches] == [(2, 2, 5, 5)] * 2
    assert batches[0][0].dtype == numpy.float32
    with pytest.raises(ValueError, match=r'maximum_rotation must be in \(0, pi\]'):
        Random2DRotation(image_batch_stream(images), maximum_rotation=4)
    # As in the original, a rotation of at most 0 is refused too.
    with pytest.raises(ValueError, match=r'maximum_rotation must be in \(0, pi\]'):
        Random2DRotation(image_batch_stream(images), maximum_rotation=0.0)


def test_image_transformers_pickle_mid_epoch(rng):
    images = rng.integers(0, 255, size=(6, 1, 6, 6)).astype('uint8')
    stream = Random2DRotation(RandomFixedSizeCrop(image_batch_stream(images),
                                                  (4, 4), rng=2), rng=3)
    iterator = stream.get_epoch_iterator()
    next(iterator)
    copy = pickle.loads(pickle.dumps(iterator))
    for (a,), (b,) in zip(copy, iterator):
        assert_array_equal(a, b)


def png_chunk(kind, data):
    return (struct.pack('>I', len(data)) + kind + data +
            struct.pack('>I', zlib.crc32(kind + data) & 0xFFFFFFFF))


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def encode_png(pixels, color_type):
    """A PNG encoder that uses every filter type, one per row in turn."""
    height, width = pixels.shape[:2]
    flat = pixels.reshape(height, -1).astype(int)
    bpp = flat.shape[1] // width
    raw = b''
    previous = numpy.zeros(flat.shape[1], int)
    for y, row in enumerate(flat):
        kind = y % 5
        out = []
        for x, value in enumerate(row):
            left = row[x - bpp] if x >= bpp else 0
            up = previous[x]
            corner = previous[x - bpp] if x >= bpp else 0
            predictor = [0, left, up, (left + up) // 2, paeth(left, up, corner)][kind]
            out.append((value - predictor) % 256)
        raw += bytes([kind] + out)
        previous = row
    header = struct.pack('>IIBBBBB', width, height, 8, color_type, 0, 0, 0)
    return (b'\x89PNG\r\n\x1a\n' + png_chunk(b'IHDR', header) +
            png_chunk(b'IDAT', zlib.compress(raw)) + png_chunk(b'IEND', b''))


@pytest.mark.parametrize('channels,color_type', [(1, 0), (3, 2), (4, 6)])
def test_png_decoding_matches_the_pixels(rng, channels, color_type):
    pixels = rng.integers(0, 256, size=(7, 5, channels)).astype('uint8')
    decoded = decode_image(encode_png(pixels, color_type), None)
    assert_array_equal(decoded, pixels.transpose(2, 0, 1))


def test_images_from_bytes_converts_modes(rng):
    rgb = rng.integers(0, 256, size=(3, 4, 3)).astype('uint8')
    grey = rng.integers(0, 256, size=(2, 2, 1)).astype('uint8')
    data = [encode_png(rgb, 2), b'P5 2 2 255\n' + grey.tobytes()]
    stream = ImagesFromBytes(DataStream(IterableDataset({'images': data})))
    first, second = [image for image, in stream.get_epoch_iterator()]
    assert_array_equal(first, rgb.transpose(2, 0, 1))
    assert_array_equal(second, numpy.repeat(grey.transpose(2, 0, 1), 3, axis=0))
    grey_stream = ImagesFromBytes(DataStream(IterableDataset({'images': data[:1]})),
                                  color_mode='L')
    luma, = next(grey_stream.get_epoch_iterator())
    r, g, b = rgb.astype(int).transpose(2, 0, 1)
    assert_array_equal(luma[0], (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16)


def test_images_from_bytes_rejects_unknown_formats():
    stream = ImagesFromBytes(DataStream(IterableDataset({'images': [b'GIF89a']})))
    with pytest.raises(ValueError, match='cannot decode this image'):
        next(stream.get_epoch_iterator())


def example_and_batch_streams(images):
    """The same images as a stream of examples and as a stream of batches of 2."""
    examples = DataStream(IterableDataset({'images': list(images)},
                                          axis_labels={'images': EXAMPLE_LABELS}))
    return examples, image_batch_stream(images)


@pytest.mark.parametrize('make', [
    lambda stream: RandomFixedSizeCrop(stream, (3, 2), rng=4),
    lambda stream: Random2DRotation(stream, maximum_rotation=1.0, rng=4),
    lambda stream: MinimumImageDimensions(stream, (9, 8)),
], ids=['crop', 'rotation', 'minimum'])
def test_image_transformers_on_examples_and_batches(rng, make):
    """Examples (axes without 'batch') and batches give the same images."""
    images = rng.integers(0, 256, size=(4, 3, 6, 5)).astype('uint8')
    example_stream, batch_stream = example_and_batch_streams(images)
    by_example = make(example_stream)
    by_batch = make(batch_stream)
    assert by_example.produces_examples and not by_batch.produces_examples
    assert by_example.axis_labels == {'images': EXAMPLE_LABELS}
    assert by_batch.axis_labels == {'images': BATCH_LABELS}
    examples = [image for image, in by_example.get_epoch_iterator()]
    batches = [image for batch, in by_batch.get_epoch_iterator() for image in batch]
    assert len(examples) == len(batches) == 4 and examples[0].ndim == 3
    if isinstance(by_example, RandomFixedSizeCrop):
        # Offsets are drawn in another order for a whole batch (as in Fuel):
        # check that each crop is a window of its image.
        for output in (examples, batches):
            for image, crop in zip(images, output):
                assert any(numpy.array_equal(image[:, top:top + 3, left:left + 2],
                                             crop)
                           for top in range(4) for left in range(4))
        return
    # One random draw per image, in order, whichever way the images come.
    for example, from_batch in zip(examples, batches):
        assert_array_equal(example, from_batch)


def test_transform_source_batch_takes_the_original_parameter_names(rng):
    images = rng.integers(0, 256, size=(2, 1, 5, 5)).astype('uint8')
    stream = image_batch_stream(images)
    crop = RandomFixedSizeCrop(stream, (2, 2), rng=1)
    assert crop.transform_source_batch(source=images, source_name='images').shape \
        == (2, 1, 2, 2)
    rotation = Random2DRotation(stream, maximum_rotation=1e-9)
    assert_array_equal(rotation.transform_source_batch(source=images,
                                                       source_name='images'),
                       images)


def test_images_from_bytes_decodes_jpeg_with_pillow(rng):
    import io
    from PIL import Image
    pixels = rng.integers(0, 256, size=(9, 7, 3)).astype('uint8')
    output = io.BytesIO()
    Image.fromarray(pixels).save(output, format='JPEG')
    data = output.getvalue()
    reference = numpy.asarray(Image.open(io.BytesIO(data))).transpose(2, 0, 1)
    stream = ImagesFromBytes(DataStream(IterableDataset(
        {'images': [data, numpy.frombuffer(data, 'uint8')]})))
    first, second = [image for image, in stream.get_epoch_iterator()]
    assert_array_equal(first, reference)
    assert_array_equal(second, reference)
    bad = ImagesFromBytes(DataStream(IterableDataset({'images': ['not bytes']})))
    with pytest.raises(TypeError, match="expects the examples of source 'images' "
                                        'to be bytes'):
        next(bad.get_epoch_iterator())


def test_to_bytes_and_rgb_images_from_encoded_bytes(rng):
    from fuel.transformers.defaults import ToBytes, rgb_images_from_encoded_bytes
    pixels = [rng.integers(0, 256, size=shape).astype('uint8')
              for shape in ((4, 3, 3), (2, 5, 3), (3, 3, 3))]
    encoded = numpy.empty(3, dtype=object)
    for i, image in enumerate(pixels):
        encoded[i] = numpy.frombuffer(encode_png(image, 2), 'uint8')
    dataset = IndexableDataset({'encoded': encoded, 'label': numpy.arange(3)},
                               axis_labels={'encoded': ('batch',),
                                            'label': ('batch',)})
    batches = DataStream(dataset, iteration_scheme=SequentialScheme(3, 2))
    to_bytes = ToBytes(batches, which_sources=('encoded',))
    assert to_bytes.axis_labels['encoded'] == ('batch', 'bytes')
    first, _ = next(to_bytes.get_epoch_iterator())
    assert first == [encoded[0].tobytes(), encoded[1].tobytes()]
    examples = ToBytes(DataStream(IterableDataset({'encoded': list(encoded)})))
    assert examples.axis_labels == {'encoded': ('bytes',)}
    assert next(examples.get_epoch_iterator())[0] == encoded[0].tobytes()
    stream = batches
    for transformer, args, kwargs in rgb_images_from_encoded_bytes(('encoded',)):
        stream = transformer(stream, *args, **kwargs)
    decoded = [image for batch, _ in stream.get_epoch_iterator() for image in batch]
    for image, reference in zip(decoded, pixels):
        assert_array_equal(image, reference.transpose(2, 0, 1))


# --- the original's behaviour, which the suites reproducing it check ----------

def test_uint8_rotation_and_resizing_give_pillows_pixels(rng):
    # The original rotated and resized with Pillow, channel by channel.
    from PIL import Image
    images = rng.integers(0, 256, size=(2, 3, 4, 5)).astype('uint8')
    stream = Random2DRotation(image_batch_stream(images), maximum_rotation=0.5,
                              rng=numpy.random.RandomState(123))
    rotated = stream.transform_source_batch(images, 'images')
    angles = numpy.random.RandomState(123).uniform(-0.5, 0.5, 2)
    expected = [[numpy.array(Image.fromarray(channel).rotate(
        math.degrees(angle), resample=Image.NEAREST)) for channel in image]
        for image, angle in zip(images, angles)]
    assert_array_equal(rotated, numpy.array(expected))
    image = images[0, :, :2, :3]
    for name, pil_filter in [('nearest', Image.NEAREST),
                             ('bilinear', Image.BILINEAR),
                             ('bicubic', Image.BICUBIC)]:
        enlarged = MinimumImageDimensions(image_batch_stream(images), (4, 5),
                                          resample=name)._transform_image(image, None)
        reference = numpy.array(Image.fromarray(image.transpose(1, 2, 0)).resize(
            (6, 4), pil_filter)).transpose(2, 0, 1)
        assert_array_equal(enlarged, reference)


def test_image_format_errors_are_the_originals():
    images = numpy.zeros((2, 3, 6, 6), 'uint8')
    stream = image_batch_stream(images)
    minimum = MinimumImageDimensions(stream, (4, 5))
    with pytest.raises(NotImplementedError):
        minimum._transform_image(numpy.empty((2, 3, 4, 2)), None)
    rotation = Random2DRotation(stream)
    with pytest.raises(ValueError, match='3 axes'):
        rotation._transform_image(numpy.empty((5, 6)), 0.1)
    with pytest.raises(ValueError, match='3 axes'):
        rotation.transform_source_batch([numpy.empty((7, 6))], 'images')
    with pytest.raises(ValueError, match='resample must be one of'):
        Random2DRotation(stream, resample='nonexisting')


def test_a_string_which_sources_names_one_source():
    # ``which_sources=('images')`` is a string; the original accepted it.
    images = IndexableDataset({'images': [b'P5 1 1 255 ' + bytes([7])],
                               'other': [b'x']},
                              axis_labels={'images': ('batch', 'bytes'),
                                           'other': ('batch', 'bytes')})
    from fuel.schemes import SequentialExampleScheme
    stream = ImagesFromBytes(DataStream(
        images, iteration_scheme=SequentialExampleScheme(1)),
        which_sources=('images'), color_mode='L')
    assert stream.axis_labels == {'images': EXAMPLE_LABELS, 'other': ('bytes',)}
    image, other = next(stream.get_epoch_iterator())
    assert image.tolist() == [[[7]]] and other == b'x'
