import numpy as np
import pytest

from ganpaint.masks import DIFFICULTY, bridge_layout, coverage, difficulty_mask, outpaint_border, strokes, training_mask


@pytest.mark.parametrize("difficulty", list(DIFFICULTY))
@pytest.mark.parametrize("size", [(256, 256), (128, 192)])
def test_difficulty_coverage_in_range(difficulty, size):
    lo, hi = DIFFICULTY[difficulty]
    for seed in range(10):
        m = difficulty_mask(*size, difficulty, seed)
        assert m.shape == size and m.dtype == np.uint8 and set(np.unique(m)) <= {0, 1}
        assert lo <= coverage(m) <= hi, (difficulty, seed, coverage(m))


def test_masks_are_seeded():
    a = difficulty_mask(256, 256, "medium", 7)
    assert np.array_equal(a, difficulty_mask(256, 256, "medium", 7))
    assert not np.array_equal(a, difficulty_mask(256, 256, "medium", 8))


def test_stroke_widths_grow():
    cov = {w: np.mean([coverage(strokes(256, 256, s, w, n=2)) for s in range(20)]) for w in ("thin", "medium", "thick")}
    assert cov["thin"] < cov["medium"] < cov["thick"]


def test_unknown_difficulty():
    with pytest.raises(ValueError, match="unknown difficulty"):
        difficulty_mask(64, 64, "extreme", 0)


def test_outpaint_border():
    m = outpaint_border(100, 200, left=10, top=5)
    assert m[:, :10].all() and m[:5].all() and m[5:, 10:].sum() == 0


def test_bridge_layouts():
    h = bridge_layout(100, 200, "horizontal", gap=0.3)
    assert h[:, 70:130].all() and h[:, :70].sum() == 0 and h[:, 130:].sum() == 0
    d = bridge_layout(100, 200, "diagonal")
    assert d[:50, 100:].all() and d[50:, :100].all() and d[:50, :100].sum() == 0 and d[50:, 100:].sum() == 0
    with pytest.raises(ValueError):
        bridge_layout(10, 10, "vertical")


def test_training_masks_are_varied_and_nonempty():
    rng = np.random.default_rng(0)
    covs = [coverage(training_mask(128, 128, rng)) for _ in range(60)]
    assert min(covs) > 0.02 and max(covs) < 0.8 and np.std(covs) > 0.08
