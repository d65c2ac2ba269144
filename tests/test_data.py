"""tensorgrad.data: bundled digits, toy generators, the MNIST reader, splitting, batching."""

from __future__ import annotations

import gzip
import zipfile
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tensorgrad as tg
from tensorgrad.data import (
    batches,
    load_digits,
    load_mnist,
    make_moons,
    make_spirals,
    read_idx,
    train_test_split,
)  # fmt: skip

DIGIT_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
DIGITS_PIXEL_SUM = 561_718  # the sum of every raw 0..16 pixel in the source file
# The first row of scikit-learn's digits.csv.gz (a 0).
FIRST_DIGIT = [
    [0, 0, 5, 13, 9, 1, 0, 0], [0, 0, 13, 15, 10, 15, 5, 0], [0, 3, 15, 2, 0, 11, 8, 0],
    [0, 4, 12, 0, 0, 8, 8, 0], [0, 5, 8, 0, 0, 9, 8, 0], [0, 4, 11, 0, 1, 12, 7, 0],
    [0, 2, 14, 5, 10, 12, 0, 0], [0, 0, 6, 13, 10, 0, 0, 0],
]  # fmt: skip



# --- load_digits ----------------------------------------------------------------------------


def test_digits_shapes_dtypes_and_range():
    X, y = load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert np.all((X * 16) == np.round(X * 16))  # exactly the raw counts over 16


def test_digits_labels_and_class_counts():
    _, y = load_digits()
    np.testing.assert_array_equal(y[:10], np.arange(10))
    assert np.bincount(y).tolist() == DIGIT_COUNTS


def test_digits_raw_pixels():
    X, _ = load_digits(scaled=False, flatten=False)
    assert X.shape == (1797, 8, 8) and X.dtype == np.float64
    assert X.min() == 0 and X.max() == 16
    assert X.sum() == DIGITS_PIXEL_SUM
    np.testing.assert_array_equal(X[0], FIRST_DIGIT)
    scaled, _ = load_digits()
    np.testing.assert_array_equal(scaled, X.reshape(1797, 64) / 16)


def test_digits_dtype(float32_default):
    assert load_digits()[0].dtype == np.float32
    assert load_digits(dtype=np.float64)[0].dtype == np.float64
    with pytest.raises(TypeError, match="load_digits.*floating"):
        load_digits(dtype=np.int64)


def test_digits_are_fresh_arrays():
    X, y = load_digits()
    X[:] = -1
    y[:] = -1
    X2, y2 = load_digits()
    assert X2.min() == 0 and y2.min() == 0


def test_bundled_file_is_small_plain_npz():
    source = resources.files("tensorgrad.data").joinpath("digits.npz")
    with source.open("rb") as file:
        raw = file.read()
    assert len(raw) < 100_000
    with source.open("rb") as file, np.load(file, allow_pickle=False) as archive:
        assert sorted(archive.files) == ["images", "target"]
        assert archive["images"].dtype == np.uint8 and archive["images"].shape == (1797, 8, 8)
        assert archive["target"].dtype == np.uint8 and archive["target"].shape == (1797,)
    with source.open("rb") as file, zipfile.ZipFile(file) as archive:
        assert archive.testzip() is None


# --- make_spirals -------------------------------------------------------------------------


def test_spirals_shapes_and_balance():
    X, y = make_spirals(40, 4, rng=0)
    assert X.shape == (160, 2) and X.dtype == np.float64
    assert y.shape == (160,) and y.dtype == np.int64
    np.testing.assert_array_equal(y, np.repeat(np.arange(4), 40))
    assert np.bincount(y).tolist() == [40] * 4


def test_spirals_without_noise_lie_on_their_arms():
    n, k = 25, 3
    X, y = make_spirals(n, k, noise=0.0)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius, np.tile(np.linspace(0, 1, n), k), atol=1e-12)
    angle = np.arctan2(X[:, 0], X[:, 1])  # x = r sin(t), y = r cos(t)
    expected = 2 * np.pi * y / k + np.tile(np.linspace(0, 4, n), k)
    moving = radius > 0
    difference = np.angle(np.exp(1j * (angle[moving] - expected[moving])))
    np.testing.assert_allclose(difference, 0, atol=1e-9)


