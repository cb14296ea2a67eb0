"""cnn.utils.plot_model: the layer chain drawn by matplotlib to a PNG, no Graphviz."""
import numpy as np
import pytest

import cnn
from cnn import layers


def _model():
    return cnn.Sequential([cnn.Input(shape=(11,)), layers.Dense(8, activation="relu", name="hidden"),
                           layers.Dropout(0.2), layers.Dense(1, activation="sigmoid", name="out")])


def _texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_writes_a_png_with_every_layer(tmp_path):
    path = tmp_path / "model.png"
    fig = cnn.utils.plot_model(_model(), to_file=str(path), show_shapes=True, show_layer_names=True,
                               show_layer_activations=True, show_trainable=True, show_dtype=True, dpi=72)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000
    import matplotlib.image
    image = matplotlib.image.imread(str(path))
    assert image.shape[0] > image.shape[1] > 100          # a vertical chain
    assert image[..., :3].std() > 0.05                    # something was drawn
    texts = _texts(fig)
    assert "hidden (Dense)" in texts and "out (Dense)" in texts and "Activation: relu" in texts
    assert "Output shape: (None, 8)" in texts and "Input shape: (None, 11)" in texts
    assert any("Trainable: Y" in t for t in texts)


def test_defaults_return_the_figure_and_write_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    fig = cnn.utils.plot_model(_model())
    assert list(tmp_path.iterdir()) == []
    assert _texts(fig)[:2] == ["InputLayer", "Dense"]
    wide = cnn.utils.plot_model(_model(), rankdir="LR", to_file=tmp_path / "wide.png", dpi=50)
    w, h = wide.get_size_inches()
    assert w > h and (tmp_path / "wide.png").exists()


def test_unbuilt_model_and_bad_arguments():
    fig = cnn.utils.plot_model(cnn.Sequential([layers.Dense(2)]), show_shapes=True)
    assert _texts(fig) == ["Dense"]
    with pytest.raises(ValueError, match="rankdir"):
        cnn.utils.plot_model(_model(), rankdir="BT")
    with pytest.raises(TypeError, match="cnn model"):
        cnn.utils.plot_model(np.ones(3))
    with pytest.raises(ValueError, match="no layers"):
        cnn.utils.plot_model(cnn.Sequential())
    with pytest.raises(TypeError, match="unexpected keyword"):
        cnn.utils.plot_model(_model(), colour="red")
