"""Markdown → HTML for one page: CommonMark + tables, footnotes, admonitions, math, anchors, the
atlas's two directives (`{code}` and `{figure}`) and its inline role (`{value}`), with links to other
pages rewritten and checked.

Math, figures and values are left as placeholders here and filled in by batch steps (one node process
for all formulas, one worker pool for all figures and values); see `render.py`.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer, get_lexer_by_name
from pygments.util import ClassNotFound

from .code import SymbolError, find_symbol
from .figures import check_target
from .mathrender import Formula

ADMONITIONS = ("note", "tip", "warning", "info", "important", "caution")
MATH_MARK = "\x02M{}\x03"
FIG_MARK = "\x02F{}\x03"
VALUE_MARK = "\x02V{}\x03"
MARK_RE = re.compile("\x02([MFV])(\\d+)\x03")
# {value}`module:function`, {value}`module:function[key]`, {value}`module:function:.3g` (format last)
VALUE_RE = re.compile(r"\{value\}(`+)(.+?)\1", re.S)
VALUE_TARGET_RE = re.compile(r"^([\w.]+:[\w.]+)(?:\[([^\]]+)\])?(?::(.*))?$")


def slugify(text: str) -> str:
    text = re.sub(r"<[^>]+>", "", text).lower()
    text = re.sub(r"[^\w\s-]", "", text)
    return re.sub(r"[\s_]+", "-", text).strip("-") or "section"


@dataclass
class LinkContext:
    """What link rewriting needs to know about the site."""

    root: Path  # the site folder
    page_path: Path  # the source file being rendered
    prefix: str  # relative path from this page's output directory to the site root, e.g. "../../"
    pages_by_path: dict[Path, tuple[str, str]]  # resolved source path → (page id, site-relative url)
    package_root: Path | None = None  # for "view source" paths in code blocks


@dataclass
class Draft:
    """A page body rendered up to the batch steps."""

    html: str = ""
    formulas: list[tuple[Formula, int]] = field(default_factory=list)
    figures: list[tuple[str, str, int]] = field(default_factory=list)  # (target, alt, line)
    links: list[tuple[str, str, int]] = field(default_factory=list)  # (page id, anchor, line)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, message)
    toc: list[tuple[int, str, str]] = field(default_factory=list)  # (level, anchor, text)
    anchors: set[str] = field(default_factory=set)
    words: int = 0
    code_targets: list[str] = field(default_factory=list)
    media: list[tuple[Path, str]] = field(default_factory=list)  # (source file, site-relative url)
    # {value} roles: (target, key, format, line)
    values: list[tuple[str, str | None, str, int]] = field(default_factory=list)


_FORMATTER = HtmlFormatter(nowrap=True)


@lru_cache(maxsize=64)
def _lexer(lang: str):
    try:
        return get_lexer_by_name(lang) if lang else None
    except ClassNotFound:
        return None


def highlight_code(code: str, lang: str) -> str:
    lexer = _lexer(lang)
    if lexer is None:
        return html.escape(code)
    return highlight(code, lexer, _FORMATTER)


def _admonition_render(name: str):
    def render(self, tokens, idx, options, env):
        tok = tokens[idx]
        if tok.nesting == 1:
            title = tok.info.strip()[len(name) :].strip() or name.capitalize()
            return (
                f'<aside class="admonition {name}" role="note"><p class="admonition-title">'
                f"{html.escape(title)}</p>\n"
            )
        return "</aside>\n"

    return render


def make_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.use(dollarmath_plugin, allow_labels=False, allow_space=True, allow_digits=False, double_inline=True)
    md.use(footnote_plugin)
    for name in ADMONITIONS:
        md.use(container_plugin, name=name, render=_admonition_render(name))
    md.use(
        anchors_plugin,
        min_level=2,
        max_level=4,
        slug_func=slugify,
        permalink=True,
        permalinkSymbol="#",
        permalinkBefore=False,
    )
    md.inline.ruler.before("backticks", "value_role", _value_role)
    md.add_render_rule("value_inline", _render_value)
    md.add_render_rule("math_inline", _render_math_inline)
    md.add_render_rule("math_inline_double", _render_math_block)
    md.add_render_rule("math_block", _render_math_block)
    md.add_render_rule("fence", _render_fence)
    md.add_render_rule(
        "table_open", lambda self, t, i, o, e: '<div class="table-wrap" tabindex="0"><table>\n'
    )
    md.add_render_rule("table_close", lambda self, t, i, o, e: "</table></div>\n")
    return md


def _line(token: Token, env) -> int:
    return env["line0"] + (token.map[0] if token.map else token.meta.get("line", 0))


def _add_formula(token: Token, env, display: bool) -> str:
    draft: Draft = env["draft"]
    draft.formulas.append((Formula(token.content.strip(), display), _line(token, env)))
    return MATH_MARK.format(len(draft.formulas) - 1)


def _render_math_inline(self, tokens, idx, options, env):
    return _add_formula(tokens[idx], env, display=False)


def _render_math_block(self, tokens, idx, options, env):
    return f'<div class="math-display" tabindex="0">{_add_formula(tokens[idx], env, display=True)}</div>\n'


def _value_role(state, silent: bool) -> bool:
    """Inline rule: {value}`module:function[key]:format` becomes a `value_inline` token."""
    if not state.src.startswith("{value}`", state.pos):
        return False
    m = VALUE_RE.match(state.src, state.pos)
    if m is None:
        return False
    if not silent:
        token = state.push("value_inline", "", 0)
        token.content = " ".join(m.group(2).split())
        token.meta["line"] = 0
    state.pos = m.end()
    return True


def _render_value(self, tokens, idx, options, env):
    token = tokens[idx]
    draft: Draft = env["draft"]
    line = _line(token, env)
    m = VALUE_TARGET_RE.match(token.content)
    if m is None:
        draft.problems.append(
            (
                line,
                f"value `{token.content}`: write {{value}}`package.module:function`, optionally with a "
                "key and a format: {value}`package.module:function[key]:.3g`",
            )
        )
        return html.escape(token.content)
    target, key, fmt = m.group(1), m.group(2), (m.group(3) or "").strip()
    try:
        check_target(target)
    except SymbolError as exc:
        draft.problems.append((line, f"value: {exc}"))
        return html.escape(token.content)
    draft.values.append((target, key, fmt, line))
    return VALUE_MARK.format(len(draft.values) - 1)


def _render_fence(self, tokens, idx, options, env):
    token = tokens[idx]
    info = token.info.strip()
    draft: Draft = env["draft"]
    line = _line(token, env)
    m = re.match(r"^\{(\w+)\}\s*(.*)$", info)
    if m is None:
        lang = info.split()[0] if info else ""
        return (
            f'<pre class="code" tabindex="0"><code class="language-{html.escape(lang)}">'
            f"{highlight_code(token.content, lang)}</code></pre>\n"
        )
    directive, target = m.group(1), m.group(2).strip()
    if directive == "code":
        return _code_directive(target, token.content, line, draft, env)
    if directive == "figure":
        return _figure_directive(target, token.content, line, draft, env)
    draft.problems.append(
        (line, f"unknown directive `{{{directive}}}`; the atlas knows `{{code}}` and `{{figure}}`")
    )
    return ""


def _breakable(name: str) -> str:
    """A dotted name with break opportunities after its dots and colon (long labels wrap on phones)."""
    return re.sub(r"([.:])", r"\1<wbr>", html.escape(name))


def _code_directive(target: str, body: str, line: int, draft: Draft, env) -> str:
    if body.strip():
        draft.problems.append(
            (
                line,
                "a `{code}` block shows code by reference and must be empty; "
                "delete the pasted code inside it",
            )
        )
    draft.code_targets.append(target)
    try:
        snippet = find_symbol(target)
    except SymbolError as exc:
        draft.problems.append((line, f"code directive: {exc}"))
        return ""
    ctx: LinkContext = env["ctx"]
    shown = snippet.path.name
    if ctx.package_root is not None:
        try:
            shown = str(snippet.path.resolve().relative_to(ctx.package_root))
        except ValueError:
            pass
    label = f"{snippet.module}:{snippet.qualname}" if snippet.qualname else snippet.module
    lines = f"lines {snippet.first_line}–{snippet.last_line}"
    code = highlight(snippet.source, PythonLexer(), _FORMATTER)
    return (
        f'<figure class="code-ref"><figcaption data-pagefind-ignore><code>{_breakable(label)}</code> '
        f'<span class="code-where">{html.escape(shown)}, {lines}</span></figcaption>'
        f'<pre class="code" tabindex="0"><code class="language-python">{code}</code></pre></figure>\n'
    )


def _figure_directive(target: str, body: str, line: int, draft: Draft, env) -> str:
    options: dict[str, str] = {}
    caption_lines = []
    for raw in body.splitlines():
        m = re.match(r"^:(\w+):\s*(.*)$", raw)
        if m and not caption_lines:
            options[m.group(1)] = m.group(2).strip()
        else:
            caption_lines.append(raw)
    unknown = set(options) - {"alt", "width"}
    if unknown:
        draft.problems.append(
            (line, f"figure option(s) {', '.join(sorted(unknown))} not known; use :alt: and :width:")
        )
    alt = options.get("alt", "")
    if not alt:
        draft.problems.append(
            (line, f"figure `{target}` needs `:alt: <what it shows>` on the line after the opening fence")
        )
    try:
        check_target(target)
    except SymbolError as exc:
        draft.problems.append((line, f"figure directive: {exc}"))
        return ""
    draft.figures.append((target, alt, line))
    md: MarkdownIt = env["md"]
    # A fresh env (same draft) so the caption's parse does not re-emit the page's footnotes.
    caption_env = {k: env[k] for k in ("draft", "ctx", "md", "line0")}
    caption = ""
    if caption_lines:
        # Parsed like the body, so its links are rewritten and checked and its math is typeset.
        tokens = md.parseInline("\n".join(caption_lines).strip(), caption_env)
        for tok in tokens:
            tok.map = [line - env["line0"] + 2, line - env["line0"] + 2 + len(caption_lines)]
        _rewrite_links(tokens, caption_env)
        caption = md.renderer.render(tokens, md.options, caption_env)
    style = f' style="max-width:{html.escape(options["width"])}"' if "width" in options else ""
    cap = f"<figcaption>{caption}</figcaption>" if caption else ""
    return (
        f'<figure class="figure"{style}><div class="figure-svg">'
        f"{FIG_MARK.format(len(draft.figures) - 1)}</div>{cap}</figure>\n"
    )


def _rewrite_links(tokens: list[Token], env) -> None:
    ctx: LinkContext = env["ctx"]
    draft: Draft = env["draft"]
    for block in tokens:
        children = block.children or []
        line = env["line0"] + (block.map[0] if block.map else 0)
        for tok in children:
            if tok.type in ("math_inline", "math_inline_double", "value_inline"):
                tok.meta["line"] = block.map[0] if block.map else 0
            attr = "href" if tok.type == "link_open" else "src" if tok.type == "image" else None
            if attr is None:
                continue
            url = tok.attrGet(attr)
            if not url or tok.attrGet("class") == "header-anchor":
                continue
            new = _rewrite(url, line, ctx, draft)
            if new is not None:
                tok.attrSet(attr, new)


def _rewrite(url: str, line: int, ctx: LinkContext, draft: Draft) -> str | None:
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith("//"):
        return None  # absolute URL: left as it is
    if url.startswith("#"):
        draft.links.append(("", unquote(parts.fragment), line))
        return None
    if url.startswith("/"):
        draft.problems.append(
            (
                line,
                f"link `{url}` is absolute to the server; write it relative to this file "
                "(e.g. `../foundations/softmax.md`) so it works wherever the site is served",
            )
        )
        return None
    target = (ctx.page_path.parent / unquote(parts.path)).resolve()
    if parts.path.endswith(".md"):
        hit = ctx.pages_by_path.get(target)
        if hit is None:
            draft.problems.append(
                (line, f"broken link `{url}`: no page at {target.name} (looked for {_rel(target, ctx.root)})")
            )
            return None
        page_id, page_url = hit
        if parts.fragment:
            draft.links.append((page_id, unquote(parts.fragment), line))
        return ctx.prefix + page_url + (f"#{parts.fragment}" if parts.fragment else "")
    if not target.exists():
        draft.problems.append((line, f"broken link `{url}`: {_rel(target, ctx.root)} does not exist"))
        return None
    try:
        rel = target.relative_to(ctx.root.resolve())
    except ValueError:
        draft.problems.append((line, f"link `{url}` points outside the site folder; copy the file into it"))
        return None
    site_url = "media/" + rel.as_posix()
    draft.media.append((target, site_url))
    return ctx.prefix + site_url


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _collect_headings(tokens: list[Token], draft: Draft) -> None:
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.attrGet("id"):
            anchor = str(tok.attrGet("id"))
            level = int(tok.tag[1])
            inline = tokens[i + 1]
            text = "".join(c.content for c in (inline.children or []) if c.type in ("text", "code_inline"))
            draft.toc.append((level, anchor, text.strip()))
            draft.anchors.add(anchor)


_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")


_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_CONTAINER_PREFIX = re.compile(r"^(\s*(?:(?:[-+*]|\d{1,9}[.)])\s+|>\s?)*)")
_INLINE_CODE = re.compile(r"(`+).*?\1")
_OPEN_DOLLAR = re.compile(r"(?<![\\$])\$(?!\$)")


def protect_multiline_math(body: str) -> str:
    """Indent the continuation lines of inline `$…$` math that spans lines, so that a line inside the
    formula starting with `- `, `+ `, `1. `, `#` or `>` stays part of the paragraph instead of
    becoming a list item or heading. Only spaces are added: line numbers do not move."""
    lines = body.split("\n")
    fence = None
    open_indent = None  # indentation for continuation lines while a `$` is open
    for i, line in enumerate(lines):
        m = _FENCE.match(line)
        if fence is not None:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = None
            continue
        if m and open_indent is None:
            fence = m.group(1)
            continue
        if not line.strip():
            open_indent = None
            continue
        if line.lstrip().startswith("$$"):
            open_indent = None
            continue
        if open_indent is not None:
            lines[i] = open_indent + line.lstrip()
        scan = _INLINE_CODE.sub("", lines[i])
        dollars = len(_OPEN_DOLLAR.findall(scan))
        if open_indent is None and dollars % 2 == 1:
            tail = scan[scan.rfind("$") + 1 :]
            if tail[:1].strip() and re.search(r"[\\^_{=]", tail) and _closes_later(lines, i + 1):
                prefix = _CONTAINER_PREFIX.match(line).group(1)
                open_indent = " " * (len(prefix) + 4)
        elif open_indent is not None and dollars % 2 == 1:
            open_indent = None
    return "\n".join(lines)


def _closes_later(lines: list[str], start: int) -> bool:
    for line in lines[start:]:
        if not line.strip() or line.lstrip().startswith("$$"):
            return False
        if _OPEN_DOLLAR.search(_INLINE_CODE.sub("", line)):
            return True
    return False


def render_body(md: MarkdownIt, body: str, line0: int, ctx: LinkContext) -> Draft:
    """Render one page body. `line0` is the file line of the body's first line minus one."""
    draft = Draft()
    env = {"draft": draft, "ctx": ctx, "md": md, "line0": line0 + 1}
    tokens = md.parse(protect_multiline_math(body), env)
    _rewrite_links(tokens, env)
    _collect_headings(tokens, draft)
    draft.html = md.renderer.render(tokens, md.options, env)
    draft.anchors.update(re.findall(r'\bid="([^"]+)"', draft.html))
    prose = re.sub(r"```.*?```", " ", body, flags=re.S)
    prose = re.sub(r"\$\$.*?\$\$", " ", prose, flags=re.S)
    draft.words = len(_WORD.findall(prose))
    return draft


def fill(html_text: str, math: list[str], figures: list[str], values: list[str] = ()) -> str:
    """Replace placeholders with rendered math, figures and values."""

    def sub(m: re.Match) -> str:
        i = int(m.group(2))
        kind = m.group(1)
        return math[i] if kind == "M" else figures[i] if kind == "F" else values[i]

    return MARK_RE.sub(sub, html_text)
