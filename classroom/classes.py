"""Every action of a class, each one database transaction that checks its rules itself.

Classroom(engine) is shared by all sessions of a server (and, through PostgreSQL, by all replicas). The teacher's
actions (ask, close, revote, reveal, advance, end, results) take the teacher key and lock the class's row; an
answer locks its round's row for sharing, so a close waits for the answers under way and every answer that
starts after it sees the round closed. The teacher's iteration (classroom.iteration) is read only by the
sessions whose copy is older than its digest, once per server. A class's state may be read from this server's
copy of it when that is younger than a fraction of a second (state's max_age: every student's refresh would
otherwise read the database), a copy this server's own teacher actions drop. A student's latest answer in a round replaces the
earlier one (one row per student and round). A class idle for 24 hours is deleted with its rounds and answers.
"""
import functools
import json
import threading
import time
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

import i18n
from i18n import domain

from . import codes
from .questions import Rejected, answer_json, option_values, read_answer, read_question
from .schema import answers, classes, rounds
from .store import Unavailable, database_url, engine, unreachable

EXPIRY_S = 24 * 3600  # a class with no activity for this long is deleted with its answers
_, ngettext = domain("classroom")
TOUCH_S = 60          # an answer refreshes the class's last activity at most once a minute
ROW = [column for column in classes.c if column.name != "iteration"]  # a class's row as most reads need it


class NotFound(LookupError):
    """No class has this code (or it expired)."""


class Refused(PermissionError):
    """An action only the teacher key allows, tried without it."""


@dataclass(frozen=True)
class Round:
    number: int
    vote: int
    question: str   # JSON (classroom.questions)
    is_open: bool
    opened: float


@dataclass(frozen=True)
class ClassState:
    """What every session of a class reads: its network, the teacher's stage and iteration (the digest of its
    start, "" for the network's first), its current round, whether its answer is revealed."""
    code: str
    payload: str
    stage: str
    revealed: bool
    ended: bool
    round: Round = None
    iteration: str = ""


