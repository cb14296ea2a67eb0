"""cnn.layers: the Keras layers the C core runs."""
from cnn.layers.base import Layer
from cnn.layers.convolutional import Conv1D, Conv2D
from cnn.layers.core import ELU, Activation, Dense, Input, InputLayer, LeakyReLU, ReLU, Softmax
from cnn.layers.merging import Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract
from cnn.layers.normalization import BatchNormalization, LayerNormalization
from cnn.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPooling1D,
    MaxPooling2D,
)
from cnn.layers.preprocessing import Normalization
from cnn.layers.regularization import AlphaDropout, Dropout, GaussianDropout, GaussianNoise, SpatialDropout2D
from cnn.layers.resampling import (
    Cropping1D,
    Cropping2D,
    UpSampling1D,
    UpSampling2D,
    ZeroPadding1D,
    ZeroPadding2D,
)
from cnn.layers.reshaping import Flatten, Rescaling, Reshape

__all__ = ["Layer", "Input", "InputLayer", "Dense", "Activation", "ReLU", "LeakyReLU", "ELU", "Softmax",
           "Dropout", "AlphaDropout", "GaussianNoise", "GaussianDropout", "BatchNormalization",
           "LayerNormalization", "Normalization", "Flatten", "Reshape", "Rescaling", "Conv1D", "Conv2D", "MaxPooling1D",
           "MaxPooling2D", "AveragePooling1D", "AveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
           "GlobalAveragePooling1D", "GlobalAveragePooling2D", "SpatialDropout2D", "ZeroPadding1D", "ZeroPadding2D",
           "Cropping1D", "Cropping2D", "UpSampling1D", "UpSampling2D", "Add", "Subtract", "Multiply", "Average",
           "Maximum", "Minimum", "Concatenate", "Dot"]
