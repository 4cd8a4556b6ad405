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


def _layout(mask: np.ndarray) -> str:
    """Which of the training mix's four kinds a mask is (by its shape, not by how it was drawn)."""
    h, w = mask.shape
    full_cols, full_rows = mask.all(axis=0), mask.all(axis=1)
    quadrants = [mask[: h // 2, : w // 2], mask[: h // 2, w // 2 :], mask[h // 2 :, : w // 2], mask[h // 2 :, w // 2 :]]
    if all(q.all() or not q.any() for q in quadrants) and sum(q.all() for q in quadrants) == 2:
        return "bridge_diag"
    if full_cols.any() and mask.sum() == full_cols.sum() * h and not full_cols[0] and not full_cols[-1]:
        return "bridge"  # one band of whole columns, away from both sides
    # outpainting: every masked pixel in a band along a border that is masked across its whole length
    border = np.zeros_like(mask, bool)
    for band in (np.cumprod(full_cols), np.cumprod(full_cols[::-1])[::-1]):
        border[:, band.astype(bool)] = True
    for band in (np.cumprod(full_rows), np.cumprod(full_rows[::-1])[::-1]):
        border[band.astype(bool), :] = True
    if mask.any() and not (mask.astype(bool) & ~border).any():
        return "outpaint"
    return "strokes"


@pytest.mark.parametrize("kind, mix", [("strokes", (1, 0, 0, 0)), ("outpaint", (0, 1, 0, 0)),
                                       ("bridge", (0, 0, 1, 0)), ("bridge_diag", (0, 0, 0, 2))])
def test_a_training_mix_of_one_kind_gives_only_that_kind(kind, mix):
    kinds = {_layout(training_mask(96, 96, np.random.default_rng([3, i]), mix)) for i in range(40)}
    assert kinds == {kind}


def test_the_training_mix_shares_are_normalised_and_the_default_is_the_committed_one():
    # Shares scaled by 4 draw the same masks as the default (0.75, 0.15, 0.05, 0.05) that trained weights/gan.
    for i in range(200):
        a = training_mask(64, 64, np.random.default_rng([0, i]))
        assert (a == training_mask(64, 64, np.random.default_rng([0, i]), (3.0, 0.6, 0.2, 0.2))).all()
    counts = {}
    for i in range(400):
        k = _layout(training_mask(64, 64, np.random.default_rng([1, i]), (0.4, 0.35, 0.15, 0.1)))
        counts[k] = counts.get(k, 0) + 1
    assert 0.3 < counts["outpaint"] / 400 < 0.4 and 0.35 < counts["strokes"] / 400 < 0.45
    for bad in [(1, 0, 0), (0, 0, 0, 0), (1, -1, 0, 1)]:
        with pytest.raises(ValueError, match="mask mix"):
            training_mask(64, 64, 0, bad)
