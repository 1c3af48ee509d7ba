"""The projector's distribution figure."""
from classroom.distribution import distribution
from lab.predict import Question
from viz.class_view import RIGHT_COLOR, distribution_figure

NUMBER = Question("value", "forward 0", "x", "number", 0.5, tol=0.005, swapped=-0.25)


def test_rounds_1_and_2_share_one_axis_with_the_right_bin_outlined():
    table = distribution(NUMBER, 4, {1: [0.5, -0.5, -0.5, 2.0], 2: [0.5, 0.5, 0.5, -0.5]})
    figure = distribution_figure(table)
    assert [t.type for t in figure.data] == ["bar", "bar"] and [t.name for t in figure.data] == ["Round 1", "Round 2"]
    assert list(figure.data[0].x) == list(figure.data[1].x) == ["−0.5: wrong sign", "0.5 (right)", "2: × N (N = 4)"]
    assert list(figure.data[0].y) == [2, 1, 1] and list(figure.data[1].y) == [1, 3, 0]
    assert figure.data[1].marker.line.color[1] == RIGHT_COLOR and figure.data[1].marker.line.color[0] != RIGHT_COLOR
    assert figure.layout.barmode == "group"
    assert figure.layout.xaxis.title.text.startswith("answer") and figure.layout.yaxis.title.text == "students"
