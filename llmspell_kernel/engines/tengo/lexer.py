"""Tengo scanner: Go-style tokens and automatic semicolon insertion.

Positions are (line, column) with 1-based byte columns, as Go's scanner
reports them. String values keep raw bytes that are not valid UTF-8 as lone
surrogates (surrogateescape), so `len` and output stay byte-exact.
"""

from __future__ import annotations

import unicodedata

from .tokens import CHAR, EOF, FLOAT, IDENT, ILLEGAL, INT, KEYWORDS, SEMI, STRING

_SEMI_AFTER_KW = frozenset({"break", "continue", "return", "export", "true", "false", "undefined"})


class Token:
    __slots__ = ("col", "kind", "line", "lit", "off")

    def __init__(self, kind: str, lit: str, off: int, line: int, col: int) -> None:
        self.kind, self.lit, self.off, self.line, self.col = kind, lit, off, line, col

    def __repr__(self) -> str:
        return f"Token({self.kind!r}, {self.lit!r}, {self.line}:{self.col})"


def _is_letter(ch: str) -> bool:
    return ch.isalpha() or ch == "_" if ch >= "\x80" else ("a" <= ch <= "z" or "A" <= ch <= "Z" or ch == "_")


def _is_digit(ch: str) -> bool:
    return "0" <= ch <= "9" or (ch >= "\x80" and unicodedata.category(ch) == "Nd")


def _digit_val(ch: str) -> int:
    if "0" <= ch <= "9":
        return ord(ch) - 48
    if "a" <= ch <= "f":
        return ord(ch) - 87
    if "A" <= ch <= "F":
        return ord(ch) - 55
    return 16


def _fmt_rune(ch: str) -> str:
    """Go's %#U: U+0040 '@'."""
    cp = ord(ch)
    s = f"U+{cp:04X}"
    if ch.isprintable():
        s += f" '{ch}'"
    return s


