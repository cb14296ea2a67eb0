"""Dropout (keras.layers.Dropout): inverted dropout, active only while training."""
from cnn.layers.base import Layer, _rows_cols

_LAYER_DROPOUT = 2


class Dropout(Layer):
    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise ValueError(f"Dropout rate must be a number in [0, 1], got {rate!r}")
        if noise_shape is not None:
            raise ValueError("Dropout(noise_shape=...) is not supported yet; leave it None")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
            raise ValueError(f"seed must be a non-negative integer or None, got {seed!r}")
        self.rate = float(rate)
        self.noise_shape = noise_shape
        self.seed = seed

    def _c_layer(self, offsets):
        from cnn.utils import _global_seed
        size, cols = _rows_cols(self.input_shape)
        seed = self.seed if self.seed is not None else _global_seed()
        # the layer's own seed is mixed with a marker so it differs from the global stream
        seed = seed + (1 << 40) if self.seed is not None else seed
        return {"kind": _LAYER_DROPOUT, "in_size": size, "out_size": size, "in_cols": cols, "out_cols": cols,
                "rate": self.rate, "seed": seed}

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape})
        return config
