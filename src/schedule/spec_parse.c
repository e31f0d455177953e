/* spec_parse.c - tokenizer and recursive-descent parser for schedule specs.
 *
 * One grammar serves all three dialects: Python call syntax (names, calls with positional and
 * keyword arguments, ints, floats with exponents, quoted strings, lists) as used by torch: and
 * hf:, plus, in the native form, durations with units (10%, 2ep), '>' for "then" and '*' for
 * "multiplied by". Every error carries the line and column of the offending token. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_ast.h"

#define WU_MAX_TOKENS 1024

enum { TK_EOF, TK_NUM, TK_STR, TK_NAME, TK_PUNCT };

typedef struct token {
    int kind;
    int ch;              /* TK_PUNCT: the character */
    int line, col;
    double num;
    int is_int, unit;
    char text[WU_NAME_MAX];
    char qual[WU_NAME_MAX]; /* a dotted name's module path (torch: and hf: only) */
} token;

typedef struct parser {
    token tok[WU_MAX_TOKENS];
    int ntok, pos;
    int native;
    wu_ast_tree *t;
    wu_error *err;
} parser;

int wu__spec_err(wu_error *err, int code, const wu_ast_tree *t, int at, const char *fmt, ...)
{
    if (!err) return code;
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    err->code = code;
    err->line = err->col = 0;
    if (t && at >= 0) {
        err->line = t->n[at].line;
        err->col = t->n[at].col;
        snprintf(err->msg, sizeof err->msg, "spec:%d:%d: %s", err->line, err->col, what);
    } else {
        snprintf(err->msg, sizeof err->msg, "spec: %s", what);
    }
    return code;
}

