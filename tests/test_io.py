"""tg.save / tg.load: exact round trips, atomic writes, and clear refusals of bad files."""

from __future__ import annotations

import collections
import json
import math
import os
import pathlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tensorgrad as tg


def assert_same(loaded, saved, where="root"):
    """Equal value *and* type, recursively; arrays bit-identical with the same dtype."""
    if isinstance(saved, tg.Tensor):
        assert type(loaded) is tg.Tensor, where
        assert not loaded.requires_grad, where
        assert_same(loaded.data, saved.data, where)
        return
    expected_type = {collections.OrderedDict: dict}.get(type(saved), type(saved))
    assert type(loaded) is expected_type, f"{where}: {type(loaded)} != {expected_type}"
    if isinstance(saved, dict):
        assert [(type(k), k) for k in loaded] == [(type(k), k) for k in saved], where
        for key in saved:
            assert_same(loaded[key], saved[key], f"{where}[{key!r}]")
    elif isinstance(saved, list | tuple):
        assert len(loaded) == len(saved), where
        for i, (a, b) in enumerate(zip(loaded, saved)):
            assert_same(a, b, f"{where}[{i}]")
    elif isinstance(saved, np.ndarray | np.generic):
        assert loaded.dtype == saved.dtype, where
        assert loaded.shape == saved.shape, where
        assert np.ascontiguousarray(loaded).tobytes() == np.ascontiguousarray(saved).tobytes()
    elif isinstance(saved, float):
        assert (math.isnan(loaded) and math.isnan(saved)) or (
            loaded == saved and math.copysign(1, loaded) == math.copysign(1, saved)
        ), where
    else:
        assert loaded == saved, where


def round_trip(obj, path):
    tg.save(obj, path)
    return tg.load(path)


# --- round trips --------------------------------------------------------------------------