def test_spirals_noise_moves_the_angle_only():
    clean, _ = make_spirals(30, noise=0.0)
    noisy, _ = make_spirals(30, noise=0.5, rng=1)
    np.testing.assert_allclose(np.hypot(*noisy.T), np.hypot(*clean.T), atol=1e-12)
    assert not np.allclose(noisy, clean)


def test_spirals_are_deterministic_given_a_seed():
    a, ya = make_spirals(rng=7)
    b, yb = make_spirals(rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ya, yb)
    assert not np.array_equal(a, make_spirals(rng=8)[0])


def test_rng_none_follows_manual_seed():
    tg.manual_seed(11)
    a = make_spirals()[0]
    b = make_spirals()[0]
    tg.manual_seed(11)
    np.testing.assert_array_equal(make_spirals()[0], a)
    assert not np.array_equal(a, b)


def test_no_noise_draws_nothing_from_the_generator():
    generator = np.random.default_rng(0)
    make_spirals(noise=0.0, rng=generator)
    make_moons(noise=0.0, rng=generator)
    assert generator.random() == np.random.default_rng(0).random()


def test_spirals_dtype(float32_default):
    assert make_spirals(5, rng=0)[0].dtype == np.float32


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"n_per_class": 0}, ValueError, "n_per_class must be at least 1"),
        ({"n_per_class": 2.5}, TypeError, "n_per_class must be an int"),
        ({"n_classes": True}, TypeError, "n_classes must be an int"),
        ({"noise": -0.1}, ValueError, "noise must be a finite number >= 0"),
        ({"noise": float("nan")}, ValueError, "noise"),
        ({"rng": "seed"}, TypeError, "rng must be an int seed"),
        ({"rng": -1}, ValueError, "non-negative"),
        ({"rng": np.random.RandomState(0)}, TypeError, "RandomState"),
        ({"dtype": np.int32}, TypeError, "floating dtype"),
    ],
)  # fmt: skip
def test_spirals_errors(kwargs, error, pattern):
    with pytest.raises(error, match=f"make_spirals: .*{pattern}"):
        make_spirals(**kwargs)


# --- make_moons ---------------------------------------------------------------------------


@pytest.mark.parametrize("n", [2, 7, 100])
def test_moons_shapes_and_balance(n):
    X, y = make_moons(n, noise=0.1, rng=0)
    assert X.shape == (n, 2) and X.dtype == np.float64 and y.dtype == np.int64
    assert np.bincount(y, minlength=2).tolist() == [n // 2, n - n // 2]


def test_moons_without_noise_lie_on_the_unit_circles():
    X, y = make_moons(51)
    outer, inner = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*outer.T), 1.0, atol=1e-12)
    np.testing.assert_allclose(np.hypot(*(inner - [1.0, 0.5]).T), 1.0, atol=1e-12)
    assert outer[:, 1].min() >= -1e-12 and inner[:, 1].max() <= 0.5 + 1e-12
    # The ends of each half circle, as scikit-learn places them.
    np.testing.assert_allclose(outer[[0, -1]], [[1, 0], [-1, 0]], atol=1e-12)
    np.testing.assert_allclose(inner[[0, -1]], [[0, 0.5], [2, 0.5]], atol=1e-12)


def test_moons_noise_is_gaussian_with_the_given_scale():
    clean, _ = make_moons(20_000)
    noisy, _ = make_moons(20_000, noise=0.1, rng=3)
    residual = noisy - clean
    assert abs(residual.mean()) < 0.005
    assert abs(residual.std() - 0.1) < 0.005


def test_moons_are_deterministic_given_a_seed():
    a = make_moons(30, noise=0.2, rng=5)[0]
    np.testing.assert_array_equal(a, make_moons(30, noise=0.2, rng=5)[0])
    assert not np.array_equal(a, make_moons(30, noise=0.2, rng=6)[0])


def test_moons_errors():
    with pytest.raises(ValueError, match="make_moons: n_samples must be at least 2"):
        make_moons(1)
    with pytest.raises(ValueError, match="make_moons: noise"):
        make_moons(noise=-1)


# --- load_mnist ---------------------------------------------------------------------------


