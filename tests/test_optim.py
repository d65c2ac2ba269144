"""tensorgrad.optim: every update rule against formulas worked out here in plain NumPy,
parameter groups, state_dict round trips, errors, and the learning-rate schedulers."""

import math

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import autograd, nn, optim
from tensorgrad.optim.lr_scheduler import CosineAnnealingLR, LRScheduler, StepLR

W0 = np.array([[0.5, -1.5, 2.0], [0.25, 3.0, -0.75]])
GRADS = [
    np.array([[0.1, -0.2, 0.3], [1.5, -0.05, 0.0]]),
    np.array([[-0.4, 0.6, 0.2], [0.5, 0.25, -1.0]]),
    np.array([[0.3, 0.1, -0.7], [-2.0, 0.8, 0.4]]),
]
# float64 results differ from the reference only by the order of rounding; float32 ones
# by float32 rounding (machine epsilon 1.2e-7) accumulated over three steps.
RTOL = {np.float64: 1e-12, np.float32: 2e-6}
DTYPES = [np.float64, np.float32]


def param(values=W0, dtype=np.float64):
    return tg.Tensor(np.array(values, dtype=dtype), requires_grad=True)


def run(make_optimizer, dtype, grads=GRADS, w0=W0):
    """Step an optimizer over ``grads`` from ``w0``; return the parameter and optimizer."""
    p = param(w0, dtype)
    opt = make_optimizer([p])
    for g in grads:
        p.grad = g.astype(dtype)
        opt.step()
    return p, opt


def check(p, expected, dtype):
    assert p.data.dtype == dtype
    np.testing.assert_allclose(p.data, expected, rtol=RTOL[dtype], atol=1e-14)


