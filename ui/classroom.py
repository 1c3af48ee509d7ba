"""The lecture on the pages (issue 21): start a class on Build, join and follow it on Step, ask, count, close,
vote again, reveal and end from the teacher's view; the rules themselves are kept by classroom/.

A session's class is {"code", "key"} in st.session_state (key: the teacher key, None for a student); the address
keeps ?class=CODE, a student's &student=ID and a teacher's &teacher=KEY, so that a reload, or a reconnect through
another replica, lands in the same class with the same id. The teacher's session publishes its network, stage and
iteration (classroom.iteration) whenever one changes; a student who follows opens them, so their trace is the
teacher's number for number. The class's question is asked in every language at once (classroom.questions):
each session reads it in its own, and answers are sent as option ids. Any failure of the class database becomes
a message in the class panel: the Step page works on as without a class.
"""
import time

import streamlit as st

import i18n
from classroom import codes, iteration
from classroom.classes import NotFound, shared
from classroom.store import Unavailable
from classroom.distribution import distribution, share_right
from classroom.links import CLASS, STUDENT, TEACHER, class_link, qr_svg
from classroom.questions import option_ids, option_values, question_json, read_question
from i18n import domain
from lab.links import config_token, read_token
from lab.predict import is_right, shown
from ui import number_field
from ui.actions import error_for, lab, plain, sync
from viz.class_view import distribution_figure

_, ngettext = domain("classroom")
STATE, LIMITER, MESSAGE, SEEN = "_class", "_class_limiter", "_class_message", "_class_seen"
READ_ERROR = "_class_read_error"
READ = "_class_read"        # (monotonic time, ClassState): the state read in the last READ_S seconds
PUBLISHED = "_class_published"  # the teacher's (stage, network token, Lab.start, its digest) last sent to the class
LOADED = "_class_loaded"    # a student's (network token, iteration digest, Lab.start) of the class last opened
ASKED = "_class_asked"      # the round whose answer widget is drawn (its value is dropped for another one)
FIGURE = "_class_figure"    # (rounds drawn, figure, share right)
FOLLOW, FOLLOWING, ANSWER = "class_follow", "_class_following", "predict_answer"  # the toggle; whether on
POLL_S, READ_S = 1.5, 0.3   # the class panel rereads the class every 1.5 s (the live count: within 2 s)
SHARED_S = 0.5              # a session may read the server's copy of the class this old (Classroom.state's max_age)


# --- the session's class, and the database through one guard ---

def current():
    """This session's class: {"code", "key"} (key None for a student), or None."""
    return st.session_state.get(STATE)


def is_teacher():
    return current() is not None and current()["key"] is not None


def attempt(action, *args, into=MESSAGE):
    """action(*args), or None with its message kept for the class panel (into: MESSAGE for an action, which a
    new action clears; READ_ERROR for a read, which the next good read clears): a refusal, a closed vote, an
    unknown code, or a database that cannot be reached (then stepping alone goes on as always)."""
    if into == READ_ERROR:
        st.session_state[READ_ERROR] = None
    try:
        return action(*args)
    except (RuntimeError, LookupError, PermissionError, ValueError) as error:
        st.session_state[into] = str(error)
        return None


def acting():
    """A button's callback begins: earlier messages are stale."""
    st.session_state[MESSAGE] = None


def message():
    for key in (READ_ERROR, MESSAGE):
        if st.session_state.get(key):
            st.error(plain(st.session_state[key]), icon="⚠️")


def state(fresh=False):
    """The class's ClassState, read at most every READ_S seconds (a page asks several times per run), from the
    server's copy of it when that is younger than SHARED_S (fresh: whatever this session read before); None when
    there is no class or it cannot be read."""
    if current() is None:
        return None
    read = st.session_state.get(READ)
    if fresh or read is None or time.monotonic() - read[0] > READ_S:
        found = attempt(lambda: shared().state(current()["code"], max_age=SHARED_S), into=READ_ERROR)
        if found is None:
            return None
        read = st.session_state[READ] = (time.monotonic(), found)
    return read[1]


def signature(found):
    """What a page draws differently when it changes: the stage, network and iteration (which the teacher sets,
    so not for the teacher), the round and whether it is open, the reveal, the end."""
    r = found.round
    followed = (found.stage, found.payload, found.iteration) if not is_teacher() else (None, None, None)
    return (*followed, found.revealed, found.ended, r and r.number, r and r.is_open)