class Lexer:
    """Turns source text into a token list; scanner errors go to `errors`."""

    def __init__(self, src: str) -> None:
        if src.startswith("\ufeff"):
            src = " " + src[1:]  # ignore a leading BOM, keep offsets
        self.src = src
        self.ascii = src.isascii()
        self.pos = 0
        self.line = 1
        self.line_start = 0
        self.insert_semi = False
        self.errors: list[tuple[int, int, str]] = []

    # -- positions -------------------------------------------------------
    def col_of(self, off: int) -> int:
        # columns are 1-based byte offsets in the line
        ls = self.src.rfind("\n", 0, off) + 1
        if self.ascii:
            return off - ls + 1
        return len(self.src[ls:off].encode("utf-8", "surrogateescape")) + 1

    def line_of(self, off: int) -> int:
        return self.src.count("\n", 0, off) + 1

    def error(self, off: int, msg: str) -> None:
        self.errors.append((self.line_of(off), self.col_of(off), msg))

    def _tok(self, kind: str, lit: str, off: int) -> Token:
        return Token(kind, lit, off, self.line_of_fast(off), self.col_of(off))

    def line_of_fast(self, off: int) -> int:
        # lines are tracked incrementally; off is always >= line_start here
        if off >= self.line_start:
            return self.line
        return self.line_of(off)

    def _advance_lines(self, start: int, end: int) -> None:
        n = self.src.count("\n", start, end)
        if n:
            self.line += n
            self.line_start = self.src.rfind("\n", start, end) + 1

    # -- main loop -------------------------------------------------------
    def tokenize(self) -> list[Token]:
        toks: list[Token] = []
        while True:
            t = self.scan()
            toks.append(t)
            if t.kind == EOF:
                return toks

    def _skip_ws(self) -> None:
        src, n = self.src, len(self.src)
        while self.pos < n:
            ch = src[self.pos]
            if ch in " \t\r" or (ch == "\n" and not self.insert_semi):
                if ch == "\n":
                    self.line += 1
                    self.line_start = self.pos + 1
                self.pos += 1
            else:
                break

    def _peek(self, k: int = 1) -> str:
        i = self.pos + k
        return self.src[i] if i < len(self.src) else ""

    def scan(self) -> Token:
        self._skip_ws()
        src, n = self.src, len(self.src)
        off = self.pos
        if off >= n:
            kind, lit = (SEMI, "\n") if self.insert_semi else (EOF, "")
            self.insert_semi = False
            if n and src[n - 1] == "\n":
                # the reference starts no line at the end of the file: the end is on the last line, after its newline
                start = src.rfind("\n", 0, n - 1) + 1
                return Token(kind, lit, off, self.line - 1, len(src[start:].encode("utf-8", "surrogateescape")) + 1)
            return self._tok(kind, lit, off)
        ch = src[off]
        insert = False
        if _is_letter(ch):
            i = off + 1
            while i < n and (_is_letter(src[i]) or _is_digit(src[i])):
                i += 1
            lit = src[off:i]
            self.pos = i
            if lit in KEYWORDS:
                kind = lit
                insert = lit in _SEMI_AFTER_KW
            else:
                kind = IDENT
                insert = True
            tok = self._tok(kind, lit, off)
        elif "0" <= ch <= "9" or (ch == "." and "0" <= self._peek() <= "9"):
            insert = True
            kind, lit = self._scan_number()
            tok = self._tok(kind, lit, off)
        else:
            self.pos += 1
            nxt = self._peek(0)
            if ch == "\n":
                self.insert_semi = False
                tok = self._tok(SEMI, "\n", off)
                self.line += 1
                self.line_start = off + 1
                return tok
            if ch == '"':
                insert = True
                tok = self._tok(STRING, self._scan_string(off), off)
            elif ch == "'":
                insert = True
                tok = self._tok(CHAR, self._scan_rune(off), off)
            elif ch == "`":
                insert = True
                lit = self._scan_raw(off)
                tok = self._tok(STRING, lit, off)
                self._advance_lines(off, self.pos)
            elif ch == "/" and nxt in "/*" and nxt:
                if self.insert_semi and self._find_line_end():
                    self.pos = off
                    self.insert_semi = False
                    return self._tok(SEMI, "\n", off)
                self._scan_comment(off)
                self.insert_semi = False
                return self.scan()
            else:
                kind = self._operator(ch)
                if kind is None:
                    self.error(off, f"illegal character {_fmt_rune(ch)}")
                    insert = self.insert_semi
                    tok = self._tok(ILLEGAL, ch, off)
                else:
                    if kind in (")", "]", "}", "++", "--"):
                        insert = True
                    tok = self._tok(kind, kind if kind != ";" else ";", off)
        self.insert_semi = insert
        return tok

    def _operator(self, ch: str) -> str | None:
        src = self.src

        def take(opts: str) -> bool:
            if self.pos < len(src) and src[self.pos] == opts:
                self.pos += 1
                return True
            return False

        if ch in "(){}[],;?":
            return ch
        if ch == ":":
            return ":=" if take("=") else ":"
        if ch == ".":
            if self._peek(0) == "." and self._peek(1) == ".":
                self.pos += 2
                return "..."
            return "."
        if ch in "+-":
            if take("="):
                return ch + "="
            if take(ch):
                return ch + ch
            return ch
        if ch in "*/%^=!":
            if take("="):
                return ch + "="
            return ch
        if ch in "<>":
            if take("="):
                return ch + "="
            if take(ch):
                return ch + ch + "=" if take("=") else ch + ch
            return ch
        if ch == "&":
            if take("^"):
                return "&^=" if take("=") else "&^"
            if take("="):
                return "&="
            if take("&"):
                return "&&"
            return "&"
        if ch == "|":
            if take("="):
                return "|="
            if take("|"):
                return "||"
            return "|"
        return None

    def _find_line_end(self) -> bool:
        # called with pos just after the initial '/'; look ahead without consuming
        src, n = self.src, len(self.src)
        i = self.pos
        while i < n and src[i] in "/*":
            if src[i] == "/":
                return True
            i += 1
            closed = False
            while i < n:
                c = src[i]
                if c == "\n":
                    return True
                i += 1
                if c == "*" and i < n and src[i] == "/":
                    i += 1
                    closed = True
                    break
            if not closed and i >= n:
                return True
            while i < n and src[i] in " \t\r":
                i += 1
            if i >= n or src[i] == "\n":
                return True
            if src[i] != "/":
                return False
            i += 1
        return False

    def _scan_comment(self, off: int) -> None:
        src, n = self.src, len(self.src)
        if src[self.pos] == "/":
            i = src.find("\n", self.pos)
            self.pos = n if i < 0 else i
            return
        i = src.find("*/", self.pos + 1)
        if i < 0:
            self.error(off, "comment not terminated")
            end = n
        else:
            end = i + 2
        self._advance_lines(off, end)
        self.pos = end

    def _scan_digits(self, base: int) -> None:
        src, n = self.src, len(self.src)
        while self.pos < n and (src[self.pos] == "_" or _digit_val(src[self.pos]) < base):
            self.pos += 1

    def _scan_number(self) -> tuple[str, str]:
        src = self.src
        off = self.pos
        kind = INT
        base = 10
        if src[off] == "0" and self._peek().lower() in ("b", "o", "x") and self._peek():
            base = {"b": 2, "o": 8, "x": 16}[self._peek().lower()]
            self.pos += 2
        self._scan_digits(base)
        if self._peek(0) == "." and base in (10, 16):
            kind = FLOAT
            self.pos += 1
            self._scan_digits(base)
        if self._peek(0) in ("e", "E", "p", "P") and self._peek(0):
            kind = FLOAT
            self.pos += 1
            if self._peek(0) in ("-", "+") and self._peek(0):
                self.pos += 1
            s = self.pos
            self._scan_digits(10)
            if s == self.pos:
                self.error(s, "exponent has no digits")
        return kind, src[off:self.pos]

    def _scan_escape(self, quote: str) -> bool:
        src, n = self.src, len(self.src)
        off = self.pos
        ch = src[off] if off < n else ""
        if ch and ch in "abfnrtv\\" + quote:
            self.pos += 1
            return True
        if ch and ch in "01234567":
            cnt, base, mx = 3, 8, 255
        elif ch == "x":
            self.pos += 1
            cnt, base, mx = 2, 16, 255
        elif ch == "u":
            self.pos += 1
            cnt, base, mx = 4, 16, 0x10FFFF
        elif ch == "U":
            self.pos += 1
            cnt, base, mx = 8, 16, 0x10FFFF
        else:
            self.error(off, "escape sequence not terminated" if not ch else "unknown escape sequence")
            return False
        x = 0
        while cnt > 0:
            c = src[self.pos] if self.pos < n else ""
            d = _digit_val(c) if c else 16
            if d >= base:
                msg = f"illegal character {_fmt_rune(c)} in escape sequence" if c else "escape sequence not terminated"
                self.error(self.pos, msg)
                return False
            x = x * base + d
            self.pos += 1
            cnt -= 1
        if x > mx or 0xD800 <= x < 0xE000:
            self.error(off, "escape sequence is invalid Unicode code point")
            return False
        return True

    def _scan_rune(self, off: int) -> str:
        src, n = self.src, len(self.src)
        valid = True
        cnt = 0
        while True:
            ch = src[self.pos] if self.pos < n else ""
            if ch == "\n" or not ch:
                if valid:
                    self.error(off, "rune literal not terminated")
                    valid = False
                break
            self.pos += 1
            if ch == "'":
                break
            cnt += 1
            if ch == "\\" and not self._scan_escape("'"):
                valid = False
        if valid and cnt != 1:
            self.error(off, "illegal rune literal")
        return src[off:self.pos]

    def _scan_string(self, off: int) -> str:
        src, n = self.src, len(self.src)
        while True:
            ch = src[self.pos] if self.pos < n else ""
            if ch == "\n" or not ch:
                self.error(off, "string literal not terminated")
                break
            self.pos += 1
            if ch == '"':
                break
            if ch == "\\":
                self._scan_escape('"')
        return src[off:self.pos]

    def _scan_raw(self, off: int) -> str:
        src = self.src
        i = src.find("`", self.pos)
        if i < 0:
            self.error(off, "raw string literal not terminated")
            self.pos = len(src)
        else:
            self.pos = i + 1
        return src[off:self.pos].replace("\r", "")


