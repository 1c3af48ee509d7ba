"""Answer fields take a decimal point or a decimal comma (0.057 and 0,057), in English and in Russian; text that
is no number gets a message beside the field and nothing is checked (AppTest)."""
import pytest

from engine.sequential import layers_of
from tests.pages.apptest import errors, open_page
from tests.pages.test_step_predict import asked
from ui.number_field import parse
from viz.by_hand import by_hand


@pytest.mark.parametrize("text, number", [("0.057", 0.057), ("0,057", 0.057), (" -1,5e-3 ", -1.5e-3),
                                          ("\u22122", -2.0), (",5", 0.5), ("3", 3.0), ("1E+2", 100.0),
                                          ("", None), ("  ", None), (None, None), (0.25, 0.25)])
def test_a_number_is_read_with_a_point_or_a_comma(text, number):
    assert parse(text) == number


@pytest.mark.parametrize("text", ["0,05x", "1,2,3", "1.2,3", "nan", "inf", "1_000", "e5", "--1", "0x10"])
def test_text_that_is_no_number_is_refused_with_how_to_type_it(text):
    with pytest.raises(ValueError, match="0.057 or 0,057"):
        parse(text)


def open_step(lang):
    at = open_page(None, by_hand=True)
    if lang != "en":
        at.query_params["lang"] = lang
        at.run()
    return at


def comma(value):
    return repr(float(value)).replace(".", ",")


@pytest.mark.parametrize("lang, right", [("en", "Right."), ("ru", "Верно.")])
def test_a_by_hand_value_typed_with_a_decimal_comma_is_right(lang, right):
    at = open_step(lang)
    at.button_group(key="by_hand_level").set_value("Last step blank").run()
    lab = at.session_state.lab
    (item,) = by_hand(lab.trace, lab.current, layers_of(lab.model))
    assert "," in comma(item.engine)
    at.text_input(key="by_hand_answer_0").input(comma(item.engine)).run()
    at.button(key="by_hand_check_0").click().run()
    assert not at.exception and [s.value for s in at.success] == [right]


def test_a_predicted_number_typed_with_a_decimal_comma_is_right_and_unreadable_text_waits_with_a_message():
    at = open_step("ru")
    at.toggle(key="step_predict").set_value(True).run()
    while asked(at).widget != "number":
        at.button(key="predict_skip").click().run()
        at.button(key="step_next").click().run()
    q, stage = asked(at), str(at.session_state.lab.current)
    field = at.text_input(key="predict_answer")
    field.input("0,05x").run()
    assert errors(at) == ["«0,05x» — не число: введите его как 0.057 или 0,057"]
    at.button(key="predict_submit").click().run()
    assert str(at.session_state.lab.current) == stage and at.button(key="predict_submit")  # still asked
    assert at.text_input(key="predict_answer").value == "0,05x" and errors(at)  # the text and its message stay
    at.text_input(key="predict_answer").input(comma(q.answer)).run()
    assert not errors(at)
    at.button(key="predict_submit").click().run()
    assert any(s.value.startswith("Верно") for s in at.success), [s.value for s in at.success]
