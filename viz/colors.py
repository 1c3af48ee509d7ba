"""colors: one colour per activation, the same in every figure of the app (Okabe-Ito, colour-blind safe)."""

ACTIVATION_COLORS = {
    "ReLU": "#0072B2",       # blue
    "LeakyReLU": "#E69F00",  # orange
    "ELU": "#009E73",        # bluish green
    "SoftPlus": "#CC79A7",   # reddish purple
}
OTHER_COLOR = "#7f7f7f"      # a run or layer that is none of the four


def family(name):
    """The activation a legend name, layer label or run name belongs to: "ELU(α=1)", "ELU′", "3 · ELU(alpha=1)",
    "ELU ⚠ non-finite loss" -> "ELU"."""
    words = str(name).split("·")[-1].split("(")[0].split()
    return words[0].removesuffix("′") if words else ""


def activation_color(name):
    """The activation's colour for any of its names (OTHER_COLOR for anything else)."""
    return ACTIVATION_COLORS.get(family(name), OTHER_COLOR)