# -- literal decoding (Go's strconv.Unquote / ParseInt / ParseFloat) ---------

_SIMPLE_ESC = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92, "'": 39, '"': 34}


def unquote(lit: str) -> str | None:
    """Decode a Go string/char literal body; None if invalid."""
    if len(lit) < 2:
        return None
    q = lit[0]
    if q == "`":
        return lit[1:-1] if lit[-1] == "`" else None
    if lit[-1] != q:
        return None
    body = lit[1:-1]
    if "\\" not in body:
        return body
    out = bytearray()
    i, n = 0, len(body)
    while i < n:
        ch = body[i]
        if ch != "\\":
            out += ch.encode("utf-8", "surrogateescape")
            i += 1
            continue
        i += 1
        if i >= n:
            return None
        c = body[i]
        if c in _SIMPLE_ESC:
            if (c == "'" and q == '"') or (c == '"' and q == "'"):
                return None
            out.append(_SIMPLE_ESC[c])
            i += 1
        elif c in "01234567":
            digits = body[i:i + 3]
            if len(digits) < 3 or any(d not in "01234567" for d in digits):
                return None
            v = int(digits, 8)
            if v > 255:
                return None
            out.append(v)
            i += 3
        elif c in "xuU":
            w = {"x": 2, "u": 4, "U": 8}[c]
            digits = body[i + 1:i + 1 + w]
            if len(digits) < w or any(_digit_val(d) >= 16 for d in digits):
                return None
            v = int(digits, 16)
            i += 1 + w
            if c == "x":
                out.append(v)
            else:
                if v > 0x10FFFF or 0xD800 <= v < 0xE000:
                    return None
                out += chr(v).encode("utf-8")
        else:
            return None
    return out.decode("utf-8", "surrogateescape")