static int tok_err(parser *p, const token *k, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static int tok_err(parser *p, const token *k, int code, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (p->err) {
        p->err->code = code;
        p->err->line = k->line;
        p->err->col = k->col;
        snprintf(p->err->msg, sizeof p->err->msg, "spec:%d:%d: %s", k->line, k->col, what);
    }
    return code;
}

/* Describe a token for messages: "')'", "end of spec", "name 'foo'". */
static const char *tok_desc(const token *k, char *buf, size_t n)
{
    switch (k->kind) {
    case TK_EOF: snprintf(buf, n, "end of spec"); break;
    case TK_NUM: snprintf(buf, n, "a number"); break;
    case TK_STR: snprintf(buf, n, "string '%s'", k->text); break;
    case TK_NAME: snprintf(buf, n, "'%s'", k->text); break;
    default: snprintf(buf, n, "'%c'", k->ch); break;
    }
    return buf;
}

/* ---- tokenizer --------------------------------------------------------------------------- */

/* The length of the unit word that starts s (tok, tokens, samples, ...: a whole word), or 0;
 * *unit (when not NULL) gets 't' (tokens) or 's' (samples). */
static size_t unit_word(const char *s, int *unit)
{
    static const struct { const char *w; int unit; } words[] = {
        {"tokens", 't'}, {"token", 't'}, {"tok", 't'}, {"samples", 's'}, {"sample", 's'},
    };
    for (size_t j = 0; j < sizeof words / sizeof *words; j++) {
        size_t n = strlen(words[j].w);
        if (strncmp(s, words[j].w, n) == 0 && !(isalnum((unsigned char)s[n]) || s[n] == '_')) {
            if (unit) *unit = words[j].unit;
            return n;
        }
    }
    return 0;
}

static int lex(parser *p, const char *src, size_t start)
{
    int line = 1, col = 1;
    for (size_t i = 0; i < start; i++) col++;
    size_t i = start;
    for (;;) {
        while (src[i] == ' ' || src[i] == '\t' || src[i] == '\n' || src[i] == '\r') {
            if (src[i] == '\n') { line++; col = 1; } else col++;
            i++;
        }
        if (p->ntok >= WU_MAX_TOKENS - 1) {
            token k = {.line = line, .col = col};
            return tok_err(p, &k, WU_ERANGE, "spec is too long (more than %d tokens)",
                           WU_MAX_TOKENS);
        }
        token *k = &p->tok[p->ntok];
        memset(k, 0, sizeof *k);
        k->line = line;
        k->col = col;
        unsigned char c = (unsigned char)src[i];
        size_t b = i;
        if (c == '\0') {
            k->kind = TK_EOF;
            p->ntok++;
            return WU_OK;
        }
        if (isdigit(c) || (c == '.' && isdigit((unsigned char)src[i + 1]))) {
            char buf[64];
            size_t n = 0;
            int is_int = 1, had_exp = 0;
            /* every write is bounded: a number longer than buf is kept short and refused below
               (found by fuzz/fuzz_spec.c: 63 digits and an exponent wrote past the end) */
#define PUT(ch) do { if (n < sizeof buf - 1) buf[n++] = (ch); else n = sizeof buf; } while (0)
            while (isdigit((unsigned char)src[i]) || src[i] == '_' || src[i] == '.') {
                if (src[i] == '.') is_int = 0;
                if (src[i] != '_') PUT(src[i]);
                i++;
            }
            if ((src[i] == 'e' || src[i] == 'E') &&
                (isdigit((unsigned char)src[i + 1]) ||
                 ((src[i + 1] == '-' || src[i + 1] == '+') && isdigit((unsigned char)src[i + 2])))) {
                is_int = 0;
                had_exp = 1;
                PUT(src[i]);
                i++;
                if (src[i] == '-' || src[i] == '+') {
                    PUT(src[i]);
                    i++;
                }
                while (isdigit((unsigned char)src[i])) {
                    PUT(src[i]);
                    i++;
                }
            }
            /* a magnitude (375M, 2k, 1.4T, 300B): appended as an exponent, so that strtod
               rounds once (1.4T is exactly 1400000000000) */
            int mag = 0;
            if (strchr("kKMGBT", src[i]) && src[i] &&
                (!(isalnum((unsigned char)src[i + 1]) || src[i + 1] == '_') ||
                 unit_word(src + i + 1, NULL))) {
                const char *e = (src[i] == 'k' || src[i] == 'K') ? "e3" : src[i] == 'M' ? "e6"
                              : (src[i] == 'G' || src[i] == 'B') ? "e9" : "e12";
                if (had_exp)
                    return tok_err(p, k, WU_EPARSE, "a number with an exponent cannot also take "
                                   "a magnitude ('%c'): write 375M or 375e6", src[i]);
                for (; *e; e++) PUT(*e);
                mag = 1;
                i++;
            }
#undef PUT
            if (n >= sizeof buf - 1) {
                buf[sizeof buf - 1] = '\0';
                return tok_err(p, k, WU_EPARSE, "number too long: '%.20s...' (at most %zu characters)",
                               buf, sizeof buf - 2);
            }
            buf[n] = '\0';
            char *end;
            k->num = strtod(buf, &end);
            if (*end != '\0' || n >= sizeof buf - 1)
                return tok_err(p, k, WU_EPARSE, "malformed number '%s'", buf);
            k->kind = TK_NUM;
            k->is_int = is_int || (mag && k->num == floor(k->num));
            size_t w = i, wl;
            while (src[w] == ' ' || src[w] == '\t') w++;
            if ((wl = unit_word(src + w, &k->unit)) > 0) {
                /* tokens or samples, written with or without a space: 375M tok, 2M samples */
                i = w + wl;
            } else if (src[i] == '%') {
                k->unit = '%';
                i++;
            } else if (src[i] == 'e' && src[i + 1] == 'p' &&
                       !(isalnum((unsigned char)src[i + 2]) || src[i + 2] == '_')) {
                k->unit = 'e';
                i += 2;
            } else if (isalpha((unsigned char)src[i]) || src[i] == '_') {
                return tok_err(p, k, WU_EPARSE,
                               "unexpected '%c' after a number (units are %%, ep, tok and samples; "
                               "magnitudes k, M, G or B, T)", src[i]);
            }
        } else if (isalpha(c) || c == '_') {
            /* torch: and hf: take Python's dotted names as pasted (torch.optim.lr_scheduler.
               LinearLR, self.optimizer): the last part is the name, the rest its module path */
            size_t n = 0, q = 0;
            for (;;) {
                size_t part = i;
                while (isalnum((unsigned char)src[i]) || src[i] == '_') {
                    if (n < WU_NAME_MAX - 1) k->text[n++] = src[i];
                    i++;
                }
                if (i - part >= WU_NAME_MAX)
                    return tok_err(p, k, WU_EPARSE, "name is too long (at most %d characters)",
                                   WU_NAME_MAX - 1);
                if (p->native || src[i] != '.' ||
                    !(isalpha((unsigned char)src[i + 1]) || src[i + 1] == '_'))
                    break;
                if (q + n + 1 >= WU_NAME_MAX)
                    return tok_err(p, k, WU_EPARSE, "module path is too long (at most %d "
                                   "characters before the last '.')", WU_NAME_MAX - 1);
                if (q) k->qual[q++] = '.';
                memcpy(k->qual + q, k->text, n);
                q += n;
                k->qual[q] = '\0';
                memset(k->text, 0, sizeof k->text);
                n = 0;
                i++; /* '.' */
            }
            k->kind = TK_NAME;
        } else if (c == '\'' || c == '"') {
            size_t n = 0;
            i++;
            while (src[i] != (char)c) {
                if (src[i] == '\0' || src[i] == '\n')
                    return tok_err(p, k, WU_EPARSE, "unterminated string (missing %c)", c);
                if (src[i] == '\\' && src[i + 1] != '\0') i++;
                if (n >= WU_NAME_MAX - 1)
                    return tok_err(p, k, WU_EPARSE, "string is too long (at most %d characters)",
                                   WU_NAME_MAX - 1);
                k->text[n++] = src[i++];
            }
            i++;
            k->kind = TK_STR;
        } else if (strchr("()[],=>*-{}:", c)) {
            k->kind = TK_PUNCT;
            k->ch = c;
            i++;
        } else {
            if (isprint(c))
                return tok_err(p, k, WU_EPARSE, "unexpected character '%c'", c);
            return tok_err(p, k, WU_EPARSE, "unexpected byte 0x%02x", c);
        }
        col += (int)(i - b);
        p->ntok++;
    }
}

/* ---- parser ------------------------------------------------------------------------------ */

static const token *peek(parser *p) { return &p->tok[p->pos]; }
static const token *peek2(parser *p)
{
    return &p->tok[p->pos + 1 < p->ntok ? p->pos + 1 : p->pos];
}
static int is_punct(const token *k, int ch) { return k->kind == TK_PUNCT && k->ch == ch; }

static int new_ast(parser *p, int type, const token *at)
{
    if (p->t->count >= WU_AST_MAX)
        return tok_err(p, at, WU_ERANGE, "spec is too complex (more than %d parts)", WU_AST_MAX);
    wu_ast *a = &p->t->n[p->t->count];
    memset(a, 0, sizeof *a);
    a->type = type;
    a->line = at->line;
    a->col = at->col;
    return p->t->count++;
}

static int add_arg(parser *p, int parent, int child, const token *at)
{
    wu_ast *a = &p->t->n[parent];
    if (a->nargs >= WU_AST_ARGS)
        return tok_err(p, at, WU_ERANGE, "too many items (at most %d)", WU_AST_ARGS);
    a->args[a->nargs++] = child;
    return WU_OK;
}

static int parse_product(parser *p, int *out);

static int parse_call_args(parser *p, int call)
{
    char d[WU_NAME_MAX + 16];
    int seen_kw = 0;
    p->pos++; /* '(' */
    while (!is_punct(peek(p), ')')) {
        const token *k = peek(p);
        int val, rc;
        if (k->kind == TK_NAME && is_punct(peek2(p), '=')) {
            if (k->qual[0])
                return tok_err(p, k, WU_EPARSE, "a keyword is a plain name: '%s.%s=' has a '.'",
                               k->qual, k->text);
            int kw = new_ast(p, A_KW, k);
            if (kw < 0) return kw;
            for (int j = 0; j < p->t->n[call].nargs; j++) {
                const wu_ast *o = &p->t->n[p->t->n[call].args[j]];
                if (o->type == A_KW && strcmp(o->text, k->text) == 0)
                    return tok_err(p, k, WU_EPARSE, "keyword argument '%s' repeated", k->text);
            }
            memcpy(p->t->n[kw].text, k->text, WU_NAME_MAX);
            p->pos += 2;
            if ((rc = parse_product(p, &val)) != WU_OK) return rc;
            p->t->n[kw].args[0] = val;
            p->t->n[kw].nargs = 1;
            seen_kw = 1;
            if ((rc = add_arg(p, call, kw, k)) != WU_OK) return rc;
        } else {
            if (seen_kw)
                return tok_err(p, k, WU_EPARSE, "positional argument follows keyword argument");
            if ((rc = parse_product(p, &val)) != WU_OK) return rc;
            if ((rc = add_arg(p, call, val, k)) != WU_OK) return rc;
        }
        if (is_punct(peek(p), ',')) {
            p->pos++;
            continue;
        }
        if (!is_punct(peek(p), ')'))
            return tok_err(p, peek(p), WU_EPARSE, "expected ',' or ')' in the argument list of %s, got %s",
                           p->t->n[call].text, tok_desc(peek(p), d, sizeof d));
    }
    p->pos++; /* ')' */
    return WU_OK;
}

static int parse_list(parser *p, int *out)
{
    char d[WU_NAME_MAX + 16];
    int rc, lst = new_ast(p, A_LIST, peek(p));
    if (lst < 0) return lst;
    p->pos++; /* '[' */
    while (!is_punct(peek(p), ']')) {
        int val;
        const token *k = peek(p);
        if (k->kind == TK_EOF)
            return tok_err(p, k, WU_EPARSE, "expected ']' to close the list opened at column %d",
                           p->t->n[lst].col);
        if ((rc = parse_product(p, &val)) != WU_OK) return rc;
        if ((rc = add_arg(p, lst, val, k)) != WU_OK) return rc;
        if (is_punct(peek(p), ',')) {
            p->pos++;
            continue;
        }
        if (!is_punct(peek(p), ']'))
            return tok_err(p, peek(p), WU_EPARSE, "expected ',' or ']' in a list, got %s",
                           tok_desc(peek(p), d, sizeof d));
    }
    p->pos++;
    *out = lst;
    return WU_OK;
}

/* A Python dict literal {'key': value, ...}, as in HF's scheduler_specific_kwargs: parsed into
 * the same tree as dict(key=value, ...), a call whose arguments are keywords. */
static int parse_dict(parser *p, int *out)
{
    char d[WU_NAME_MAX + 16];
    const token *open = peek(p);
    int rc, call = new_ast(p, A_CALL, open);
    if (call < 0) return call;
    memcpy(p->t->n[call].text, "dict", 5);
    p->pos++; /* '{' */
    while (!is_punct(peek(p), '}')) {
        const token *k = peek(p);
        int val;
        if (k->kind == TK_EOF)
            return tok_err(p, k, WU_EPARSE, "expected '}' to close the dict opened at column %d",
                           open->col);
        if (k->kind != TK_STR)
            return tok_err(p, k, WU_EPARSE, "a dict key here is a quoted argument name, as in "
                           "{'num_cycles': 2}; got %s", tok_desc(k, d, sizeof d));
        if (!is_punct(peek2(p), ':'))
            return tok_err(p, peek2(p), WU_EPARSE, "expected ':' after the dict key '%s'", k->text);
        for (int j = 0; j < p->t->n[call].nargs; j++)
            if (strcmp(p->t->n[p->t->n[call].args[j]].text, k->text) == 0)
                return tok_err(p, k, WU_EPARSE, "dict key '%s' repeated", k->text);
        int kw = new_ast(p, A_KW, k);
        if (kw < 0) return kw;
        memcpy(p->t->n[kw].text, k->text, WU_NAME_MAX);
        p->pos += 2;
        if ((rc = parse_product(p, &val)) != WU_OK) return rc;
        p->t->n[kw].args[0] = val;
        p->t->n[kw].nargs = 1;
        if ((rc = add_arg(p, call, kw, k)) != WU_OK) return rc;
        if (is_punct(peek(p), ',')) {
            p->pos++;
            continue;
        }
        if (!is_punct(peek(p), '}'))
            return tok_err(p, peek(p), WU_EPARSE, "expected ',' or '}' in a dict, got %s",
                           tok_desc(peek(p), d, sizeof d));
    }
    p->pos++;
    *out = call;
    return WU_OK;
}

static int parse_primary(parser *p, int *out)
{
    char d[WU_NAME_MAX + 16];
    const token *k = peek(p);
    int rc, a;
    if (is_punct(k, '(')) {
        if (!p->native)
            return tok_err(p, k, WU_EPARSE, "unexpected '(': expected a value");
        p->pos++;
        if ((rc = parse_product(p, out)) != WU_OK) return rc;
        if (!is_punct(peek(p), ')'))
            return tok_err(p, peek(p), WU_EPARSE, "expected ')' to close the group opened at column %d, got %s",
                           k->col, tok_desc(peek(p), d, sizeof d));
        p->pos++;
        return WU_OK;
    }
    if (is_punct(k, '[')) return parse_list(p, out);
    if (is_punct(k, '{') && !p->native) return parse_dict(p, out);
    if (is_punct(k, '-') && peek2(p)->kind == TK_NUM) {
        p->pos++;
        if ((a = new_ast(p, A_NUM, k)) < 0) return a;
        const token *n = peek(p);
        p->t->n[a].num = -n->num;
        p->t->n[a].is_int = n->is_int;
        p->t->n[a].unit = n->unit;
        p->pos++;
        *out = a;
        return WU_OK;
    }
    if (k->kind == TK_NUM) {
        if ((a = new_ast(p, A_NUM, k)) < 0) return a;
        p->t->n[a].num = k->num;
        p->t->n[a].is_int = k->is_int;
        p->t->n[a].unit = k->unit;
        p->pos++;
        *out = a;
        return WU_OK;
    }
    if (k->kind == TK_STR || k->kind == TK_NAME) {
        int call = k->kind == TK_NAME && is_punct(peek2(p), '(');
        if ((a = new_ast(p, call ? A_CALL : (k->kind == TK_STR ? A_STR : A_NAME), k)) < 0) return a;
        memcpy(p->t->n[a].text, k->text, WU_NAME_MAX);
        memcpy(p->t->n[a].qual, k->qual, WU_NAME_MAX);
        p->pos++;
        if (call) {
            const token *open = peek(p);
            for (int depth = 0, j = p->pos; j < p->ntok; j++) { /* find the matching ')' */
                if (is_punct(&p->tok[j], '(')) depth++;
                if (is_punct(&p->tok[j], ')') && --depth == 0) break;
                if (p->tok[j].kind == TK_EOF)
                    return tok_err(p, &p->tok[j], WU_EPARSE,
                                   "expected ')' after the argument list of %s (opened at column %d)",
                                   k->text, open->col);
            }
            if ((rc = parse_call_args(p, a)) != WU_OK) return rc;
        }
        *out = a;
        return WU_OK;
    }
    return tok_err(p, k, WU_EPARSE, "expected a value, got %s", tok_desc(k, d, sizeof d));
}

/* A chain of one operator: sub (op sub)*, for the native '>' (sequence) and '*' (product).
 * Outside the native form the operator is not consumed and the caller reports it. */
static int parse_chain(parser *p, int *out, int op, int type, int (*sub)(parser *, int *))
{
    int rc, first;
    if ((rc = sub(p, &first)) != WU_OK) return rc;
    if (!p->native || !is_punct(peek(p), op)) {
        *out = first;
        return WU_OK;
    }
    int chain = new_ast(p, type, peek(p));
    if (chain < 0) return chain;
    p->t->n[chain].line = p->t->n[first].line;
    p->t->n[chain].col = p->t->n[first].col;
    if ((rc = add_arg(p, chain, first, peek(p))) != WU_OK) return rc;
    while (is_punct(peek(p), op)) {
        int nx;
        p->pos++;
        const token *k = peek(p);
        if ((rc = sub(p, &nx)) != WU_OK) return rc;
        if ((rc = add_arg(p, chain, nx, k)) != WU_OK) return rc;
    }
    *out = chain;
    return WU_OK;
}

/* sequence := primary ('>' primary)* */
static int parse_seq(parser *p, int *out) { return parse_chain(p, out, '>', A_SEQ, parse_primary); }

/* product := sequence ('*' sequence)* */
static int parse_product(parser *p, int *out)
{
    return parse_chain(p, out, '*', A_PROD, parse_seq);
}

int wu__ast_parse(const char *src, size_t start, int native, wu_ast_tree *t, wu_error *err)
{
    char d[WU_NAME_MAX + 16];
    parser *p = calloc(1, sizeof *p);
    if (!p) return wu__spec_err(err, WU_ENOMEM, NULL, -1, "out of memory");
    p->native = native;
    p->t = t;
    p->err = err;
    t->count = 0;
    int rc = lex(p, src, start);
    if (rc == WU_OK && peek(p)->kind == TK_EOF)
        rc = tok_err(p, peek(p), WU_EPARSE, "empty spec: expected a schedule such as %s",
                     native ? "warmup(10%) > cosine" : "a call like Name(...)");
    if (rc == WU_OK) rc = parse_product(p, &t->root);
    if (rc == WU_OK && peek(p)->kind != TK_EOF) {
        const token *k = peek(p);
        if (!native && (is_punct(k, '>') || is_punct(k, '*')))
            rc = tok_err(p, k, WU_EPARSE, "'%c' composes native specs only; in torch: use "
                         "SequentialLR or ChainedScheduler", k->ch);
        else
            rc = tok_err(p, k, WU_EPARSE, "unexpected %s after the end of the schedule",
                         tok_desc(k, d, sizeof d));
    }
    free(p);
    return rc;
}
