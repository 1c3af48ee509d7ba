"""advice: what looks wrong in a stack's pairing with its criterion and data, and why."""
from typing import NamedTuple

from i18n import domain

from .shapes import as_shape, problem

_, ngettext = domain("lab")


class Advice(NamedTuple):
    """A suggestion and the reason behind it; blocking: the criterion cannot take the output until fixed."""

    suggestion: str
    reason: str
    blocking: bool = False

    def __str__(self):
        return f"{self.suggestion} {self.reason}"


def advice(config, inputs, n_classes, task="classification"):
    """Suggestions for a layer that cannot take its input's shape, a criterion without its output layer, a
    wrong final size, and similar slips. inputs: a feature count or a sample's shape ((1, 8, 8))."""
    kinds = [spec["kind"] for spec in config.layers]
    last = kinds[-1] if kinds else None
    found, flowing = problem(config, as_shape(inputs))
    tips = [] if found is None else [Advice(found.suggestion, found.reason, blocking=True)]
    final = None if found is not None or len(flowing[-1]) != 1 else flowing[-1][0]
    if task == "regression" and config.criterion != "MSECriterion":
        tips.append(Advice(_("Use MSECriterion for this regression data."),
                           _("{criterion} needs class labels; this dataset's targets are real numbers.").format(
                               criterion=config.criterion), blocking=True))
    if config.criterion == "NLLCriterion" and last != "LogSoftMax":
        tips.append(Advice(_("End the stack with LogSoftMax."),
                           _("NLLCriterion takes log-probabilities: loss = -mean(x[i, y_i]). Without "
                             "LogSoftMax the outputs are not log-probabilities, so the loss can go "
                             "below zero without bound.")))
    if config.criterion == "NLLCriterionUnstable" and last != "SoftMax":
        tips.append(Advice(_("End the stack with SoftMax."),
                           _("NLLCriterionUnstable takes probabilities and computes -mean(log p[i, y_i]); "
                             "it needs outputs in (0, 1] that sum to 1.")))
    if config.criterion == "MSECriterion" and last in ("SoftMax", "LogSoftMax") and task == "regression":
        tips.append(Advice(_("Remove the final {layer}.").format(layer=last),
                           _("{layer} squashes the outputs into (log-)probabilities; a regression target "
                             "is a free real number.").format(layer=last)))
    wanted = 1 if task == "regression" else n_classes
    if wanted is not None and final is not None and final != wanted:
        ends = ngettext("The network ends with {n} output", "The network ends with {n} outputs", final).format(
            n=final)
        reason = _("{ends} but the target has 1 column.").format(ends=ends) if task == "regression" else \
            ngettext("{ends} but the data has {n} class.", "{ends} but the data has {n} classes.", n_classes).format(
                ends=ends, n=n_classes)
        tips.append(Advice(ngettext("Make the last Linear output {n} unit.", "Make the last Linear output {n} units.",
                                    wanted).format(n=wanted), reason, blocking=True))
    if "Linear" not in kinds:
        tips.append(Advice(_("Add a Linear layer."), _("Without one, nothing in the network can learn "
                                                         "anything but a per-feature scale (Scaling).")))
    for i, (a, b) in enumerate(zip(kinds, kinds[1:])):
        if a in ("SoftMax", "LogSoftMax") and b != "Flatten":
            tips.append(Advice(_("Move {layer} (layer {index}) to the end.").format(layer=a, index=i),
                               _("{layer} turns scores into (log-)probabilities; layer {next} ({after}) after it "
                                 "works on probabilities, which is rarely what you want.").format(
                                   layer=a, next=i + 1, after=b)))
            break
    return tips