# --- reference update rules, written from the papers' / PyTorch docs' formulas ----------
def sgd_reference(grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    w, buf = W0.copy(), None
    for g in grads:
        g = g + weight_decay * w
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        w = w - lr * g
    return w


def adam_reference(grads, lr, betas, eps, weight_decay=0.0, decoupled=False, amsgrad=False):
    b1, b2 = betas
    w, m, v, v_max = W0.copy(), 0.0, 0.0, 0.0
    for t, g in enumerate(grads, start=1):
        if decoupled:
            w = w * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * w
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        v_max = np.maximum(v_max, v)
        m_hat = m / (1 - b1**t)
        v_hat = (v_max if amsgrad else v) / (1 - b2**t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
    return w


def rmsprop_reference(grads, lr, alpha, eps, weight_decay=0.0, momentum=0.0, centered=False):
    w, v, a, buf = W0.copy(), 0.0, 0.0, 0.0
    for g in grads:
        g = g + weight_decay * w
        v = alpha * v + (1 - alpha) * g**2
        a = alpha * a + (1 - alpha) * g
        denom = np.sqrt(v - a**2 if centered else v) + eps
        if momentum:
            buf = momentum * buf + g / denom
            w = w - lr * buf
        else:
            w = w - lr * g / denom
    return w


# --- SGD -----------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_plain_sgd_is_exactly_w_minus_lr_grad(dtype):
    p, _ = run(lambda ps: optim.SGD(ps, lr=0.1), dtype, grads=GRADS[:1])
    w0, g = W0.astype(dtype), GRADS[0].astype(dtype)
    assert p.data.dtype == dtype
    np.testing.assert_array_equal(p.data, w0 - dtype(0.1) * g)


def test_sgd_momentum_worked_by_hand():
    # buffer: 1, 0.9*1 + 2 = 2.9, 0.9*2.9 + 3 = 5.61; w: 1 - 0.1, 0.9 - 0.29, 0.61 - 0.561.
    p = param([1.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    seen = []
    for g in (1.0, 2.0, 3.0):
        p.grad = np.array([g])
        opt.step()
        seen.append((p.data[0], opt.state[p]["momentum_buffer"][0]))
    np.testing.assert_allclose(seen, [(0.9, 1.0), (0.61, 2.9), (0.049, 5.61)], rtol=1e-14)


def test_sgd_nesterov_worked_by_hand():
    # buffers 1, 2.9, 5.61; steps g + 0.9 b: 1.9, 4.61, 8.049.
    p = param([1.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True)
    for g in (1.0, 2.0, 3.0):
        p.grad = np.array([g])
        opt.step()
    np.testing.assert_allclose(p.data, [1.0 - 0.19 - 0.461 - 0.8049], rtol=1e-14)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "options",
    [
        {"lr": 0.1},
        {"lr": 0.1, "weight_decay": 0.05},
        {"lr": 0.05, "momentum": 0.9},
        {"lr": 0.05, "momentum": 0.9, "nesterov": True},
        {"lr": 0.05, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.1},
        {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1},
    ],
)
def test_sgd_matches_reference_over_three_steps(options, dtype):
    p, _ = run(lambda ps: optim.SGD(ps, **options), dtype)
    check(p, sgd_reference(GRADS, **options), dtype)


# --- Adam / AdamW --------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_adam_two_steps_worked_by_hand(weight_decay, dtype):
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    g1 = GRADS[0] + weight_decay * W0
    m1, v1 = 0.1 * g1, 0.001 * g1**2
    w1 = W0 - lr * (m1 / 0.1) / (np.sqrt(v1 / 0.001) + eps)
    g2 = GRADS[1] + weight_decay * w1
    m2, v2 = 0.9 * m1 + 0.1 * g2, 0.999 * v1 + 0.001 * g2**2
    w2 = w1 - lr * (m2 / (1 - 0.9**2)) / (np.sqrt(v2 / (1 - 0.999**2)) + eps)

    p, opt = run(
        lambda ps: optim.Adam(ps, lr=lr, betas=(b1, b2), eps=eps, weight_decay=weight_decay),
        dtype,
        grads=GRADS[:2],
    )
    check(p, w2, dtype)
    state = opt.state[p]
    assert state["step"] == 2
    assert state["exp_avg"].dtype == state["exp_avg_sq"].dtype == dtype
    np.testing.assert_allclose(state["exp_avg"], m2, rtol=RTOL[dtype])
    np.testing.assert_allclose(state["exp_avg_sq"], v2, rtol=RTOL[dtype])


def test_adam_first_step_moves_each_weight_by_lr():
    # m_hat = g and v_hat = g^2 at t = 1, so the step is lr * sign(g) (eps = 0).
    g = GRADS[1]  # no zero entry: with eps = 0 that would be 0 / 0
    p, _ = run(lambda ps: optim.Adam(ps, lr=0.01, eps=0.0), np.float64, grads=[g])
    np.testing.assert_allclose(p.data, W0 - 0.01 * np.sign(g), rtol=1e-15)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "options",
    [
        {"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-8},
        {"lr": 0.1, "betas": (0.5, 0.9), "eps": 1e-3, "weight_decay": 0.2},
        {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-8, "amsgrad": True},
        {"lr": 0.05, "betas": (0.0, 0.0), "eps": 1e-6},
    ],
)
def test_adam_matches_reference_over_three_steps(options, dtype):
    p, _ = run(lambda ps: optim.Adam(ps, **options), dtype)
    check(p, adam_reference(GRADS, **options), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("amsgrad", [False, True])
def test_adamw_decays_the_weights_not_the_gradient(amsgrad, dtype):
    options = {"lr": 0.05, "betas": (0.9, 0.99), "eps": 1e-8, "weight_decay": 0.3}
    p, _ = run(lambda ps: optim.AdamW(ps, amsgrad=amsgrad, **options), dtype)
    check(p, adam_reference(GRADS, decoupled=True, amsgrad=amsgrad, **options), dtype)
    coupled, _ = run(lambda ps: optim.Adam(ps, amsgrad=amsgrad, **options), dtype)
    assert not np.allclose(p.data, coupled.data, rtol=1e-3)


def test_adamw_defaults_follow_pytorch():
    opt = optim.AdamW([param()])
    group = opt.param_groups[0]
    assert (group["lr"], group["betas"], group["eps"]) == (1e-3, (0.9, 0.999), 1e-8)
    assert group["weight_decay"] == 1e-2 and group["decoupled_weight_decay"] is True
    assert optim.Adam([param()]).param_groups[0]["weight_decay"] == 0


def test_adamw_with_zero_gradient_only_shrinks():
    p = param()
    opt = optim.AdamW([p], lr=0.1, weight_decay=0.5)
    p.grad = np.zeros_like(W0)
    opt.step()
    np.testing.assert_allclose(p.data, W0 * (1 - 0.1 * 0.5), rtol=1e-15)


# --- RMSprop -------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "options",
    [
        {"lr": 0.01, "alpha": 0.99, "eps": 1e-8},
        {"lr": 0.01, "alpha": 0.9, "eps": 1e-8, "momentum": 0.9},
        {"lr": 0.02, "alpha": 0.8, "eps": 1e-6, "weight_decay": 0.1, "momentum": 0.5},
        {"lr": 0.01, "alpha": 0.9, "eps": 1e-8, "centered": True},
        {"lr": 0.01, "alpha": 0.9, "eps": 1e-8, "centered": True, "momentum": 0.7},
    ],
)
def test_rmsprop_matches_reference_over_three_steps(options, dtype):
    p, _ = run(lambda ps: optim.RMSprop(ps, **options), dtype)
    check(p, rmsprop_reference(GRADS, **options), dtype)


def test_rmsprop_with_momentum_worked_by_hand():
    # alpha = 0.75, eps = 0: v1 = 0.25 * 4 = 1, b1 = 2 / 1 = 2, w1 = 1 - 0.1 * 2 = 0.8;
    # v2 = 0.75 + 0.25 * 16 = 4.75, b2 = 0.5 * 2 + 4 / sqrt(4.75).
    p = param([1.0])
    opt = optim.RMSprop([p], lr=0.1, alpha=0.75, eps=0.0, momentum=0.5)
    p.grad = np.array([2.0])
    opt.step()
    np.testing.assert_allclose(p.data, [0.8], rtol=1e-15)
    p.grad = np.array([4.0])
    opt.step()
    b2 = 1.0 + 4.0 / math.sqrt(4.75)
    np.testing.assert_allclose(p.data, [0.8 - 0.1 * b2], rtol=1e-15)
    np.testing.assert_allclose(opt.state[p]["square_avg"], [4.75], rtol=1e-15)
    assert opt.state[p]["step"] == 2


def test_centered_rmsprop_never_takes_the_root_of_a_negative():
    # A constant gradient makes v - a^2 a difference of equal numbers up to rounding.
    p = param([1.0, 1.0])
    opt = optim.RMSprop([p], lr=0.01, alpha=0.9, eps=1e-8, centered=True)
    for _ in range(50):
        p.grad = np.array([0.1, 1e3])
        opt.step()
    assert np.all(np.isfinite(p.data))


# --- behaviour shared by every optimizer ----------------------------------------------
ALL = [
    lambda ps: optim.SGD(ps, lr=0.1),
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    lambda ps: optim.Adam(ps, lr=0.1, weight_decay=0.01, amsgrad=True),
    lambda ps: optim.AdamW(ps, lr=0.1),
    lambda ps: optim.RMSprop(ps, lr=0.1, momentum=0.5, centered=True, weight_decay=0.01),
]
ALL_IDS = ["sgd", "sgd-nesterov", "adam-amsgrad", "adamw", "rmsprop-centered"]


@pytest.mark.parametrize("make", ALL, ids=ALL_IDS)
def test_parameter_groups_use_their_own_options(make):
    a, b = param(), param()
    opt = make([{"params": [a], "lr": 0.5}, {"params": [b]}])
    assert [g["lr"] for g in opt.param_groups] == [0.5, 0.1]
    assert opt.param_groups[0]["params"] == [a]
    single, _ = run(lambda ps: make(ps), np.float64)
    fast, _ = run(lambda ps: make([{"params": ps, "lr": 0.5}]), np.float64)
    for g in GRADS:
        a.grad, b.grad = g.copy(), g.copy()
        opt.step()
    np.testing.assert_array_equal(a.data, fast.data)
    np.testing.assert_array_equal(b.data, single.data)


def test_sgd_groups_with_different_lr_by_hand():
    a, b = param([1.0]), param([1.0])
    opt = optim.SGD([{"params": [a], "lr": 0.1}, {"params": b, "lr": 0.01}], lr=1.0)
    a.grad, b.grad = np.array([2.0]), np.array([2.0])
    opt.step()
    np.testing.assert_allclose([a.data[0], b.data[0]], [0.8, 0.98], rtol=1e-15)


@pytest.mark.parametrize("make", ALL, ids=ALL_IDS)
def test_parameters_without_grad_are_skipped(make):
    used, unused = param(), param()
    opt = make([used, unused])
    before = autograd.version(unused)
    used.grad = GRADS[0].copy()
    opt.step()
    np.testing.assert_array_equal(unused.data, W0)
    assert autograd.version(unused) == before
    assert unused not in opt.state
    assert not np.array_equal(used.data, W0)


@pytest.mark.parametrize("make", ALL, ids=ALL_IDS)
def test_zero_grad_sets_every_grad_to_none(make):
    a, b = param(), param()
    opt = make([{"params": [a]}, {"params": [b]}])
    (tg.sum(a * b)).backward()
    assert a.grad is not None and b.grad is not None
    opt.zero_grad()
    assert a.grad is None and b.grad is None


@pytest.mark.parametrize("make", ALL, ids=ALL_IDS)
def test_step_builds_no_graph_and_bumps_the_version(make):
    p = param()
    opt = make([p])
    saved = p * p  # an op that saved p for its backward
    loss = tg.sum(saved)
    tg.sum(p * 2).backward()
    before = autograd.version(p)
    array = p.data
    opt.step()
    assert p.grad_fn is None and p.is_leaf and p.requires_grad
    assert autograd.version(p) > before
    assert p.data is array  # updated in place, as PyTorch does
    with pytest.raises(RuntimeError):
        loss.backward()  # p changed after `saved` recorded it


@pytest.mark.parametrize("make", ALL, ids=ALL_IDS)
def test_float32_parameters_and_state_stay_float32(make):
    p = param(W0, np.float32)
    opt = make([p])
    for g in GRADS:
        p.grad = g  # a float64 gradient does not widen a float32 parameter
        opt.step()
    assert p.data.dtype == np.float32
    for value in opt.state.get(p, {}).values():
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float32
    # The arithmetic runs in float32 too: a float64 gradient acts as its float32 cast.
    cast, _ = run(make, np.float32)
    np.testing.assert_array_equal(p.data, cast.data)


@pytest.mark.parametrize("make", ALL, ids=ALL_IDS)
def test_zero_dimensional_parameters(make):
    p = param(1.5)
    opt = make([p])
    for g in (0.5, -1.0, 2.0):
        p.grad = np.array(g)
        opt.step()
    assert isinstance(p.data, np.ndarray) and p.data.shape == ()
    for value in opt.state.get(p, {}).values():
        assert isinstance(value, int | np.ndarray)


def test_step_returns_the_closure_loss_computed_with_grad_enabled():
    p = param([2.0])
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = tg.sum(p * p)
        loss.backward()
        return loss

    with tg.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 4.0
    np.testing.assert_array_equal(p.data, [1.0])


def test_read_only_parameter_array_is_updated_through_a_copy():
    data = np.ones(3)
    data.flags.writeable = False
    p = tg.Tensor(data, requires_grad=True)
    p.grad = np.ones(3)
    optim.SGD([p], lr=0.5).step()
    np.testing.assert_array_equal(p.data, [0.5, 0.5, 0.5])
    np.testing.assert_array_equal(data, [1.0, 1.0, 1.0])


def test_gradient_of_the_wrong_shape_is_an_error():
    p = param()
    p.grad = np.ones(3)
    with pytest.raises(ValueError, match=r"parameter 0 of group 0 has shape \(3,\)"):
        optim.Adam([p]).step()


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: optim.SGD(ps, lr=0.1),
        lambda ps: optim.Adam(ps, lr=0.05),
        lambda ps: optim.RMSprop(ps, lr=0.01),
    ],
    ids=["sgd", "adam", "rmsprop"],
)
def test_training_reduces_a_least_squares_loss(make):
    rng = np.random.default_rng(0)
    x, w_true = rng.normal(size=(32, 3)), np.array([[1.0], [-2.0], [0.5]])
    y = x @ w_true
    w = tg.Tensor(np.zeros((3, 1)), requires_grad=True)
    opt = make([w])
    losses = []
    for _ in range(100):
        opt.zero_grad()
        loss = tg.mean((tg.Tensor(x) @ w - y) ** 2)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.05 * losses[0]


# --- state_dict ----------------------------------------------------------------------
def plain_kinds_only(obj):
    if isinstance(obj, dict):
        return all(isinstance(k, int | str) and plain_kinds_only(v) for k, v in obj.items())
    if isinstance(obj, list | tuple):
        return all(plain_kinds_only(v) for v in obj)
    return obj is None or isinstance(obj, bool | int | float | str | np.ndarray)


ROUND_TRIP = [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.1),
    lambda ps: optim.SGD(ps, lr=0.1),
    lambda ps: optim.Adam(ps, lr=0.05, weight_decay=0.1),
    lambda ps: optim.Adam(ps, lr=0.05, amsgrad=True),
    lambda ps: optim.AdamW(ps, lr=0.05),
    lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.9, centered=True),
]
ROUND_TRIP_IDS = ["sgd-momentum", "sgd", "adam", "adam-amsgrad", "adamw", "rmsprop"]


