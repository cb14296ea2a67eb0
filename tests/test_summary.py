"""model.summary() text: the Keras 3 rich table, character for character.

Expected texts were produced by rich 15 driven exactly as keras/src/utils/summary_utils.py drives it
(print_fn capture path), and the optimizer sizes match real Keras output (838 -> 3.28 KB).
"""

import shutil
from collections import namedtuple

import pytest

from cnn.summary import format_summary, print_summary, readable_memory_size

TWO_LAYERS = [("dense", "Dense", (None, 2), 8), ("dense_1", "Dense", (None, 1), 3)]

# What Keras 3's summary() prints when stdout is not a terminal (line length 76).
SAMPLE_76 = """\
Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ dense (Dense)                   │ (None, 2)              │             8 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_1 (Dense)                 │ (None, 1)              │             3 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 11 (44.00 B)
 Trainable params: 11 (44.00 B)
 Non-trainable params: 0 (0.00 B)
"""

SAMPLE_88 = """\
Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩
│ dense (Dense)                        │ (None, 2)                   │               8 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ dense_1 (Dense)                      │ (None, 1)                   │               3 │
└──────────────────────────────────────┴─────────────────────────────┴─────────────────┘
 Total params: 11 (44.00 B)
 Trainable params: 11 (44.00 B)
 Non-trainable params: 0 (0.00 B)
"""

UNBUILT_76 = """\
Model: "sequential_1"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ dense_2 (Dense)                 │ ?                      │   0 (unbuilt) │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dropout (Dropout)               │ ?                      │   0 (unbuilt) │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 0 (0.00 B)
 Trainable params: 0 (0.00 B)
 Non-trainable params: 0 (0.00 B)
"""

WRAPPED_60 = """\
Model: "my_model"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━┓
┃ Layer (type)             ┃ Output Shape      ┃   Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━┩
│ conv2d_transpose_with_a… │ (None, 28, 28,    │ 1,234,567 │
│ (Conv2DTranspose)        │ 32)               │           │
├──────────────────────────┼───────────────────┼───────────┤
│ batch_normalization      │ (None, 28, 28,    │       128 │
│ (BatchNormalization)     │ 32)               │           │
└──────────────────────────┴───────────────────┴───────────┘
 Total params: 3,703,767 (14.13 MB)
 Trainable params: 1,234,567 (4.71 MB)
 Non-trainable params: 64 (256.00 B)
 Optimizer params: 2,469,136 (9.42 MB)
"""

# rich puts header cells at the bottom of a row that wraps (line length 40).
NARROW_40 = """\
Model: "m"
┏━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━┓
┃                 ┃ Output     ┃ Param ┃
┃ Layer (type)    ┃ Shape      ┃     # ┃
┡━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━┩
│ conv2d_transpo… │ (None,     │     0 │
│ (Dropout)       │ 8256)      │ (unb… │
├─────────────────┼────────────┼───────┤
│ dense_1         │ ?          │     0 │
│ (BatchNormaliz… │            │       │
└─────────────────┴────────────┴───────┘
"""


def test_two_layer_sample_line_length_76_matches_spec():
    assert format_summary("sequential", TWO_LAYERS, 11, 0, line_length=76) == SAMPLE_76


def test_two_layer_line_length_88():
    text = format_summary("sequential", TWO_LAYERS, 11, 0, line_length=88)
    assert text == SAMPLE_88
    assert all(len(line) == 88 for line in text.splitlines()[1:8])


def test_unbuilt_layers():
    rows = [("dense_2", "Dense", None, None), ("dropout", "Dropout", None, None)]
    assert format_summary("sequential_1", rows, 0, 0, line_length=76) == UNBUILT_76


def test_wrapping_ellipsis_thousands_and_optimizer_line():
    rows = [("conv2d_transpose_with_a_really_long_name", "Conv2DTranspose", (None, 28, 28, 32),
             1234567), ("batch_normalization", "BatchNormalization", (None, 28, 28, 32), 128)]
    text = format_summary("my_model", rows, 1234567, 64, optimizer_count=2469136, line_length=60)
    assert text == WRAPPED_60


def test_header_bottom_aligned_when_narrow():
    rows = [("conv2d_transpose_12", "Dropout", (None, 8256), None),
            ("dense_1", "BatchNormalization", None, 0)]
    text = format_summary("m", rows, 0, 0, line_length=40)
    assert text.startswith(NARROW_40)


def test_optimizer_params_as_real_keras():
    # Real Keras 3 output: trainable 418 with Adam -> "Optimizer params: 838 (3.28 KB)" and
    # "Total params: 1,256 (4.91 KB)": the int64 iteration counter takes 8 bytes.
    text = format_summary("sequential", [("dense", "Dense", (None, 64), 640)], 418, 0,
                          optimizer_count=838, line_length=76)
    assert text.endswith(" Total params: 1,256 (4.91 KB)\n Trainable params: 418 (1.63 KB)\n"
                         " Non-trainable params: 0 (0.00 B)\n Optimizer params: 838 (3.28 KB)\n")
    # 1,672 -> 6.54 KB (6692 bytes) is another real output; 4 bytes each would print 6.53 KB.
    assert "Optimizer params: 1,672 (6.54 KB)" in format_summary("s", [], 835, 0, 1672, 76)


def test_no_optimizer_line_without_count():
    assert "Optimizer" not in format_summary("s", TWO_LAYERS, 11, 0, line_length=76)


def test_readable_memory_size():
    assert readable_memory_size(0) == "0.00 B"
    assert readable_memory_size(1023) == "1023.00 B"
    assert readable_memory_size(1024) == "1.00 KB"
    assert readable_memory_size(4 * 224) == "896.00 B"
    assert readable_memory_size(4 * 2277201) == "8.69 MB"
    assert readable_memory_size(3 * 1024 ** 3) == "3.00 GB"


def test_empty_model():
    text = format_summary("empty", [], 0, 0, line_length=76)
    lines = text.splitlines()
    assert lines[1].startswith("┏") and lines[3].startswith("┡") and lines[4].startswith("└")
    assert lines[5] == " Total params: 0 (0.00 B)"


def test_default_line_length_follows_terminal(monkeypatch):
    size = namedtuple("size", "columns lines")
    monkeypatch.setattr(shutil, "get_terminal_size", lambda *a, **k: size(80, 24))
    assert format_summary("sequential", TWO_LAYERS, 11, 0) == SAMPLE_76
    monkeypatch.setattr(shutil, "get_terminal_size", lambda *a, **k: size(200, 24))
    assert format_summary("sequential", TWO_LAYERS, 11, 0) == SAMPLE_88


def test_too_narrow_raises():
    with pytest.raises(ValueError, match="Insufficient console width"):
        format_summary("s", TWO_LAYERS, 11, 0, line_length=8)


def test_print_fn_called_once_with_whole_text(capsys):
    calls = []
    print_summary("sequential", TWO_LAYERS, 11, 0, line_length=76, print_fn=calls.append)
    assert calls == [SAMPLE_76]
    assert capsys.readouterr().out == ""
    print_summary("sequential", TWO_LAYERS, 11, 0, line_length=76)
    assert capsys.readouterr().out == SAMPLE_76
