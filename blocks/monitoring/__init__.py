"""Monitoring: aggregation schemes and evaluation over data streams."""
from blocks.monitoring.aggregation import (
    AggregationScheme, Aggregator, Concatenate, Maximum, Mean,
    MonitoredQuantity, Minimum, TakeLast, concatenate, maximum, mean,
    minimum, take_last)
from blocks.monitoring.evaluators import (
    AggregationBuffer, DatasetEvaluator, MonitoredQuantityBuffer)

__all__ = ['AggregationScheme', 'Aggregator', 'Concatenate', 'Maximum',
           'Mean', 'MonitoredQuantity', 'Minimum', 'TakeLast', 'concatenate',
           'maximum', 'mean', 'minimum', 'take_last', 'AggregationBuffer',
           'DatasetEvaluator', 'MonitoredQuantityBuffer']
