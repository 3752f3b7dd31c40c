import numpy as np
import pytest

from common.initializers import xavier

FAN_IN, FAN_OUT = 400, 200


def sample(kind):
    return np.asarray(xavier(kind, seed=1)((FAN_IN, FAN_OUT)))


def test_course_xavier_is_gaussian_with_variance_one_over_fan_in():
    w = sample("xavier")
    assert abs(w.mean()) < 0.003
    assert w.var() == pytest.approx(1 / FAN_IN, rel=0.03)
    # untruncated: about 0.27% of a Gaussian lies beyond three standard deviations
    assert np.mean(np.abs(w) > 3 / np.sqrt(FAN_IN)) > 0.001


@pytest.mark.parametrize("kind", ["glorot_normal", "glorot_uniform"])
def test_glorot_variance_is_two_over_fan_in_plus_fan_out(kind):
    assert sample(kind).var() == pytest.approx(2 / (FAN_IN + FAN_OUT), rel=0.03)


def test_glorot_uniform_bound():
    limit = np.sqrt(6 / (FAN_IN + FAN_OUT))
    w = sample("glorot_uniform")
    assert w.max() <= limit and w.min() >= -limit and w.max() > 0.99 * limit


def test_unknown_kind():
    with pytest.raises(ValueError, match="unknown initializer"):
        xavier("he")
