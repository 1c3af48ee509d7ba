"""stage_strip: every stage of the iteration as a row of badges, the current one highlighted."""

SHORT = {"forward": "F", "loss": "L", "backward": "B", "update": "U"}


def short_label(stage):
    """Stage("forward", 1) -> "forward 1"; Stage("loss") -> "loss"."""
    return str(stage)


def stage_strip(stages, current, flagged=None):
    """Streamlit markdown: done stages green, the current one orange and bold, the rest grey; the flagged
    stage (the first where the learner's own tensors differ) red with a cross."""
    badges = []
    for position, stage in enumerate(stages):
        colour = "green" if position < current else "orange" if position == current else "gray"
        label = short_label(stage)
        if stage == flagged:
            colour, label = "red", f"✗ {label}"
        text = f"**▶ {label}**" if position == current else label
        badges.append(f":{colour}-badge[{text}]")
    return " → ".join(badges)
