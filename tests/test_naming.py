"""One naming rule (Keras's to_snake_case) for layers, metrics, losses, optimizers and weight paths."""
import pytest

import cnn
from cnn import layers, losses, metrics, optimizers
from cnn._naming import to_snake_case


@pytest.mark.parametrize("name, expected", [
    ("Conv2D", "conv2d"), ("ReLU", "re_lu"), ("BatchNormalization", "batch_normalization"),
    ("LeakyReLU", "leaky_re_lu"), ("ELU", "elu"), ("KLDivergence", "kl_divergence"),
    ("SGD", "sgd"), ("RMSprop", "rm_sprop"), ("Dense", "dense"), ("My-Layer", "my_layer"),
])
def test_keras_rule(name, expected):
    assert to_snake_case(name) == expected


def test_default_layer_names_unchanged():
    cnn.utils.clear_session()
    expected = {"Dense": "dense", "Activation": "activation", "ReLU": "re_lu", "LeakyReLU": "leaky_re_lu",
                "ELU": "elu", "Softmax": "softmax", "Dropout": "dropout", "AlphaDropout": "alpha_dropout",
                "GaussianNoise": "gaussian_noise", "GaussianDropout": "gaussian_dropout",
                "BatchNormalization": "batch_normalization", "Flatten": "flatten"}
    args = {"Dense": (3,), "Activation": ("relu",), "Dropout": (0.5,), "AlphaDropout": (0.5,),
            "GaussianNoise": (0.1,), "GaussianDropout": (0.1,)}
    for cls_name, name in expected.items():
        cls = getattr(layers, cls_name)
        assert cls(*args.get(cls_name, ())).name == name
        assert cls(*args.get(cls_name, ())).name == name + "_1"
    assert layers.Reshape((2,)).name == "reshape"


def test_other_default_names_unchanged():
    assert metrics.MeanAbsoluteError().name == "mean_absolute_error"
    assert metrics.RootMeanSquaredError().name == "root_mean_squared_error"
    assert losses.KLDivergence().name == "kl_divergence"
    assert optimizers.RMSprop().name == "rm_sprop"
    assert optimizers.AdamW().name == "adam_w"
