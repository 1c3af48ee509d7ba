"""JSON from a learner's file or link, read with a bounded nesting depth: text nested a million deep
("[[[[...]]]]") gives a ValueError that says so, never a RecursionError."""
import json

from i18n import domain

_, ngettext = domain("lab")

MAX_DEPTH = 32  # an exported configuration nests 3 deep: the object, its layers list, a layer
MAX_DIGITS = 100  # digits of an integer read as a number (a generator's state has 39); longer ones stay text


class LongInteger:
    """An integer of more digits than any field allows, kept as its digit count: Python refuses to convert
    one of over 4,300 digits, and a field's check then says its range ("got an integer of 5,000 digits")."""

    def __init__(self, digits):
        self.digits = digits

    def __repr__(self):
        return ngettext("an integer of {n} digit", "an integer of {n} digits", self.digits).format(
            n=f"{self.digits:,}")


def integer(text):
    """json's parse_int: int(text), or a LongInteger when text has more than MAX_DIGITS digits."""
    digits = len(text.lstrip("-"))
    return int(text) if digits <= MAX_DIGITS else LongInteger(digits)


def depth(value):
    """How deep lists and objects nest in a parsed JSON value (0 for a number or a string), counted
    without recursion and up to MAX_DEPTH + 1."""
    deepest, todo = 0, [(value, 1)] if isinstance(value, (dict, list)) else []
    while todo and deepest <= MAX_DEPTH:
        item, level = todo.pop()
        deepest = max(deepest, level)
        children = item.values() if isinstance(item, dict) else item
        todo.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def loads(text, what):
    """json.loads(text); ValueError naming `what` when it is not JSON or nests deeper than MAX_DEPTH."""
    too_deep = _("{what} nests lists or objects more than {depth} deep (an export nests 3 deep)").format(
        what=what, depth=MAX_DEPTH)
    try:
        value = json.loads(text, parse_int=integer)
    except json.JSONDecodeError as error:
        raise ValueError(_("{what} is not valid JSON: {error}").format(what=what, error=error)) from None
    except RecursionError:  # Python's parser gives up near its recursion limit (about 1,000 deep)
        raise ValueError(too_deep) from None
    if depth(value) > MAX_DEPTH:
        raise ValueError(too_deep)
    return value