def _idx_bytes(array: np.ndarray, magic: int) -> bytes:
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def _write_mnist(folder: Path, kind: str, images, labels, compress=(False, False)):
    prefix = "train" if kind == "train" else "t10k"
    names = (f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte")
    paths = []
    for name, data, gz in zip(names, (_idx_bytes(images, 0x803), _idx_bytes(labels, 0x801)),
                              compress):  # fmt: skip
        path = folder / (name + ".gz" if gz else name)
        path.write_bytes(gzip.compress(data) if gz else data)
        paths.append(path)
    return paths


@pytest.fixture
def mnist_sample():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (6, 28, 28), dtype=np.uint8)
    images[0, 0, 0], images[0, 0, 1] = 0, 255  # both ends of the range
    labels = np.array([5, 0, 4, 1, 9, 2], dtype=np.uint8)
    return images, labels


@pytest.mark.parametrize("compress", [(False, False), (True, True), (False, True)])
@pytest.mark.parametrize("kind", ["train", "test"])
def test_mnist_round_trip(tmp_path, mnist_sample, compress, kind):
    images, labels = mnist_sample
    _write_mnist(tmp_path, kind, images, labels, compress)
    X, y = load_mnist(tmp_path, kind=kind, scaled=False, flatten=False)
    assert X.shape == (6, 28, 28) and X.dtype == np.float64
    np.testing.assert_array_equal(X, images)
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y, labels)

    X, y = load_mnist(str(tmp_path), kind)
    assert X.shape == (6, 784) and X.min() == 0.0 and X.max() == 1.0
    np.testing.assert_array_equal(X, images.reshape(6, 784) / 255)


def test_mnist_dtype(tmp_path, mnist_sample, float32_default):
    _write_mnist(tmp_path, "train", *mnist_sample)
    assert load_mnist(tmp_path)[0].dtype == np.float32
    assert load_mnist(tmp_path, dtype=np.float64)[0].dtype == np.float64


def test_mnist_raw_file_wins_over_gz(tmp_path, mnist_sample):
    images, labels = mnist_sample
    _write_mnist(tmp_path, "train", images, labels)
    _write_mnist(tmp_path, "train", images[:2], labels[:2], compress=(True, True))
    assert len(load_mnist(tmp_path)[1]) == 6


def test_mnist_gz_is_recognised_by_content(tmp_path, mnist_sample):
    # Browsers may unpack a download yet keep the .gz suffix.
    images, labels = mnist_sample
    raw_images, raw_labels = _write_mnist(tmp_path, "test", images, labels)
    raw_images.rename(raw_images.with_name(raw_images.name + ".gz"))
    raw_labels.rename(raw_labels.with_name(raw_labels.name + ".gz"))
    np.testing.assert_array_equal(load_mnist(tmp_path, "test")[1], labels)


def test_mnist_missing_folder(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError, match="load_mnist") as info:
        load_mnist(missing)
    assert str(missing) in str(info.value) and "yann.lecun.com/exdb/mnist" in str(info.value)


def test_mnist_missing_file(tmp_path, mnist_sample):
    images_file, labels_file = _write_mnist(tmp_path, "train", *mnist_sample)
    labels_file.unlink()
    with pytest.raises(FileNotFoundError, match="train-labels-idx1-ubyte") as info:
        load_mnist(tmp_path)
    assert str(tmp_path) in str(info.value) and "yann.lecun.com/exdb/mnist" in str(info.value)
    with pytest.raises(FileNotFoundError, match="t10k-images-idx3-ubyte"):
        load_mnist(tmp_path, kind="test")


def test_mnist_path_is_a_file(tmp_path, mnist_sample):
    images_file, _ = _write_mnist(tmp_path, "train", *mnist_sample)
    with pytest.raises(NotADirectoryError, match="folder"):
        load_mnist(images_file)


def test_mnist_unknown_kind(tmp_path):
    with pytest.raises(ValueError, match="kind must be 'train' or 'test'"):
        load_mnist(tmp_path, kind="validation")


