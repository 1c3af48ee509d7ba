"""A class's links: the student link (?class=CODE) and the teacher link (&teacher=KEY&present=1, the projector)."""
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from lab.links import HOST, PRESENT

CLASS, STUDENT, TEACHER = "class", "student", "teacher"  # the query parameters


def class_link(page_url, code, host=None, teacher_key=None):
    """The app's root URL with ?class=CODE (and, for the teacher's projector, &teacher=KEY&present=1): the scheme
    and path of the page shown (page_url), the host the browser used (its Host header) when it is a plain host."""
    parts = urlsplit(page_url or "")
    root = parts.path.rsplit("/", 1)[0] + "/"
    query = {CLASS: code, **({TEACHER: teacher_key, PRESENT: "1"} if teacher_key else {})}
    netloc = host if host and HOST.fullmatch(host) else parts.netloc
    return urlunsplit((parts.scheme, netloc, root, urlencode(query, quote_via=quote), ""))


def qr_svg(url):
    """The QR code of url as SVG text (segno, drawn locally), dark on white, large enough for a projector."""
    import segno
    return segno.make(url, error="m").svg_inline(scale=8, dark="#000000", light="#ffffff")
