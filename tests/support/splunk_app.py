"""A Splunk app folder read as Splunk reads it, and the field names its
dashboard searches use, for tests/dicom/test_dose_dashboards.py.

- read_conf: Splunk's .conf format ([stanza] lines, `key = value` lines, a
  value continued on the next line by a trailing backslash, `#` comments
  at the start of a line, blank lines); any other line is an error.
- App: an app folder (default/*.conf, metadata/default.meta, the Simple
  XML views and nav, lookups/*.csv), its searches (Search: the view, the
  panel's title, the query with the form's tokens replaced by their
  inputs' defaults) and their macros expanded.
- splunk_paths: the names Splunk's JSON extraction gives an event's
  values: object keys joined by ".", "{}" after a list (a.b{}.c).
- fields_used: walks a search's pipeline command by command and sorts
  every field name it reads into a path of the indexed JSON (for a
  `spath input=F path=P`: F's own path, then "." and P), a field a
  lookup outputs, a field the search made itself (eval, `AS`, rename,
  spath output, stats outputs, inputlookup columns), or an event's
  metadata (_time, _raw and the HEC envelope's host, source, sourcetype,
  index). Anything else is a problem, and so is a command or a construct
  it does not know, so that nothing is passed unread.

What it recognises (SPL): the base search and `search` (field=value,
field!=value, field<value..., NOT/AND/OR, parentheses, free terms),
`where`, `eval` and `fieldformat` (eval expressions: 'quoted' and bare
field names, "strings", numbers, functions, operators; `.` is
concatenation, so a dotted name must be 'quoted'), `rename X AS Y` (X is
gone after it), `spath [input=] [output=] [path=]P`, `mvexpand`,
`lookup NAME F [AS G]... OUTPUT|OUTPUTNEW C [AS D]...` (columns checked
against the CSV), `inputlookup NAME` (first command only), `stats`,
`eventstats`, `streamstats`, `chart`, `timechart` (func(field) [AS
name], count, `by`, `over`, key=value options), `bin`/`bucket`,
`table`, `fields`, `sort` (-F, num(F)), `dedup`, `fillnull`, `head`,
`tail`. After stats, only its outputs and `by` fields remain; after
chart and timechart the columns are data values, so a later command
naming a field is a problem. Not recognised (reported): subsearches,
macros with arguments, wildcards in field names, `eval(...)` inside an
aggregation, and every other command."""
import csv
import os
import re
import xml.etree.ElementTree as ET

# metadata every event has; fields_used's caller adds the HEC envelope's (host, source, ...)
BUILTIN = {"_time", "_raw"}


class AppError(Exception):
    """A file of the app that does not parse, named with its line."""


def read_conf(path):
    """{stanza: {key: value}} of a Splunk .conf file; keys before any
    stanza are in stanza "default". Raises AppError naming path:line."""
    conf, stanza, key = {"default": {}}, "default", None
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for n, line in enumerate(lines, 1):
        if key is not None:  # a continued value
            conf[stanza][key] += "\n" + line.rstrip("\\")
            key = key if line.endswith("\\") else None
            continue
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        if text.startswith("["):
            if not text.endswith("]"):
                raise AppError(f"{path}:{n}: a stanza line must end with ]")
            stanza = text[1:-1]
            if stanza in conf and stanza != "default":
                raise AppError(f"{path}:{n}: stanza [{stanza}] twice")
            conf.setdefault(stanza, {})
            continue
        name, eq, value = line.partition("=")
        if not eq or not name.strip() or re.search(r"\s", name.strip()):
            raise AppError(f"{path}:{n}: neither a [stanza], a `key = value` nor a # comment: {line!r}")
        if name.strip() in conf[stanza]:
            raise AppError(f"{path}:{n}: {name.strip()} twice in [{stanza}]")
        conf[stanza][name.strip()] = value.strip().rstrip("\\")
        key = name.strip() if value.endswith("\\") else None
    if key is not None:
        raise AppError(f"{path}: the last value ends with a continuation backslash")
    return conf