class Classroom:
    """The classes in one database (engine); clock: seconds since the epoch (tests move it)."""

    def __init__(self, engine, clock=time.time):
        self.engine, self.clock = engine, clock
        self.url = engine.url.render_as_string(hide_password=True)
        self.iteration = functools.lru_cache(maxsize=8)(self._iteration)  # a server reads each iteration once
        self._states, self._states_lock = {}, threading.Lock()  # code -> (time.monotonic() read, ClassState)
        self._writes = {}  # code -> how many times this server changed the class (a read older than one is not kept)

    def __repr__(self):
        return f"Classroom({self.url})"

    # --- transactions ---

    def _run(self, work, tries=3):
        """work(connection) in one transaction; a database that fails becomes Unavailable. SQLite's "database is
        locked" (a writer starved past the busy timeout by many others) is tried again, tries times in all."""
        for attempt in range(tries):
            try:
                with self.engine.begin() as connection:
                    return work(connection)
            except (OperationalError, DBAPIError) as error:
                if isinstance(error, IntegrityError):
                    raise
                if "database is locked" in str(error) and attempt < tries - 1:
                    continue
                raise Unavailable(unreachable(self.url, error)) from None

    def _write(self, code, work):
        """A teacher's action on the class (work, as _run's): this server's copy of its state is dropped once it
        is done, and a read that began before it is not kept."""
        try:
            return self._run(work)
        finally:
            with self._states_lock:
                self._states.pop(code, None)
                self._writes[code] = self._writes.get(code, 0) + 1

    def _class(self, connection, code, lock=False):
        query = select(*ROW).where(classes.c.code == code)
        row = connection.execute(query.with_for_update() if lock else query).first()
        if row is None or row.active < self.clock() - EXPIRY_S:
            raise NotFound(_("no class has the code {code} (a class ends 24 hours after its last activity)").format(
                code=repr(code)))
        return row

    def _teacher(self, connection, code, key):
        row = self._class(connection, code, lock=True)
        if not codes.key_matches(key, row.teacher_hash):
            raise Refused(_("only the teacher of this class can do this (the teacher key is missing or wrong)"))
        connection.execute(update(classes).where(classes.c.id == row.id).values(active=self.clock()))
        return row

    @staticmethod
    def _last_round(connection, class_id, lock=False):
        query = select(rounds).where(rounds.c.class_id == class_id).order_by(rounds.c.number.desc()).limit(1)
        return connection.execute(query.with_for_update() if lock else query).first()

    def _open_round(self, connection, row, question, vote):
        last = self._last_round(connection, row.id)
        connection.execute(update(rounds).where(rounds.c.class_id == row.id).values(is_open=False))
        number = (last.number if last else 0) + 1
        connection.execute(rounds.insert().values(class_id=row.id, number=number, vote=vote, question=question,
                                                  is_open=True, opened=self.clock()))
        connection.execute(update(classes).where(classes.c.id == row.id).values(revealed=False))
        return number

    # --- the teacher ---

    def start(self, payload, stage, iteration=None):
        """A new class on the network payload (a share link's token) at stage and iteration ((blob, digest) of
        classroom.iteration.pack; None: the payload's first): (join code, teacher key)."""
        key, now = codes.new_teacher_key(), self.clock()
        self.expire()
        for _attempt in range(20):
            code = codes.new_code()
            try:
                self._run(lambda c: c.execute(classes.insert().values(
                    code=code, teacher_hash=codes.key_hash(key), payload=payload, stage=str(stage), revealed=False,
                    ended=False, created=now, active=now, **_iteration_values(iteration))))
                return code, key
            except IntegrityError:
                continue  # the code is taken: draw another
        raise RuntimeError("no free join code was found in 20 tries")

    def is_teacher(self, code, key):
        return self._run(lambda c: codes.key_matches(key, self._class(c, code).teacher_hash))

    def ask(self, code, key, question):
        """Open round 1 of a new question (JSON from classroom.questions.question_json); its number."""
        def work(c):
            row = self._teacher(c, code, key)
            read_question(question)  # a question the students could not be asked is refused here
            return self._open_round(c, row, question, vote=1)
        return self._write(code, work)

    def close(self, code, key):
        """Close the open round: every answer after this is refused."""
        self._close_and_set(code, key)

    def revote(self, code, key):
        """Vote again on the last question (after discussion): a new round, its vote one more; its number."""
        def work(c):
            row = self._teacher(c, code, key)
            last = self._last_round(c, row.id)
            if last is None:
                raise ValueError(_("nothing was asked yet, so there is nothing to vote on again"))
            return self._open_round(c, row, last.question, vote=last.vote + 1)
        return self._write(code, work)

    def _close_and_set(self, code, key, **values):
        """Close the open round and set values on the class, in one transaction."""
        def work(c):
            row = self._teacher(c, code, key)
            c.execute(update(rounds).where(rounds.c.class_id == row.id).values(is_open=False))
            if values:
                c.execute(update(classes).where(classes.c.id == row.id).values(**values))
        self._write(code, work)

    def reveal(self, code, key):
        """Close the open round and show the right answer and the stage's results to every student."""
        self._close_and_set(code, key, revealed=True)

    def advance(self, code, key, stage, payload=None, iteration=None):
        """The teacher's stage (and network, when payload is given, and iteration, when iteration is: as in
        start): the students who follow go there."""
        values = {"stage": str(stage), **({"payload": payload} if payload is not None else {}),
                  **(_iteration_values(iteration) if iteration is not None else {})}
        self._write(code, lambda c: c.execute(update(classes).where(
            classes.c.id == self._teacher(c, code, key).id).values(**values)))

    def end(self, code, key):
        """End the class: its rounds close; its answers stay for the teacher's download until it expires."""
        self._close_and_set(code, key, ended=True)

    def results(self, code, key, number):
        """(Round, [answers]) of a closed round, for the projector; ValueError while it is open."""
        def work(c):
            row = self._teacher(c, code, key)
            found = c.execute(select(rounds).where(rounds.c.class_id == row.id, rounds.c.number == number)).first()
            if found is None:
                raise ValueError(_("the class has no round {number}").format(number=number))
            if found.is_open:
                raise ValueError(_("the answers are shown once the vote is closed"))
            given = c.execute(select(answers.c.answer).where(answers.c.round_id == found.id)).scalars()
            return _round(found), [read_answer(a) for a in given]
        return self._run(work)

    def export(self, code, key, language=None):
        """The class's anonymous answers: question, round, vote, answer, right, seconds (a DataFrame), the
        question and the options chosen in language (default: this session's), each answer as JSON."""
        def work(c):
            row = self._teacher(c, code, key)
            query = select(rounds.c.question, rounds.c.number, rounds.c.vote, answers.c.answer, answers.c.is_right,
                           answers.c.seconds).join(answers, answers.c.round_id == rounds.c.id) \
                .where(rounds.c.class_id == row.id).order_by(rounds.c.number, answers.c.at)
            return c.execute(query).all()
        table = pd.DataFrame(self._run(work), columns=["question", "round", "vote", "answer", "right", "seconds"])
        language = language or i18n.current()
        asked = [read_question(q, language)[0] for q in table["question"]]
        table["question"] = [q.text for q in asked]
        table["answer"] = [json.dumps(list(a) if isinstance(a, tuple) else a, ensure_ascii=False)
                           for a in (option_values(q, read_answer(a)) for q, a in zip(asked, table["answer"]))]
        return table

    # --- everyone ---

    def state(self, code, max_age=0.0):
        """The class's ClassState (NotFound when there is none); max_age > 0: this server's copy when it was read
        less than max_age seconds ago (and the class not changed by this server since), shared by its sessions."""
        if max_age > 0:
            with self._states_lock:
                kept, writes = self._states.get(code), self._writes.get(code, 0)
            if kept is not None and time.monotonic() - kept[0] < max_age:
                return kept[1]
        began = time.monotonic()

        def work(c):
            row = self._class(c, code)
            last = self._last_round(c, row.id)
            return ClassState(row.code, row.payload, row.stage, row.revealed, row.ended,
                              _round(last) if last else None, row.iteration_digest)
        found = self._run(work)
        if max_age > 0:
            with self._states_lock:
                if self._writes.get(code, 0) == writes:
                    self._states[code] = (began, found)
        return found

    def _iteration(self, code, digest):
        """The class's iteration (classroom.iteration.pack's blob) whose digest is digest; LookupError when the
        teacher has moved on to another (read the state again)."""
        def work(c):
            self._class(c, code)
            return c.execute(select(classes.c.iteration).where(classes.c.code == code,
                                                               classes.c.iteration_digest == digest)).scalar()
        blob = self._run(work) if digest else None
        if blob is None:
            raise LookupError(_("the teacher has moved on to another iteration: it is read again"))
        return bytes(blob)

    def count(self, code, number):
        """How many students have answered round number (no more than that while it is open)."""
        def work(c):
            row = self._class(c, code)
            return c.execute(select(func.count()).select_from(answers).join(rounds, answers.c.round_id == rounds.c.id)
                             .where(rounds.c.class_id == row.id, rounds.c.number == number)).scalar()
        return self._run(work)

    def answer(self, code, student, number, value):
        """Record student's answer to round number, replacing their earlier one; Rejected when the round is not
        open (closed, or not the current one) or the answer does not fit its question. The answer's time is taken
        when it is given: an earlier answer of the student's that is written later (it waited for the database)
        does not replace it."""
        if not codes.valid_student(student):
            raise Rejected(_("the page's student id is not valid: open the class link again"))
        now = self.clock()

        def work(c):
            row = self._class(c, code)
            found = c.execute(select(rounds).where(rounds.c.class_id == row.id, rounds.c.number == number)
                              .with_for_update(read=True)).first()
            if found is None or not found.is_open or row.ended:
                raise Rejected(_("this vote is closed: answers are no longer taken"))
            text, right = answer_json(read_question(found.question)[0], value)
            values = dict(round_id=found.id, student=student, answer=text, is_right=right,
                          seconds=max(0.0, now - found.opened), at=now)
            insert = (postgresql if self.engine.dialect.name == "postgresql" else sqlite).insert(answers)
            c.execute(insert.values(**values).on_conflict_do_update(
                index_elements=["round_id", "student"],
                set_={k: values[k] for k in ("answer", "is_right", "seconds", "at")}, where=answers.c.at <= now))
            if row.active < now - TOUCH_S:
                c.execute(update(classes).where(classes.c.id == row.id).values(active=now))
        self._run(work)

    def mine(self, code, student, number):
        """student's recorded answer to round number, or None."""
        def work(c):
            row = self._class(c, code)
            return c.execute(select(answers.c.answer).join(rounds, answers.c.round_id == rounds.c.id).where(
                rounds.c.class_id == row.id, rounds.c.number == number, answers.c.student == student)).scalar()
        text = self._run(work)
        return None if text is None else read_answer(text)

    def expire(self):
        """Delete the classes idle for EXPIRY_S, with their rounds and answers; how many."""
        def work(c):
            old = select(classes.c.id).where(classes.c.active < self.clock() - EXPIRY_S)
            old_rounds = select(rounds.c.id).where(rounds.c.class_id.in_(old))
            c.execute(delete(answers).where(answers.c.round_id.in_(old_rounds)))
            c.execute(delete(rounds).where(rounds.c.class_id.in_(old)))
            return c.execute(delete(classes).where(classes.c.id.in_(old))).rowcount
        return self._run(work)


def _iteration_values(iteration):
    blob, digest = iteration or (None, "")
    return {"iteration": blob, "iteration_digest": digest}


def _round(row):
    return Round(row.number, row.vote, row.question, bool(row.is_open), row.opened)


@functools.lru_cache(maxsize=4)
def _shared(url):
    return Classroom(engine(url))


def shared(url=None):
    """The process's Classroom on url (default: store.database_url()), made once and shared by every session;
    Unavailable when the database cannot be reached (tried again on the next call)."""
    return _shared(url or database_url())
