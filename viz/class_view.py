"""The projector's figure of a closed vote: the answers' distribution, rounds 1 and 2 side by side on one axis.

Built from classroom.distribution's table (one row per bin or option and round); the right bin's bars are
outlined green, each bar is labelled with its count.
"""
import plotly.graph_objects as go

from i18n import domain

_, ngettext = domain("classroom")

ROUND_COLORS = ("#56B4E9", "#0072B2", "#004B75")  # sky blue, blue, dark blue (Okabe-Ito): vote 1, 2, 3
RIGHT_COLOR = "#009E73"                           # bluish green: the outline of the right answer's bars


def distribution_figure(table, titles=None, height=380):
    """A grouped bar chart: x the bins or options in table's order, y the number of students, one trace per round.
    titles: {round number: legend name} (default "Round n")."""
    rounds = list(dict.fromkeys(table["round"]))
    labels = list(dict.fromkeys(table.sort_values("order", kind="stable")["label"]))
    figure = go.Figure()
    for k, number in enumerate(rounds):
        rows = table[table["round"] == number].set_index("label").reindex(labels)
        figure.add_trace(go.Bar(
            x=labels, y=rows["count"], name=(titles or {}).get(number, _("Round {n}").format(n=number)),
            marker=dict(color=ROUND_COLORS[k % len(ROUND_COLORS)],
                        line=dict(color=[RIGHT_COLOR if r else "rgba(0,0,0,0)" for r in rows["right"]], width=4)),
            text=rows["count"], textposition="outside", cliponaxis=False,
            hovertemplate=_("%{x}: %{y} students") + "<extra>%{fullData.name}</extra>"))
    figure.update_layout(barmode="group", height=height, margin=dict(l=50, r=20, t=30, b=80),
                         legend=dict(orientation="h", y=1.08, x=0), bargap=0.25, font=dict(size=16))
    figure.update_xaxes(title_text=_("answer (outlined green: the right one)"), type="category",
                        categoryorder="array", categoryarray=labels)
    figure.update_yaxes(title_text=_("students"), rangemode="tozero", dtick=1 if table["count"].max() <= 10 else None)
    return figure
