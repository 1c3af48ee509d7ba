"""Make the next stage's panels while the learner looks at this one, so that Next finds them made.

The Step page keeps each stage's panels per recorded iteration (ui.cache.per_iteration); after drawing a
stage it hands the next stage's computation to a thread of its own, which waits a moment (the page's own
messages go out first) and stores the panels under the key the next rerun looks them up by. The thread
only reads the recorded trace and the model's layers; a click that comes first simply computes them itself.
"""
import threading
import time

import i18n
from ui.cache import iteration_store, worded

DELAY_S = 0.25  # the rerun that starts it has sent its page by then


def prefetch(store, key, compute):
    """compute() for per_iteration store `store` under `key`, in a thread, unless the store has it already."""
    key, views = worded(key), iteration_store(store)["views"]  # the store of the iteration shown, in its language
    if key in views:
        return
    language = i18n.current()  # the thread speaks the session's language, as the click would

    def work():
        time.sleep(DELAY_S)
        if key not in views:
            try:
                with i18n.use(language):
                    views.setdefault(key, compute())
            except Exception:  # noqa: BLE001 - the click that needs it computes it again and reports the error
                return

    threading.Thread(target=work, name="step-prefetch", daemon=True).start()