def splunk_paths(event, prefix=""):
    """(leaves, containers): the Splunk names of an event's values, and
    of its objects and lists (the paths spath can also extract)."""
    leaves, containers = set(), set()

    def walk(v, p):
        if isinstance(v, dict):
            if p:
                containers.add(p)
            for k, item in v.items():
                walk(item, f"{p}.{k}" if p else k)
        elif isinstance(v, list):
            containers.add(p)
            for item in v:
                walk(item, p + "{}")
        else:
            leaves.add(p)

    walk(event, prefix)
    return leaves, containers


class Search:
    """One search of a view: .view (file name), .holder (its <panel> or
    <input> element), .title, .query (tokens replaced), .text (as written)."""

    def __init__(self, view, holder, title, text, query):
        self.view, self.holder, self.title, self.text, self.query = view, holder, title, text, query

    def __repr__(self):
        return f"{self.view}: {self.title}"


class App:
    """An app folder: .conf (name -> read_conf of default/NAME.conf),
    .meta (metadata/default.meta), .views ({name: root Element}), .nav,
    .searches (every <search><query> of every view)."""

    def __init__(self, folder):
        self.folder = folder
        default = os.path.join(folder, "default")
        self.conf = {f[:-5]: read_conf(os.path.join(default, f)) for f in sorted(os.listdir(default))
                     if f.endswith(".conf")}
        self.meta = read_conf(os.path.join(folder, "metadata", "default.meta"))
        views = os.path.join(default, "data", "ui", "views")
        self.views = {f[:-4]: parse_xml(os.path.join(views, f)) for f in sorted(os.listdir(views))
                      if f.endswith(".xml")}
        self.nav = parse_xml(os.path.join(default, "data", "ui", "nav", "default.xml"))
        self.searches = [s for name, root in self.views.items() for s in view_searches(name, root)]

    def macros(self):
        return {name: s["definition"] for name, s in self.conf.get("macros", {}).items() if "definition" in s}

    def lookup_columns(self, name):
        """The header of lookup NAME's CSV (transforms.conf), or None."""
        stanza = self.conf.get("transforms", {}).get(name)
        if not stanza or "filename" not in stanza:
            return None
        with open(os.path.join(self.folder, "lookups", stanza["filename"]), newline="", encoding="utf-8") as f:
            return next(csv.reader(f))

    def expand(self, query):
        """query with its `macros` replaced by their definitions, nested
        ones too; AppError for an unknown macro or one with arguments."""
        macros = self.macros()
        for _ in range(20):
            m = re.search(r"`([^`]*)`", query)
            if not m:
                return query
            if m.group(1) not in macros:
                raise AppError(f"unknown macro `{m.group(1)}` (macros.conf has {sorted(macros)})")
            query = query[:m.start()] + " " + macros[m.group(1)] + " " + query[m.end():]
        raise AppError("macros nested more than 20 deep")


def parse_xml(path):
    try:
        return ET.parse(path).getroot()
    except ET.ParseError as e:
        raise AppError(f"{path}: not well-formed XML: {e}") from None


def view_searches(name, root):
    """The searches of a view, each titled by its panel's title or its
    input's label, tokens replaced by their inputs' defaults (AppError for
    a token no input defines)."""
    defaults = {i.get("token"): (i.findtext("default") or "").strip() for i in root.iter("input")}
    parents = {child: parent for parent in root.iter() for child in parent}
    found = []
    for search in root.iter("search"):
        text = search.findtext("query")
        holder = parents.get(search)
        while holder is not None and holder.tag not in ("panel", "input"):
            holder = parents.get(holder)
        if text is None or holder is None:
            continue
        title = holder.findtext("title" if holder.tag == "panel" else "label") or holder.tag

        def token(m, title=title):
            if m.group(1) not in defaults:
                raise AppError(f"{name}.xml, {title}: token ${m.group(1)}$ is not set by any input")
            return defaults[m.group(1)]

        found.append(Search(name, holder, title, text, re.sub(r"\$([^$|\s]+)(?:\|[a-z]+)?\$", token, text)))
    return found


# --- the pipeline -----------------------------------------------------------