def limiter():
    if LIMITER not in st.session_state:
        st.session_state[LIMITER] = codes.JoinLimiter()
    return st.session_state[LIMITER]


def student_id():
    """The student's id from the address, or a new one put there (a reload keeps it)."""
    found = st.query_params.get(STUDENT)
    if not codes.valid_student(found):
        found = st.query_params[STUDENT] = codes.new_student_id()
    return found


# --- starting and joining ---

def on_start():
    """Build's Start a class: the current network and stage become a class; its code and key go in the address."""
    acting()
    L = lab()
    stage, token = str(L.current) if L.trace is not None else "forward 0", config_token(L.config)
    packed = attempt(iteration.pack, L)
    started = packed and attempt(lambda: shared().start(token, stage, packed))
    if started:
        code, key = started
        st.session_state[STATE] = {"code": code, "key": key}
        st.session_state[PUBLISHED] = (stage, token, L.start, packed[1])
        st.query_params[CLASS], st.query_params[TEACHER] = code, key


def join(code, key=None):
    """Join the class: its network at its stage in this Lab; a key makes this session its teacher. True when
    joined; else the reason is the panel's message (a wrong code also counts against the session's limit)."""
    if not limiter().allowed():
        st.session_state[MESSAGE] = _("Too many wrong class codes: try again in {seconds} s.").format(
            seconds=f"{limiter().wait():.0f}")
        return False
    normal, found = codes.normal_code(code), None
    try:
        found = shared().state(normal) if normal else None
    except NotFound:
        pass
    except Unavailable as error:
        st.session_state[MESSAGE] = str(error)
        return False
    if found is None:
        limiter().failed()
        st.session_state[MESSAGE] = _("No class has the code {code}: check it and try again.").format(
            code=str(code)[:12])
        return False
    if key is not None and not attempt(lambda: shared().is_teacher(normal, key)):
        key = None  # a wrong teacher key in the address: a student like any other
    if not attempt(load, found):
        return False
    if key is not None:  # the teacher's own iteration, back after a reload: nothing to send again
        st.session_state[PUBLISHED] = (found.stage, found.payload, lab().start, found.iteration)
    st.session_state[STATE] = {"code": normal, "key": key}
    st.session_state[FOLLOWING] = True
    st.session_state.pop(FOLLOW, None)  # the toggle, drawn anew, shows its default: on
    st.session_state[SEEN] = signature(found)
    st.query_params[CLASS] = normal
    if key is None:
        student_id()
    return True


def join_from_address():
    """app.py, each run: join the class the address names (?class=CODE&teacher=KEY), once."""
    code = st.query_params.get(CLASS)
    if code and (current() is None or current()["code"] != code) and st.session_state.get("_class_tried") != code:
        st.session_state["_class_tried"] = code
        join(code, st.query_params.get(TEACHER))


def on_join():
    acting()
    join(st.session_state.get("class_join_code", ""))


def on_leave():
    acting()
    for key in (STATE, READ, SEEN, PUBLISHED, LOADED, "_class_tried"):
        st.session_state.pop(key, None)
    for key in (CLASS, STUDENT, TEACHER):
        st.query_params.pop(key, None)


def on_follow():
    """The Follow toggle: on goes back to the teacher's network, iteration and stage."""
    st.session_state[FOLLOWING] = bool(st.session_state.get(FOLLOW))
    found = state(fresh=True)
    if st.session_state[FOLLOWING] and found is not None:
        attempt(catch_up, found)


def load(found):
    """Open the class's network at the teacher's iteration and stage in this session's Lab (ValueError, the Lab
    unchanged, when it cannot be read); True."""
    config = read_token(found.payload)
    if found.iteration:
        iteration.open_in(lab(), config, shared().iteration(found.code, found.iteration))
    else:
        lab().open_link(config)
    st.session_state[LOADED] = (found.payload, found.iteration, lab().start)
    follow(found.stage)
    return True


def explored():
    """True when this student's Lab no longer holds the class's iteration as last opened (they recorded another:
    a new iteration, a setting, another network)."""
    loaded = st.session_state.get(LOADED)
    return loaded is None or loaded[2] is not lab().start


def catch_up(found):
    """Back to the teacher: their network and iteration when this Lab holds others, and their stage."""
    loaded = st.session_state.get(LOADED)
    if explored() or loaded[:2] != (found.payload, found.iteration):
        load(found)
    else:
        follow(found.stage)


