"""Tengo parser: Go-style precedence climbing with Tengo's error recovery.

Error texts and the "discard errors on the same line" / "stop after ten"
rules follow the reference parser so messages match byte for byte.
"""

from __future__ import annotations

from . import ast as A
from .lexer import Lexer, Token, parse_float, parse_int, unquote
from .tokens import ASSIGN_OPS, CHAR, EOF, FLOAT, IDENT, INT, LITERALS, PRECEDENCE, SEMI, STRING

_STMT_START = frozenset({"break", "continue", "for", "if", "return", "export"})
_SIMPLE_START = frozenset({
    "func", "error", "immutable", IDENT, INT, FLOAT, CHAR, STRING, "true", "false",
    "undefined", "import", "(", "{", "[", "+", "-", "*", "&", "^", "!",
})


class _Bailout(Exception):
    pass


class ParseErrors(Exception):
    """Sorted parse errors: list of (line, col, msg)."""

    def __init__(self, errors: list[tuple[int, int, str]]) -> None:
        super().__init__(errors[0][2])
        self.errors = errors


class Parser:
    def __init__(self, src: str) -> None:
        self.lx = Lexer(src)
        self.errors = self.lx.errors
        self.tok: Token = None  # type: ignore[assignment]
        self.sync_off = -1
        self.sync_count = 0
        self.next()

    # -- token helpers ---------------------------------------------------
    def next(self) -> None:
        self.tok = self.lx.scan()

    @property
    def kind(self) -> str:
        return self.tok.kind

    def error(self, line: int, col: int, msg: str) -> None:
        if self.errors and self.errors[-1][0] == line:
            return  # discard errors reported on the same line
        if len(self.errors) > 10:
            raise _Bailout()
        self.errors.append((line, col, msg))

    def error_expected(self, tok: Token, msg: str) -> None:
        msg = "expected " + msg
        if tok is self.tok:
            if tok.kind == SEMI and tok.lit == "\n":
                msg += ", found newline"
            elif tok.kind in LITERALS:
                msg += ", found " + tok.lit
            else:
                msg += ", found '" + tok.kind + "'"
        self.error(tok.line, tok.col, msg)

    def error_expected_at(self, line: int, col: int, msg: str) -> None:
        if (line, col) == (self.tok.line, self.tok.col):
            self.error_expected(self.tok, msg)
        else:
            self.error(line, col, "expected " + msg)

    def expect(self, kind: str) -> Token:
        tok = self.tok
        if tok.kind != kind:
            self.error_expected(tok, "'" + kind + "'")
        self.next()
        return tok

    def expect_semi(self) -> None:
        k = self.kind
        if k in (")", "}"):
            return
        if k == ",":
            self.error_expected(self.tok, "';'")
            self.next()
        elif k == SEMI:
            self.next()
        else:
            self.error_expected(self.tok, "';'")
            self.advance()

    def advance(self) -> None:
        while self.kind != EOF:
            if self.kind in _STMT_START:
                off = self.tok.off
                if off == self.sync_off and self.sync_count < 10:
                    self.sync_count += 1
                    return
                if off > self.sync_off:
                    self.sync_off = off
                    self.sync_count = 0
                    return
            self.next()

    # -- file ------------------------------------------------------------
    def parse_file(self) -> A.File:
        stmts: list = []
        try:
            if not self.errors:
                stmts = self.parse_stmt_list()
        except _Bailout:
            pass
        if self.errors:
            raise ParseErrors(sorted(self.errors))
        return A.File(1, 1, stmts)

    def parse_stmt_list(self) -> list:
        out = []
        while self.kind not in ("}", EOF):
            out.append(self.parse_stmt())
        return out

    # -- statements ------------------------------------------------------
    def parse_stmt(self):
        k = self.kind
        tok = self.tok
        if k in _SIMPLE_START:
            s = self.parse_simple_stmt(False)
            self.expect_semi()
            return s
        if k == "return":
            self.next()
            x = None
            if self.kind not in (SEMI, "}"):
                x = self.parse_expr()
            self.expect_semi()
            return A.ReturnStmt(tok.line, tok.col, x)
        if k == "export":
            self.next()
            x = self.parse_expr()
            self.expect_semi()
            return A.ExportStmt(tok.line, tok.col, x)
        if k == "if":
            return self.parse_if()
        if k == "for":
            return self.parse_for()
        if k in ("break", "continue"):
            self.next()
            if self.kind == IDENT:
                self.next()  # labels are parsed and ignored, as in Tengo
            self.expect_semi()
            return A.BranchStmt(tok.line, tok.col, k)
        if k == SEMI:
            self.next()
            return A.EmptyStmt(tok.line, tok.col)
        if k == "}":
            return A.EmptyStmt(tok.line, tok.col)
        self.error_expected(tok, "statement")
        self.advance()
        return A.BadStmt(tok.line, tok.col)

    def parse_block(self) -> A.BlockStmt:
        lb = self.expect("{")
        stmts = self.parse_stmt_list()
        self.expect("}")
        return A.BlockStmt(lb.line, lb.col, stmts)

    def parse_if(self) -> A.IfStmt:
        tok = self.expect("if")
        init, cond = self.parse_if_header()
        body = self.parse_block()
        else_ = None
        if self.kind == "else":
            self.next()
            if self.kind == "if":
                else_ = self.parse_if()
            elif self.kind == "{":
                else_ = self.parse_block()
                self.expect_semi()
            else:
                self.error_expected(self.tok, "if or {")
                else_ = A.BadStmt(self.tok.line, self.tok.col)
        else:
            self.expect_semi()
        return A.IfStmt(tok.line, tok.col, init, cond, body, else_)

    def parse_if_header(self):
        tok = self.tok
        if self.kind == "{":
            self.error(tok.line, tok.col, "missing condition in if statement")
            return None, A.BadExpr(tok.line, tok.col)
        if self.kind == SEMI:
            self.error(tok.line, tok.col, "missing init in if statement")
            return None, A.BadExpr(tok.line, tok.col)
        init = self.parse_simple_stmt(False)
        cond_stmt = None
        if self.kind == "{":
            cond_stmt, init = init, None
        elif self.kind == SEMI:
            self.next()
            cond_stmt = self.parse_simple_stmt(False)
        else:
            self.error(self.tok.line, self.tok.col, "missing condition in if statement")
        cond = self.make_expr(cond_stmt, "boolean expression") if cond_stmt is not None else None
        if cond is None:
            cond = A.BadExpr(self.tok.line, self.tok.col)
        return init, cond

    def make_expr(self, s, want: str):
        if s is None:
            return None
        if isinstance(s, A.ExprStmt):
            return s.expr
        found = "assignment" if isinstance(s, A.AssignStmt) else "simple statement"
        self.error(s.line, s.col, f"expected {want}, found {found}")
        return A.BadExpr(s.line, s.col)

    def parse_for(self):
        tok = self.expect("for")
        if self.kind == "{":
            body = self.parse_block()
            self.expect_semi()
            return A.ForStmt(tok.line, tok.col, None, None, None, body)
        s1 = None
        if self.kind != SEMI:
            s1 = self.parse_simple_stmt(True)
        if isinstance(s1, A.ForInStmt):
            s1.line, s1.col = tok.line, tok.col
            s1.body = self.parse_block()
            self.expect_semi()
            return s1
        s2 = s3 = None
        if self.kind == SEMI:
            self.next()
            if self.kind != SEMI:
                s2 = self.parse_simple_stmt(False)
            self.expect(SEMI)
            if self.kind != "{":
                s3 = self.parse_simple_stmt(False)
        else:
            s2, s1 = s1, None
        body = self.parse_block()
        self.expect_semi()
        cond = self.make_expr(s2, "condition expression")
        return A.ForStmt(tok.line, tok.col, s1, cond, s3, body)

    def parse_simple_stmt(self, for_in: bool):
        x = self.parse_expr_list()
        k = self.kind
        if k in ("=", ":="):
            self.next()
            y = self.parse_expr_list()
            return A.AssignStmt(x[0].line, x[0].col, x, y, k, None)
        if k == "in" and for_in:
            self.next()
            y = self.parse_expr()
            key = value = None
            if len(x) == 1:
                key = A.Ident(x[0].line, x[0].col, "_", None)
                value = x[0] if isinstance(x[0], A.Ident) else None
                if value is None:
                    self.error_expected_at(x[0].line, x[0].col, "identifier")
                    value = A.Ident(x[0].line, x[0].col, "_", None)
            elif len(x) == 2:
                key = x[0] if isinstance(x[0], A.Ident) else None
                if key is None:
                    self.error_expected_at(x[0].line, x[0].col, "identifier")
                    key = A.Ident(x[0].line, x[0].col, "_", None)
                value = x[1] if isinstance(x[1], A.Ident) else None
                if value is None:
                    self.error_expected_at(x[1].line, x[1].col, "identifier")
                    value = A.Ident(x[1].line, x[1].col, "_", None)
            else:
                # more than two targets: Go leaves key/value nil; report like a bad stmt
                self.error_expected_at(x[0].line, x[0].col, "1 expression")
                key = A.Ident(x[0].line, x[0].col, "_", None)
                value = A.Ident(x[0].line, x[0].col, "_", None)
            return A.ForInStmt(0, 0, key, value, y, None, None, None)
        if len(x) > 1:
            self.error_expected_at(x[0].line, x[0].col, "1 expression")
        if k in ASSIGN_OPS:
            self.next()
            y = self.parse_expr()
            return A.AssignStmt(x[0].line, x[0].col, [x[0]], [y], k, None)
        if k in ("++", "--"):
            s = A.IncDecStmt(x[0].line, x[0].col, x[0], k, None)
            self.next()
            return s
        return A.ExprStmt(x[0].line, x[0].col, x[0])

    def parse_expr_list(self) -> list:
        out = [self.parse_expr()]
        while self.kind == ",":
            self.next()
            out.append(self.parse_expr())
        return out

    # -- expressions -----------------------------------------------------
    def parse_expr(self):
        x = self.parse_binary(1)
        if self.kind == "?":
            self.next()
            t = self.parse_expr()
            self.expect(":")
            f = self.parse_expr()
            return A.CondExpr(x.line, x.col, x, t, f)
        return x

    def parse_binary(self, prec1: int):
        x = self.parse_unary()
        while True:
            op = self.kind
            prec = PRECEDENCE.get(op, 0)
            if prec < prec1:
                return x
            self.next()
            y = self.parse_binary(prec + 1)
            x = A.BinaryExpr(x.line, x.col, op, x, y)

    def parse_unary(self):
        if self.kind in ("+", "-", "!", "^"):
            tok = self.tok
            self.next()
            x = self.parse_unary()
            return A.UnaryExpr(x.line, x.col, tok.kind, x)  # the reference places a unary expr at its operand
        return self.parse_primary()

    def parse_primary(self):
        x = self.parse_operand()
        while True:
            k = self.kind
            if k == ".":
                self.next()
                if self.kind == IDENT:
                    t = self.tok
                    self.next()
                    x = A.SelectorExpr(x.line, x.col, x, A.StringLit(t.line, t.col, t.lit))
                else:
                    t = self.tok
                    self.error_expected(t, "selector")
                    self.advance()
                    return A.BadExpr(t.line, t.col)
            elif k == "[":
                x = self.parse_index_or_slice(x)
            elif k == "(":
                x = self.parse_call(x)
            else:
                return x

    def expect_comma(self, closing: str, want: str) -> bool:
        if self.kind == ",":
            self.next()
            if self.kind == closing:
                self.error_expected(self.tok, want)
                return False
            return True
        if self.kind == SEMI and self.tok.lit == "\n":
            self.next()
        return False

    def parse_call(self, fn):
        self.expect("(")
        args = []
        ellipsis = False
        while self.kind not in (")", EOF) and not ellipsis:
            args.append(self.parse_expr())
            if self.kind == "...":
                ellipsis = True
                self.next()
            if not self.expect_comma(")", "call argument"):
                break
        self.expect(")")
        return A.CallExpr(fn.line, fn.col, fn, args, ellipsis)

    def parse_index_or_slice(self, x):
        self.expect("[")
        idx0 = idx1 = None
        if self.kind != ":":
            idx0 = self.parse_expr()
        colons = 0
        if self.kind == ":":
            colons = 1
            self.next()
            if self.kind not in ("]", EOF):
                idx1 = self.parse_expr()
        self.expect("]")
        if colons:
            return A.SliceExpr(x.line, x.col, x, idx0, idx1)
        return A.IndexExpr(x.line, x.col, x, idx0)

    def parse_operand(self):
        tok = self.tok
        k = tok.kind
        if k == IDENT:
            self.next()
            return A.Ident(tok.line, tok.col, tok.lit, None)
        if k == INT:
            v, err = parse_int(tok.lit)
            if err:
                self.error(tok.line, tok.col, err)
            self.next()
            return A.IntLit(tok.line, tok.col, v)
        if k == FLOAT:
            v, err = parse_float(tok.lit)
            if err:
                self.error(tok.line, tok.col, err)
            self.next()
            return A.FloatLit(tok.line, tok.col, v)
        if k == CHAR:
            lit = tok.lit
            if len(lit) >= 3:
                v = unquote(lit)
                if v is not None:
                    b = v.encode("utf-8", "surrogateescape")
                    cp = ord(v) if (len(v) == 1 and len(b) > 1) or (len(v) == 1 and ord(v) < 0x80) else None
                    if cp is None and len(b) == 1:
                        cp = b[0]  # '\xff' style byte escapes are code points
                    if cp is not None:
                        self.next()
                        return A.CharLit(tok.line, tok.col, cp)
            self.error(tok.line, tok.col, "illegal char literal")
            self.next()
            return A.BadExpr(tok.line, tok.col)
        if k == STRING:
            v = unquote(tok.lit)
            self.next()
            return A.StringLit(tok.line, tok.col, v if v is not None else "")
        if k in ("true", "false"):
            self.next()
            return A.BoolLit(tok.line, tok.col, k == "true")
        if k == "undefined":
            self.next()
            return A.UndefinedLit(tok.line, tok.col)
        if k == "import":
            self.next()
            self.expect("(")
            if self.kind != STRING:
                self.error_expected(self.tok, "module name")
                self.advance()
                return A.BadExpr(tok.line, tok.col)
            name = unquote(self.tok.lit) or ""
            self.next()
            self.expect(")")
            return A.ImportExpr(tok.line, tok.col, name, None)
        if k == "(":
            self.next()
            x = self.parse_expr()
            self.expect(")")
            return A.ParenExpr(tok.line, tok.col, x)
        if k == "[":
            self.next()
            elems = []
            while self.kind not in ("]", EOF):
                elems.append(self.parse_expr())
                if not self.expect_comma("]", "array element"):
                    break
            self.expect("]")
            return A.ArrayLit(tok.line, tok.col, elems)
        if k == "{":
            return self.parse_map_lit()
        if k == "func":
            return self.parse_func_lit()
        if k in ("error", "immutable"):
            self.next()
            self.expect("(")
            x = self.parse_expr()
            self.expect(")")
            cls = A.ErrorExpr if k == "error" else A.ImmutableExpr
            return cls(tok.line, tok.col, x)
        self.error_expected(tok, "operand")
        self.advance()
        return A.BadExpr(tok.line, tok.col)

    def parse_map_lit(self) -> A.MapLit:
        lb = self.expect("{")
        keys: list[str] = []
        values: list = []
        while self.kind not in ("}", EOF):
            t = self.tok
            name = "_"
            if t.kind == IDENT:
                name = t.lit
            elif t.kind == STRING:
                name = unquote(t.lit) or ""
            else:
                self.error_expected(t, "map key")
            self.next()
            self.expect(":")
            keys.append(name)
            values.append(self.parse_expr())
            if not self.expect_comma("}", "map element"):
                break
        self.expect("}")
        return A.MapLit(lb.line, lb.col, keys, values)

    def parse_func_lit(self) -> A.FuncLit:
        ft = self.expect("func")
        self.expect("(")
        params: list = []
        varargs = False
        if self.kind != ")":
            if self.kind == "...":
                varargs = True
                self.next()
            params.append(self.parse_ident())
            while not varargs and self.kind == ",":
                self.next()
                if self.kind == "...":
                    varargs = True
                    self.next()
                params.append(self.parse_ident())
        self.expect(")")
        lb = self.expect("{")
        stmts = self.parse_stmt_list()
        rb = self.expect("}")
        return A.FuncLit(ft.line, ft.col, params, varargs, A.BlockStmt(lb.line, lb.col, stmts), None, (rb.line, rb.col))

    def parse_ident(self) -> A.Ident:
        t = self.tok
        if t.kind == IDENT:
            self.next()
            return A.Ident(t.line, t.col, t.lit, None)
        self.expect(IDENT)
        return A.Ident(t.line, t.col, "_", None)


def parse(src: str) -> A.File:
    return Parser(src).parse_file()