def split_top(text, sep):
    """text split at sep outside quotes, parentheses and brackets."""
    parts, depth, quote, start = [], 0, None, 0
    for i, c in enumerate(text):
        if quote:
            quote = None if c == quote and text[i - 1] != "\\" else quote
        elif c in "\"'":
            quote = c
        elif c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


# search-mode words: field names may hold dots, braces, * and -
SEARCH_TOKEN = re.compile(r'\s*("(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|!=|<=|>=|==|[=<>(),]|[^\s=!<>(),"\']+)')
# eval-mode tokens: a bare name is [A-Za-z_][A-Za-z0-9_]*; "." concatenates
EVAL_TOKEN = re.compile(r'\s*("(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|'
                        r'[A-Za-z_][A-Za-z0-9_]*|!=|<=|>=|==|[-+*/%.=<>(),!])')
EVAL_WORDS = {"AND", "OR", "NOT", "XOR", "LIKE", "IN"}


def tokens(pattern, text):
    out, pos, text = [], 0, text.strip()
    while pos < len(text):
        m = pattern.match(text, pos)
        if not m or m.end() == pos:
            raise AppError(f"cannot read {text[pos:pos + 30]!r}")
        out.append(m.group(1))
        pos = m.end()
    return out


def unquote(word):
    return word[1:-1] if len(word) >= 2 and word[0] == word[-1] and word[0] in "\"'" else word


class Pipeline:
    """The state of fields along one search: .made ({name: how}), .json
    ({name: the JSON path its values come from}), .raw (events still
    carry their JSON), .dynamic (columns are data values), .gone (renamed
    away), .uses and .problems."""

    def __init__(self, app, leaves, containers, builtin):
        self.app, self.leaves, self.containers, self.builtin = app, leaves, containers, builtin
        self.made, self.json, self.raw, self.dynamic, self.gone = {}, {}, True, False, set()
        self.uses, self.problems, self.command = [], [], ""

    def problem(self, text):
        self.problems.append(f"`{self.command}`: {text}")

    def use(self, name):
        """Classify one field name a command reads."""
        if "*" in name:
            return self.problem(f"wildcard field name {name!r} (not checked)")
        if self.dynamic:
            return self.problem(f"field {name!r} after chart/timechart, whose columns are data values")
        if name in self.made:
            kind = self.made[name]
        elif name in self.gone:
            return self.problem(f"field {name!r} was renamed")
        elif self.raw and name in self.leaves:
            kind = "path"
        elif name in self.builtin:
            kind = "metadata"
        else:
            return self.problem(f"field {name!r} is not a path the watcher writes, a lookup output "
                                f"nor a field this search made")
        self.uses.append((name, kind))

    def make(self, name, how, json_path=None):
        self.made[name] = how
        self.gone.discard(name)
        if json_path:
            self.json[name] = json_path
        else:
            self.json.pop(name, None)

    def expression(self, text):
        """The fields an eval expression reads."""
        words = tokens(EVAL_TOKEN, text)
        for i, w in enumerate(words):
            following = words[i + 1] if i + 1 < len(words) else ""
            if w.startswith("'"):
                self.use(unquote(w))
            elif re.match(r"[A-Za-z_]", w) and following != "(" and w.upper() not in EVAL_WORDS:
                self.use(w)


def fields_used(app, query, leaves, containers, builtin=BUILTIN):
    """A Pipeline walked over query (macros expanded): its .uses
    [(field, kind)], kind one of path, lookup, made, metadata; and its
    .problems (empty when every field is classified)."""
    p = Pipeline(app, leaves, containers, builtin)
    try:
        commands = split_top(app.expand(query), "|")
    except AppError as e:
        p.problems.append(str(e))
        return p
    for n, command in enumerate(commands):
        p.command = " ".join(command.split())[:60]
        words = command.split(None, 1)
        name, rest = (words[0].lower(), words[1] if len(words) > 1 else "") if words else ("", "")
        try:
            if n == 0 and name != "search":
                base_search(p, command)
            elif name == "inputlookup" and n == 1 and not commands[0].strip():
                inputlookup(p, rest)
            elif name in COMMANDS:
                COMMANDS[name](p, rest)
            else:
                p.problem(f"command {name!r} is not one the extractor knows")
        except AppError as e:
            p.problem(str(e))
    return p