def two_groups(make, dtype=np.float64):
    ps = [param(W0, dtype), param(W0[0], dtype), param(W0[:, 0], dtype)]
    return ps, make([{"params": ps[:2]}, {"params": ps[2:], "lr": 0.2}])


def feed(ps, opt, grads):
    for g in grads:
        ps[0].grad, ps[1].grad, ps[2].grad = g, g[1], g[:, 2]
        opt.step()


@pytest.mark.parametrize("make", ROUND_TRIP, ids=ROUND_TRIP_IDS)
def test_state_dict_round_trip_continues_identically(make):
    ps, opt = two_groups(make)
    feed(ps, opt, GRADS[:2])
    saved = opt.state_dict()
    assert plain_kinds_only(saved)

    clones = [param(p.data.copy()) for p in ps]
    fresh = make([{"params": clones[:2]}, {"params": clones[2:]}])
    fresh.load_state_dict(saved)
    assert fresh.param_groups[1]["lr"] == 0.2
    feed(ps, opt, GRADS[1:] + GRADS[:2])
    feed(clones, fresh, GRADS[1:] + GRADS[:2])
    for p, clone in zip(ps, clones):
        np.testing.assert_array_equal(p.data, clone.data)


def test_state_dict_layout_follows_pytorch():
    ps, opt = two_groups(lambda ps: optim.Adam(ps, lr=0.05))
    ps[0].grad, ps[2].grad = GRADS[0], GRADS[0][:, 2]  # ps[1] gets no gradient
    opt.step()
    saved = opt.state_dict()
    assert [g["params"] for g in saved["param_groups"]] == [[0, 1], [2]]
    assert saved["param_groups"][1]["lr"] == 0.2 and saved["param_groups"][0]["lr"] == 0.05
    assert saved["param_groups"][0]["betas"] == (0.9, 0.999)
    assert list(saved["state"]) == [0, 2]
    assert set(saved["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    assert saved["state"][0]["step"] == 1


def test_state_dict_holds_copies():
    ps, opt = two_groups(lambda ps: optim.Adam(ps))
    feed(ps, opt, GRADS[:1])
    saved = opt.state_dict()
    saved["state"][0]["exp_avg"][...] = 99.0
    saved["param_groups"][0]["lr"] = 99.0
    assert not np.any(opt.state[ps[0]]["exp_avg"] == 99.0)
    assert opt.param_groups[0]["lr"] == 1e-3

    fresh_ps, fresh = two_groups(lambda ps: optim.Adam(ps))
    fresh.load_state_dict(opt.state_dict())
    assert fresh.state[fresh_ps[0]]["exp_avg"] is not opt.state[ps[0]]["exp_avg"]


def test_load_state_dict_casts_to_the_parameter_dtype_and_accepts_numpy_scalars():
    ps, opt = two_groups(lambda ps: optim.RMSprop(ps, momentum=0.5))
    feed(ps, opt, GRADS[:2])
    saved = opt.state_dict()
    # What a .npz round trip may give back: NumPy scalars, lists, string keys.
    saved["state"] = {
        str(k): {name: np.asarray(v) for name, v in entry.items()}
        for k, entry in saved["state"].items()
    }
    saved["param_groups"][0]["lr"] = np.float64(0.02)
    saved["param_groups"][0]["params"] = np.array([0, 1])
    ps32, opt32 = two_groups(lambda ps: optim.RMSprop(ps), np.float32)
    opt32.load_state_dict(saved)
    assert opt32.param_groups[0]["lr"] == 0.02 and type(opt32.param_groups[0]["lr"]) is float
    assert opt32.param_groups[0]["momentum"] == 0.5
    state = opt32.state[ps32[0]]
    assert state["step"] == 2 and type(state["step"]) is int
    assert state["square_avg"].dtype == state["momentum_buffer"].dtype == np.float32


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda s: s["param_groups"].pop(), r"has 1 parameter group\(s\) but this optimizer has 2"),
        (lambda s: s["param_groups"][1]["params"].append(3), r"group 1 has 2 parameter\(s\) in"),
        (
            lambda s: s["state"][0].update(exp_avg=np.zeros(5)),
            r"parameter 0: state 'exp_avg' has shape \(5,\) but the parameter has shape \(2, 3\)",
        ),
        (lambda s: s["state"][0].pop("exp_avg_sq"), r"parameter 0: its state has the entries"),
        (lambda s: s["state"].update({7: {}}), r"state for parameter 7"),
        (lambda s: s.pop("state"), r"missing \['state'\]"),
        (lambda s: s.update(extra=1), r"unexpected \['extra'\]"),
        (lambda s: s["param_groups"][0].pop("betas"), r"lacks the option\(s\) \['betas'\]"),
        (lambda s: s["param_groups"][0].update(lr=-1.0), r"invalid lr = -1.0 in parameter group 0"),
        (lambda s: s["state"][0].update(step=-1), r"invalid step = -1"),
        (lambda s: s["param_groups"][1].update(params=[0]), r"index 0 appears in two places"),
    ],
)
def test_bad_state_dict_is_refused_and_changes_nothing(edit, message):
    ps, opt = two_groups(lambda ps: optim.Adam(ps, lr=0.05))
    feed(ps, opt, GRADS[:1])
    saved = opt.state_dict()
    edit(saved)
    target_ps, target = two_groups(lambda ps: optim.Adam(ps, lr=0.5))
    with pytest.raises(ValueError, match=message):
        target.load_state_dict(saved)
    assert target.state == {} and target.param_groups[0]["lr"] == 0.5


