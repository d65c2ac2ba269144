"""tensorgrad.viz: graph drawings, training curves, gradient monitoring, surfaces, examples."""

from __future__ import annotations

import ast
import html
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from test_demo import load_example

import tensorgrad as tg
import tensorgrad.nn.functional as F
from tensorgrad.viz import _figures, graph

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# to_dot writes `n0 [label=<...>, ...];`, the graphviz package `n0 [label=<...> ...]`.
NODE = re.compile(r"^\s*n(\d+) \[label=<(.*)>[, ]", re.MULTILINE)
EDGE = re.compile(r"^\s*n(\d+) -> n(\d+);?$", re.MULTILINE)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def parse_dot(dot: str) -> tuple[dict[int, list[str]], list[tuple[int, int]]]:
    """Each node's label lines as plain text, and the edges as (from, to) node numbers."""
    labels = {
        int(number): [html.unescape(re.sub(r"<[^>]+>", "", line)) for line in label.split("<BR/>")]
        for number, label in NODE.findall(dot)
    }
    edges = [(int(a), int(b)) for a, b in EDGE.findall(dot)]
    return labels, edges


def by_title(labels: dict[int, list[str]]) -> dict[str, list[str]]:
    return {lines[0]: lines[1:] for lines in labels.values()}


def assert_png(path: Path) -> None:
    assert path.stat().st_size > 1000, path
    assert path.read_bytes()[:8] == PNG_SIGNATURE, path


def circuit() -> dict[str, tg.Tensor]:
    """The seed circuit f = (x + y) * z at x = 1, y = 3, z = -3."""
    x = tg.tensor(1.0, requires_grad=True)
    y = tg.tensor(3.0, requires_grad=True)
    z = tg.tensor(-3.0, requires_grad=True)
    p = x + y
    return {"x": x, "y": y, "z": z, "p": p, "f": p * z}


# --- to_dot: the graph's structure and labels ---------------------------------------------


def test_the_seed_circuit_has_five_nodes_four_edges_and_its_values_and_gradients() -> None:
    names = circuit()
    labels, edges = parse_dot(tg.viz.to_dot(names["f"], names=names))
    assert len(labels) == 5 and len(edges) == 4
    nodes = by_title(labels)
    assert nodes == {
        "x": ["scalar", "data 1", "grad -3"],
        "y": ["scalar", "data 3", "grad -3"],
        "z": ["scalar", "data -3", "grad 4"],
        "p = add": ["scalar", "data 4", "grad -3"],
        "f = mul": ["scalar", "data -12", "grad 1"],
    }
    # Edges run the way data flows: from the inputs to the op that consumed them.
    number = {lines[0]: n for n, lines in labels.items()}
    assert sorted(edges) == sorted([
        (number["x"], number["p = add"]), (number["y"], number["p = add"]),
        (number["p = add"], number["f = mul"]), (number["z"], number["f = mul"]),
    ])  # fmt: skip
    # Inputs are listed before the ops that read them.
    assert all(a < b for a, b in edges)


def test_to_dot_leaves_every_grad_alone_and_works_again_after_a_retained_backward() -> None:
    names = circuit()
    tg.viz.to_dot(names["f"])
    assert all(names[v].grad is None for v in "xyz")
    names["f"].backward(retain_graph=True)
    assert names["z"].grad == 4
    labels, _ = parse_dot(tg.viz.to_dot(names["f"], names=names))
    assert by_title(labels)["z"][-1] == "grad 4"
    assert names["z"].grad == 4 and names["x"].grad == -3


def test_an_accumulated_leaf_grad_is_shown_beside_the_graphs_gradient() -> None:
    names = circuit()
    names["f"].backward(retain_graph=True)
    names["f"].backward(retain_graph=True)  # .grad of z is now 8
    lines = by_title(parse_dot(tg.viz.to_dot(names["f"], names=names))[0])["z"]
    assert lines[-2:] == ["grad 4", ".grad 8 (accumulated)"]


def test_a_freed_graph_is_a_clear_error() -> None:
    names = circuit()
    names["f"].backward()
    with pytest.raises(RuntimeError, match=r"retain_graph=True"):
        tg.viz.to_dot(names["f"])
    with pytest.raises(RuntimeError, match=r"before calling backward"):
        tg.viz.draw_graph(names["f"], backend="matplotlib")


def test_the_gates_route_gradients_add_distributes_max_routes_multiply_swaps() -> None:
    x, y, z, w = (tg.tensor(v, requires_grad=True) for v in (3.0, -4.0, 2.0, -1.0))
    q, m = x * y, tg.maximum(z, w)
    s = q + m
    f = 2 * s
    nodes = by_title(parse_dot(tg.viz.to_dot(f, names=dict(x=x, y=y, z=z, w=w, s=s, f=f)))[0])
    grads = {title: lines[-1] for title, lines in nodes.items()}
    assert grads == {"x": "grad -8", "y": "grad 6", "z": "grad 2", "w": "grad 0",
                     "mul": "grad 2", "maximum": "grad 2", "s = add": "grad 2",
                     "f = mul": "grad 1"}  # fmt: skip
    assert "const 2" in nodes["f = mul"]  # a constant operand is named in its op's box


