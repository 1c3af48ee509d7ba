"""Your tensors beside the engine's: for each tensor of a stage, yours, the engine's and their difference."""
import numpy as np

from engine.grade.catalogue import formula_of, sentence_of, title_of
from i18n import N_, domain
from viz.grid import Tile, grid, is_vector
from viz.heatmap import as_matrix

_, ngettext = domain("viz")

TENSOR_IDS = {"output": "output", "grad_input": "grad_input"}  # a mine.npz name's last part -> the Step page's id


def label(key):
    """A reader's name for a mine.npz tensor: 'backward.0.grad.W' -> 'layer 0 ∂L/∂W'."""
    parts = key.split(".")
    if key == "loss":
        return _("loss L")
    if key == "loss_grad":
        return "∂L/∂ŷ"
    if parts[0] == "forward":
        return _("layer {index} output").format(index=parts[1])
    if parts[0] == "backward":
        return _("layer {index} {gradient}").format(
            index=parts[1], gradient="∂L/∂x" if parts[2] == "grad_input" else f"∂L/∂{parts[3]}")
    return _("layer {index} {param} after the step").format(index=parts[1], param=parts[2])


def tensor_id(key):
    """The Step page's id of the result a mine.npz tensor shows ('backward.0.grad.W' -> 'grad:W'), or None."""
    parts = key.split(".")
    if key == "loss_grad":
        return "loss_grad"
    if parts[0] in ("forward", "backward") and parts[-1] in TENSOR_IDS:
        return TENSOR_IDS[parts[-1]]
    if parts[0] == "backward" and parts[2] == "grad":
        return f"grad:{parts[3]}"
    if parts[0] == "update":
        return f"after:{parts[2]}"
    return None


def matrix_entry(array, index):
    """(row, column) in as_matrix(array) of the entry at numpy index `index`."""
    flat = int(np.ravel_multi_index(index, np.shape(array))) if np.ndim(array) else 0
    cols = as_matrix(array).shape[1]
    return flat // cols, flat % cols


WHOSE = {"yours": N_("yours"), "engine's": N_("engine's"), "yours − engine's": N_("yours − engine's")}


def comparison_figure(shown, worst):
    """One figure: per (key, yours, engine's) a row of three heatmaps; worst[key] = the entry outlined."""
    tiles = []
    for key, yours, engine in shown:
        difference = np.asarray(yours, dtype=np.float64) - np.asarray(engine, dtype=np.float64)
        marks = (("cell", *matrix_entry(yours, worst[key])),) if key in worst else ()
        strip = is_vector(np.asarray(yours))
        for who, array in (("yours", yours), ("engine's", engine), ("yours − engine's", difference)):
            title = _("{tensor}: {whose}").format(tensor=label(key), whose=_(WHOSE[who]))
            tiles.append((Tile(f"mine-{who}-{key}", title, np.asarray(array), ("row", "column"), marks),
                          strip))
    return grid(tiles)


def finding_text(finding, stage_name, first_name):
    """Markdown: which of your tensors differs where, by how much, and the catalogued mistake it equals."""
    diff, bug = finding.difference, finding.misconception
    text = _("**Your {tensor}** {difference}").format(tensor=label(finding.key), difference=diff.text)
    if diff.max_abs:
        text += " " + _("(max abs error {error})").format(error=f"{diff.max_abs:.3g}")
    if stage_name != first_name:
        text += ". " + _("Your tensors first differ at **{stage}**").format(stage=first_name)
    if bug is not None:
        return text + "\n\n" + _("**Likely: {title}.** {sentence} Correct: `{formula}`").format(
            title=title_of(bug), sentence=sentence_of(bug), formula=formula_of(bug))
    return text + (f"\n\n{diff.hint}" if diff.hint else "")