def test_state_dict_of_another_optimizer_is_refused():
    ps, sgd = two_groups(lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9))
    feed(ps, sgd, GRADS[:1])
    _, adam = two_groups(lambda ps: optim.Adam(ps))
    with pytest.raises(ValueError, match=r"lacks the option\(s\) \['amsgrad', 'betas'"):
        adam.load_state_dict(sgd.state_dict())
    with pytest.raises(TypeError, match="expected a dict"):
        adam.load_state_dict([1, 2])


# --- errors --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "cls, options, error, message",
    [
        (optim.SGD, {"lr": -0.1}, ValueError, r"SGD: invalid lr = -0.1; expected 0 <= lr < inf"),
        (optim.SGD, {"lr": float("nan")}, ValueError, r"SGD: invalid lr = nan"),
        (optim.SGD, {"lr": "0.1"}, TypeError, r"SGD: lr must be a real number, got '0.1'"),
        (optim.SGD, {"lr": 0.1, "momentum": -0.5}, ValueError, r"invalid momentum = -0.5"),
        (
            optim.SGD,
            {"lr": 0.1, "nesterov": True},
            ValueError,
            r"SGD: nesterov=True needs momentum > 0 and dampening = 0",
        ),
        (
            optim.SGD,
            {"lr": 0.1, "momentum": 0.9, "dampening": 0.5, "nesterov": True},
            ValueError,
            r"dampening = 0.5",
        ),
        (optim.SGD, {"lr": 0.1, "weight_decay": -1}, ValueError, r"invalid weight_decay = -1;"),
        (
            optim.Adam,
            {"betas": (0.9, 1.0)},
            ValueError,
            r"Adam: invalid betas\[1\] = 1.0; expected 0 <= betas\[1\] < 1",
        ),
        (
            optim.AdamW,
            {"betas": (-0.1, 0.9)},
            ValueError,
            r"AdamW: invalid betas\[0\] = -0.1; expected 0 <= betas\[0\] < 1",
        ),
        (optim.Adam, {"betas": 0.9}, TypeError, r"Adam: betas must be a tuple of 2 numbers"),
        (optim.Adam, {"eps": -1e-8}, ValueError, r"Adam: invalid eps = -1e-08; expected 0 <= eps"),
        (optim.Adam, {"lr": -1}, ValueError, r"Adam: invalid lr = -1;"),
        (optim.Adam, {"amsgrad": 1}, TypeError, r"Adam: amsgrad must be True or False"),
        (
            optim.RMSprop,
            {"alpha": 1.5},
            ValueError,
            r"RMSprop: invalid alpha = 1.5; expected 0 <= alpha <= 1",
        ),
        (optim.RMSprop, {"eps": -1.0}, ValueError, r"RMSprop: invalid eps = -1.0"),
        (optim.RMSprop, {"momentum": -1.0}, ValueError, r"RMSprop: invalid momentum = -1.0"),
    ],
)
def test_invalid_hyperparameters_are_named(cls, options, error, message):
    with pytest.raises(error, match=message):
        cls([param()], **options)


