import torch

from ganpaint.data import TrainSet, batches, list_images, validation_set


def test_trainset_samples(photos):
    ds = TrainSet(photos, size=64, seed=3)
    img, mask = ds[5]
    assert img.shape == (3, 64, 64) and mask.shape == (1, 64, 64)
    assert img.min() >= -1 and img.max() <= 1 and set(mask.unique().tolist()) <= {0.0, 1.0}
    again, mask2 = ds[5]
    assert torch.equal(img, again) and torch.equal(mask, mask2)  # a sample depends only on (seed, index)
    assert not torch.equal(img, ds[6][0])


def test_batches_resume_where_they_left(photos):
    ds = TrainSet(photos, size=32, seed=0)
    it = batches(ds, 2)
    first = [next(it)[0] for _ in range(3)]
    resumed = next(batches(ds, 2, start_step=2))[0]
    assert torch.equal(first[2], resumed)


def test_validation_set_is_fixed(photos):
    a_img, a_mask = validation_set(photos, 64)
    b_img, b_mask = validation_set(photos, 64)
    assert a_img.shape == (4, 3, 64, 64) and a_mask.shape == (4, 1, 64, 64)
    assert torch.equal(a_img, b_img) and torch.equal(a_mask, b_mask)


def test_list_images_recursive(tmp_path, photos):
    (tmp_path / "sub").mkdir()
    for p in list_images(photos)[:2]:
        (tmp_path / "sub" / p.name).write_bytes(p.read_bytes())
    (tmp_path / "notes.txt").write_text("not a photo")
    assert [p.name for p in list_images(tmp_path)] == ["photo0.jpg", "photo1.jpg"]
