"""tensorgrad.optim against PyTorch: the same gradients in, the same parameters, state and
learning rates out. Skipped where torch is not installed (it is not a dependency)."""

import warnings

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import optim

torch = pytest.importorskip("torch")

# float64 agrees up to the order of rounding (observed: a few 1e-16); float32 up to float32
# rounding over five steps (machine epsilon 1.2e-7), PyTorch's CPU kernels grouping the
# arithmetic differently from NumPy.
TOL = {np.float64: {"rtol": 1e-12, "atol": 1e-14}, np.float32: {"rtol": 1e-5, "atol": 1e-6}}
TORCH_DTYPE = {np.float64: torch.float64, np.float32: torch.float32}
SHAPES = [(4, 3), (3,), ()]
STEPS = 5

CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "weight_decay": 0.05}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.7, "dampening": 0.4}),
    ("Adam", {}),
    ("Adam", {"lr": 0.05, "betas": (0.8, 0.95), "eps": 1e-6, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.05, "amsgrad": True}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.3, "amsgrad": True}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "centered": True, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.8, "centered": True, "momentum": 0.5, "eps": 1e-4}),
]
CASE_IDS = [
    f"{name}-{'-'.join(f'{k}={v}' for k, v in opts.items()) or 'defaults'}" for name, opts in CASES
]


def both(name, options, dtype, seed=0):
    """The same parameters in two groups (the second with its own lr) for each library."""
    rng = np.random.default_rng(seed)
    values = [rng.normal(size=shape).astype(dtype) for shape in SHAPES]
    ours = [tg.Tensor(v.copy(), requires_grad=True) for v in values]
    theirs = [torch.tensor(v.copy(), requires_grad=True) for v in values]
    lr = options.get("lr", 1e-3) * 3
    our_opt = getattr(optim, name)(
        [{"params": ours[:2]}, {"params": ours[2:], "lr": lr}], **options
    )
    their_opt = getattr(torch.optim, name)(
        [{"params": theirs[:2]}, {"params": theirs[2:], "lr": lr}], **options
    )
    return ours, our_opt, theirs, their_opt, rng


def step_both(ours, our_opt, theirs, their_opt, rng, dtype, skip=None):
    for i, shape in enumerate(SHAPES):
        if i == skip:
            ours[i].grad, theirs[i].grad = None, None
            continue
        g = rng.normal(size=shape).astype(dtype)
        ours[i].grad, theirs[i].grad = g, torch.tensor(g.copy())
    our_opt.step()
    their_opt.step()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name, options", CASES, ids=CASE_IDS)
def test_parameters_and_state_match_pytorch(name, options, dtype):
    ours, our_opt, theirs, their_opt, rng = both(name, options, dtype)
    for step in range(STEPS):
        # The last tensor skips step 2: both libraries must leave it and its state alone.
        step_both(ours, our_opt, theirs, their_opt, rng, dtype, skip=2 if step == 2 else None)
        for a, b in zip(ours, theirs):
            assert a.data.dtype == dtype
            np.testing.assert_allclose(a.data, b.detach().numpy(), **TOL[dtype])
    for a, b in zip(ours, theirs):
        their_state = their_opt.state[b]
        assert set(our_opt.state.get(a, {})) == set(their_state)
        for key, value in our_opt.state.get(a, {}).items():
            expected = their_state[key]
            if key == "step":
                assert value == int(expected)
            else:
                np.testing.assert_allclose(value, expected.numpy(), **TOL[dtype])


@pytest.mark.parametrize("name, options", CASES, ids=CASE_IDS)
def test_state_dict_layout_matches_pytorch(name, options):
    ours, our_opt, theirs, their_opt, rng = both(name, options, np.float64)
    step_both(ours, our_opt, theirs, their_opt, rng, np.float64, skip=1)
    mine, reference = our_opt.state_dict(), their_opt.state_dict()
    assert [g["params"] for g in mine["param_groups"]] == [
        g["params"] for g in reference["param_groups"]
    ]
    for group, their_group in zip(mine["param_groups"], reference["param_groups"]):
        for key, value in group.items():
            assert their_group[key] == value, key
    assert list(mine["state"]) == sorted(reference["state"])
    for index, entry in mine["state"].items():
        assert set(entry) == set(reference["state"][index])