def base_search(p, text):
    """field=value terms (and !=, <, >...) of a search; free terms and
    NOT/AND/OR read no field."""
    if "[" in text:
        raise AppError("subsearches are not read")
    words = tokens(SEARCH_TOKEN, text)
    for i, w in enumerate(words):
        if i + 1 < len(words) and words[i + 1] in ("=", "!=", "<", ">", "<=", ">=", "=="):
            if w not in ("(", ")"):
                p.use(unquote(w))


def where(p, text):
    p.expression(text)


def evaluate(p, text):
    for assignment in split_top(text, ","):
        target, eq, expr = assignment.partition("=")
        if not eq or not target.strip():
            raise AppError(f"not an assignment: {assignment.strip()!r}")
        p.expression(expr)
        p.make(unquote(target.strip()), "made")


def rename(p, text):
    for pair in split_top(text, ","):
        words = tokens(SEARCH_TOKEN, pair)
        if len(words) != 3 or words[1].upper() != "AS":
            raise AppError(f"not `X AS Y`: {pair.strip()!r}")
        old, new = unquote(words[0]), unquote(words[2])
        p.use(old)
        json_path = p.json.get(old) or (old if old in p.leaves else None)
        p.made.pop(old, None)
        p.gone.add(old)
        p.make(new, "made", json_path)


def options(text):
    """key=value options (quoted values allowed) and the words left."""
    found = dict((k, unquote(v)) for k, v in re.findall(r'(\w+)=("[^"]*"|\S+)', text))
    rest = re.sub(r'(\w+)=("[^"]*"|\S+)', " ", text)
    return found, rest.split()


def spath(p, text):
    opts, rest = options(text)
    path = opts.get("path") or (unquote(" ".join(rest)) if rest else None)
    if not path:
        raise AppError("spath without a path (auto-extraction) is not read")
    path = re.sub(r"\{\d+\}", "{}", path)
    if "input" in opts:
        p.use(opts["input"])
        base = p.json.get(opts["input"])
        if not base:
            return p.problem(f"spath input {opts['input']!r} is not JSON from a known path")
        path = f"{base}.{path}"
    elif not p.raw:
        return p.problem("spath of _raw after a transforming command")
    if path not in p.leaves and path not in p.containers:
        p.problem(f"spath path {path!r} is not a path the watcher writes")
    else:
        p.uses.append((path, "path"))
    p.make(opts.get("output", path), "made", path)


def mvexpand(p, text):
    _, rest = options(text)
    if len(rest) != 1:
        raise AppError("mvexpand takes one field")
    p.use(rest[0])


def split_keyword(text, pattern):
    """(before, keyword, after) at the first whole-word match of pattern
    (case-insensitive), or (text, None, None)."""
    m = re.search(rf"(?i)(?:^|\s)({pattern})(?:\s|$)", text)
    return (text[:m.start()], m.group(1), text[m.end():]) if m else (text, None, None)


def column_pairs(p, lookup_name, columns, text):
    """(column, event field) of `C [AS F], ...`; a column the lookup
    lacks is a problem."""
    pairs = []
    for item in split_top(text, ",") if text and text.strip() else []:
        w = [unquote(x) for x in tokens(SEARCH_TOKEN, item)]
        if len(w) not in (1, 3) or (len(w) == 3 and w[1].upper() != "AS"):
            raise AppError(f"not `COLUMN [AS FIELD]`: {item.strip()!r}")
        if w[0] not in columns:
            p.problem(f"lookup {lookup_name} has no column {w[0]!r}")
        pairs.append((w[0], w[-1]))
    return pairs


