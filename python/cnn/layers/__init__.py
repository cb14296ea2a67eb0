"""cnn.layers: the Keras layers the C core runs."""
from cnn.layers.base import Layer
from cnn.layers.core import ELU, Activation, Dense, Input, InputLayer, LeakyReLU, ReLU, Softmax
from cnn.layers.normalization import BatchNormalization, LayerNormalization
from cnn.layers.preprocessing import Normalization
from cnn.layers.regularization import AlphaDropout, Dropout, GaussianDropout, GaussianNoise
from cnn.layers.reshaping import Flatten, Reshape

__all__ = ["Layer", "Input", "InputLayer", "Dense", "Activation", "ReLU", "LeakyReLU", "ELU", "Softmax",
           "Dropout", "AlphaDropout", "GaussianNoise", "GaussianDropout", "BatchNormalization",
           "LayerNormalization", "Normalization", "Flatten", "Reshape"]
