"""Find English prose in what a page shows: a test of the Russian interface fails on any.

Exempt: code spans, formulas ($…$, $$…$$, \\command), addresses, identifiers (snake_case, camelCase, CamelCase,
dotted names, calls), acronyms (MSE, NLL, SGD), single letters and the short list of technical words below
(layer names, library names, the datasets' names, the methods students write, the switch's "English").
Everything else written in Latin letters counts as English: a Russian page shows none of it."""
import ast
import html
import json
import re

ALLOWED = {word.lower() for word in """
    lr momentum blobs circles moons digits iris softmax logsoftmax dropout batchnorm relu elu softplus sigmoid tanh
    linear flatten scaling sequential module criterion adam sgd conv maxpool avgpool forward backward
    numpy torch pytorch python jupyter streamlit plotly chromium github gradescope junit pytest copydetect bubblewrap
    bwrap npz csv json png svg float int nan inf max min sum mean log exp argmax abs sqrt eps epsilon alpha beta
    gamma lambda mu sigma std var np ipynb py backprop lens sklearn matplotlib md utf url haproxy postgresql sqlite
    xor mnist kaggle fashion kubernetes ingress nginx docker seed lua evaluate
    english spiral regression
""".split()}
STOPWORDS = set("""an the of to in is are be as it its on at by or and for with from this that no not you your
    we our can will was were has have what which how when where here there each every one all""".split())

REMOVED = [
    re.compile(r"```.*?```", re.S), re.compile(r"`[^`]*`"),                      # code
    re.compile(r"\$\$.*?\$\$", re.S), re.compile(r"\$[^$\n]+\$"),                # formulas
    re.compile(r"\\\(.*?\\\)", re.S), re.compile(r"\\[A-Za-z]+"),               # \( … \), \frac
    re.compile(r"https?://\S+"), re.compile(r"\]\([^)]*\)"),                      # addresses, link targets
    re.compile(r":material/[a-z_]+:"), re.compile(r":[a-z]+(-badge|-background)?\["),  # icons, badge directives
    re.compile(r"<[^>]+>"), re.compile(r"%\{[^}]*\}"), re.compile(r"\{[^}]*\}"),  # tags, Plotly's placeholders
    re.compile(r"\b[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)+\b"),                         # dotted names: np.sum, layer.W
    re.compile(r"\b[A-Za-z_]\w*\("), re.compile(r"\b[A-Za-z_]\w*="),            # calls: Linear(, slope=
    re.compile(r"\bone-hot\b"),
    re.compile(r"\?[a-z]+=\S*|&[a-z]+=\S*"),                                      # ?lang=ru, &bug=
    re.compile(r"\b\S+\.(?:py|npz|csv|json|png|ipynb|md|txt|zip|whl)\b"),         # file names
]
WORD = re.compile(r"(?<![\w\-/])[A-Za-z][A-Za-z'’]*(?![\w(])")


def english_words(text):
    """The words of text that make it English (empty for Russian text with code, formulas and names)."""
    for pattern in REMOVED:
        text = pattern.sub(" ", text)
    found = []
    for match in WORD.finditer(text):
        word = match.group(0).strip("'’")
        lower = word.lower()
        if lower in STOPWORDS:
            found.append(word)
        elif (len(word) <= 2 or lower in ALLOWED or word.isupper() or any(c.isupper() for c in word[1:])
              or "_" in word):
            continue
        else:
            found.append(word)
    return found


SHOWN_FIELDS = {"body", "label", "help", "placeholder", "options", "content", "text", "caption", "title",
                "description", "tooltip"}


def proto_texts(message):
    """The strings a user reads in an element's protobuf: its body, label, help, options, …, recursively."""
    for field, value in message.ListFields():
        if field.type == field.TYPE_MESSAGE:
            for item in (value if field.is_repeated else [value]):
                yield from proto_texts(item)
        elif field.type == field.TYPE_STRING and field.name in SHOWN_FIELDS:
            yield from (value if field.is_repeated else [value])


def figure_texts(spec):
    """The prose of a Plotly figure: titles, axis titles, annotations, legend and trace names, hover templates."""
    layout, found = spec.get("layout", {}), []

    def title(obj):
        t = (obj or {}).get("title")
        return t.get("text") if isinstance(t, dict) else t
    found.append(title(layout))
    found += [title(axis) for key, axis in layout.items() if key.startswith(("xaxis", "yaxis")) and isinstance(axis, dict)]
    found += [a.get("text") for a in layout.get("annotations", [])]
    found.append(title(layout.get("legend")))
    for trace in spec.get("data", []):
        found += [trace.get("name"), trace.get("hovertemplate"), title(trace.get("colorbar"))]
        for key in ("text", "hovertext", "texttemplate"):
            if isinstance(trace.get(key), str):
                found.append(trace[key])
    return [t for t in found if isinstance(t, str) and t]


def picture_texts(data):
    """The prose of a tensor grid (ui.tensor_grid): the texts of its SVG and of each tile's hover."""
    found = [html.unescape(t) for t in re.findall(r">([^<>]+)</text>", data.get("svg", ""))]
    for tile in data.get("tiles", []):
        found += [tile.get(key) for key in ("title", "heading", "y_label", "x_label", "value_word", "after")]
    return [t.strip() for t in found if isinstance(t, str) and t.strip()]


def code_texts(code):
    """What code shows a reader in prose: its comments and the strings it prints."""
    comments = [line.rsplit("#", 1)[1].strip() for line in code.splitlines() if "#" in line]  # "# x = 1  # why"
    return [part for c in comments for part in re.split(r":\s+", c) if part and not is_python(part)] \
        + re.findall(r"print\(\s*f?[\"']([^\"']+)", code)


def is_python(text):
    """True for code quoted in a comment ("# right: self.output = input @ self.W")."""
    try:
        ast.parse(text.strip())
    except SyntaxError:
        return False
    return True


def walk(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from walk(child)


def page_texts(at):
    """(element type, text) for every text an AppTest page shows."""
    for node in walk(at._tree):
        proto, kind = getattr(node, "proto", None), getattr(node, "type", "")
        if proto is None or not hasattr(proto, "ListFields") or kind in ("latex", "html"):
            continue
        if kind == "plotly_chart":
            yield from ((kind, t) for t in figure_texts(json.loads(proto.spec)))
        elif kind == "bidi_component" and proto.component_name.endswith("tensor_grid"):
            yield from ((kind, t) for t in picture_texts(json.loads(proto.json)))
        elif kind == "code":
            yield from ((kind, t) for t in code_texts(proto.code_text))
        else:
            yield from ((kind, t) for t in proto_texts(proto))


def english_on(at):
    """Every text of the page with English words in it, as 'type: words ← text'."""
    return [f"{kind}: {', '.join(words)} ← {text[:160]!r}" for kind, text in page_texts(at)
            if (words := english_words(text))]