def test_values_nobody_kept_are_recomputed_when_they_can_be_and_said_missing_otherwise() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = tg.tensor([3.0, 4.0], requires_grad=True)
    added = x + y  # exp saves only its output, so nobody kept this sum
    summed = tg.exp(added).sum(axis=0)  # neg keeps nothing, and a sum cannot be rerun
    out = -summed
    nodes = by_title(parse_dot(tg.viz.to_dot(out, names={"a": added, "s": summed}))[0])
    assert "data [4, 6]" in nodes["a = add"]
    assert "data not kept" in nodes["s = sum"]
    assert f"data {-(np.exp(4) + np.exp(6)):.4g}" in nodes["neg"]


def test_non_scalar_outputs_are_seeded_with_ones_and_large_values_show_their_norm() -> None:
    x = tg.tensor(np.arange(6.0), requires_grad=True)
    nodes = by_title(parse_dot(tg.viz.to_dot(x * 3.0, names={"x": x}))[0])
    assert nodes["x"] == ["shape (6,)", f"data norm {np.linalg.norm(np.arange(6.0)):.4g}",
                          f"grad norm {np.linalg.norm(np.full(6, 3.0)):.4g}"]  # fmt: skip
    nodes = by_title(parse_dot(tg.viz.to_dot(x * 3.0, names={"x": x}, max_elements=6))[0])
    assert nodes["x"][1:] == ["data [0, 1, 2, 3, 4, 5]", "grad [3, 3, 3, 3, 3, 3]"]


def test_show_flags_dtype_and_a_tensor_without_a_graph() -> None:
    x = tg.tensor(np.ones(2, np.float32), requires_grad=True)
    nodes = by_title(parse_dot(tg.viz.to_dot(x * x, show_data=False, show_grad=False))[0])
    assert nodes == {"leaf": ["shape (2,) float32"], "mul": ["shape (2,) float32"]}
    labels, edges = parse_dot(tg.viz.to_dot(tg.tensor([1.0, 2.0])))
    assert list(labels.values()) == [["leaf (no grad)", "shape (2,)", "data [1, 2]"]]
    assert edges == []


def test_an_input_used_twice_has_two_edges_and_parameters_are_named() -> None:
    x = tg.tensor(2.0, requires_grad=True)
    labels, edges = parse_dot(tg.viz.to_dot(x * x))
    assert len(labels) == 2 and len(edges) == 2
    model = tg.nn.Linear(2, 1)
    loss = model(np.ones((3, 2))).sum()
    titles = set(by_title(parse_dot(tg.viz.to_dot(loss, names=dict(model.named_parameters())))[0]))
    assert {"weight", "bias"} <= titles
    assert "parameter" in by_title(parse_dot(tg.viz.to_dot(loss))[0])


def test_a_large_graph_is_capped_and_says_so() -> None:
    x = tg.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100):
        y = y * 1.01
    dot = tg.viz.to_dot(y, max_nodes=10)
    labels, edges = parse_dot(dot)
    assert len(labels) == 11  # ten nodes and one box for the rest
    assert by_title(labels)["... 91 more nodes"] == []
    assert len(edges) == 10  # nine among the ten shown, one from the box
    assert 'label="showing the 10 nodes nearest the output, of 101"' in dot
    full = parse_dot(tg.viz.to_dot(y, max_nodes=1000))
    assert len(full[0]) == 101 and len(full[1]) == 100


def test_a_long_chain_is_walked_without_recursion() -> None:
    x = tg.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y + 1.0  # add keeps nothing: values would be recomputed all the way back
    labels, _ = parse_dot(tg.viz.to_dot(y, max_nodes=5))
    assert len(labels) == 6
    assert by_title(labels)["add"][1] == "data 5001"


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match="expected a Tensor"):
        tg.viz.to_dot(np.ones(2))
    with pytest.raises(ValueError, match="max_nodes"):
        tg.viz.to_dot(tg.tensor(1.0), max_nodes=0)
    with pytest.raises(ValueError, match="unknown backend"):
        tg.viz.draw_graph(tg.tensor(1.0), backend="svg")


def test_each_graph_function_names_itself_in_its_errors() -> None:
    x = tg.tensor(1.0, requires_grad=True)
    for function in (tg.viz.to_dot, tg.viz.draw_graph):
        name = function.__name__
        with pytest.raises(TypeError, match=rf"^{name}: expected a Tensor .* got ndarray"):
            function(np.ones(2))
        with pytest.raises(ValueError, match=rf"^{name}: max_nodes must be at least 1, got 0"):
            function(x * 2, max_nodes=0)
        freed = x * 2
        freed.backward()
        with pytest.raises(RuntimeError, match=rf"^{name}: the graph was freed"):
            function(freed)


def test_names_take_only_tensors_and_say_which_entry_is_wrong() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    for function in (tg.viz.to_dot, tg.viz.draw_graph):
        with pytest.raises(TypeError, match=rf"{function.__name__}: names\['a'\] is a ndarray, "
                                            "not a Tensor"):  # fmt: skip
            function((x * 2).sum(), names={"x": x, "a": np.ones(2)})
    with pytest.raises(TypeError, match="names must be a mapping"):
        tg.viz.to_dot(x * 2, names=[x])