def scheduler_rates(make_ours, make_theirs, steps=30):
    rng = np.random.default_rng(1)
    value = rng.normal(size=3)
    ours = optim.SGD(
        [{"params": [tg.Tensor(value.copy(), requires_grad=True)]},
         {"params": [tg.Tensor(value.copy(), requires_grad=True)], "lr": 0.03}],
        lr=0.1, momentum=0.9,
    )  # fmt: skip
    theirs = torch.optim.SGD(
        [{"params": [torch.tensor(value.copy(), requires_grad=True)]},
         {"params": [torch.tensor(value.copy(), requires_grad=True)], "lr": 0.03}],
        lr=0.1, momentum=0.9,
    )  # fmt: skip
    our_sched, their_sched = make_ours(ours), make_theirs(theirs)
    mine, reference = [our_sched.get_last_lr()], [their_sched.get_last_lr()]
    for _ in range(steps):
        ours.step()
        theirs.step()
        our_sched.step()
        their_sched.step()
        mine.append(our_sched.get_last_lr())
        reference.append(their_sched.get_last_lr())
    assert [g["initial_lr"] for g in ours.param_groups] == [
        g["initial_lr"] for g in theirs.param_groups
    ]
    return np.array(mine), np.array(reference)


@pytest.mark.parametrize("step_size, gamma", [(1, 0.9), (3, 0.1), (5, 0.5), (40, 0.1)])
def test_step_lr_matches_pytorch(step_size, gamma):
    mine, reference = scheduler_rates(
        lambda o: optim.lr_scheduler.StepLR(o, step_size, gamma=gamma),
        lambda o: torch.optim.lr_scheduler.StepLR(o, step_size, gamma=gamma),
    )
    # Both multiply the previous rate by gamma: the same arithmetic, the same bits.
    np.testing.assert_array_equal(mine, reference)


@pytest.mark.parametrize("T_max, eta_min", [(10, 0.0), (7, 0.001), (4, 0.01), (30, 0.0)])
def test_cosine_annealing_matches_pytorch_past_t_max(T_max, eta_min):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's notes about its recursive form
        mine, reference = scheduler_rates(
            lambda o: optim.lr_scheduler.CosineAnnealingLR(o, T_max, eta_min=eta_min),
            lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max, eta_min=eta_min),
        )
    # Both update the previous rate by the same recursion: the same bits.
    np.testing.assert_array_equal(mine, reference)


# --- chained, hand-edited and resumed schedules -------------------------------------------
# Our schedulers once used closed forms of base_lrs, so two on one optimizer did not
# compound and a rate edited by hand was overwritten at the next step; PyTorch's work from
# the current rate. The same arithmetic now gives the same bits.


def sgd_pair(lrs=(0.1, 0.03)):
    """An SGD optimizer with two groups in each library."""
    value = np.random.default_rng(1).normal(size=3)
    ours = optim.SGD(
        [{"params": [tg.Tensor(value.copy(), requires_grad=True)], "lr": lr} for lr in lrs],
        lr=lrs[0],
    )
    theirs = torch.optim.SGD(
        [{"params": [torch.tensor(value.copy(), requires_grad=True)], "lr": lr} for lr in lrs],
        lr=lrs[0],
    )
    return ours, theirs


SCHEDULERS = {  # (lr_scheduler module, optimizer, last_epoch) -> scheduler
    "StepLR(2, 0.5)": lambda lib, o, last=-1: lib.StepLR(o, 2, gamma=0.5, last_epoch=last),
    "StepLR(3, 0.1)": lambda lib, o, last=-1: lib.StepLR(o, 3, gamma=0.1, last_epoch=last),
    "Cosine(5, 0.001)": lambda lib, o, last=-1: lib.CosineAnnealingLR(
        o, 5, eta_min=0.001, last_epoch=last
    ),
    "Cosine(3)": lambda lib, o, last=-1: lib.CosineAnnealingLR(o, 3, last_epoch=last),
}
CHAINS = [
    ["StepLR(2, 0.5)", "StepLR(3, 0.1)"],
    ["Cosine(5, 0.001)", "StepLR(2, 0.5)"],
    ["StepLR(3, 0.1)", "Cosine(3)"],
    ["Cosine(5, 0.001)", "Cosine(3)"],
    ["Cosine(5, 0.001)"],
    ["StepLR(3, 0.1)"],
]