def follow(stage):
    try:
        lab().jump_to(stage)
    except ValueError:
        pass  # the teacher's stage is not one of this network's: the student stays where they are


# --- the teacher's actions ---

def teacher_action(name):
    """Button callback: ask, close, revote, reveal or end the class, with this session's teacher key."""
    acting()
    code, key = current()["code"], current()["key"]
    if name == "ask":
        from ui.predict import current_question
        asked = {}
        for language in i18n.LANGUAGES:  # the same question (the same numbers) in each: every session reads its own
            with i18n.use(language):
                asked[language] = current_question()
        if asked[i18n.current()] is None:
            st.session_state[MESSAGE] = _("This stage has no question to ask.")
            return
        attempt(lambda: shared().ask(code, key, question_json(asked, n=len(lab().trace.forward[0].input))))
    else:
        attempt(lambda: getattr(shared(), name)(code, key))
    st.session_state.pop(READ, None)


def publish():
    """app.py and pages/step.py, each run (of the stage area): the teacher's stage, network and iteration become
    the class's. The iteration is packed and sent only when the Lab recorded another (Lab.start is new) whose
    numbers differ (its digest)."""
    L = lab()
    if not is_teacher() or L.trace is None:
        return
    stage, token = str(L.current), config_token(L.config)
    sent = st.session_state.get(PUBLISHED) or (None, None, None, None)
    if sent[:2] == (stage, token) and sent[2] is L.start:
        return
    packed = attempt(iteration.pack, L) if sent[2] is not L.start else None
    if packed is not None and packed[1] == sent[3]:
        packed = None  # recorded again with the same numbers (another setting): the students have them
    st.session_state[PUBLISHED] = (stage, token, L.start, packed[1] if packed else sent[3])
    attempt(lambda: shared().advance(current()["code"], current()["key"], stage, token, packed))


# --- what each page draws ---

def draw_start():
    """Build's Share section: Start a class, and once started its code, student link, QR code and teacher link."""
    if not is_teacher():
        st.markdown(_("**A class**: students join with a code, follow your stage, and answer its question "
                      "together; you see how many answered and, once you close the vote, what they answered."))
        st.button(_("Start a class"), key="class_start", on_click=on_start, icon=":material/groups:")
        message()
        return
    code, key = current()["code"], current()["key"]
    host = st.context.headers.get("Host")
    student = class_link(st.context.url, code, host)
    left, right = st.columns([3, 2])
    with left:
        with st.container(key="class_code"):
            st.markdown(_("Class code: **{code}**").format(code=code))
        st.markdown(_("Students open this link (or type the code on the Step page):"))
        st.code(student, language=None, wrap_lines=True)
        st.markdown(_("Your projector's view (keep this link to yourself: it steers the class):"))
        st.code(class_link(st.context.url, code, host, key), language=None, wrap_lines=True)
        st.button(_("Leave the class"), key="class_leave", on_click=on_leave)
    right.image(qr_svg(student), caption=_("The student link"), width=260)
    message()


def hides():
    """True while this stage's class question is not revealed (the results would give the answer away)."""
    found = state() if current() is not None else None
    if found is None or found.round is None or found.revealed or lab().trace is None:
        return False
    return read_question(found.round.question)[0].stage == str(lab().current)


def asks_here():
    """True when the class has a question at the shown stage, to draw instead of the learner's own."""
    found = state() if current() is not None else None
    return bool(found and found.round and lab().trace is not None
                and read_question(found.round.question)[0].stage == str(lab().current))


def on_answer():
    acting()
    found = state(fresh=True)
    asked = read_question(found.round.question, i18n.current())[0]  # as the widget showed it
    if asked.widget == "number":
        readable, value = number_field.read(ANSWER)  # 0.057 or 0,057
        if not readable:  # the field's message says how to type a number
            return
    else:
        value = st.session_state.get(ANSWER)
    listed = list(asked.options)
    if value is None or value == [] or asked.widget != "number" and any(
            v not in listed for v in (value if isinstance(value, (list, tuple)) else [value])):
        st.session_state[MESSAGE] = _("Choose or type an answer first.")
        return
    ids = option_ids(asked, value)  # an option counts by its id, whichever language showed it
    attempt(lambda: shared().answer(current()["code"], student_id(), found.round.number,
                                    list(ids) if isinstance(ids, tuple) else ids))