def test_after_an_in_place_edit_the_graph_is_drawn_without_gradients_and_says_why(
    tmp_path: Path,
) -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    w = tg.tensor([3.0, 4.0], requires_grad=True)
    y = (x * w).sum()
    w.data = np.array([5.0, 6.0])  # mul saved w for its backward
    dot = tg.viz.to_dot(y, names={"x": x, "w": w, "y": y})
    assert re.search(r'label="gradients not shown: mul: input 1 \(shape \(2,\)\) was '
                     r'modified in place after the op saved it for backward"', dot)  # fmt: skip
    nodes = by_title(parse_dot(dot)[0])
    assert not any(line.startswith("grad") for lines in nodes.values() for line in lines)
    # Forward values as the forward saw them: mul is recomputed from what it saved.
    assert nodes["mul"] == ["shape (2,)", "data [3, 8]"] and nodes["y = sum"][-1] == "data 11"
    assert x.grad is None and w.grad is None
    fig = tg.viz.draw_graph(y, backend="matplotlib", path=tmp_path / "edited.png")
    assert any(t.get_text().startswith("gradients not shown: mul") for t in fig.axes[0].texts)
    assert_png(tmp_path / "edited.png")
    with pytest.raises(RuntimeError, match="modified in place"):  # the engine still refuses
        y.backward()


def test_constant_operands_are_shown_when_kept_and_said_missing_when_not() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    out = tg.where(np.array([True, False]), x * np.array([5.0, 6.0]) + 1.0, 0.0)
    out = tg.clip(out, 0.0, 3.0).reshape(2, 1).sum(axis=0)
    nodes = by_title(parse_dot(tg.viz.to_dot(out))[0])
    assert nodes["mul"][-2] == "const [5, 6]"  # mul saves its inputs for backward
    assert nodes["add"][-2] == "constant not kept"  # add needs none, so it keeps none
    assert nodes["where"][-3:-1] == ["const [True, False]", "constant not kept"]  # cond kept
    assert nodes["clip"][-2] == "2 constants not kept"
    # How an op is applied (shape, axis) is no operand: the box's shape shows it.
    assert not any("const" in line for line in nodes["reshape"] + nodes["sum"])
    # With show_data=False no box shows values, constant or not.
    bare = by_title(parse_dot(tg.viz.to_dot(out, show_data=False, show_grad=False))[0])
    assert not any("const" in line for lines in bare.values() for line in lines)


# --- draw_graph ---------------------------------------------------------------------------


def test_draw_graph_with_matplotlib_draws_a_box_per_node_and_an_arrow_per_edge(
    tmp_path: Path,
) -> None:
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    names = circuit()
    path = tmp_path / "graph.png"
    fig = tg.viz.draw_graph(names["f"], names=names, backend="matplotlib", path=path,
                            title="f = (x + y) * z")  # fmt: skip
    (ax,) = fig.axes
    assert sum(isinstance(p, FancyBboxPatch) for p in ax.patches) == 5
    assert sum(isinstance(p, FancyArrowPatch) for p in ax.patches) == 4
    texts = {t.get_text() for t in ax.texts}
    assert {"f = (x + y) * z", "p = add", "data 4", "data -12", "grad -3", "grad 4"} <= texts
    assert_png(path)


def test_draw_graph_with_matplotlib_draws_a_capped_graph(tmp_path: Path) -> None:
    tg.manual_seed(0)
    model = tg.nn.MLP([2, 8, 8, 3])
    loss = F.cross_entropy(model(np.ones((4, 2))), np.array([0, 1, 2, 1]))
    fig = tg.viz.draw_graph(loss, max_nodes=8, backend="matplotlib", path=tmp_path / "big.svg")
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert any(text.startswith("showing the 8 nodes nearest the output") for text in texts)
    assert (tmp_path / "big.svg").read_text().lstrip().startswith("<?xml")


@pytest.mark.skipif(not graph.graphviz_available(),
                    reason="needs the graphviz package and Graphviz's dot program")  # fmt: skip
def test_draw_graph_with_graphviz_gives_a_digraph_that_renders(tmp_path: Path) -> None:
    import graphviz

    names = circuit()
    path = tmp_path / "graph.png"
    digraph = tg.viz.draw_graph(names["f"], names=names, path=path)
    assert isinstance(digraph, graphviz.Digraph)
    labels, edges = parse_dot(digraph.source)
    assert len(labels) == 5 and len(edges) == 4
    assert_png(path)
    assert not path.with_suffix(".gv").exists()  # the intermediate source is cleaned up
    assert digraph.pipe(format="svg").startswith(b"<?xml")


@pytest.mark.parametrize("backend", ["auto", "matplotlib"])
def test_draw_graph_saves_to_a_path_given_second(tmp_path: Path, backend: str) -> None:
    path = tmp_path / "g.png"
    tg.viz.draw_graph(circuit()["f"], path, backend=backend)
    assert_png(path)


@pytest.mark.parametrize(
    "plot, data",
    [
        (tg.viz.draw_graph, lambda: [circuit()["f"], None]),
        (tg.viz.to_dot, lambda: [circuit()["f"]]),
        (tg.viz.plot_history, lambda: [{"loss": [1.0, 0.5]}, None]),
        (tg.viz.plot_loss_surface, lambda: [lambda a, b: a * a + b * b, (-1, 1), (-1, 1)]),
        (tg.viz.plot_decision_boundary, lambda: [lambda X: X, np.eye(2), [0, 1], None, None]),
    ],
)
def test_options_after_the_data_and_the_path_are_keywords_only(plot, data) -> None:
    # A string in an option's place (draw_graph(c, "g.png", ...) once landed in show_data
    # and wrote nothing) is refused rather than silently misread.
    with pytest.raises(TypeError, match="positional argument"):
        plot(*data(), "g.png")


