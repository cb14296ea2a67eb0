"""The lessons' table and preparation helpers: red_wine_frame() and split_and_scale()."""
import numpy as np
import pytest

from cnn.datasets import WINE_COLUMNS, load_ionosphere, load_red_wine, split_and_scale


def test_red_wine_frame_is_the_lessons_table():
    pd = pytest.importorskip("pandas")
    from cnn.datasets import red_wine_frame
    red_wine = red_wine_frame()
    assert isinstance(red_wine, pd.DataFrame)
    assert red_wine.shape == (1599, 12)
    assert list(red_wine.columns) == WINE_COLUMNS
    assert red_wine["quality"].between(3, 8).all()
    assert red_wine.describe().loc["count"].eq(1599).all()


def test_split_and_scale_frame_matches_pandas_and_load_red_wine():
    pytest.importorskip("pandas")
    from cnn.datasets import red_wine_frame
    red_wine = red_wine_frame()
    df_train, df_valid = split_and_scale(red_wine)
    # the same rows, in the same order, as the lesson's df.sample(frac=0.7, random_state=0)
    assert list(df_train.index) == list(red_wine.sample(frac=0.7, random_state=0).index)
    assert list(df_valid.index) == sorted(set(red_wine.index) - set(df_train.index))
    # the lesson's scaling by hand
    raw_train = red_wine.loc[df_train.index]
    lo, hi = raw_train.min(axis=0), raw_train.max(axis=0)
    expected = (red_wine.loc[df_valid.index] - lo) / (hi - lo)
    np.testing.assert_allclose(df_valid.to_numpy(), expected.to_numpy(), rtol=1e-12)
    assert df_train.min().eq(0).all() and df_train.max().eq(1).all()
    (x_train, y_train), (x_valid, y_valid) = load_red_wine()
    np.testing.assert_array_equal(df_train.drop("quality", axis=1).to_numpy(np.float32), x_train)
    np.testing.assert_array_equal(df_train["quality"].to_numpy(np.float32), y_train)
    np.testing.assert_array_equal(df_valid.drop("quality", axis=1).to_numpy(np.float32), x_valid)
    np.testing.assert_array_equal(df_valid["quality"].to_numpy(np.float32), y_valid)


def test_split_and_scale_array_and_unscaled():
    data = np.arange(40, dtype=np.float64).reshape(10, 4)
    train, valid = split_and_scale(data, scale=False)
    assert train.shape == (7, 4) and valid.shape == (3, 4)
    np.testing.assert_array_equal(train[:, 0] / 4, np.random.RandomState(0).permutation(10)[:7])
    scaled_train, scaled_valid = split_and_scale(data)
    assert scaled_train.min() == 0 and scaled_train.max() == 1
    np.testing.assert_allclose(scaled_valid, (valid - train.min(0)) / (train.max(0) - train.min(0)))


def test_split_and_scale_constant_column_becomes_zero():
    data = np.column_stack([np.arange(10.0), np.full(10, 5.0)])
    train, valid = split_and_scale(data)
    assert (train[:, 1] == 0).all() and (valid[:, 1] == 0).all()
    # load_ionosphere drops its constant column after the same preparation
    assert load_ionosphere()[0][0].shape == (246, 33)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"frac": 1.5}, ValueError, "frac must be .* got 1.5"),
    ({"frac": "0.7"}, ValueError, "frac must be .* got '0.7'"),
    ({"random_state": 0.5}, TypeError, "random_state must be an int, got 0.5"),
])
def test_split_and_scale_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        split_and_scale(np.zeros((10, 2)), **kwargs)


def test_split_and_scale_bad_data():
    with pytest.raises(TypeError, match="data must be .* got list"):
        split_and_scale([[1.0, 2.0]] * 10)
    with pytest.raises(TypeError, match=r"shape \(10,\)"):
        split_and_scale(np.zeros(10))