def test_invalid_group_option_names_the_group():
    groups = [{"params": [param()]}, {"params": [param()], "lr": -2.0}]
    with pytest.raises(ValueError, match=r"SGD: invalid lr = -2.0 in parameter group 1; expected"):
        optim.SGD(groups, lr=0.1)


@pytest.mark.parametrize(
    "params, error, message",
    [
        ([], ValueError, r"SGD: got an empty parameter list"),
        (iter([]), ValueError, r"empty parameter list"),
        (param(), TypeError, r"got Tensor; pass model.parameters\(\) or a list"),
        ({param()}, TypeError, r"ordered iterable"),
        ([W0], TypeError, r"parameter 0 of group 0 is a ndarray, not a Tensor"),
        ([tg.tensor([1, 2])], TypeError, r"parameter 0 of group 0 has dtype int64; only floating"),
        ([param() * 2], ValueError, r"not a leaf tensor"),
        ([{"lr": 0.1}], ValueError, r"parameter group 0 has no 'params' entry"),
        ([param(), {"params": [param()]}], TypeError, r"mixes tensors and dicts"),
    ],
)
def test_bad_parameter_lists_are_refused(params, error, message):
    with pytest.raises(error, match=message):
        optim.SGD(params, lr=0.1)


@pytest.mark.parametrize("make", [optim.SGD, optim.Adam, optim.AdamW, optim.RMSprop])
def test_frozen_parameters_are_accepted_and_skipped(make):
    # Freezing a layer with requires_grad = False while passing model.parameters() is the
    # usual PyTorch pattern; such parameters were once refused.
    model = nn.MLP([3, 4, 2], rng=0)
    model[0].weight.requires_grad = False
    model[0].bias.requires_grad = False
    opt = make(model.parameters(), lr=0.1)
    assert sum(len(g["params"]) for g in opt.param_groups) == 4
    frozen = [model[0].weight.data.copy(), model[0].bias.data.copy()]
    trained = model[2].weight.data.copy()
    x, y = tg.tensor(np.ones((5, 3))), np.array([0, 1, 0, 1, 1])
    for _ in range(2):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        assert model[0].weight.grad is None and model[0].bias.grad is None
        opt.step()
    np.testing.assert_array_equal(model[0].weight.data, frozen[0])
    np.testing.assert_array_equal(model[0].bias.data, frozen[1])
    assert not np.array_equal(model[2].weight.data, trained)
    assert model[0].weight not in opt.state
    state = opt.state_dict()  # a frozen parameter has no state and round-trips
    make(model.parameters(), lr=0.1).load_state_dict(state)
    # Unfrozen, it trains: it was in the optimizer all along.
    model[0].weight.requires_grad = True
    opt.zero_grad()
    nn.functional.cross_entropy(model(x), y).backward()
    opt.step()
    assert not np.array_equal(model[0].weight.data, frozen[0])


