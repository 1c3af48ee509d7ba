"""A Streamlit session without a browser: what a tab sends over /_stcore/stream and what it reads, enough to drive
hundreds of simulated students through HAProxy to the app servers (bench/class_bench.py).

Tab(url, query) opens as a browser tab does: an HTTP GET of the page (HAProxy's affinity cookie, BLREPLICA, is
kept and sent with the websocket, as a browser does), then ws://HOST:PORT/_stcore/stream with the subprotocol
"streamlit" and a rerun_script BackMsg (ClientState: the query string, the page's script hash, the widgets'
values). It reads the ForwardMsgs: new_session (a whole run begins), navigation (the pages' script hashes),
page_info_changed (the query string the script set: st.query_params), deltas (each widget's id, which ends with
its user key, "$$ID-<hash>-<key>", and the fragment it is drawn in; markdown text), auto_rerun (a fragment's
run_every: the tab then sends is_auto_rerun reruns of that fragment at that interval, as the browser's timer does)
and script_finished (with the fragments the run ran, metadata.run). A click is a rerun carrying the widgets'
values and the button's trigger_value, as the browser sends it: of the button's fragment alone when it is drawn
in one (st.fragment), else of the whole page.
"""
import asyncio
import re
import time
import urllib.request
from urllib.parse import urlsplit

from websockets.asyncio.client import connect

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

AFFINITY = "BLREPLICA"  # HAProxy's cookie (deploy/haproxy.cfg)
WHOLE_RUN = ForwardMsg.FINISHED_SUCCESSFULLY
FRAGMENT_RUN = ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY


def user_key(widget_id):
    """The user key a widget id ends with ("$$ID-<hash>-predict_submit" -> "predict_submit"), or None."""
    key = widget_id.split("-", maxsplit=2)[-1]
    return None if key == "None" else key


