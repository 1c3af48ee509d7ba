"""The teacher's iteration as a class carries it (classroom.iteration): a student who opens it records the
teacher's very iteration, in float64, after new iterations and training; what cannot be read is refused."""
import zlib

import numpy as np
import pytest

from classroom.iteration import MAX_BYTES, open_in, pack, unpack
from lab.links import config_token, read_token
from lab.session import Lab


def tensors(trace):
    """Every array of a trace: the batch, each stage's tensors, the loss, the updates."""
    found = [trace.target, trace.loss_grad, np.array(trace.loss)]
    for record in trace.forward:
        found += [record.input, record.output]
    for record in trace.backward:
        found += [record.grad_input, *record.grad_params.values()]
    for update in trace.updates:
        found += [update.before, update.after]
    return found


def assert_same_iteration(student, teacher):
    assert student.cursor.state() == teacher.cursor.state() and student.trained_epochs == teacher.trained_epochs
    ours, theirs = tensors(student.trace), tensors(teacher.trace)
    assert len(ours) == len(theirs) and all(a.dtype == np.float64 or a.dtype.kind != "f" for a in ours)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b)
    for (name, a, _), (_, b, _) in zip(student.model.named_parameters(), teacher.model.named_parameters()):
        np.testing.assert_array_equal(a, b, err_msg=name)


@pytest.mark.parametrize("preset", ["handout", "dropout_batchnorm"])
def test_a_student_opens_the_teachers_iteration_after_new_iterations_and_training(preset):
    teacher = Lab()
    teacher.load_preset(preset)
    for _ in range(3):
        teacher.new_iteration()
    teacher.train(2)
    teacher.new_iteration()
    student = Lab()
    blob, digest = pack(teacher)
    open_in(student, read_token(config_token(teacher.config)), blob)
    assert_same_iteration(student, teacher)
    assert pack(student)[1] == digest  # the same numbers: the same digest
    student.new_iteration(), teacher.new_iteration()
    assert_same_iteration(student, teacher)  # and on from there


def test_a_changed_iteration_has_another_digest_and_the_same_one_the_same():
    lab = Lab()
    first = pack(lab)[1]
    lab.apply(lab.config)  # recorded again: the same start
    assert pack(lab)[1] == first
    lab.new_iteration()
    assert pack(lab)[1] != first


def test_what_cannot_be_read_is_refused_and_the_lab_stays():
    teacher, student = Lab(), Lab()
    teacher.load_preset("circles")
    blob, _ = pack(teacher)
    before = student.trace
    for bad in (b"not zlib", zlib.compress(b"PK\x03\x04 not a zip"), blob[:-5], b"x" * (MAX_BYTES + 1),
                zlib.compress(b"\0" * (201 * 2**20))):
        with pytest.raises(ValueError):
            open_in(student, read_token(config_token(teacher.config)), bad)
    with pytest.raises(ValueError):  # another network's weights
        open_in(student, read_token(config_token(Lab().config)), blob)
    assert student.trace is before
    with pytest.raises(ValueError):
        unpack("text")
