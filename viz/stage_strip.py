"""stage_strip: every stage of the iteration as a row of badges, the current one highlighted."""

SHORT = {"forward": "F", "loss": "L", "backward": "B", "update": "U"}


def short_label(stage):
    """Stage("forward", 1) -> "forward 1"; Stage("loss") -> "loss"."""
    return str(stage)


def stage_strip(stages, current):
    """Streamlit markdown: done stages green, the current one orange and bold, the rest grey."""
    badges = []
    for position, stage in enumerate(stages):
        colour = "green" if position < current else "orange" if position == current else "gray"
        text = f"**▶ {short_label(stage)}**" if position == current else short_label(stage)
        badges.append(f":{colour}-badge[{text}]")
    return " → ".join(badges)