def test_draw_graph_falls_back_to_matplotlib_without_graphviz(monkeypatch) -> None:
    monkeypatch.setattr(graph, "graphviz_available", lambda: False)
    fig = tg.viz.draw_graph(circuit()["f"])
    assert isinstance(fig, matplotlib.figure.Figure)
    with pytest.raises(ImportError, match=r"pip install tensorgrad\[plot\]"):
        tg.viz.draw_graph(circuit()["f"], backend="graphviz")


# --- the read API that viz draws nodes through --------------------------------------------


def test_a_node_has_one_parent_per_operand_and_a_creation_number_after_its_inputs() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    c = tg.tensor([3.0, 4.0])  # needs no gradient, so it is no parent
    y = x * c
    joined = tg.concatenate([x, y, x])
    assert y.grad_fn.arity == 2
    assert y.grad_fn.parents[0] is x and y.grad_fn.parents[1] is None
    assert joined.grad_fn.arity == 3
    assert [p.grad_fn or p for p in (x, y, x)] == list(joined.grad_fn.parents)
    assert joined.grad_fn.creation_number > y.grad_fn.creation_number
    with pytest.raises(AttributeError):
        y.grad_fn.creation_number = 0  # the read API is read-only


def test_a_node_shows_what_it_kept_for_backward_until_backward_frees_it() -> None:
    x = tg.tensor([-1.0, 2.0], requires_grad=True)
    scaled = x * 3.0  # mul keeps its operands, as forward saw them
    shifted = scaled + 1.0  # add keeps nothing
    grown = shifted.exp()  # exp keeps its output
    clipped = grown.relu()  # relu keeps a mask
    np.testing.assert_array_equal(scaled.grad_fn.saved_inputs[0], x.data)
    assert scaled.grad_fn.saved_inputs[1] == 3.0
    assert shifted.grad_fn.saved_inputs is None and shifted.grad_fn.saved_output is None
    assert shifted.grad_fn.constants == {}
    np.testing.assert_array_equal(grown.grad_fn.saved_output, grown.data)
    np.testing.assert_array_equal(clipped.grad_fn.constants["mask"], [True, True])
    clipped.sum().backward()
    for node in (scaled.grad_fn, grown.grad_fn, clipped.grad_fn):
        assert node.parents is None and not node.can_recompute
        assert node.saved_inputs is None and node.saved_output is None and node.constants == {}
    with pytest.raises(RuntimeError, match=r"^mul: backward\(\) freed this node"):
        _ = scaled.grad_fn.arity


def test_recompute_runs_the_forward_again_without_touching_the_nodes_constants() -> None:
    x = tg.tensor([-1.0, 2.0], requires_grad=True)
    shifted = x + 1.0
    clipped = shifted.relu()
    node = clipped.grad_fn
    np.testing.assert_array_equal(shifted.grad_fn.recompute([x.data, 1.0]), shifted.data)
    np.testing.assert_array_equal(node.recompute([np.array([5.0, -5.0])]), [5.0, 0.0])
    np.testing.assert_array_equal(node.constants["mask"], [False, True])  # still its own
    with pytest.raises(ValueError, match="one value per operand, 1, got 2"):
        node.recompute([x.data, x.data])
    joined = tg.concatenate([x, x])  # its forward takes the axis by keyword
    assert not joined.grad_fn.can_recompute
    with pytest.raises(ValueError, match="^concatenate: its forward cannot be run again"):
        joined.grad_fn.recompute([x.data, x.data])


VIZ = Path(tg.viz.__file__).parent
GRAPH_MODULES = ("graph", "_graph_model", "_dot", "_layered")


def sibling_imports(module: str) -> set[str]:
    """The modules of tensorgrad.viz that ``module`` imports."""
    tree = ast.parse((VIZ / f"{module}.py").read_text())
    return {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module
    }


def test_the_renderers_import_the_graph_model_and_not_each_other() -> None:
    imports = {module: sibling_imports(module) & set(GRAPH_MODULES) for module in GRAPH_MODULES}
    assert imports == {
        "graph": {"_graph_model", "_dot", "_layered"},
        "_graph_model": set(),
        "_dot": {"_graph_model"},
        "_layered": {"_graph_model"},
    }


def test_the_graph_modules_read_no_private_field_of_the_engine() -> None:
    # The one exception: run_backward(inputs=) takes tensors, and a node's own tensor
    # may be gone, so the model stands one in for it to capture d output / d node.
    allowed = {"_from_node"}
    for module in GRAPH_MODULES:
        tree = ast.parse((VIZ / f"{module}.py").read_text())
        read = {
            node.attr
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute)
            and not (isinstance(node.value, ast.Name) and node.value.id == "self")
        }
        private = {name for name in read if name.startswith("_") and not name.startswith("__")}
        assert private <= allowed, f"{module}.py reads {sorted(private - allowed)}"
        assert "spec" not in read, f"{module}.py reads the op's spec, not the node's read API"


# --- matplotlib stays optional -------------------------------------------------------------


