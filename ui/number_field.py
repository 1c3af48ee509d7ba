"""Number fields that take a decimal point or a decimal comma: 0.057 and 0,057 alike.

Streamlit's st.number_input drops a typed comma in the browser ("0,057" becomes 57, "0,01" becomes 1), so an
answer is typed into a text field and read here: text that is no number gets a message beside the field, and
the answer waits, nothing is checked until the field holds a number. Every other number field (the Build and
Train pages' learning rate, momentum, p...) gets a point where a comma is typed or pasted (decimal_comma).
"""
import re

import streamlit as st

from i18n import domain
from ui.actions import ERRORS

_, ngettext = domain("ui")
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")  # a decimal point (a comma is made one first)
MINUS = "\u2212"  # the typographic minus sign, as copied from a formula
# In every <input type="number"> of the page: a typed comma becomes a point, a pasted "0,057" becomes "0.057"
# (insertText edits the field as typing does, so Streamlit's widget sees the change). Installed once per page.
COMMA_TO_POINT = """<script>
if (!window.backpropLensDecimalComma) {
  window.backpropLensDecimalComma = true;
  const numberField = (element) => element instanceof HTMLInputElement && element.type === "number";
  document.addEventListener("keydown", (event) => {
    if (numberField(event.target) && event.key === "," && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      document.execCommand("insertText", false, ".");
    }
  }, true);
  document.addEventListener("paste", (event) => {
    const text = (event.clipboardData && event.clipboardData.getData("text")) || "";
    if (numberField(event.target) && /^\\s*[-+\u2212]?\\d*,\\d*([eE][-+]?\\d+)?\\s*$/.test(text)) {
      event.preventDefault();
      document.execCommand("insertText", false, text.trim().replace(",", ".").replace("\u2212", "-"));
    }
  }, true);
}
</script>"""


def parse(text):
    """The number text holds ("0.057", "0,057", "-1,5e-3", " 2 "), None when it is blank; ValueError (which
    says how to type it) when it holds no number. A number given as such (set through session state) passes."""
    if text is None or isinstance(text, (int, float)):
        return None if text is None else float(text)
    cleaned = str(text).strip().replace(MINUS, "-")
    if not cleaned:
        return None
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    if not NUMBER.fullmatch(cleaned):
        raise ValueError(_('"{text}" is not a number: type it as 0.057 or 0,057').format(text=str(text).strip()))
    return float(cleaned)


def on_edit(key):
    """The field's callback: a message beside it while its text is no number, none once it is one."""
    errors = st.session_state.setdefault(ERRORS, {})
    try:
        parse(st.session_state.get(key))
        errors.pop(key, None)
    except ValueError as error:
        errors[key] = str(error)


def read(key):
    """For a Check button: (True, the number or None when blank) when field `key` holds one; else (False, None)
    and its message is shown beside it."""
    on_edit(key)
    if key in st.session_state[ERRORS]:
        return False, None
    return True, parse(st.session_state.get(key))


def decimal_comma():
    """Make every st.number_input of the page take a decimal comma (call once per run, where it takes no room)."""
    st.html(COMMA_TO_POINT, unsafe_allow_javascript=True, width="content")


def field(label, key, width, label_visibility="visible"):
    """A text field for a number (keyed `key`): 0.057 or 0,057. Show its message with ui.actions.error_for(key)."""
    st.text_input(label, key=key, width=width, placeholder="0.057", on_change=on_edit, args=(key,),
                  label_visibility=label_visibility)