def said(question, value):
    if value is None:
        return _("no answer")
    if question.widget == "number":
        return shown(value)
    return ", ".join(map(str, value)) or _("none") if isinstance(value, tuple) else str(value)


@st.fragment
def draw_question():
    """The class's question at this stage: for a student the answer widget while the vote is open, the answer
    given, and after the reveal the right one; for the teacher the question alone. A fragment: Send reruns it
    alone, not the stage's tensors around it."""
    from ui.predict import answer_widget
    found = state()
    if found is None or found.round is None:  # (the fragment rerun alone: the class cannot be read)
        message()
        return
    r = found.round
    asked = read_question(r.question, i18n.current())[0]
    with st.container(border=True, key="class_question"):
        title = _("Class question (vote {vote}).").format(vote=r.vote) if r.vote > 1 else _("Class question.")
        st.markdown(f"**{title}** {asked.text}")
        if is_teacher():
            st.caption(_("The vote is open: the class answers on their screens.") if r.is_open else
                       _("The answer: **{answer}**.").format(answer=said(asked, asked.answer)) if found.revealed
                       else _("The vote is closed."))
            return
        mine = attempt(lambda: shared().mine(current()["code"], student_id(), r.number), into=READ_ERROR)
        mine = None if mine is None else option_values(asked, mine)
        if r.is_open:
            if st.session_state.get(ASKED) != r.number:
                st.session_state.pop(ANSWER, None)
                st.session_state[ASKED] = r.number
            with st.container(horizontal=True, vertical_alignment="bottom"):
                answer_widget(asked)
                st.button(_("Send"), key="predict_submit", on_click=on_answer, type="primary")
            error_for(ANSWER)
            st.caption(_("Your answer: **{answer}**. You can change it until the vote closes.").format(
                answer=said(asked, mine)) if mine is not None else
                _("Your answer counts once; you can change it until the vote closes."))
        elif found.revealed:
            right = mine is not None and is_right(asked, mine)
            (st.success if right else st.info)(_("The answer: **{answer}**; yours: **{yours}**.").format(
                answer=said(asked, asked.answer), yours=said(asked, mine)))
        else:
            st.info(_("The vote is closed. Your answer: **{answer}**. Wait for the teacher.").format(
                answer=said(asked, mine)))
        message()


def draw_join():
    """Step page, outside a class: join one by its code."""
    with st.container(horizontal=True, vertical_alignment="bottom", key="class_join_box"):
        st.text_input(_("Join a class: its code"), key="class_join_code", max_chars=12, width=220,
                      placeholder=_("e.g. {code}").format(code="HMX4QT"))
        st.button(_("Join"), key="class_join", on_click=on_join)
    message()


def draw_panel():
    """Step page: the class line (code, follow, leave) and, for the teacher, the controls, count and chart. A
    student's line is drawn with the page; their refresh (watch) draws nothing while the class is unchanged."""
    if current() is None:
        return
    if is_teacher():
        panel()
        return
    with st.container():  # one block whatever it holds: the stage area after it keeps its fragments' ids
        found = state()
        if found is not None:
            exploring()
            student_line(found)
        else:
            message()
    watch()


@st.fragment(run_every=POLL_S)
def panel():
    """The teacher's refresh: the controls and the live count, drawn again every POLL_S."""
    found = state(fresh=True)
    if found is None:
        message()
        return
    follow_changes(found)
    teacher_panel(found)
    message()


@st.fragment(run_every=POLL_S)
def watch():
    """A student's refresh: it reads the class (this server's copy of it, Classroom.state's max_age) and draws
    nothing, unless the class changed (the page is drawn again) or cannot be read (the message)."""
    found = state(fresh=True)
    if found is None:
        message()
        return
    if exploring():
        st.rerun(scope="app")  # the toggle, drawn with the page, shows it
    follow_changes(found)


def exploring():
    """A following student who recorded an iteration of their own is exploring, until they return: True when
    this turns their following off."""
    if st.session_state.get(FOLLOWING) and explored():
        st.session_state[FOLLOWING] = False
        return True
    return False


def follow_changes(found):
    """When the teacher acted (signature), the whole page draws it: a following student goes to their stage."""
    seen = st.session_state.get(SEEN)
    st.session_state[SEEN] = signature(found)
    if seen is not None and seen != signature(found):
        if not is_teacher() and st.session_state.get(FOLLOWING) and seen[:3] != signature(found)[:3]:
            attempt(catch_up, found)
        st.rerun(scope="app")