def test_import_tensorgrad_and_to_dot_do_not_import_matplotlib() -> None:
    code = (
        "import sys, tensorgrad as tg\n"
        "x = tg.tensor(1.0, requires_grad=True)\n"
        "tg.viz.to_dot(x * 2); tg.viz.History().append(loss=1.0)\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_missing_matplotlib_is_an_import_error_that_says_how_to_install_it(
    monkeypatch,
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install tensorgrad\[plot\]"):
        _figures.pyplot()
    with pytest.raises(ImportError, match=r"pip install tensorgrad\[plot\]"):
        tg.viz.plot_history({"loss": [1.0, 0.5]})


# --- History and plot_history --------------------------------------------------------------


def test_history_records_metrics_at_their_own_steps() -> None:
    history = tg.viz.History()
    history.append(train_loss=tg.tensor(2.0))
    history.append(train_loss=np.float32(1.5))
    history.append(5, train_loss=1.0, test_acc=0.5)
    history.append(test_acc=0.75)
    assert history["train_loss"] == [2.0, 1.5, 1.0]
    assert history.steps("train_loss") == [1, 2, 5]
    assert history.steps("test_acc") == [5, 6]
    assert list(history) == ["train_loss", "test_acc"] and len(history) == 2
    assert "test_acc" in history and "loss" not in history
    assert dict(history) == {"train_loss": [2.0, 1.5, 1.0], "test_acc": [0.5, 0.75]}
    history["train_loss"].append(0.0)  # a copy: the record is not changed
    assert len(history["train_loss"]) == 3
    assert repr(history) == "History(train_loss: 3 values, last 1; test_acc: 2 values, last 0.75)"


def test_history_refuses_unknown_names_non_numbers_and_empty_appends() -> None:
    history = tg.viz.History()
    history.append(loss=1.0)
    with pytest.raises(KeyError, match=r"no metric 'acc'; recorded: \['loss'\]"):
        history["acc"]
    with pytest.raises(KeyError, match="no metric"):
        history.steps("acc")
    with pytest.raises(TypeError, match="loss must be a number"):
        history.append(loss="low")
    with pytest.raises(ValueError, match="at least one metric"):
        history.append(3)


def run() -> tg.viz.History:
    history = tg.viz.History()
    for epoch in range(1, 11):
        history.append(epoch, train_loss=1 / epoch, val_loss=1.5 / epoch, val_acc=1 - 1 / epoch,
                       lr=0.1)  # fmt: skip
    return history


def test_plot_history_puts_the_splits_of_a_metric_in_one_panel(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "history.png"
    fig = tg.viz.plot_history(run(), path, title="run")
    loss, acc, lr = fig.axes
    assert [len(ax.lines) for ax in fig.axes] == [2, 1, 1]
    assert [line.get_label() for line in loss.lines] == ["train", "val"]
    assert (loss.get_title(), acc.get_title(), lr.get_title()) == (
        "Loss", "Accuracy", "Learning rate")  # fmt: skip
    assert loss.get_xlabel() == "epoch" and loss.get_ylabel() == "loss"
    assert loss.get_yscale() == "linear"
    np.testing.assert_allclose(loss.lines[1].get_ydata(), 1.5 / np.arange(1, 11))
    assert fig._suptitle.get_text() == "run"
    assert_png(path)


def test_plot_history_smooths_and_uses_a_log_scale_where_asked(tmp_path: Path) -> None:
    fig = tg.viz.plot_history(run(), smooth=0.5, logy=True, xlabel="step")
    loss, acc, lr = fig.axes
    assert [len(ax.lines) for ax in fig.axes] == [4, 2, 2]  # raw (faint) and smoothed
    assert (loss.get_yscale(), acc.get_yscale()) == ("log", "linear")
    raw, smooth = loss.lines[0].get_ydata(), loss.lines[1].get_ydata()
    # A debiased moving average starts at the first value and lags behind a falling curve.
    assert smooth[0] == raw[0] and (smooth[1:] > raw[1:]).all()
    assert loss.get_xlabel() == "step"
    fig = tg.viz.plot_history(run(), logy=["lr"], metrics=["lr", "val_acc"])
    assert [ax.get_yscale() for ax in fig.axes] == ["log", "linear"]


def test_plot_history_takes_a_plain_mapping_and_checks_its_arguments() -> None:
    fig = tg.viz.plot_history({"loss": [3.0, 2.0, 1.0], "test_loss": [3.5, 2.5, 2.0]})
    (ax,) = [ax for ax in fig.axes if ax.get_visible()]
    assert list(ax.lines[0].get_xdata()) == [1, 2, 3]
    with pytest.raises(ValueError, match="smooth"):
        tg.viz.plot_history(run(), smooth=1.0)
    with pytest.raises(KeyError, match="no metric 'acc'"):
        tg.viz.plot_history(run(), metrics=["acc"])
    with pytest.raises(ValueError, match="no metric yet"):
        tg.viz.plot_history(tg.viz.History())


def test_plot_history_takes_one_name_for_metrics_and_logy_and_rejects_unknown_names() -> None:
    fig = tg.viz.plot_history(run(), metrics="train_loss")
    (ax,) = [ax for ax in fig.axes if ax.get_visible()]
    assert [line.get_label() for line in ax.lines] == ["train"]
    fig = tg.viz.plot_history(run(), logy="loss")
    assert [ax.get_yscale() for ax in fig.axes] == ["log", "linear", "linear"]
    fig = tg.viz.plot_history(run(), logy="val_acc")  # a metric stands for its panel
    assert [ax.get_yscale() for ax in fig.axes] == ["linear", "log", "linear"]
    recorded = re.escape(str(list(run())))
    with pytest.raises(KeyError, match=rf"plot_history: no metric 't'.*{recorded}"):
        tg.viz.plot_history(run(), metrics=["t"])
    with pytest.raises(ValueError, match=rf"metrics is empty; choose from {recorded}"):
        tg.viz.plot_history(run(), metrics=[])
    with pytest.raises(ValueError, match=r"plot_history: logy names 'los', which is not drawn; "
                                         r"the panels are \['loss', 'acc', 'lr'\]"):  # fmt: skip
        tg.viz.plot_history(run(), logy="los")
    with pytest.raises(ValueError, match="logy names 'lr'"):  # not among the metrics drawn
        tg.viz.plot_history(run(), logy=["lr"], metrics=["train_loss"])
    with pytest.raises(TypeError, match="plot_history: metrics must hold metric names"):
        tg.viz.plot_history(run(), metrics=[1])


# --- GradientMonitor -----------------------------------------------------------------------


def test_gradient_monitor_numbers_equal_norms_computed_by_hand(tmp_path: Path) -> None:
    tg.manual_seed(0)
    model = tg.nn.MLP([3, 5, 4, 2])
    optimizer = tg.optim.SGD(model.parameters(), lr=0.1)
    monitor = tg.viz.GradientMonitor(model)
    assert monitor.names == ["0", "2", "4"]
    assert monitor.labels["2"] == "2: Linear(5->4)"
    X = np.random.default_rng(0).normal(size=(8, 3))
    for step in range(3):
        before = {name: [p.data.copy() for p in model[int(name)].parameters()]
                  for name in monitor.names}  # fmt: skip
        loss = F.cross_entropy(model(X), np.arange(8) % 2)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        norms = monitor.record()
        for name in monitor.names:
            layer = model[int(name)]
            grad = np.sqrt(sum((p.grad**2).sum() for p in layer.parameters()))
            weight = np.sqrt(sum((p.data**2).sum() for p in layer.parameters()))
            moved = np.sqrt(sum(((p.data - b) ** 2).sum()
                                for p, b in zip(layer.parameters(), before[name])))  # fmt: skip
            assert norms[name] == pytest.approx(grad)
            assert monitor.grad_norms[name][step] == pytest.approx(grad)
            assert monitor.weight_norms[name][step] == pytest.approx(weight)
            assert monitor.update_ratios[name][step] == pytest.approx(moved / weight)
            # Plain SGD moves the weights by lr times the gradient.
            assert moved == pytest.approx(0.1 * grad)
    assert monitor.steps == [1, 2, 3]
    assert monitor.summary()["0"] == pytest.approx(np.median(monitor.grad_norms["0"]))
    assert repr(monitor) == "GradientMonitor(3 layers, 3 records)"

    path = tmp_path / "monitor.png"
    fig = monitor.plot(path, title="three layers")
    over_time, ratios, by_depth = fig.axes
    assert [len(ax.lines) for ax in fig.axes] == [3, 4, 2]  # + the 1e-3 line; step 1 and 3
    assert all(ax.get_yscale() == "log" for ax in fig.axes)
    assert over_time.get_xlabel() == "step" and by_depth.get_xlabel().startswith("layer")
    np.testing.assert_allclose(over_time.lines[0].get_ydata(), monitor.grad_norms["0"])
    assert_png(path)


def test_gradient_monitor_per_parameter_and_missing_gradients() -> None:
    w = tg.tensor([3.0, 4.0], requires_grad=True)
    b = tg.tensor([0.0], requires_grad=True)
    monitor = tg.viz.GradientMonitor([("w", w), ("b", b)], by="parameter")
    assert monitor.names == ["w", "b"]
    norms = monitor.record(step=10)
    assert np.isnan(norms["w"]) and np.isnan(monitor.update_ratios["b"][0])  # no grad, |b| = 0
    assert monitor.update_ratios["w"] == [0.0] and monitor.steps == [10]
    fig = monitor.plot()
    assert len(fig.axes[2].lines) == 1
    with pytest.raises(ValueError, match="by must be"):
        tg.viz.GradientMonitor({"w": w}, by="module")
    with pytest.raises(ValueError, match="no parameters"):
        tg.viz.GradientMonitor({})
    with pytest.raises(TypeError, match="not a Tensor"):
        tg.viz.GradientMonitor({"w": np.ones(2)})
    with pytest.raises(RuntimeError, match="nothing recorded"):
        tg.viz.GradientMonitor({"w": w}).plot()


def test_gradient_monitor_refuses_bare_parameters_and_says_what_to_pass() -> None:
    model = tg.nn.MLP([2, 3, 1])
    fix = r"pass the model itself \(a Module\) or model.named_parameters\(\)"
    bare = r"GradientMonitor: got a bare Tensor \(shape \(2, 3\)\).*model.parameters\(\) gives"
    with pytest.raises(TypeError, match=rf"{bare} no names.*{fix}"):
        tg.viz.GradientMonitor(model.parameters())
    with pytest.raises(TypeError, match=rf"got one Tensor of shape \(3, 1\).*{fix}"):
        tg.viz.GradientMonitor(model[2].weight)
    with pytest.raises(TypeError, match=rf"GradientMonitor: got a int; {fix}"):
        tg.viz.GradientMonitor(3)
    with pytest.raises(TypeError, match=rf"expected \(name, parameter\) pairs, got a list; {fix}"):
        tg.viz.GradientMonitor([[model[0].weight]])
    with pytest.raises(TypeError, match="parameter names must be strings, got 0"):
        tg.viz.GradientMonitor({0: model[0].weight})
    assert tg.viz.GradientMonitor(model.named_parameters()).names == ["0", "2"]


# --- plot_loss_surface and plot_decision_boundary ------------------------------------------


def bowl(a, b):
    return (a - 1) ** 2 + 2 * (b + 0.5) ** 2


def test_plot_loss_surface_draws_a_contour_map_and_a_surface(tmp_path: Path) -> None:
    path = tmp_path / "surface.png"
    fig = tg.viz.plot_loss_surface(bowl, (-2, 3), (-2, 1), resolution=21, vectorized=True,
                                   trajectory=[[-2, -2], [0, -1], [1, -0.5]], title="bowl",
                                   path=path)  # fmt: skip
    contour, surface, colorbar = fig.axes
    assert (contour.name, surface.name) == ("rectilinear", "3d")
    assert colorbar.get_ylabel() == "loss"
    lowest, trajectory, start = contour.lines
    assert (lowest.get_xdata()[0], lowest.get_ydata()[0]) == (1.0, -0.5)  # on the grid
    assert list(trajectory.get_xdata()) == [-2, 0, 1]
    assert len(surface.collections) == 1
    assert (contour.get_xlabel(), contour.get_ylabel(), surface.get_zlabel()) == (
        "w1", "w2", "loss")  # fmt: skip
    assert_png(path)


def test_plot_loss_surface_calls_a_scalar_loss_once_per_point_and_draws_into_given_axes() -> None:
    calls = []

    def loss(a, b):
        calls.append((a, b))
        return tg.tensor(bowl(a, b))

    fig = tg.viz.plot_loss_surface(loss, (-2, 3), [-1.0, -0.5, 0.0], resolution=6, kind="contour")
    assert len(calls) == 6 * 3
    assert fig.axes[0].lines[0].get_ydata()[0] == -0.5
    figure = plt.figure()
    ax = figure.add_subplot(projection="3d")
    assert tg.viz.plot_loss_surface(bowl, (-1, 1), (-1, 1), resolution=5, kind="surface",
                                    vectorized=True, axes=[ax], title="t") is figure  # fmt: skip
    assert ax.get_title() == "t"
    with pytest.raises(ValueError, match="unknown kind"):
        tg.viz.plot_loss_surface(bowl, (0, 1), (0, 1), kind="wireframe")
    with pytest.raises(ValueError, match="grid's shape"):
        tg.viz.plot_loss_surface(lambda a, b: 1.0, (0, 1), (0, 1), vectorized=True)
    with pytest.raises(ValueError, match="draws into 2 axes"):
        tg.viz.plot_loss_surface(bowl, (0, 1), (0, 1), vectorized=True, axes=[ax])
    with pytest.raises(ValueError, match="w1_range"):
        tg.viz.plot_loss_surface(bowl, (0,), (0, 1))


def test_plot_loss_surface_names_itself_and_the_fix_for_bad_losses_and_arguments() -> None:
    nan = float("nan")
    everywhere = r"the loss was NaN everywhere on the grid \(w1 from -1 to 1, w2 from 0 to 2\)"
    with pytest.raises(ValueError, match=f"plot_loss_surface: {everywhere}"):
        tg.viz.plot_loss_surface(lambda a, b: nan, (-1, 1), (0, 2), resolution=5)
    with pytest.raises(ValueError, match="NaN everywhere"):
        tg.viz.plot_loss_surface(lambda a, b: a * nan, (-1, 1), (0, 2), resolution=5,
                                 vectorized=True, kind="surface")  # fmt: skip
    with pytest.raises(ValueError, match=r"plot_loss_surface: loss_fn\(-1, 0\) returned shape "
                                         r"\(2,\).*vectorized=True"):  # fmt: skip
        tg.viz.plot_loss_surface(lambda a, b: tg.tensor([a, b]), (-1, 1), (0, 2), resolution=5)
    with pytest.raises(TypeError, match=r"loss_fn\(-1, 0\) returned a NoneType"):
        tg.viz.plot_loss_surface(lambda a, b: None, (-1, 1), (0, 2), resolution=5)
    with pytest.raises(ValueError, match=r"plot_loss_surface: trajectory must be shape \(steps, "
                                         r"2\).*got shape \(2,\)"):  # fmt: skip
        tg.viz.plot_loss_surface(bowl, (-1, 1), (-1, 1), resolution=5, trajectory=[0.0, 0.0])
    with pytest.raises(ValueError, match=r"got shape \(0,\)"):
        tg.viz.plot_loss_surface(bowl, (-1, 1), (-1, 1), resolution=5, trajectory=[])
    with pytest.raises(ValueError, match=r"plot_loss_surface: resolution must be at least 2 "
                                         r"\(grid points per axis\), got 1"):  # fmt: skip
        tg.viz.plot_loss_surface(bowl, (-1, 1), (-1, 1), resolution=1)
    with pytest.raises(TypeError, match="plot_loss_surface: resolution must be an int"):
        tg.viz.plot_loss_surface(bowl, (-1, 1), (-1, 1), resolution=5.5)
    # A loss one element long, and a trajectory of tensors, are fine.
    path = [tg.tensor([0.0, 0.0]), tg.tensor([0.5, 0.1])]
    fig = tg.viz.plot_loss_surface(lambda a, b: tg.tensor([bowl(a, b)]), (-1, 1), (-1, 1),
                                   resolution=3, kind="contour", trajectory=path)  # fmt: skip
    assert list(fig.axes[0].lines[1].get_xdata()) == [0.0, 0.5]


def test_plot_decision_boundary_colours_the_classes_and_restores_training_mode(
    tmp_path: Path,
) -> None:
    X, y = tg.data.make_moons(60, rng=0)
    tg.manual_seed(0)
    model = tg.nn.Sequential(tg.nn.Linear(2, 16), tg.nn.ReLU(), tg.nn.Dropout(0.5),
                             tg.nn.Linear(16, 2))  # fmt: skip
    path = tmp_path / "boundary.png"
    fig = tg.viz.plot_decision_boundary(model, X, y, resolution=40, path=path)
    assert model.training  # switched to eval for the drawing, then back
    (ax,) = [a for a in fig.axes]
    with tg.no_grad():
        model.eval()
        accuracy = (model(X).data.argmax(axis=1) == y).mean()
    assert ax.get_title() == f"Decision boundary (accuracy {100 * accuracy:.1f}%)"
    assert [c.get_label() for c in ax.collections if c.get_label().startswith("class")] == [
        "class 0", "class 1"]  # fmt: skip
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x1", "x2")
    assert_png(path)


def test_plot_decision_boundary_with_test_points_and_a_binary_logit() -> None:
    X = np.array([[-1.0, 0.0], [-2.0, 1.0], [1.0, 0.0], [2.0, -1.0]])
    y = np.array([0, 0, 1, 1])
    fig = tg.viz.plot_decision_boundary(lambda p: p[:, :1] - 1.5, X, y, X[:2], y[:2],
                                        resolution=20)  # fmt: skip
    ax = fig.axes[0]
    assert ax.get_title() == "Decision boundary (training accuracy 75.0%, test accuracy 100.0%)"
    labels = [c.get_label() for c in ax.collections if c.get_label().startswith("class")]
    assert labels == ["class 0 (training)", "class 1 (training)", "class 0 (test)"]
    with pytest.raises(ValueError, match="both X_test and y_test"):
        tg.viz.plot_decision_boundary(lambda p: p[:, 0], X, y, X_test=X)
    with pytest.raises(ValueError, match=r"must be \(n, 2\)"):
        tg.viz.plot_decision_boundary(lambda p: p[:, 0], np.ones((4, 3)), y)


def test_plot_decision_boundary_wants_integer_class_labels() -> None:
    def model(points):
        return points[:, 0]

    X = np.array([[-1.0, 0.0], [-2.0, 1.0], [1.0, 0.0], [2.0, -1.0]])
    fig = tg.viz.plot_decision_boundary(model, X, np.array([0.0, 0.0, 1.0, 1.0]), resolution=5)
    assert fig.axes[0].get_title() == "Decision boundary (accuracy 100.0%)"  # whole floats
    with pytest.raises(ValueError, match=r"plot_decision_boundary: classes must be integer class "
                                         r"labels \(0, 1, ...\), got 0.7"):  # fmt: skip
        tg.viz.plot_decision_boundary(model, X, np.array([0.0, 0.7, 1.0, 1.0]))
    with pytest.raises(ValueError, match="got nan"):
        tg.viz.plot_decision_boundary(model, X, np.array([0.0, np.nan, 1.0, 1.0]))
    with pytest.raises(ValueError, match=r"integer class labels.*got 0.5"):  # held-out points too
        tg.viz.plot_decision_boundary(model, X, [0, 0, 1, 1], X[:1], np.array([0.5]))
    with pytest.raises(TypeError, match="integer class labels, got dtype <U1"):
        tg.viz.plot_decision_boundary(model, X, np.array(list("aabb")))
    with pytest.raises(IndexError, match="class labels must be 0 or more, got -1"):
        tg.viz.plot_decision_boundary(model, X, np.array([0, -1, 1, 1]))
    with pytest.raises(ValueError, match="plot_decision_boundary: resolution must be at least 2"):
        tg.viz.plot_decision_boundary(model, X, [0, 0, 1, 1], resolution=1)


# --- the examples --------------------------------------------------------------------------


def test_computational_graph_example_shows_the_circuits_values_and_gradients(
    tmp_path: Path,
) -> None:
    result = load_example("computational_graph").main(tmp_path, quiet=True)
    assert result["circuit"] == {"p": 4, "f": -12, "x": -3, "y": -3, "z": 4}
    assert result["gates"] == {"x": -8, "y": 6, "z": 2, "w": 0}
    assert [p.name for p in result["paths"]] == ["circuit.png", "circuit.dot", "gates.png",
                                                 "gates.dot"]  # fmt: skip
    assert_png(tmp_path / "circuit.png")
    assert "data -12" in (tmp_path / "circuit.dot").read_text()


def test_vanishing_gradients_example_shows_the_sigmoid_nets_first_layer_starved(
    tmp_path: Path,
) -> None:
    result = load_example("vanishing_gradients").main(steps=5, out=tmp_path, quiet=True)
    ratios = result["ratios"]
    assert ratios["sigmoid_he"] < 1e-3 and ratios["sigmoid_glorot"] < 1e-3
    assert ratios["relu_he"] > 0.05 and ratios["tanh_glorot"] > 0.05
    assert len(result["plots"]) == 5
    for path in result["plots"]:
        assert_png(path)


def test_loss_surface_example_finds_both_losses_non_convex(tmp_path: Path) -> None:
    result = load_example("loss_surface").main(tmp_path, resolution=31, quiet=True)
    assert all(0.2 < f < 0.95 for f in result["non_convex_fraction"].values())
    # From a confidently wrong start, squared error stalls on its plateau; cross-entropy not.
    assert result["final_loss"]["squared error"] > 0.9
    assert result["final_loss"]["cross-entropy"] < 0.2
    assert_png(result["plots"][0])
