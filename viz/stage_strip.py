"""stage_strip: every stage of the iteration as a row of badges, the current one highlighted."""
from i18n import N_, domain

_, ngettext = domain("viz")

SHORT = {"forward": "F", "loss": "L", "backward": "B", "update": "U"}
KINDS = {"forward": N_("forward {index}"), "backward": N_("backward {index}"), "update": N_("update {index}"),
         "loss": N_("loss")}


def short_label(stage):
    """Stage("forward", 1) -> "forward 1"; Stage("loss") -> "loss": the stage's name in code (lab's jump_to
    reads it), the same in every language."""
    return str(stage)


def stage_name(stage):
    """short_label for a reader, in the current language: "forward 1" (Russian "прямой 1"); a stage of no
    known kind keeps its short_label."""
    kind = KINDS.get(getattr(stage, "kind", None))
    return short_label(stage) if kind is None else _(kind).format(index=stage.index)


def stage_names(stages):
    """{short_label: stage_name} of stages: a widget's format_func, its values the labels lab reads."""
    return {short_label(stage): stage_name(stage) for stage in stages}


def stage_strip(stages, current, flagged=None):
    """Streamlit markdown: done stages green, the current one orange and bold, the rest grey; the flagged
    stage (the first where the learner's own tensors differ) red with a cross."""
    badges = []
    for position, stage in enumerate(stages):
        colour = "green" if position < current else "orange" if position == current else "gray"
        label = stage_name(stage)
        if stage == flagged:
            colour, label = "red", f"✗ {label}"
        text = f"**▶ {label}**" if position == current else label
        badges.append(f":{colour}-badge[{text}]")
    return " → ".join(badges)