class Tab:
    """One browser tab's Streamlit session on url (the app's root, e.g. through HAProxy) with the page address's
    query (e.g. "class=ABC234&student=..."); polls=False leaves the fragments' run_every timers off."""

    def __init__(self, url, query="", polls=True, timeout=120):
        self.url, self.query, self.polls, self.timeout = url.rstrip("/") + "/", query, polls, timeout
        self.cookies = {}
        self.page_hash = ""        # the page shown (navigation's page_script_hash), "" before the first run
        self.pages = {}            # url path ("build", ...) -> page script hash
        self.widgets = {}          # user key -> widget id, from every delta seen (the latest one drawn)
        self.labels = {}           # user key -> the widget's label, as last drawn
        self.values = {}           # widget id -> WidgetState this tab holds and sends with every rerun
        self.whole_runs = self.fragment_runs = 0  # finished runs, counted as the server reports them
        self.elements = 0          # elements drawn (new_element deltas; a fragment's own block is not one)
        self.fragment_of = {}      # user key -> the fragment the widget is drawn in ("" for none)
        self.fragment_done = {}    # fragment id -> finished runs of it (a fragment run, or a whole one that drew it)
        self.auto = {}             # fragment id -> its run_every interval, as the server asked
        self.on_markdown = None    # callable(time.time(), body) for every markdown element drawn, or None
        self.errors = []           # exceptions drawn on the page (the script raised)
        self._changed = asyncio.Condition()
        self._timers, self._socket, self._reader = {}, None, None

    @property
    def replica(self):
        return self.cookies.get(AFFINITY)

    # --- the connection ---

    async def open(self, page=""):
        """GET the page (keeps the cookies), connect the websocket, run the script once; page: a url path."""
        self.cookies = await asyncio.to_thread(self._get)
        parts = urlsplit(self.url)
        header = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        self._socket = await connect(f"ws://{parts.netloc}{parts.path}_stcore/stream", subprotocols=["streamlit"],
                                     additional_headers=header, max_size=None, ping_interval=None,
                                     open_timeout=self.timeout, compression=None)
        self._reader = asyncio.create_task(self._read())
        done = self.whole_runs
        await self.rerun()
        await self.until(lambda: self.whole_runs > done)
        if page:
            await self.go(page)

    def _get(self):
        request = urllib.request.Request(self.url + (f"?{self.query}" if self.query else ""))
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            response.read()
            found = {}
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, value = header.split(";", 1)[0].partition("=")
                found[name.strip()] = value.strip()
            return found

    async def close(self):
        for timer in self._timers.values():
            timer[1].cancel()
        self._timers.clear()
        if self._socket is not None:
            await self._socket.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)

    # --- what the tab sends ---

    async def rerun(self, fragment_id="", auto=False, trigger=None):
        """A rerun_script BackMsg with this tab's values (and trigger: a button's id pressed, for this run only)."""
        message = BackMsg()
        state = message.rerun_script
        state.query_string, state.page_script_hash = self.query, self.page_hash
        state.fragment_id, state.is_auto_rerun = fragment_id, auto
        for value in self.values.values():
            state.widget_states.widgets.add().CopyFrom(value)
        if trigger is not None:
            state.widget_states.widgets.add(id=trigger, trigger_value=True)
        await self._socket.send(message.SerializeToString())

    def set_text(self, key, text):
        """Type text into the widget with this user key (a text field): sent with the next rerun."""
        widget = self.widgets[key]
        self.values[widget] = WidgetState(id=widget, string_value=text)

    async def click(self, key):
        """Press the button with this user key, as the browser does (a rerun of its fragment when it is drawn in
        one): (the time it was sent, ran), ran() being True once a run of it has finished since."""
        fragment = self.fragment_of.get(key, "")
        whole, done = self.whole_runs, self.fragment_done.get(fragment, 0)
        sent = time.time()
        await self.rerun(fragment_id=fragment, trigger=self.widgets[key])
        return sent, lambda: self.whole_runs > whole or bool(fragment) and self.fragment_done.get(fragment, 0) > done

    def start_polls(self):
        """The fragments' run_every timers, as the server asked for them (polls=False held them back)."""
        self.polls = True
        for fragment, interval in self.auto.items():
            self._poll(fragment, interval)

    def stop_polls(self):
        self.polls = False
        for timer in self._timers.values():
            timer[1].cancel()
        self._timers.clear()

    async def go(self, path):
        """Open another page (its url path, e.g. "build") and wait for its run to finish."""
        self.page_hash = self.pages[path]
        done = self.whole_runs
        await self.rerun()
        await self.until(lambda: self.whole_runs > done)

    async def until(self, condition, timeout=None):
        """Wait until condition() holds, checked after every message received; TimeoutError after timeout s."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(condition), timeout or self.timeout)

    # --- what the tab reads ---

    async def _read(self):
        try:
            async for frame in self._socket:
                self._take(ForwardMsg.FromString(frame))
                async with self._changed:
                    self._changed.notify_all()
        finally:
            async with self._changed:
                self._changed.notify_all()

    def _take(self, message):
        kind = message.WhichOneof("type")
        if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            self.elements += 1
            self._element(message.delta.new_element, message.delta.fragment_id)
        elif kind == "navigation":
            self.page_hash = message.navigation.page_script_hash
            self.pages = {page.url_pathname: page.page_script_hash for page in message.navigation.app_pages}
        elif kind == "page_info_changed":
            self.query = message.page_info_changed.query_string
        elif kind == "auto_rerun":
            self.auto[message.auto_rerun.fragment_id] = message.auto_rerun.interval
            if self.polls:
                self._poll(message.auto_rerun.fragment_id, message.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            for fragment in message.stop_auto_rerun.fragment_ids:
                self.auto.pop(fragment, None)
                timer = self._timers.pop(fragment, None)
                if timer:
                    timer[1].cancel()
        elif kind == "script_finished":
            if message.script_finished == WHOLE_RUN:
                self.whole_runs += 1
            elif message.script_finished == FRAGMENT_RUN:
                self.fragment_runs += 1
                for fragment in message.metadata.run.fragment_ids:
                    self.fragment_done[fragment] = self.fragment_done.get(fragment, 0) + 1

    def _element(self, element, fragment=""):
        kind = element.WhichOneof("type")
        if kind is None:
            return
        body = getattr(element, kind)
        if kind == "markdown" and self.on_markdown is not None:
            self.on_markdown(time.time(), body.body)
        elif kind == "exception":
            self.errors.append(f"{body.type}: {body.message}")
        elif "id" in body.DESCRIPTOR.fields_by_name and body.id:
            key = user_key(body.id)
            if key is not None:
                self.widgets[key] = body.id
                self.fragment_of[key] = fragment
                self.labels[key] = getattr(body, "label", "")

    def _poll(self, fragment_id, interval):
        """The browser's timer for a fragment's run_every (one per fragment; a new interval replaces it)."""
        if fragment_id in self._timers and self._timers[fragment_id][0] == interval:
            return
        if fragment_id in self._timers:
            self._timers[fragment_id][1].cancel()

        async def tick():
            while True:
                await asyncio.sleep(interval)
                await self.rerun(fragment_id=fragment_id, auto=True)
        self._timers[fragment_id] = (interval, asyncio.create_task(tick()))


async def class_started(url, counts=None):
    """A teacher's session starts a class on Build; its projector's session opens the teacher link (counts: the
    "N answered" it draws, appended): (teacher, projector, the class code)."""
    teacher = Tab(url)
    await teacher.open("build")
    _sent, ran = await teacher.click("class_start")
    await teacher.until(ran)
    code = re.search(r"class=(\w+)&teacher=", teacher.query)[1]
    projector = Tab(url, teacher.query)
    if counts is not None:
        projector.on_markdown = lambda at, body: counts.extend(re.findall(r"^## (\d+) answered", body))
    await projector.open()
    return teacher, projector, code