def parse_int(lit: str) -> tuple[int, str | None]:
    """Go's strconv.ParseInt(lit, 0, 64): value and error text."""
    s = lit
    base = 10
    body = s
    low = s[:2].lower()
    if low in ("0x", "0o", "0b"):
        base = {"0x": 16, "0o": 8, "0b": 2}[low]
        body = s[2:]
        allow_lead_us = True
    elif len(s) > 1 and s[0] == "0":
        base = 8
        body = s[1:]
        allow_lead_us = True
    else:
        allow_lead_us = False
    if "_" in body:
        # underscores only between digits (or right after a base prefix)
        parts = body.split("_")
        if any(p == "" for p in parts[1:]) or (parts[0] == "" and not allow_lead_us):
            return 0, "invalid integer"
        body = body.replace("_", "")
    if not body:
        return 0, "invalid integer"
    try:
        v = int(body, base)
    except ValueError:
        return 0, "invalid integer"
    if v > 0x7FFFFFFFFFFFFFFF:
        return 0x7FFFFFFFFFFFFFFF, "invalid integer"  # the reference's text for a literal over int64
    return v, None


def parse_float(lit: str) -> tuple[float, str | None]:
    s = lit.replace("_", "")
    try:
        if s[:2].lower() == "0x":
            v = float.fromhex(s)
        else:
            v = float(s)
    except (ValueError, OverflowError):
        return 0.0, "invalid float"
    if v in (float("inf"), float("-inf")):
        return v, "invalid float"
    return v, None
