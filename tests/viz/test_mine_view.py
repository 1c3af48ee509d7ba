"""viz.mine_view and the flagged stage strip: your tensors beside the engine's."""
import numpy as np

from engine.trace import Stage
from viz.mine_view import comparison_figure, label, matrix_entry, tensor_id
from viz.stage_strip import stage_strip


def test_labels_and_ids_name_every_kind_of_tensor():
    assert label("forward.2.output") == "layer 2 output" and tensor_id("forward.2.output") == "output"
    assert label("backward.0.grad.W") == "layer 0 ∂L/∂W" and tensor_id("backward.0.grad.W") == "grad:W"
    assert label("backward.1.grad_input") == "layer 1 ∂L/∂x" and tensor_id("backward.1.grad_input") == "grad_input"
    assert label("loss_grad") == "∂L/∂ŷ" and tensor_id("loss_grad") == "loss_grad" and tensor_id("loss") is None
    assert label("update.0.b.after") == "layer 0 b after the step" and tensor_id("update.0.b.after") == "after:b"


def test_matrix_entry_maps_numpy_indices_to_the_heatmap_cell():
    assert matrix_entry(np.zeros((3, 4)), (2, 1)) == (2, 1)
    assert matrix_entry(np.zeros(5), (3,)) == (0, 3)
    assert matrix_entry(np.zeros((2, 3, 4)), (1, 2, 3)) == (1, 11)


def test_each_tensor_gets_yours_the_engines_and_the_difference_with_the_worst_entry_outlined():
    yours, engine = np.array([[1.0, 2.0], [3.0, 4.5]]), np.array([[1.0, 2.0], [3.0, 4.0]])
    figure = comparison_figure([("forward.0.output", yours, engine)], {"forward.0.output": (1, 1)})
    titles = [a.text.replace("\xa0", " ").replace("<br>", " ") for a in figure.layout.annotations]
    assert [t.split(" (")[0] for t in titles] == ["layer 0 output: yours", "layer 0 output: engine's",
                                                   "layer 0 output: yours − engine's"]
    assert titles[2].endswith("(2, 2) · ±0.5") and titles[0].endswith("· ±4.5")  # the difference's own range
    shapes = [s for s in figure.layout.shapes]
    assert len(shapes) == 3 and {s.xref for s in shapes} == {"x", "x2", "x3"}
    assert all((s.x0, s.x1, s.y0, s.y1) == (0.5, 1.5, 0.5, 1.5) for s in shapes)


def test_the_strip_marks_the_first_differing_stage_red():
    stages = [Stage("forward", 0), Stage("loss"), Stage("backward", 0)]
    strip = stage_strip(stages, 0, flagged=stages[2])
    assert strip.endswith(":red-badge[✗ backward 0]") and strip.count("red-badge") == 1
    assert stage_strip(stages, 2, flagged=stages[2]).endswith(":red-badge[**▶ ✗ backward 0**]")
    assert "red" not in stage_strip(stages, 1)