def student_line(found):
    with st.container(horizontal=True, vertical_alignment="center"):
        st.markdown(_("**Class {code}** · the class has ended").format(code=found.code) if found.ended else
                    _("**Class {code}**").format(code=found.code))
        following = bool(st.session_state.get(FOLLOWING))
        if st.session_state.get(FOLLOW) is not None:  # (join drops it: a first toggle shows its default)
            sync(FOLLOW, following)  # turned off by exploring (explored())
        # its default is the state too: a toggle the browser draws afresh (after the page's rerun from the
        # refresh) starts from the default and sends it back, which must not stop the student following
        st.toggle(_("Follow the teacher"), value=following, key=FOLLOW, on_change=on_follow,
                  help=_("Off: explore on your own; on: back to the teacher's stage"))
        st.button(_("Leave the class"), key="class_leave", on_click=on_leave)
    message()


def draw_elsewhere():
    """Step page's stage area, for a student: a vote open at another stage than the shown one says so."""
    found = state() if current() is not None and not is_teacher() else None
    if found is not None and found.round and found.round.is_open and found.stage != str(lab().current):
        st.info(_("A vote is open at **{stage}**: follow the teacher to answer it.").format(
            stage=plain(found.stage)))


def teacher_panel(found):
    r = found.round
    here = r is not None and read_question(r.question)[0].stage == str(lab().current)
    with st.container(horizontal=True, vertical_alignment="center", key="class_controls"):
        st.markdown(_("**Class {code}**").format(code=found.code))
        if found.ended:
            st.markdown(_("The class has ended."))
        elif r is not None and r.is_open:
            st.button(_("Close the vote"), key="class_close", on_click=teacher_action, args=("close",), type="primary")
        else:
            st.button(_("Ask the class"), key="class_ask", on_click=teacher_action, args=("ask",), type="primary")
            if here:
                st.button(_("Vote again"), key="class_revote", on_click=teacher_action, args=("revote",))
                st.button(_("Reveal"), key="class_reveal", on_click=teacher_action, args=("reveal",),
                          disabled=found.revealed)
        if not found.ended:
            st.button(_("End the class"), key="class_end", on_click=teacher_action, args=("end",))
        st.button(_("Leave"), key="class_leave", on_click=on_leave)
    if found.ended:
        language = i18n.current()  # the download runs later, outside this run
        st.download_button(_("Download the answers (CSV)"),
                           lambda: shared().export(found.code, current()["key"], language).to_csv(index=False),
                           file_name=f"class-{found.code}.csv", mime="text/csv", key="class_csv", on_click="ignore")
    if r is not None and r.is_open:
        count = attempt(lambda: shared().count(found.code, r.number), into=READ_ERROR)
        with st.container(key="class_count"):
            st.markdown("## " + ngettext("{n} answered", "{n} answered", count or 0).format(n=count or 0))
        st.caption(_("The answers are shown once you close the vote."))
    elif r is not None and here:
        draw_histogram(found)


def draw_histogram(found):
    """The closed vote's distribution: this question's rounds side by side (vote 1 and vote 2), its options in
    this session's language (every student's answer counted by its option's id)."""
    r, key = found.round, current()["key"]
    numbers = tuple(range(r.number - r.vote + 1, r.number + 1))
    drawn = st.session_state.get(FIGURE)
    if drawn is None or drawn[0] != (found.code, numbers, i18n.current()):
        given = {}
        for number in numbers:
            result = attempt(lambda n=number: shared().results(found.code, key, n))
            if result is None:
                message()
                return
            given[number] = result[1]
        asked, n = read_question(r.question, i18n.current())
        table = distribution(asked, n, {k: [option_values(asked, a) for a in answers] for k, answers in given.items()})
        figure = distribution_figure(table, {k: _("Vote {n}").format(n=k - numbers[0] + 1) for k in numbers})
        drawn = st.session_state[FIGURE] = ((found.code, numbers, i18n.current()), figure,
                                            [(k - numbers[0] + 1, share_right(table, k), len(given[k]))
                                             for k in numbers])
    st.plotly_chart(drawn[1], key="class_histogram", config={"displayModeBar": False})
    st.caption(" · ".join(ngettext("vote {vote}: {n} answer, {share} right", "vote {vote}: {n} answers, {share} right",
                                   total).format(vote=v, n=total, share=f"{share:.0%}") if total else
                          _("vote {vote}: no answers").format(vote=v) for v, share, total in drawn[2]))
