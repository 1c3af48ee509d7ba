"""Join codes, teacher keys and student ids, and the rate limit on wrong join codes.

A join code is 6 characters from an alphabet without look-alikes (no 0/O, 1/I/L, 5/S, 2/Z, 8/B), so a code read
off a projector is typed right; a teacher key is 32 random bytes, stored only as its SHA-256; a student id is a
random token kept in the page's address.
"""
import hashlib
import hmac
import re
import secrets
import time
from collections import deque

ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 6
CODE = re.compile(f"[{ALPHABET}]{{{CODE_LENGTH}}}")
STUDENT = re.compile(r"[A-Za-z0-9_-]{16,40}")
WRONG_CODES, WINDOW_S = 5, 60.0  # at most 5 wrong join codes a minute per session


def new_code():
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normal_code(text):
    """A typed code as stored: upper case, spaces and dashes dropped; None when it cannot be a code."""
    code = re.sub(r"[\s-]", "", str(text or "")).upper()
    return code if CODE.fullmatch(code) else None


def new_teacher_key():
    return secrets.token_urlsafe(32)


def key_hash(key):
    return hashlib.sha256(str(key or "").encode("utf-8")).hexdigest()


def key_matches(key, stored_hash):
    """Whether key is the teacher key whose hash is stored (compared in constant time)."""
    return hmac.compare_digest(key_hash(key), stored_hash)


def new_student_id():
    return secrets.token_urlsafe(16)


def valid_student(student):
    return isinstance(student, str) and STUDENT.fullmatch(student) is not None


class JoinLimiter:
    """Counts one session's wrong join codes: allowed() is False after WRONG_CODES in WINDOW_S seconds."""

    def __init__(self, limit=WRONG_CODES, window=WINDOW_S, clock=time.monotonic):
        self.limit, self.window, self.clock, self.wrong = limit, window, clock, deque()

    def __repr__(self):
        return f"JoinLimiter({len(self.wrong)} wrong of {self.limit} in {self.window:g} s)"

    def _forget(self):
        while self.wrong and self.clock() - self.wrong[0] > self.window:
            self.wrong.popleft()

    def allowed(self):
        self._forget()
        return len(self.wrong) < self.limit

    def wait(self):
        """Seconds until the next try is allowed (0 when it is)."""
        self._forget()
        return 0.0 if len(self.wrong) < self.limit else max(0.0, self.window - (self.clock() - self.wrong[0]))

    def failed(self):
        self.wrong.append(self.clock())