_dtypes = (
    hnp.boolean_dtypes()
    | hnp.integer_dtypes()
    | hnp.unsigned_integer_dtypes()
    | hnp.floating_dtypes()
    | hnp.complex_number_dtypes()
)
_arrays = _dtypes.flatmap(
    lambda dtype: hnp.arrays(dtype, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0))
)
_leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text()
    | _arrays
    | _arrays.map(tg.from_numpy)
    | _arrays.filter(lambda a: a.ndim == 0).map(lambda a: a[()])
)
_structures = st.recursive(
    _leaves,
    lambda children: (
        st.lists(children, max_size=4)
        | st.lists(children, max_size=4).map(tuple)
        | st.dictionaries(st.text() | st.integers(), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(obj=_structures)
def test_random_nested_structures_round_trip_exactly(obj, tmp_path):
    assert_same(round_trip(obj, tmp_path / "ckpt.npz"), obj)
    assert os.listdir(tmp_path) == ["ckpt.npz"]


def test_training_checkpoint_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    weight, bias = rng.standard_normal((3, 2)), rng.standard_normal(3).astype(np.float32)
    checkpoint = {
        "model": collections.OrderedDict(
            [("0.weight", tg.tensor(weight)), ("0.bias", tg.tensor(bias))]
        ),
        "optimizer": {
            "state": {
                0: {"step": 3, "exp_avg": np.ones((3, 2)), "exp_avg_sq": np.zeros((3, 2))},
                1: {"step": 3, "exp_avg": np.ones(3, np.float32), "max": np.float32(2.5)},
            },
            "param_groups": [
                {
                    "lr": 1e-3,
                    "betas": (0.9, 0.999),
                    "eps": 1e-8,
                    "weight_decay": 0,
                    "nesterov": False,
                    "name": None,
                    "params": [0, 1],
                }
            ],
        },
        "epoch": 3,
    }
    loaded = round_trip(checkpoint, tmp_path / "ckpt.npz")
    assert_same(loaded, checkpoint)
    np.testing.assert_array_equal(loaded["model"]["0.weight"].data, weight)
    assert loaded["model"]["0.bias"].dtype == np.float32
    assert loaded["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    assert list(loaded["optimizer"]["state"]) == [0, 1]


@pytest.mark.parametrize(
    "value", [math.nan, math.inf, -math.inf, -0.0, 0.1, 5e-324, 1.7976931348623157e308, 1 / 3]
)
def test_python_floats_round_trip_exactly(value, tmp_path):
    loaded = round_trip({"x": value, "in_list": [value]}, tmp_path / "f.npz")
    for got in (loaded["x"], loaded["in_list"][0]):
        assert type(got) is float
        assert got.hex() == value.hex()


@pytest.mark.parametrize(
    "array",
    [
        np.array(2.5),
        np.array(7, dtype=np.uint8),
        np.zeros((0, 3)),
        np.zeros((2, 0, 4), dtype=np.int16),
        np.arange(12.0).reshape(3, 4).T,  # not C-contiguous
        np.asfortranarray(np.arange(6).reshape(2, 3)),
        np.arange(10)[::3],
        np.arange(4, dtype=">i4"),  # non-native byte order
        np.array([np.iinfo(np.uint64).max, 0], dtype=np.uint64),
        np.array([np.nan, -np.inf, -0.0], dtype=np.float16),
        np.array([1 + 2j, complex(np.nan, np.inf)], dtype=np.complex64),
        np.array([1.5, np.nan], dtype=np.longdouble),
        np.array([[True, False]]),
    ],
    ids=lambda a: f"{a.dtype.str}{a.shape}",
)
def test_arrays_keep_dtype_shape_and_bits(array, tmp_path):
    loaded = round_trip({"a": array, "t": tg.from_numpy(array)}, tmp_path / "a.npz")
    assert_same(loaded["a"], array)
    assert_same(loaded["t"], tg.from_numpy(array))
    loaded["a"][...] = 0  # loaded arrays are ordinary, writable arrays


def test_types_are_kept(tmp_path):
    saved = {
        1: "int key",
        "1": "str key",
        -5: (),
        "tuple": (1, (2, [3])),
        "list": [],
        "np_scalars": [np.float32(1.5), np.int8(-3), np.bool_(True), np.complex128(1j)],
        "big_int": 2**100,
        "bools": [True, False],
        "empty": {},
        "none": None,
    }
    loaded = round_trip(saved, tmp_path / "t.npz")
    assert_same(loaded, saved)
    assert type(loaded["np_scalars"][0]) is np.float32
    assert type(loaded["np_scalars"][2]) is np.bool_
    assert loaded[1] == "int key" and loaded["1"] == "str key"


def test_top_level_may_be_any_supported_value(tmp_path):
    for obj in (np.arange(3), tg.ones(2), [1, 2], (3,), 7, "text", None):
        assert_same(round_trip(obj, tmp_path / "top.npz"), obj)


def test_tensor_saves_its_data_not_requires_grad(tmp_path):
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    loaded = round_trip({"w": w}, tmp_path / "w.npz")["w"]
    assert type(loaded) is tg.Tensor and not loaded.requires_grad
    np.testing.assert_array_equal(loaded.data, [1.0, 2.0])


def test_path_is_used_exactly_and_pathlike_is_accepted(tmp_path):
    target = tmp_path / "checkpoint"  # no suffix is added on save nor expected on load
    tg.save({"a": 1}, target)
    assert os.listdir(tmp_path) == ["checkpoint"]
    assert tg.load(str(target)) == {"a": 1}
    assert tg.load(pathlib.PurePath(target)) == {"a": 1}


def test_save_overwrites_an_existing_checkpoint(tmp_path):
    path = tmp_path / "ckpt.npz"
    tg.save({"epoch": 1}, path)
    tg.save({"epoch": 2}, path)
    assert tg.load(path) == {"epoch": 2}
    assert os.listdir(tmp_path) == ["ckpt.npz"]


def test_file_is_a_plain_npz_without_pickles(tmp_path):
    path = tmp_path / "ckpt.npz"
    tg.save({"w": np.ones(2), "lr": 0.1, "odd": [math.nan, -math.inf]}, path)
    with np.load(path, allow_pickle=False) as archive:
        manifest = archive["__tensorgrad__"]
        assert manifest.dtype.kind == "U" and manifest.ndim == 0

        def refuse(constant):  # NaN / Infinity are not JSON; other readers would choke
            raise AssertionError(f"non-standard JSON constant {constant}")

        assert json.loads(manifest[()], parse_constant=refuse)["format"] == "tensorgrad.checkpoint"
        assert all(archive[name].dtype != object for name in archive.files)


# --- atomic writes ------------------------------------------------------------------------


def _savez_that_dies(exc):
    def savez(file, *args, **kwargs):
        file.write(b"PK\x03\x04 half an archive")
        raise exc

    return savez


@pytest.mark.parametrize(
    "target, exc",
    [
        ("savez", OSError("No space left on device")),
        ("savez", KeyboardInterrupt()),
        ("fsync", OSError("I/O error")),
        ("replace", PermissionError("denied")),
    ],
)
def test_a_crash_mid_save_keeps_the_old_file_and_leaves_no_temp(target, exc, tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    tg.save({"epoch": 1, "w": np.arange(100.0)}, path)
    before = path.read_bytes()

    def die(*args, **kwargs):
        raise exc

    if target == "savez":
        monkeypatch.setattr(np, "savez", _savez_that_dies(exc))
    else:
        monkeypatch.setattr(os, target, die)
    with pytest.raises(type(exc)):
        tg.save({"epoch": 2, "w": np.zeros(100)}, path)
    monkeypatch.undo()

    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.npz"]
    assert tg.load(path)["epoch"] == 1


def test_a_crash_on_the_first_save_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(np, "savez", _savez_that_dies(OSError("disk full")))
    with pytest.raises(OSError, match="disk full"):
        tg.save({"a": 1}, tmp_path / "ckpt.npz")
    assert os.listdir(tmp_path) == []


def test_save_into_a_missing_folder(tmp_path):
    path = tmp_path / "no" / "such" / "ckpt.npz"
    with pytest.raises(FileNotFoundError) as info:
        tg.save({"a": 1}, path)
    assert str(path.parent) in str(info.value) and "makedirs" in str(info.value)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("as_str", [True, False])
def test_save_to_a_directory_names_it(tmp_path, as_str):
    # The error once named the hidden temp file that failed to rename over the folder.
    folder = tmp_path / "runs"
    folder.mkdir()
    target = str(folder) if as_str else folder
    with pytest.raises(IsADirectoryError, match=r"save: .* is a directory") as info:
        tg.save({"a": 1}, target)
    message = str(info.value)
    assert repr(str(folder)) in message and ".tmp" not in message
    assert os.listdir(folder) == [] and os.listdir(tmp_path) == ["runs"]


# --- bad files ----------------------------------------------------------------------------


def test_missing_checkpoint(tmp_path):
    path = tmp_path / "missing.npz"
    with pytest.raises(FileNotFoundError) as info:
        tg.load(path)
    assert str(path) in str(info.value) and "no checkpoint" in str(info.value)


@pytest.mark.parametrize("keep", [4, 30, 0.5, -22, -1])
def test_truncated_checkpoint(keep, tmp_path):
    path = tmp_path / "ckpt.npz"
    tg.save({"w": np.arange(1000.0), "b": np.ones(10), "epoch": 3}, path)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep) if isinstance(keep, float) else keep])
    with pytest.raises(ValueError, match="truncated or corrupt") as info:
        tg.load(path)
    assert str(path) in str(info.value)


def test_corrupted_bytes_inside_a_member(tmp_path):
    path = tmp_path / "ckpt.npz"
    tg.save({"w": np.arange(1000.0)}, path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # inside w's values: only the zip checksum can tell
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="truncated or corrupt") as info:
        tg.load(path)
    assert str(path) in str(info.value) and "'a0'" in str(info.value)


@pytest.mark.parametrize(
    "content",
    [b"", b"hello, world\n", bytes(np.random.default_rng(0).integers(0, 256, 500, np.uint8))],
    ids=["empty", "text", "random_bytes"],
)
def test_not_an_archive(content, tmp_path):
    path = tmp_path / "ckpt.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="not a tensorgrad checkpoint") as info:
        tg.load(path)
    assert str(path) in str(info.value)


def test_npy_file_is_refused(tmp_path):
    path = tmp_path / "w.npy"
    np.save(path, np.ones(3))
    with pytest.raises(ValueError, match="not a tensorgrad checkpoint"):
        tg.load(path)


def test_plain_numpy_savez_is_foreign(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez(path, weight=np.ones(3), bias=np.zeros(1))
    with pytest.raises(ValueError) as info:
        tg.load(path)
    message = str(info.value)
    assert str(path) in message and "not a tensorgrad checkpoint" in message
    assert "bias" in message and "numpy.load" in message


class _MakesFolderWhenUnpickled:
    """A pickle payload with a visible side effect: unpickling it creates a folder."""

    def __init__(self, folder):
        self.folder = str(folder)

    def __reduce__(self):
        return (os.mkdir, (self.folder,))


def _manifest(root):
    return np.array(json.dumps({"format": "tensorgrad.checkpoint", "version": 1, "root": root}))


@pytest.mark.parametrize("with_manifest", [True, False])
def test_pickled_members_are_refused_and_never_unpickled(with_manifest, tmp_path):
    marker = tmp_path / "unpickled"
    evil = np.array([_MakesFolderWhenUnpickled(marker)], dtype=object)
    path = tmp_path / "evil.npz"
    extra = {"__tensorgrad__": _manifest({"array": "a0"})} if with_manifest else {}
    np.savez(path, a0=evil, **extra)  # numpy pickles object arrays by default

    with pytest.raises(ValueError) as info:
        tg.load(path)
    assert not marker.exists()
    assert str(path) in str(info.value)
    if with_manifest:
        assert "'a0'" in str(info.value) and "never unpickles" in str(info.value)
    else:
        assert "not a tensorgrad checkpoint" in str(info.value)

    # The payload is live: numpy with pickles allowed does run it.
    with np.load(path, allow_pickle=True) as archive:
        archive["a0"]
    assert marker.is_dir()


@pytest.mark.parametrize(
    "manifest, expected",
    [
        (
            np.array(json.dumps({"format": "tensorgrad.checkpoint", "version": 99, "root": 1})),
            "newer tensorgrad",
        ),
        (np.array(json.dumps({"format": "something.else", "version": 1, "root": 1})), "format"),
        (np.array("{not json"), "unreadable manifest"),
        (np.arange(3), "unreadable manifest"),
        (_manifest({"array": "a7"}), "corrupt manifest"),
        (_manifest({"no_such_kind": 1}), "corrupt manifest"),
        (_manifest({"dict": [[["unhashable"], 1]]}), "corrupt manifest"),
    ],
)
def test_bad_manifests(manifest, expected, tmp_path):
    path = tmp_path / "ckpt.npz"
    np.savez(path, __tensorgrad__=manifest, a0=np.ones(2))
    with pytest.raises(ValueError, match=expected) as info:
        tg.load(path)
    assert str(path) in str(info.value)


# --- values that cannot be saved ----------------------------------------------------------


@pytest.mark.parametrize(
    "value, type_name",
    [
        (lambda x: x, "function"),
        ({1, 2}, "set"),
        (b"bytes", "bytes"),
        (1 + 2j, "complex"),
        (object(), "object"),
        (np.datetime64("2024-01-01"), "datetime64"),
        (range(3), "range"),
    ],
)
def test_unsupported_values_name_their_key_path(value, type_name, tmp_path):
    path = tmp_path / "ckpt.npz"
    tg.save({"old": 1}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError) as info:
        tg.save({"optimizer": {"param_groups": [{"lr": 0.1, "fn": value}]}}, path)
    message = str(info.value)
    assert "['optimizer']['param_groups'][0]['fn']" in message
    assert type_name in message and "supported" in message
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["ckpt.npz"]


@pytest.mark.parametrize("key", [(1, 2), 1.5, True, None, np.int64(3)])
def test_unsupported_dict_keys(key, tmp_path):
    with pytest.raises(TypeError, match="keys must be str or int") as info:
        tg.save({"model": {key: 1}}, tmp_path / "ckpt.npz")
    assert "['model']" in str(info.value)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    "array",
    [np.array([object(), 1], dtype=object), np.array(["a", "b"]), np.array([b"x"])],
    ids=["object", "unicode", "bytes"],
)
def test_arrays_that_would_need_pickle_or_are_not_numeric(array, tmp_path):
    with pytest.raises(TypeError) as info:
        tg.save({"model": {"w": [array]}}, tmp_path / "ckpt.npz")
    assert "['model']['w'][0]" in str(info.value) and str(array.dtype) in str(info.value)
    assert os.listdir(tmp_path) == []


def test_top_level_errors_say_so(tmp_path):
    with pytest.raises(TypeError, match="at the top level"):
        tg.save({1, 2}, tmp_path / "ckpt.npz")


def test_loading_a_folder_names_it(tmp_path: pathlib.Path) -> None:
    with pytest.raises(IsADirectoryError, match=r"load: .* is a folder"):
        tg.load(tmp_path)