def run_schedules(opt, schedulers, steps, edits=None):
    """The rates of every group after each step; ``edits`` maps a step to a factor that
    scales every group's lr by hand just before it."""
    seen = []
    for i in range(steps):
        if edits and i in edits:
            for group in opt.param_groups:
                group["lr"] *= edits[i]
        opt.step()
        for scheduler in schedulers:
            scheduler.step()
        seen.append([float(g["lr"]) for g in opt.param_groups])
    return seen


@pytest.mark.parametrize(
    "edits", [None, {1: 0.1}, {4: 3.0, 9: 0.5}], ids=["plain", "x0.1", "x3-then-x0.5"]
)
@pytest.mark.parametrize("chain", CHAINS, ids=[" + ".join(c) for c in CHAINS])
def test_chained_and_hand_edited_schedules_match_pytorch(chain, edits):
    ours, theirs = sgd_pair()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mine = [SCHEDULERS[name](optim.lr_scheduler, ours) for name in chain]
        reference = [SCHEDULERS[name](torch.optim.lr_scheduler, theirs) for name in chain]
        assert [g["lr"] for g in ours.param_groups] == [g["lr"] for g in theirs.param_groups]
        got = run_schedules(ours, mine, 20, edits)
        expected = run_schedules(theirs, reference, 20, edits)
    np.testing.assert_array_equal(got, expected)
    assert mine[-1].get_last_lr() == reference[-1].get_last_lr()


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_a_schedule_resumed_from_state_dicts_matches_pytorch(name):
    ours, theirs = sgd_pair()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mine = SCHEDULERS[name](optim.lr_scheduler, ours)
        reference = SCHEDULERS[name](torch.optim.lr_scheduler, theirs)
        run_schedules(ours, [mine], 7, {3: 0.5})
        run_schedules(theirs, [reference], 7, {3: 0.5})
        saved = ours.state_dict(), mine.state_dict()
        their_saved = theirs.state_dict(), reference.state_dict()
        # A new run: optimizer made with other rates, its state loaded, then a scheduler
        # made and given the saved schedule.
        ours, theirs = sgd_pair(lrs=(9.0, 9.0))
        ours.load_state_dict(saved[0])
        theirs.load_state_dict(their_saved[0])
        mine = SCHEDULERS[name](optim.lr_scheduler, ours)
        reference = SCHEDULERS[name](torch.optim.lr_scheduler, theirs)
        mine.load_state_dict(saved[1])
        reference.load_state_dict(their_saved[1])
        assert mine.last_epoch == reference.last_epoch == 7
        got = run_schedules(ours, [mine], 15)
        expected = run_schedules(theirs, [reference], 15)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_a_schedule_resumed_with_last_epoch_matches_pytorch(name):
    # Saved after 7 steps; resumed by passing last_epoch=6, whose first step lands on
    # epoch 7 again. CosineAnnealingLR takes that step from its closed form (PyTorch 2.x
    # before its "initial step" rework), PyTorch 2.13 keeps the loaded rate: the two
    # agree to rounding here, where the loaded rate is the rate of epoch 7.
    ours, theirs = sgd_pair()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_schedules(ours, [SCHEDULERS[name](optim.lr_scheduler, ours)], 7)
        run_schedules(theirs, [SCHEDULERS[name](torch.optim.lr_scheduler, theirs)], 7)
        saved, their_saved = ours.state_dict(), theirs.state_dict()
        ours, theirs = sgd_pair(lrs=(9.0, 9.0))
        ours.load_state_dict(saved)
        theirs.load_state_dict(their_saved)
        mine = SCHEDULERS[name](optim.lr_scheduler, ours, 6)
        reference = SCHEDULERS[name](torch.optim.lr_scheduler, theirs, 6)
        assert mine.last_epoch == reference.last_epoch == 7
        np.testing.assert_allclose(mine.get_last_lr(), reference.get_last_lr(), rtol=1e-12)
        got = run_schedules(ours, [mine], 15)
        expected = run_schedules(theirs, [reference], 15)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)