def test_a_parameter_may_appear_only_once():
    p, q = param(), param()
    with pytest.raises(ValueError, match=r"parameter 1 of group 0 appears twice.*this group"):
        optim.SGD([p, p], lr=0.1)
    with pytest.raises(ValueError, match=r"parameter 0 of group 1 appears twice.*group 0"):
        optim.Adam([{"params": [p, q]}, {"params": [p]}])
    opt = optim.Adam([p])
    with pytest.raises(ValueError, match="appears twice"):
        opt.add_param_group({"params": [q, p]})
    assert len(opt.param_groups) == 1


def test_add_param_group_takes_defaults_and_a_single_tensor():
    p, q = param(), param()
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": q, "lr": 0.01, "note": "head"})
    group = opt.param_groups[1]
    assert group["params"] == [q] and group["lr"] == 0.01 and group["momentum"] == 0.9
    assert group["note"] == "head"  # extra keys are kept, as in PyTorch
    q.grad = np.ones_like(W0)
    opt.step()
    np.testing.assert_allclose(q.data, W0 - 0.01, rtol=1e-15)


def test_parameters_may_come_from_a_generator():
    ps = [param(), param()]
    opt = optim.Adam(p for p in ps)
    assert opt.param_groups[0]["params"] == ps


def test_repr_lists_the_groups():
    text = repr(optim.SGD([{"params": [param()]}, {"params": [param()], "lr": 0.5}], lr=0.1))
    assert text.startswith("SGD (") and "Parameter Group 1" in text and "lr: 0.5" in text


