"""The class database's tables (SQLAlchemy Core), created and versioned by the app.

classes: one per started class (its join code, the teacher key's hash, the network's share payload, the
teacher's stage and iteration (classroom.iteration), whether the current round's answer is revealed, the last
activity, for expiry); rounds: each question asked (its number in the class, the question as JSON, open or
closed); answers: the latest answer of each student in each round (one row per student and round, enforced by
a unique constraint).

The database lives as long as its classes (24 hours of inactivity): a database of an older schema version is not
migrated but emptied, its tables made afresh (create() logs so), which ends the classes it held.
"""
import logging

from sqlalchemy import (Boolean, Column, Float, ForeignKey, Integer, LargeBinary, MetaData, String, Table, Text,
                        UniqueConstraint, select, update)

from i18n import domain

_, ngettext = domain("classroom")

SCHEMA_VERSION = 2  # raise it with each change of the tables below (2: the teacher's iteration)
log = logging.getLogger(__name__)

metadata = MetaData()

meta = Table("classroom_meta", metadata,
             Column("name", String(40), primary_key=True),
             Column("value", String(200), nullable=False))

classes = Table("classes", metadata,
                Column("id", Integer, primary_key=True, autoincrement=True),
                Column("code", String(6), nullable=False, unique=True),
                Column("teacher_hash", String(64), nullable=False),
                Column("payload", Text, nullable=False),       # the network's share-link token
                Column("stage", String(80), nullable=False),   # the teacher's stage ("forward 0", "loss", ...)
                Column("iteration", LargeBinary, nullable=True),  # the teacher's iteration (classroom.iteration.pack)
                Column("iteration_digest", String(64), nullable=False, default=""),  # its digest; "": the payload's
                Column("revealed", Boolean, nullable=False, default=False),  # the current round's answer shown
                Column("ended", Boolean, nullable=False, default=False),
                Column("created", Float, nullable=False),
                Column("active", Float, nullable=False))       # the last activity (seconds since the epoch)

rounds = Table("rounds", metadata,
               Column("id", Integer, primary_key=True, autoincrement=True),
               Column("class_id", Integer, ForeignKey("classes.id", ondelete="CASCADE"), nullable=False, index=True),
               Column("number", Integer, nullable=False),      # 1, 2, ... in the class
               Column("vote", Integer, nullable=False),        # 1: first vote on the question, 2: after discussion
               Column("question", Text, nullable=False),       # the question as JSON (classroom.classes.question_json)
               Column("is_open", Boolean, nullable=False),
               Column("opened", Float, nullable=False),
               UniqueConstraint("class_id", "number"))

answers = Table("answers", metadata,
                Column("id", Integer, primary_key=True, autoincrement=True),
                Column("round_id", Integer, ForeignKey("rounds.id", ondelete="CASCADE"), nullable=False),
                Column("student", String(40), nullable=False),
                Column("answer", Text, nullable=False),        # JSON: a number, an option, a list of options
                Column("is_right", Boolean, nullable=False),
                Column("seconds", Float, nullable=False),      # from the round's opening to this answer
                Column("at", Float, nullable=False),
                UniqueConstraint("round_id", "student"))       # the latest answer of a student in a round counts


def create(engine):
    """Create the tables if missing and record the schema version; an older database's tables are made afresh
    (its classes end); ValueError for a newer one."""
    metadata.create_all(engine)
    with engine.begin() as connection:
        found = connection.execute(select(meta.c.value).where(meta.c.name == "schema_version")
                                   .with_for_update()).scalar()
        if found is None:
            connection.execute(meta.insert().values(name="schema_version", value=str(SCHEMA_VERSION)))
        elif int(found) > SCHEMA_VERSION:
            raise ValueError(_("the class database has schema version {found}, newer than this app's {known}: "
                               "update the app").format(found=found, known=SCHEMA_VERSION))
        elif int(found) < SCHEMA_VERSION:
            log.warning("the class database %s has schema version %s, older than this app's %s: its classes end, "
                        "and its tables are made afresh", engine.url.render_as_string(hide_password=True), found,
                        SCHEMA_VERSION)
            kept = [answers, rounds, classes]
            metadata.drop_all(connection, tables=kept)
            metadata.create_all(connection, tables=kept)
            connection.execute(update(meta).where(meta.c.name == "schema_version").values(value=str(SCHEMA_VERSION)))
