"""Grading a class: `backprop-lens grade-class SUBMISSIONS --out OUT` grades each submission sealed off
(sandbox.py), scores it with a rubric (rubric.py), and writes a gradebook, Gradescope's results.json, JUnit XML
(formats.py) and the pairs that share code (copies.py); batch.py runs it all, single.py is
`backprop-lens grade FILE --format gradescope|junit`."""
