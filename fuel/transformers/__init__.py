"""Transformers: data streams that process the data of other streams on the fly.

Wrap a stream in transformers to flatten, scale, cast, filter, batch, pad,
rename or crop its data; the chain stays a data stream, and pickles mid-epoch.

>>> import numpy
>>> from fuel.datasets import IndexableDataset
>>> from fuel.schemes import SequentialScheme
>>> from fuel.streams import DataStream
>>> dataset = IndexableDataset({'features': numpy.ones((4, 2, 2), 'uint8')})
>>> stream = Flatten(ScaleAndShift(DataStream(
...     dataset, iteration_scheme=SequentialScheme(4, 2)), 0.5, 0))
>>> next(stream.get_epoch_iterator())[0].tolist()
[[0.5, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5]]
"""
from fuel.transformers.base import (AgnosticSourcewiseTransformer,
                                    AgnosticTransformer, ExpectsAxisLabels,
                                    SourcewiseTransformer, Transformer)
from fuel.transformers.background import BackgroundProcess, MultiProcessing
from fuel.transformers.batches import Batch, Cache, Merge, Padding, Unpack
from fuel.transformers.sequences import NGrams, Window
from fuel.transformers.simple import (Cast, Filter, FilterSources, Flatten,
                                      ForceFloatX, Mapping, Rename,
                                      ScaleAndShift, SortMapping)

__all__ = ['AgnosticSourcewiseTransformer', 'AgnosticTransformer',
           'BackgroundProcess', 'Batch', 'MultiProcessing',
           'Cache', 'Cast', 'ExpectsAxisLabels', 'Filter', 'FilterSources',
           'Flatten', 'ForceFloatX', 'Mapping', 'Merge', 'NGrams', 'Padding',
           'Rename', 'ScaleAndShift', 'SortMapping', 'SourcewiseTransformer',
           'Transformer', 'Unpack', 'Window']