def test_mnist_swapped_files_have_bad_magic(tmp_path, mnist_sample):
    images_file, labels_file = _write_mnist(tmp_path, "train", *mnist_sample)
    images_data = images_file.read_bytes()
    images_file.write_bytes(labels_file.read_bytes())
    with pytest.raises(ValueError, match="train-images-idx3-ubyte: bad magic number "
                                         "0x00000801, expected 0x00000803"):  # fmt: skip
        load_mnist(tmp_path)
    images_file.write_bytes(images_data)
    labels_file.write_bytes(images_data)
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte: bad magic number 0x00000803"):
        load_mnist(tmp_path)


def test_mnist_foreign_file_has_bad_magic(tmp_path, mnist_sample):
    images_file, _ = _write_mnist(tmp_path, "train", *mnist_sample)
    images_file.write_bytes(b"<html>Not Found</html>")
    with pytest.raises(ValueError, match="train-images-idx3-ubyte: bad magic number"):
        load_mnist(tmp_path)


@pytest.mark.parametrize("compress", [False, True])
def test_mnist_truncated_data(tmp_path, mnist_sample, compress):
    images_file, _ = _write_mnist(tmp_path, "train", *mnist_sample)
    data = images_file.read_bytes()[:-1]
    images_file.unlink()
    target = images_file.with_name(images_file.name + ".gz") if compress else images_file
    target.write_bytes(gzip.compress(data) if compress else data)
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte(\.gz)?: truncated") as info:
        load_mnist(tmp_path)
    assert "(6, 28, 28)" in str(info.value) and "4703" in str(info.value)


@pytest.mark.parametrize("keep", [0, 3, 9])
def test_mnist_truncated_header(tmp_path, mnist_sample, keep):
    images_file, _ = _write_mnist(tmp_path, "train", *mnist_sample)
    images_file.write_bytes(images_file.read_bytes()[:keep])
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte: .*(truncated|too short)"):
        load_mnist(tmp_path)


def test_mnist_trailing_bytes(tmp_path, mnist_sample):
    _, labels_file = _write_mnist(tmp_path, "train", *mnist_sample)
    labels_file.write_bytes(labels_file.read_bytes() + b"\0\0")
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte: 2 unexpected bytes"):
        load_mnist(tmp_path)


def test_mnist_damaged_gzip(tmp_path, mnist_sample):
    _, labels_file = _write_mnist(tmp_path, "train", *mnist_sample, compress=(False, True))
    labels_file.write_bytes(labels_file.read_bytes()[:15])
    with pytest.raises(ValueError, match=r"train-labels-idx1-ubyte\.gz: damaged gzip"):
        load_mnist(tmp_path)


def test_mnist_count_mismatch(tmp_path, mnist_sample):
    images, labels = mnist_sample
    _write_mnist(tmp_path, "test", images, labels[:5])
    with pytest.raises(ValueError, match="6 images but t10k-labels-idx1-ubyte holds 5 labels"):
        load_mnist(tmp_path, kind="test")


def test_read_idx_other_types_and_shapes(tmp_path):
    cases = [
        (np.array([[1, -2, 300]], dtype=np.int16), 0x00000B02),
        (np.array([1.5, -2.25]), 0x00000E01),
        (np.array([-3, 4], dtype=np.int8), 0x00000901),
        (np.zeros((0, 28, 28), dtype=np.uint8), 0x00000803),
    ]
    for i, (array, magic) in enumerate(cases):
        path = tmp_path / f"case{i}"
        path.write_bytes(_idx_bytes(array, magic))
        result = read_idx(path)
        assert result.dtype == array.dtype and result.dtype.isnative
        assert result.flags.writeable
        np.testing.assert_array_equal(result, array)


def test_read_idx_unknown_type_code(tmp_path):
    path = tmp_path / "weird"
    path.write_bytes(bytes([0, 0, 0x07, 1, 0, 0, 0, 1, 9]))
    with pytest.raises(ValueError, match="weird: bad magic number 0x00000701"):
        read_idx(path)


# --- train_test_split ---------------------------------------------------------------------


