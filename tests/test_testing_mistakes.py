"""cnn.testing.assert_close and expect: a teacher's own checks, with the typical mistake named."""
import numpy as np
import pytest

from cnn.testing import GradingError, assert_close, expect

HINT = {"es": "falta la corrección de sesgo", "en": "the bias correction is missing"}


def test_assert_close_passes_within_the_tolerance():
    assert_close(np.array([1.0, 2.0 + 1e-7]), np.array([1.0, 2.0]))


def test_assert_close_shows_the_values_and_names_the_matching_mistake():
    expected, wrong = np.array([1.0, 2.0]), np.array([3.0, 6.0])
    with pytest.raises(GradingError) as info:
        assert_close(wrong, expected, what="w", mistakes=[("otro error", expected * 5), (HINT, wrong)], lang="es")
    text = str(info.value)
    assert text.startswith("w: 2 de 2 valores no coinciden")
    assert "esperado" in text and "recibido" in text
    assert text.endswith("Tu resultado coincide con el de un error típico: falta la corrección de sesgo")
    assert info.value.received is not None
    with pytest.raises(GradingError, match="^result: 2 of 2 values differ(.|\n)*typical mistake: a flipped sign$"):
        assert_close(wrong, expected, mistakes={"a doubled step": expected * 5, "a flipped sign": wrong}, lang="en")


def test_assert_close_without_a_matching_mistake_says_only_what_differs():
    with pytest.raises(GradingError) as info:
        assert_close([0.0], [1.0], what="b", mistakes=[(HINT, [5.0]), (HINT, [0.0, 0.0])], lang="en")
    assert "typical mistake" not in str(info.value) and "b: 1 of 1 values differ" in str(info.value)


def test_expect_picks_the_language_and_checks_its_message():
    expect(True, "never shown")
    with pytest.raises(GradingError, match="^demasiado lento$"):
        expect(False, {"es": "demasiado lento", "en": "too slow"}, lang="es")
    with pytest.raises(GradingError, match="^too slow$"):
        expect(False, {"es": "demasiado lento", "en": "too slow"}, lang="en")
    with pytest.raises(GradingError, match="^solo en español$"):
        expect(False, {"es": "solo en español"}, lang="en")
    with pytest.raises(TypeError, match="a str or a dict"):
        expect(False, 42)
    with pytest.raises(ValueError, match="'es' or 'en' entry"):
        expect(False, {})