def lookup(p, text):
    head, _, outputs = split_keyword(text, "OUTPUTNEW|OUTPUT")
    _, words = options(head)
    name = words[0] if words else ""
    columns = p.app.lookup_columns(name)
    if columns is None:
        raise AppError(f"lookup {name!r} is not in transforms.conf")
    for _, field in column_pairs(p, name, columns, head.split(name, 1)[1]):
        p.use(field)
    made = [field for _, field in column_pairs(p, name, columns, outputs)] or columns
    for field in made:
        p.make(field, "lookup")


def inputlookup(p, text):
    _, words = options(text)
    columns = p.app.lookup_columns(words[0]) if words else None
    if columns is None:
        raise AppError(f"inputlookup {words[:1]} is not in transforms.conf")
    p.raw, p.made, p.json = False, {c: "lookup" for c in columns}, {}


AGGREGATE = re.compile(r'(\w+)(?:\(([^()]*)\))?(?:\s+(?i:as)\s+("[^"]*"|[^\s,]+))?\s*,?\s*')


def aggregates(p, text):
    """The outputs of func(field) [AS name] items (fields read)."""
    outputs, pos = [], 0
    while pos < len(text):
        if re.match(r"\w+\(\s*eval\(", text[pos:]):
            raise AppError("eval(...) in an aggregation is not read")
        m = AGGREGATE.match(text, pos)
        if not m or m.end() == pos:
            raise AppError(f"cannot read the aggregation at {text[pos:pos + 30]!r}")
        func, arg, alias = m.groups()
        if arg:
            p.use(unquote(arg.strip()))
        outputs.append(unquote(alias) if alias else f"{func}({arg})" if arg else func)
        pos = m.end()
    return outputs


def statistics(kind):
    def command(p, text):
        opts_text, _, by = split_keyword(text, "by")
        over = None
        if kind == "chart":
            opts_text, _, over = split_keyword(opts_text, "over")
        opts_text = re.sub(r'\b(span|limit|useother|usenull|cont|partial|allnum|bins|agg|fixedrange|'
                           r'format|sep|otherstr|nullstr)=("[^"]*"|\S+)', " ", opts_text)
        by_fields = [unquote(w) for w in tokens(SEARCH_TOKEN, by) if w != ","] if by else []
        over_fields = [unquote(w) for w in over.split()] if over else []
        outputs = aggregates(p, opts_text.strip())
        for f in over_fields + by_fields:
            p.use(f)
        if kind in ("eventstats", "streamstats"):
            for o in outputs:
                p.make(o, "made")
            return
        kept = {f: "made" for f in over_fields + by_fields if kind == "stats" or f in over_fields}
        p.made, p.json, p.raw = {**kept, **{o: "made" for o in outputs}}, {}, False
        if kind == "timechart":
            p.made["_time"] = "made"
        p.dynamic = kind in ("chart", "timechart") and bool(by_fields)
    return command


def binning(p, text):
    _, rest = options(text)
    p.use(unquote(rest[0]))
    if len(rest) == 3 and rest[1].upper() == "AS":
        p.make(rest[2], "made")


def field_list(p, text):
    """Fields named in a list: sort's - and num(...), fields' -, a count."""
    words = tokens(SEARCH_TOKEN, text)
    for i, w in enumerate(words):
        following = words[i + 1] if i + 1 < len(words) else ""
        if w in (",", "+", "-", "(", ")") or following == "(" or re.fullmatch(r"\d+", w) or w.lower() == "sortby":
            continue
        p.use(unquote(w.lstrip("+-")))


def fillnull(p, text):
    _, rest = options(text)
    for w in rest:
        p.use(unquote(w))


COMMANDS = {
    "search": base_search, "where": where, "eval": evaluate, "fieldformat": evaluate, "rename": rename,
    "spath": spath, "mvexpand": mvexpand, "lookup": lookup, "stats": statistics("stats"),
    "eventstats": statistics("eventstats"), "streamstats": statistics("streamstats"),
    "chart": statistics("chart"), "timechart": statistics("timechart"), "bin": binning, "bucket": binning,
    "table": field_list, "fields": field_list, "sort": field_list, "dedup": field_list, "fillnull": fillnull,
    "head": lambda p, text: None, "tail": lambda p, text: None,
}
