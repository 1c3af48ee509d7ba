"""The lecture: classes whose students answer a Predict-first question together (issue 21).

The only state shared between sessions, kept in a real database through SQLAlchemy: SQLite (a file under the
user's data directory, WAL mode) by default, PostgreSQL when BACKPROP_LENS_DB holds its URL. schema.py: the
tables; store.py: the engine; classes.py: every teacher's and student's action, each rule checked inside the
database transaction; distribution.py: the answers binned for the projector; codes.py: join codes, teacher
keys, student ids and the join-code rate limit.
"""
