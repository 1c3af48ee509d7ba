"""Step page, *Check your own framework*: the learner's mine.npz beside the engine's numbers (AppTest)."""
from lab.mine import read_mine
from tests.lab.test_mine import mine_bytes
from tests.pages.apptest import figures, open_page, picker
from ui.mine import STORE

ROW_SUM = ("self.grad_input = grad_output - a * grad_output.sum(axis=1, keepdims=True)",
           "self.grad_input = grad_output - a * grad_output")


def with_mine(replace=None):
    """The Step page with a mine.npz of the homework (with one line replaced) as if uploaded."""
    at = open_page(None)
    lab = at.session_state.lab
    at.session_state[STORE] = read_mine(mine_bytes(lab, replace), lab.trace)
    return at.run()


def titles(at):
    return [a["text"].replace("<br>", " ").replace("\xa0", " ") for fig in figures(at)
            for a in fig["layout"].get("annotations", [])]


def test_a_correct_framework_is_said_to_match_and_shown_beside_the_engine():
    at = with_mine()
    assert not at.exception
    assert any("match the engine's at every stage" in s.value for s in at.success)
    assert ":red-badge" not in at.markdown[0].value + "".join(m.value for m in at.markdown)
    assert any(t.startswith("layer 0 output: yours") for t in titles(at))
    assert any(t.startswith("layer 0 output: yours − engine's") and "all 0" in t for t in titles(at))


def test_a_planted_bug_marks_its_stage_red_and_names_the_mistake_there():
    at = with_mine(ROW_SUM)
    strip = next(m.value for m in at.markdown if "badge[" in m.value)
    assert ":red-badge[✗ backward 1]" in strip and strip.count(":red-badge") == 1
    assert any("first differ at **Backward · layer 1 · LogSoftMax**" in i.value for i in at.info)  # a pointer
    at.select_slider[0].set_value("backward 1").run()
    error = next(e.value for e in at.error)
    assert "Your layer 1 ∂L/∂x" in error and "Likely: the sum over the row forgotten in backward" in error
    assert "g_i - a_i sum_j g_j" in error
    assert any(t.startswith("layer 1 ∂L/∂x: yours − engine's") for t in titles(at))
    # the by-hand working opens on the entry that differs most
    lab = at.session_state.lab
    mine = at.session_state[STORE]
    engine = lab.trace.backward_record(1).grad_input
    row, col = mine.worst_entry("backward.1.grad_input", engine)
    assert (picker(at, "pick_row").value, picker(at, "pick_col").value) == (row, col)
    assert picker(at, "pick_tensor").value == "grad_input"


def test_a_new_iteration_clears_the_uploaded_tensors():
    at = with_mine(ROW_SUM)
    at.button(key="step_new_iteration").click().run()
    assert not at.exception and STORE not in at.session_state
    assert not any("badge[✗" in m.value for m in at.markdown)
    assert not any(t.startswith("layer 0 output: yours") for t in titles(at))
