"""The homework files of the grader's tests, and the camelCase variant made from them."""
from pathlib import Path

HERE = Path(__file__).parent
HOMEWORK = HERE / "homework_ok.py"
NEWER = HERE / "homework_cnn.py"  # Conv2d, MaxPool2d and adam_optimizer, which older homework lacks


def camel_case_source():
    """The same framework in the other convention: camelCase methods, W as (n_out, n_in), other names."""
    source = HOMEWORK.read_text() + "\n\n" + NEWER.read_text()
    for snake, camel in (("update_output", "updateOutput"), ("update_grad_input", "updateGradInput"),
                         ("update_grad_params", "accGradParameters"), ("zero_grad_params", "zeroGradParameters"),
                         ("get_parameters", "getParameters"), ("get_grad_params", "getGradParameters"),
                         ("grad_input", "gradInput"), ("class Scaling", "class ChannelwiseScaling"),
                         ("class NLLCriterion", "class ClassNLLCriterion")):
        source = source.replace(snake, camel)
    for old, new in (("size=(n_in, n_out)", "size=(n_out, n_in)"), ("input @ self.W + self.b", "input @ self.W.T + self.b"),
                     ("grad_output @ self.W.T", "grad_output @ self.W"),
                     ("self.gradW[...] = input.T @ grad_output", "self.gradW[...] = grad_output.T @ input")):
        assert old in source
        source = source.replace(old, new)
    return source


def camel_case_namespace():
    found = {}
    exec(compile(camel_case_source(), "hw_camel.py", "exec"), found)
    return found