def _numbered(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Row i of X is (i, -i); y[i] = 10 i, so a pairing mistake shows."""
    X = np.stack([np.arange(n), -np.arange(n)], axis=1)
    return X, 10 * np.arange(n)


@pytest.mark.parametrize(
    ("n", "test_size", "n_test"),
    [(10, 0.25, 3), (10, 0.3, 3), (100, 0.25, 25), (10, 4, 4), (10, 0.01, 1), (2, 0.5, 1)],
)
def test_split_sizes(n, test_size, n_test):
    X, y = _numbered(n)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size, rng=0)
    assert len(X_test) == len(y_test) == n_test
    assert len(X_train) == len(y_train) == n - n_test


def test_split_is_a_partition_keeping_pairs():
    X, y = _numbered(50)
    X_train, X_test, y_train, y_test = train_test_split(X, y, rng=0)
    rows = np.concatenate([X_train[:, 0], X_test[:, 0]])
    assert sorted(rows.tolist()) == list(range(50))
    assert not set(X_train[:, 0]) & set(X_test[:, 0])
    np.testing.assert_array_equal(np.concatenate([y_train, y_test]), 10 * rows)
    np.testing.assert_array_equal(np.concatenate([X_train, X_test])[:, 1], -rows)


def test_split_is_deterministic_and_shuffled():
    X, y = _numbered(40)
    first = train_test_split(X, y, rng=3)
    for a, b in zip(first, train_test_split(X, y, rng=np.random.default_rng(3))):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[1], train_test_split(X, y, rng=4)[1])
    assert not np.array_equal(first[1][:, 0], np.arange(30, 40))


def test_split_without_shuffle_takes_the_last_rows():
    X, y = _numbered(10)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=3, shuffle=False)
    np.testing.assert_array_equal(X_train[:, 0], np.arange(7))
    np.testing.assert_array_equal(y_test, [70, 80, 90])


def test_split_returns_copies():
    X, y = _numbered(10)
    X_train, *_ = train_test_split(X, y, shuffle=False)
    X_train[:] = 99
    assert X.max() == 9


def test_split_of_tensors_gives_tensors():
    X, y = _numbered(12)
    parts = train_test_split(tg.tensor(X.astype(float)), y, rng=0)
    assert [type(p) for p in parts] == [tg.Tensor, tg.Tensor, np.ndarray, np.ndarray]
    np.testing.assert_array_equal(parts[0].data[:, 0] * 10, parts[2])
    np.testing.assert_array_equal(parts[1].data[:, 0] * 10, parts[3])
    labels = tg.tensor(np.arange(12) % 3)
    *_, y_train, y_test = train_test_split(X, labels, test_size=6, stratify=True, rng=0)
    assert isinstance(y_test, tg.Tensor) and np.bincount(y_test.data).tolist() == [2, 2, 2]


def test_split_accepts_lists():
    X_train, X_test, y_train, y_test = train_test_split([[1], [2], [3], [4]], [1, 2, 3, 4],
                                                        rng=0)  # fmt: skip
    assert isinstance(X_train, np.ndarray) and X_train.shape == (3, 1)
    np.testing.assert_array_equal(X_test[:, 0], y_test)


def test_split_stratified_keeps_class_shares():
    y = np.repeat([0, 1, 2], [60, 30, 10])
    X = np.arange(100)[:, None]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, stratify=True,
                                                        rng=0)  # fmt: skip
    assert np.bincount(y_test).tolist() == [12, 6, 2]
    assert np.bincount(y_train).tolist() == [48, 24, 8]
    np.testing.assert_array_equal(y[X_train[:, 0]], y_train)
    np.testing.assert_array_equal(y[X_test[:, 0]], y_test)
    assert sorted(np.concatenate([X_train, X_test])[:, 0].tolist()) == list(range(100))
    assert not np.all(np.diff(y_test) >= 0)  # shuffled, not grouped by class


def test_split_stratified_rounds_to_the_requested_size():
    y = np.repeat(["a", "b", "c"], [7, 7, 7])
    for seed in range(5):
        _, _, _, y_test = train_test_split(np.zeros((21, 1)), y, test_size=5, stratify=True,
                                           rng=seed)  # fmt: skip
        counts = [int(np.sum(y_test == c)) for c in "abc"]
        assert sum(counts) == 5 and sorted(counts) == [1, 2, 2]


def test_split_stratified_on_digits():
    X, y = load_digits()
    _, _, y_train, y_test = train_test_split(X, y, stratify=True, rng=0)
    shares = np.bincount(y_test) / np.bincount(y)
    assert np.all(np.abs(shares - 0.25) < 0.01)
    assert len(y_test) == 450 and len(y_train) == 1347


@pytest.mark.parametrize("test_size", [0, 0.0, 1.0, 1.5, -0.1, 10, -1, float("nan")])
def test_split_test_size_out_of_range(test_size):
    X, y = _numbered(10)
    with pytest.raises(ValueError, match="train_test_split: .*test_size"):
        train_test_split(X, y, test_size=test_size)


def test_split_errors():
    X, y = _numbered(10)
    with pytest.raises(ValueError, match=r"X has 10 samples .* y has 9"):
        train_test_split(X, y[:9])
    with pytest.raises(TypeError, match="test_size must be a float or an int"):
        train_test_split(X, y, test_size=True)
    with pytest.raises(ValueError, match="one row per sample"):
        train_test_split(np.float64(1.0), y)
    with pytest.raises(ValueError, match="at least 2 samples"):
        train_test_split(X[:1], y[:1], test_size=0.5)
    with pytest.raises(ValueError, match="stratify=True needs shuffle=True"):
        train_test_split(X, y, stratify=True, shuffle=False)
    with pytest.raises(ValueError, match="class 7 has only 1 sample"):
        train_test_split(X, np.array([0] * 9 + [7]), stratify=True)
    with pytest.raises(ValueError, match="1-D class labels"):
        train_test_split(X, X, stratify=True)


@given(n=st.integers(2, 60), data=st.data())
def test_split_partition_property(n, data):
    test_size = data.draw(st.one_of(st.integers(1, n - 1), st.floats(0.01, 0.99)))
    stratify = data.draw(st.booleans())
    X, y = _numbered(n)
    labels = np.arange(n) % 2 if stratify and n >= 4 else y
    try:
        X_train, X_test, _, y_test = train_test_split(
            X, labels, test_size=test_size, stratify=stratify and n >= 4, rng=data.draw(
                st.integers(0, 2**32)))  # fmt: skip
    except ValueError as exc:  # a fraction so small or large that one set would be empty
        assert isinstance(test_size, float) and "empty" in str(exc)
        return
    rows = np.concatenate([X_train[:, 0], X_test[:, 0]])
    assert sorted(rows.tolist()) == list(range(n))
    assert len(X_test) >= 1 and len(X_train) >= 1
    if isinstance(test_size, int):
        assert len(X_test) == test_size
    np.testing.assert_array_equal(labels[X_test[:, 0]], y_test)


# --- batches ------------------------------------------------------------------------------


def test_batches_cover_every_sample_once_with_a_partial_last_batch():
    X, y = _numbered(10)
    parts = list(batches(X, y, 3, rng=0))
    assert [len(xb) for xb, _ in parts] == [3, 3, 3, 1]
    rows = np.concatenate([xb[:, 0] for xb, _ in parts])
    assert sorted(rows.tolist()) == list(range(10))
    np.testing.assert_array_equal(np.concatenate([yb for _, yb in parts]), 10 * rows)


def test_batches_drop_last():
    X, y = _numbered(10)
    assert [len(yb) for _, yb in batches(X, y, 3, drop_last=True, rng=0)] == [3, 3, 3]
    assert [len(yb) for _, yb in batches(X, y, 5, drop_last=True, rng=0)] == [5, 5]
    assert list(batches(X, y, 11, drop_last=True)) == []


def test_batches_larger_than_the_data_and_empty_data():
    X, y = _numbered(4)
    [(xb, yb)] = list(batches(X, y, 100, shuffle=False))
    np.testing.assert_array_equal(xb, X)
    assert list(batches(np.zeros((0, 3)), np.zeros(0), 2)) == []


def test_batches_without_shuffle_keep_order_as_views():
    X, y = _numbered(7)
    parts = list(batches(X, y, 2, shuffle=False))
    np.testing.assert_array_equal(np.concatenate([xb for xb, _ in parts]), X)
    assert all(np.shares_memory(xb, X) and np.shares_memory(yb, y) for xb, yb in parts)


def _epoch_order(X, y, batch_size, rng):
    return np.concatenate([xb[:, 0] for xb, _ in batches(X, y, batch_size, rng=rng)])


def test_batches_reshuffle_each_epoch_reproducibly():
    X, y = _numbered(30)
    generator = np.random.default_rng(1)
    first, second = _epoch_order(X, y, 4, generator), _epoch_order(X, y, 4, generator)
    assert not np.array_equal(first, second)
    assert sorted(first.tolist()) == sorted(second.tolist()) == list(range(30))
    again = np.random.default_rng(1)
    np.testing.assert_array_equal(_epoch_order(X, y, 4, again), first)
    np.testing.assert_array_equal(_epoch_order(X, y, 4, again), second)
    assert not np.array_equal(first, np.arange(30))


def test_batches_int_seed_repeats_the_order():
    X, y = _numbered(30)
    np.testing.assert_array_equal(_epoch_order(X, y, 4, 5), _epoch_order(X, y, 4, 5))


def test_batches_default_rng_follows_manual_seed():
    X, y = _numbered(30)
    tg.manual_seed(2)
    first, second = _epoch_order(X, y, 4, None), _epoch_order(X, y, 4, None)
    assert not np.array_equal(first, second)
    tg.manual_seed(2)
    np.testing.assert_array_equal(_epoch_order(X, y, 4, None), first)


def test_batches_of_tensors_give_tensors():
    X, y = _numbered(9)
    X_tensor, y_tensor = tg.tensor(X.astype(float)), tg.tensor(y)
    for xb, yb in batches(X_tensor, y_tensor, 4, rng=0):
        assert isinstance(xb, tg.Tensor) and isinstance(yb, tg.Tensor)
        np.testing.assert_array_equal(xb.data[:, 0] * 10, yb.data)
    for xb, yb in batches(X_tensor, y, 4, shuffle=False):
        assert isinstance(xb, tg.Tensor) and isinstance(yb, np.ndarray)


def test_batches_of_a_tensor_that_requires_grad_pass_gradients_back():
    X = tg.tensor(np.arange(12.0).reshape(6, 2), requires_grad=True)
    xb, _ = next(batches(X, np.arange(6), 4, rng=0))
    xb.sum().backward()
    assert X.grad.sum() == 8 and set(np.unique(X.grad).tolist()) == {0.0, 1.0}


def test_batches_accept_lists():
    [(xb, yb)] = list(batches([[1, 2], [3, 4]], [0, 1], 2, shuffle=False))
    assert isinstance(xb, np.ndarray) and xb.tolist() == [[1, 2], [3, 4]]


def test_batches_errors_are_raised_by_the_call():
    X, y = _numbered(5)
    with pytest.raises(ValueError, match="batches: batch_size must be at least 1, got 0"):
        batches(X, y, 0)
    with pytest.raises(TypeError, match="batches: batch_size must be an int"):
        batches(X, y, 2.0)
    with pytest.raises(ValueError, match=r"batches: X has 5 samples .* y has 4"):
        batches(X, y[:4], 2)
    with pytest.raises(ValueError, match=r"X has 5 samples .* y has 6"):
        batches(tg.tensor(X.astype(float)), tg.tensor(np.arange(6)), 2)
    with pytest.raises(TypeError, match="batches: rng"):
        batches(X, y, 2, rng=1.5)


@given(
    n=st.integers(0, 50), batch_size=st.integers(1, 60), shuffle=st.booleans(),
    drop_last=st.booleans(), seed=st.integers(0, 2**32),
)  # fmt: skip
def test_batches_property(n, batch_size, shuffle, drop_last, seed):
    X, y = _numbered(n)
    parts = list(batches(X, y, batch_size, shuffle, seed, drop_last=drop_last))
    sizes = [len(xb) for xb, _ in parts]
    expected = n - n % batch_size if drop_last else n
    assert sum(sizes) == expected
    assert all(size == batch_size for size in sizes[:-1])
    assert len(parts) == (n // batch_size if drop_last else -(-n // batch_size))
    rows = np.concatenate([xb[:, 0] for xb, _ in parts]) if parts else np.zeros(0, int)
    assert len(set(rows.tolist())) == len(rows)  # no sample twice
    if not drop_last:
        assert sorted(rows.tolist()) == list(range(n))
    if not shuffle:
        np.testing.assert_array_equal(rows, np.arange(len(rows)))
    for xb, yb in parts:
        np.testing.assert_array_equal(10 * xb[:, 0], yb)