# --- learning-rate schedulers -----------------------------------------------------------
def sgd_two_groups(lr0=0.1, lr1=0.02):
    return optim.SGD([{"params": [param()]}, {"params": [param()], "lr": lr1}], lr=lr0)


# The schedulers compute each rate from the last one, as PyTorch's chainable schedulers
# do, so on their own they meet their closed forms up to the rounding that the repeated
# multiplications add (a few ulps over 30 steps): hence rtol=1e-12 below, which is not a
# looser check of the schedule, only of its last digits.
def rates(scheduler, steps):
    seen = [scheduler.get_last_lr()]
    for _ in range(steps):
        scheduler.optimizer.step()
        scheduler.step()
        seen.append(scheduler.get_last_lr())
        assert seen[-1] == [g["lr"] for g in scheduler.optimizer.param_groups]
    return seen


@pytest.mark.parametrize("step_size, gamma", [(1, 0.5), (3, 0.1), (7, 0.9)])
def test_step_lr_follows_its_closed_form(step_size, gamma):
    opt = sgd_two_groups()
    sched = StepLR(opt, step_size=step_size, gamma=gamma)
    expected = [[lr * gamma ** (t // step_size) for lr in (0.1, 0.02)] for t in range(31)]
    np.testing.assert_allclose(rates(sched, 30), expected, rtol=1e-12, atol=0)
    assert sched.last_epoch == 30


@pytest.mark.parametrize("T_max, eta_min", [(10, 0.0), (7, 0.001), (30, 0.01)])
def test_cosine_annealing_follows_its_closed_form_past_t_max(T_max, eta_min):
    opt = sgd_two_groups()
    sched = CosineAnnealingLR(opt, T_max=T_max, eta_min=eta_min)
    expected = [
        [eta_min + (lr - eta_min) * (1 + math.cos(math.pi * t / T_max)) / 2 for lr in (0.1, 0.02)]
        for t in range(31)
    ]
    np.testing.assert_allclose(rates(sched, 30), expected, rtol=1e-12, atol=0)
    # At T_max the rate is eta_min; past it, the cosine climbs back.
    assert math.isclose(expected[T_max][0], eta_min, abs_tol=1e-17)
    if T_max < 30:
        assert expected[T_max + 1][0] > expected[T_max][0]


def after_each_step(opt, schedulers, steps, edits=None):
    """The first group's lr after each step; ``edits`` maps a step index to a factor that
    scales the lr by hand just before that step."""
    seen = []
    for i in range(steps):
        if edits and i in edits:
            opt.param_groups[0]["lr"] *= edits[i]
        opt.step()
        for scheduler in schedulers:
            scheduler.step()
        seen.append(opt.param_groups[0]["lr"])
    return seen


def test_two_step_schedulers_on_one_optimizer_compound():
    # Each works from the current rate, as PyTorch's do: halving every 2 epochs and
    # dividing by 10 every 3 multiply together (the closed forms once overwrote each other).
    opt = optim.SGD([param()], lr=1.0)
    both = [StepLR(opt, step_size=2, gamma=0.5), StepLR(opt, step_size=3, gamma=0.1)]
    expected = [1.0, 0.5, 0.05, 0.025, 0.025, 0.00125, 0.00125]
    assert after_each_step(opt, both, 7) == pytest.approx(expected, rel=1e-12, abs=0)


def test_step_lr_goes_on_from_a_rate_edited_by_hand():
    opt = optim.SGD([param()], lr=1.0)
    sched = StepLR(opt, step_size=3, gamma=0.5)
    got = after_each_step(opt, [sched], 7, edits={1: 0.1})
    assert got == pytest.approx([1.0, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025], rel=1e-12, abs=0)
    assert sched.get_last_lr() == [opt.param_groups[0]["lr"]]


def test_cosine_annealing_goes_on_from_a_rate_edited_by_hand():
    # Each step scales the distance to eta_min by the ratio of successive cosine terms, so
    # after an edit the rate keeps a fixed fraction of the closed form's distance to
    # eta_min and still reaches eta_min at T_max.
    T_max, eta_min = 6, 0.1
    opt = optim.SGD([param()], lr=1.0)
    sched = CosineAnnealingLR(opt, T_max=T_max, eta_min=eta_min)
    got = after_each_step(opt, [sched], T_max, edits={2: 0.5})

    def closed(t):
        return eta_min + (1.0 - eta_min) * (1 + math.cos(math.pi * t / T_max)) / 2

    fraction = (0.5 * closed(2) - eta_min) / (closed(2) - eta_min)
    expected = [closed(1), closed(2)] + [
        eta_min + fraction * (closed(t) - eta_min) for t in range(3, T_max + 1)
    ]
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert got[-1] == pytest.approx(eta_min, rel=1e-12)


def test_cosine_annealing_resumed_with_last_epoch_takes_its_closed_form():
    # The first step of a schedule resumed with last_epoch lands on an epoch whose rate
    # the optimizer does not hold yet: it is taken from the closed form, then the
    # recursion goes on from there.
    opt = optim.SGD([param()], lr=1.0)
    opt.param_groups[0]["initial_lr"] = 1.0
    opt.param_groups[0]["lr"] = 0.123  # any rate: the closed form replaces it
    sched = CosineAnnealingLR(opt, T_max=10, eta_min=0.01, last_epoch=5)
    closed = [0.01 + 0.99 * (1 + math.cos(math.pi * t / 10)) / 2 for t in range(6, 10)]
    assert sched.last_epoch == 6
    assert sched.get_last_lr() == pytest.approx([closed[0]], rel=1e-15)
    assert after_each_step(opt, [sched], 3) == pytest.approx(closed[1:], rel=1e-12, abs=0)


def test_scheduler_records_initial_lr_and_drives_the_update():
    p = param([1.0])
    opt = optim.SGD([p], lr=1.0)
    sched = StepLR(opt, step_size=1, gamma=0.5)
    assert opt.param_groups[0]["initial_lr"] == 1.0 and sched.base_lrs == [1.0]
    assert sched.last_epoch == 0 and sched.get_last_lr() == [1.0]
    for expected in ([0.0], [-0.5], [-0.75]):
        p.grad = np.array([1.0])
        opt.step()
        sched.step()
        np.testing.assert_array_equal(p.data, expected)
    assert opt.param_groups[0]["initial_lr"] == 1.0


def test_scheduler_state_dict_round_trip_and_resume():
    opt = sgd_two_groups()
    sched = CosineAnnealingLR(opt, T_max=12, eta_min=0.001)
    rates(sched, 5)
    opt_state, sched_state = opt.state_dict(), sched.state_dict()
    assert plain_kinds_only(sched_state) and sched_state["last_epoch"] == 5

    fresh_opt = sgd_two_groups(lr0=9.0, lr1=9.0)
    fresh_opt.load_state_dict(opt_state)  # carries lr and initial_lr
    fresh = CosineAnnealingLR(fresh_opt, T_max=3)
    fresh.load_state_dict(sched_state)
    assert (fresh.T_max, fresh.eta_min, fresh.last_epoch) == (12, 0.001, 5)
    assert rates(fresh, 10) == rates(sched, 10)

    resumed_opt = sgd_two_groups()
    resumed_opt.load_state_dict(opt_state)
    resumed = CosineAnnealingLR(resumed_opt, T_max=12, eta_min=0.001, last_epoch=4)
    # Resumed with last_epoch, the first step takes the closed form at epoch 5: the rate
    # saved at epoch 5 (computed step by step) to rounding.
    assert resumed.last_epoch == 5
    assert resumed.get_last_lr() == pytest.approx(sched_state["last_lr"], rel=1e-12, abs=0)


@pytest.mark.parametrize(
    "cls, settings, error, message",
    [
        (
            StepLR,
            {"step_size": 0},
            ValueError,
            r"StepLR: invalid step_size = 0; expected an integer",
        ),
        (StepLR, {"step_size": 2.5}, TypeError, r"StepLR: step_size must be an integer"),
        (StepLR, {"step_size": 2, "gamma": -0.5}, ValueError, r"StepLR: invalid gamma = -0.5"),
        (CosineAnnealingLR, {"T_max": 0}, ValueError, r"CosineAnnealingLR: invalid T_max = 0"),
        (CosineAnnealingLR, {"T_max": 5, "eta_min": -0.1}, ValueError, r"invalid eta_min = -0.1"),
        (StepLR, {"step_size": 1, "last_epoch": 3}, ValueError, r"hold no 'initial_lr'"),
        (StepLR, {"step_size": 1, "last_epoch": -2}, ValueError, r"invalid last_epoch = -2"),
    ],
)
def test_invalid_scheduler_settings_are_named(cls, settings, error, message):
    with pytest.raises(error, match=message):
        cls(sgd_two_groups(), **settings)
    with pytest.raises(TypeError, match=r"expected an Optimizer, got str"):
        cls("sgd", **settings)


def test_bad_scheduler_state_dict_is_refused():
    sched = StepLR(sgd_two_groups(), step_size=2)
    good = sched.state_dict()
    with pytest.raises(ValueError, match=r"missing keys \['gamma'\]"):
        sched.load_state_dict({k: v for k, v in good.items() if k != "gamma"})
    with pytest.raises(ValueError, match=r"base_lrs has 1 value\(s\) but the optimizer has 2"):
        sched.load_state_dict({**good, "base_lrs": [0.1]})
    with pytest.raises(ValueError, match=r"invalid step_size = -1"):
        sched.load_state_dict({**good, "step_size": -1})
    assert sched.state_dict() == good


def test_scheduler_refuses_groups_added_after_it():
    opt = sgd_two_groups()
    sched = StepLR(opt, step_size=1)
    opt.add_param_group({"params": [param()]})
    with pytest.raises(ValueError, match=r"has 3 parameter group\(s\) but the scheduler was made"):
        sched.step()


def test_scheduler_base_class_needs_get_lr():
    with pytest.raises(NotImplementedError, match="LRScheduler does not define get_lr"):
        LRScheduler(sgd_two_groups())
