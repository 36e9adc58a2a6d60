/* SPDX-License-Identifier: BSD-3-Clause */
/* CDO selectors: the parser of the s-expression language, and selectors
 * as text and on the wire (the evaluator is selector_eval.c). */
#include "selector_internal.h"
#include "selector_regex.h"
#include "selector_tree.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "mstro_log.h"

/* ---------------------------------------------------------------- parser */

struct pctx {
  const char *q;
  size_t len, pos;
  mstro_schema schema;
  const char *nspace;
  char *errbuf;
  size_t errlen;
  size_t err_offset;
  bool failed;
  mstro_status st;
};

static void perr(struct pctx *c, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void perr(struct pctx *c, size_t at, const char *fmt, ...)
{
  if (c->failed)
    return;
  c->failed = true;
  c->st = MSTRO_INVARG;
  c->err_offset = at;
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  /* an excerpt of at most 60 bytes around the position, with a caret */
  size_t from = at > 30 ? at - 30 : 0;
  size_t to = at + 30 < c->len ? at + 30 : c->len;
  char ex[64], caret[64];
  size_t k = 0;
  for (size_t i = from; i < to && k < sizeof ex - 1; i++) {
    unsigned char ch = (unsigned char)c->q[i];
    ex[k++] = isprint(ch) ? (char)ch : ' ';
  }
  ex[k] = 0;
  size_t cpos = at - from;
  if (cpos > sizeof caret - 2)
    cpos = sizeof caret - 2;
  memset(caret, ' ', cpos);
  caret[cpos] = '^';
  caret[cpos + 1] = 0;
  const char *pre = from > 0 ? "..." : "";
  const char *post = to < c->len ? "..." : "";
  char full[512];
  snprintf(full, sizeof full, "offset %zu: %s\n  %s%s%s\n  %*s%s", at, msg, pre, ex, post,
           (int)strlen(pre), "", caret);
  if (c->errbuf && c->errlen)
    snprintf(c->errbuf, c->errlen, "%s", full);
  MSTRO_LOG_ERR(SELECTOR, "selector syntax error at %s", full);
}

static void skip_ws(struct pctx *c)
{
  while (c->pos < c->len && isspace((unsigned char)c->q[c->pos]))
    c->pos++;
}

static bool is_delim(char ch)
{
  return isspace((unsigned char)ch) || ch == '(' || ch == ')' || ch == '"' || ch == '\'' || ch == 0;
}

static bool is_opchar(char ch)
{
  return ch == '=' || ch == '!' || ch == '<' || ch == '>' || ch == '~';
}

/* A word: up to a delimiter (and, in key position, an operator char). */
static size_t read_word(struct pctx *c, bool stop_at_op)
{
  size_t b = c->pos;
  while (c->pos < c->len && !is_delim(c->q[c->pos]) && !(stop_at_op && is_opchar(c->q[c->pos])))
    c->pos++;
  return c->pos - b;
}

static void node_free(struct node *n)
{
  if (!n)
    return;
  for (size_t i = 0; i < n->nkids; i++)
    node_free(n->kids[i]);
  free(n->kids);
  if (n->kind == K_CMP && n->lc == C_STR)
    free(n->lit.s);
  if (n->has_re)
    regfree(&n->re);
  free(n);
}

static bool word_is(const char *w, size_t l, const char *kw)
{
  return strlen(kw) == l && strncmp(w, kw, l) == 0;
}

static const struct mstro__attr_def *parse_key(struct pctx *c)
{
  skip_ws(c);
  size_t at = c->pos;
  size_t l = read_word(c, true);
  if (l == 0) {
    perr(c, at, "expected a key");
    return NULL;
  }
  const struct mstro__attr_def *def = mstro__schema_lookup_n(c->schema, c->nspace, c->q + at, l);
  if (!def && c->q[at] != '.' && strcmp(c->nspace, MSTRO_ATTR_CORE_CDO_NAMESPACE) != 0)
    def = mstro__schema_lookup_n(c->schema, MSTRO_ATTR_CORE_CDO_NAMESPACE, c->q + at, l);
  if (!def) {
    if (c->q[at] == '.')
      perr(c, at, "unknown key '%.*s' (no loaded schema defines it)", (int)(l > 100 ? 100 : l),
           c->q + at);
    else
      perr(c, at, "unknown key '%.*s' (looked up as %s%.*s; no loaded schema defines it)",
           (int)(l > 100 ? 100 : l), c->q + at, c->nspace, (int)(l > 100 ? 100 : l), c->q + at);
  }
  return def;
}

/* Quoted string at c->pos; returns malloc'ed text. */
static char *parse_string(struct pctx *c)
{
  size_t at = c->pos;
  char quote = c->q[c->pos++];
  char *out = malloc(c->len - at + 1);
  if (!out) {
    c->failed = true;
    c->st = MSTRO_NOMEM;
    return NULL;
  }
  size_t k = 0;
  while (c->pos < c->len && c->q[c->pos] != quote) {
    char ch = c->q[c->pos++];
    if (ch == '\\') {
      if (c->pos >= c->len)
        break;
      char e = c->q[c->pos++];
      switch (e) {
      case 'n':
        ch = '\n';
        break;
      case 't':
        ch = '\t';
        break;
      case 'r':
        ch = '\r';
        break;
      case '\\':
      case '"':
      case '\'':
        ch = e;
        break;
      default:
        /* keep unknown escapes verbatim (regex classes like \. need them) */
        out[k++] = '\\';
        ch = e;
        break;
      }
    }
    out[k++] = ch;
  }
  if (c->pos >= c->len) {
    free(out);
    perr(c, at, "unterminated string");
    return NULL;
  }
  c->pos++; /* closing quote */
  out[k] = 0;
  if (strlen(out) != k) {
    free(out);
    perr(c, at, "string contains a NUL byte");
    return NULL;
  }
  return out;
}

static enum sel_class def_class(const struct mstro__attr_def *def)
{
  switch (def->type) {
  case MSTRO_CDO_ATTR_VALUE_bool:
  case MSTRO_CDO_ATTR_VALUE_int32:
  case MSTRO_CDO_ATTR_VALUE_int64:
    return C_I;
  case MSTRO_CDO_ATTR_VALUE_uint32:
  case MSTRO_CDO_ATTR_VALUE_uint64:
    return C_U;
  case MSTRO_CDO_ATTR_VALUE_float:
  case MSTRO_CDO_ATTR_VALUE_double:
    return C_D;
  case MSTRO_CDO_ATTR_VALUE_cstring:
    return C_STR;
  case MSTRO_CDO_ATTR_VALUE_timestamp:
    return C_TS;
  default:
    return (enum sel_class) - 1;
  }
}

/* Parse a number word into the node's literal. */
static bool parse_number(const char *w, size_t l, struct node *n)
{
  char buf[128];
  if (l == 0 || l >= sizeof buf)
    return false;
  memcpy(buf, w, l);
  buf[l] = 0;
  char *end;
  bool hex = (l > 2 && buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X')) ||
             (l > 3 && (buf[0] == '-' || buf[0] == '+') && buf[1] == '0' &&
              (buf[2] == 'x' || buf[2] == 'X'));
  bool real = !hex && strpbrk(buf, ".eEnNiI") != NULL;
  if (!real) {
    errno = 0;
    long long v = strtoll(buf, &end, hex ? 16 : 10);
    if (!*end && end != buf && errno == 0) {
      n->lc = C_I;
      n->lit.i = v;
      return true;
    }
    if (!*end && end != buf && errno == ERANGE && buf[0] != '-') {
      errno = 0;
      unsigned long long u = strtoull(buf, &end, hex ? 16 : 10);
      if (!*end && errno == 0) {
        n->lc = C_U;
        n->lit.u = u;
        return true;
      }
    }
    if (*end || end == buf)
      return false;
  }
  errno = 0;
  double d = strtod(buf, &end);
  if (*end || end == buf)
    return false;
  n->lc = C_D;
  n->lit.d = d;
  return true;
}

static bool is_numeric(enum sel_class c)
{
  return c == C_I || c == C_U || c == C_D;
}

/* The value after an operator, converted for the key's class. */
static bool parse_value(struct pctx *c, struct node *n, bool regex)
{
  skip_ws(c);
  size_t at = c->pos;
  if (c->pos >= c->len || c->q[c->pos] == ')') {
    perr(c, at, "expected a value");
    return false;
  }
  enum sel_class kc = def_class(n->def);
  char *str = NULL;
  size_t wl = 0;
  const char *w = NULL;
  if (c->q[c->pos] == '"' || c->q[c->pos] == '\'') {
    str = parse_string(c);
    if (!str)
      return false;
  } else {
    w = c->q + c->pos;
    wl = read_word(c, false);
    if (wl == 0) {
      perr(c, at, "expected a value");
      return false;
    }
  }
  if (regex) {
    if (kc != C_STR) {
      free(str);
      perr(c, at, "~= needs a string attribute; %s is %s", n->def->key,
           mstro__attr_type_name(n->def->type));
      return false;
    }
    if (!str) {
      perr(c, at, "~= needs a quoted regular expression");
      return false;
    }
    char why[256];
    if (!mstro__selector_regex_ok(str, why, sizeof why)) {
      perr(c, at, "%s", why);
      free(str);
      return false;
    }
    int rc = regcomp(&n->re, str, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
      char eb[128];
      regerror(rc, &n->re, eb, sizeof eb);
      free(str);
      perr(c, at, "bad regular expression: %s", eb);
      return false;
    }
    free(str);
    n->has_re = true;
    return true;
  }
  if ((int)kc < 0) {
    free(str);
    perr(c, at, "attribute %s of type %s can only be tested with (has ...)", n->def->key,
         mstro__attr_type_name(n->def->type));
    return false;
  }
  if (kc == C_STR) {
    if (!str) {
      perr(c, at, "%s is a string attribute: quote the value", n->def->key);
      return false;
    }
    n->lc = C_STR;
    n->lit.s = str;
    return true;
  }
  if (kc == C_TS) {
    mstro_timestamp ts;
    if (str) {
      mstro_status st = mstro__timestamp_parse(str, &ts);
      free(str);
      if (st != MSTRO_OK) {
        perr(c, at, "not a timestamp (RFC 3339 like \"2024-05-01T12:00:00Z\", or seconds)");
        return false;
      }
      n->lc = C_TS;
      n->lit.ts = ts;
      return true;
    }
    if (!parse_number(w, wl, n)) {
      char tb[64];
      if (wl < sizeof tb) {
        memcpy(tb, w, wl);
        tb[wl] = 0;
        if (mstro__timestamp_parse(tb, &ts) == MSTRO_OK) {
          n->lc = C_TS;
          n->lit.ts = ts;
          return true;
        }
      }
      perr(c, at, "not a timestamp (RFC 3339 like \"2024-05-01T12:00:00Z\", or seconds)");
      return false;
    }
    /* number of seconds */
    if (n->lc == C_I) {
      ts.sec = n->lit.i;
      ts.nsec = 0;
    } else if (n->lc == C_U) {
      if (n->lit.u > INT64_MAX) {
        perr(c, at, "timestamp out of range");
        return false;
      }
      ts.sec = (int64_t)n->lit.u;
      ts.nsec = 0;
    } else {
      double d = n->lit.d;
      if (!(d > -9.2e18 && d < 9.2e18)) {
        perr(c, at, "timestamp out of range");
        return false;
      }
      int64_t whole = (int64_t)d; /* floor without libm */
      if ((double)whole > d)
        whole--;
      double fl = (double)whole;
      ts.sec = whole;
      ts.nsec = (int32_t)((d - fl) * 1e9);
      if (ts.nsec > 999999999)
        ts.nsec = 999999999;
    }
    ts.offset = 0;
    n->lc = C_TS;
    n->lit.ts = ts;
    return true;
  }
  /* numeric and bool keys */
  if (str) {
    free(str);
    perr(c, at, "%s has type %s: expected a number, not a string", n->def->key,
         mstro__attr_type_name(n->def->type));
    return false;
  }
  if (n->def->type == MSTRO_CDO_ATTR_VALUE_bool &&
      (word_is(w, wl, "true") || word_is(w, wl, "false") || word_is(w, wl, "True") ||
       word_is(w, wl, "False"))) {
    n->lc = C_I;
    n->lit.i = (w[0] == 't' || w[0] == 'T');
    return true;
  }
  if (!parse_number(w, wl, n)) {
    perr(c, at, "expected a number%s",
         n->def->type == MSTRO_CDO_ATTR_VALUE_bool ? " or true/false" : "");
    return false;
  }
  return is_numeric(n->lc);
}

static struct node *new_node(struct pctx *c, enum sel_kind k)
{
  struct node *n = calloc(1, sizeof *n);
  if (!n) {
    c->failed = true;
    c->st = MSTRO_NOMEM;
  } else {
    n->kind = k;
  }
  return n;
}

static bool add_kid(struct pctx *c, struct node *n, struct node *kid)
{
  struct node **nk = realloc(n->kids, (n->nkids + 1) * sizeof *nk);
  if (!nk) {
    c->failed = true;
    c->st = MSTRO_NOMEM;
    node_free(kid);
    return false;
  }
  n->kids = nk;
  n->kids[n->nkids++] = kid;
  return true;
}

static struct node *parse_expr(struct pctx *c, int depth);

static bool expect_close(struct pctx *c, const char *what)
{
  skip_ws(c);
  if (c->pos < c->len && c->q[c->pos] == ')') {
    c->pos++;
    return true;
  }
  perr(c, c->pos, "expected ')' %s", what);
  return false;
}

static struct node *parse_expr(struct pctx *c, int depth)
{
  skip_ws(c);
  size_t open = c->pos;
  if (depth > SEL_MAX_DEPTH) {
    perr(c, open, "nesting deeper than %d", SEL_MAX_DEPTH);
    return NULL;
  }
  if (c->pos >= c->len) {
    perr(c, open, "expected '(' but the query ended");
    return NULL;
  }
  if (c->q[c->pos] != '(') {
    perr(c, open, "expected '('");
    return NULL;
  }
  c->pos++;
  skip_ws(c);
  size_t at = c->pos;
  if (at < c->len && c->q[at] == ')') {
    perr(c, at, "empty expression '()'");
    return NULL;
  }
  size_t save = c->pos;
  size_t wl = read_word(c, true);
  const char *w = c->q + at;
  struct node *n = NULL;
  if (wl == 0) {
    perr(c, at, at < c->len ? "expected and, or, not, has or a key" : "query ended early");
    return NULL;
  }
  bool kw_end = c->pos >= c->len || is_delim(c->q[c->pos]);
  if (kw_end && (word_is(w, wl, "and") || word_is(w, wl, "or"))) {
    n = new_node(c, w[0] == 'a' ? K_AND : K_OR);
    if (!n)
      return NULL;
    for (;;) {
      skip_ws(c);
      if (c->pos < c->len && c->q[c->pos] == ')') {
        c->pos++;
        break;
      }
      if (c->pos >= c->len) {
        perr(c, c->pos, "expected ')' closing the '(' at offset %zu", open);
        goto fail;
      }
      struct node *k = parse_expr(c, depth + 1);
      if (!k || !add_kid(c, n, k))
        goto fail;
    }
    return n;
  }
  if (kw_end && word_is(w, wl, "not")) {
    n = new_node(c, K_NOT);
    if (!n)
      return NULL;
    struct node *k = parse_expr(c, depth + 1);
    if (!k || !add_kid(c, n, k))
      goto fail;
    if (!expect_close(c, "after the operand of not (it takes exactly one)"))
      goto fail;
    return n;
  }
  if (kw_end && word_is(w, wl, "has")) {
    n = new_node(c, K_HAS);
    if (!n)
      return NULL;
    n->def = parse_key(c);
    if (!n->def)
      goto fail;
    if (!expect_close(c, "after the key of has"))
      goto fail;
    return n;
  }
  /* KEY OP VALUE */
  c->pos = save;
  n = new_node(c, K_CMP);
  if (!n)
    return NULL;
  n->def = parse_key(c);
  if (!n->def)
    goto fail;
  skip_ws(c);
  size_t opat = c->pos;
  const char *o = c->q + c->pos;
  size_t rem = c->len - c->pos;
  bool regex = false;
  if (rem >= 2 && !strncmp(o, "~=", 2)) {
    regex = true;
    n->kind = K_REGEX;
    c->pos += 2;
  } else if (rem >= 2 && !strncmp(o, "!=", 2)) {
    n->op = OP_NE;
    c->pos += 2;
  } else if (rem >= 2 && !strncmp(o, "<=", 2)) {
    n->op = OP_LE;
    c->pos += 2;
  } else if (rem >= 2 && !strncmp(o, ">=", 2)) {
    n->op = OP_GE;
    c->pos += 2;
  } else if (rem >= 2 && !strncmp(o, "==", 2)) {
    n->op = OP_EQ;
    c->pos += 2;
  } else if (rem >= 1 && o[0] == '=') {
    n->op = OP_EQ;
    c->pos += 1;
  } else if (rem >= 1 && o[0] == '<') {
    n->op = OP_LT;
    c->pos += 1;
  } else if (rem >= 1 && o[0] == '>') {
    n->op = OP_GT;
    c->pos += 1;
  } else {
    perr(c, opat, "expected an operator (= != < <= > >= ~=) after the key");
    goto fail;
  }
  if (c->pos < c->len && is_opchar(c->q[c->pos])) {
    perr(c, opat, "unknown operator");
    goto fail;
  }
  if (!parse_value(c, n, regex))
    goto fail;
  if (!expect_close(c, "after the value"))
    goto fail;
  return n;
fail:
  if (!c->failed)
    perr(c, c->pos, "invalid expression");
  node_free(n);
  return NULL;
}

mstro_status mstro__selector_create_ex(mstro_schema schema, const char *nspace, const char *query,
                                       mstro_cdo_selector *result, char *errbuf, size_t errlen,
                                       size_t *err_offset)
{
  if (errbuf && errlen)
    errbuf[0] = 0;
  if (!result) {
    MSTRO_LOG_ERR(SELECTOR, "NULL result");
    return MSTRO_INVARG;
  }
  *result = NULL;
  if (!mstro__schemas_ready()) {
    MSTRO_LOG_ERR(SELECTOR, "selector created before mstro_init (schemas not loaded)");
    return MSTRO_UNINIT;
  }
  if (!nspace)
    nspace = schema ? mstro__schema_namespace(schema) : MSTRO_ATTR_CORE_CDO_NAMESPACE;
  size_t nl = strlen(nspace);
  if (nl == 0 || nspace[0] != '.' || nl > MSTRO__ATTR_KEY_MAX / 2) {
    MSTRO_LOG_ERR(SELECTOR, "namespace '%s' must start with '.'", nspace);
    if (errbuf && errlen)
      snprintf(errbuf, errlen, "bad namespace '%s'", nspace);
    return MSTRO_INVARG;
  }
  struct mstro_cdo_selector_ *s = calloc(1, sizeof *s);
  if (!s)
    return MSTRO_NOMEM;
  s->schema = schema;
  s->nspace = malloc(nl + 2);
  if (!s->nspace) {
    free(s);
    return MSTRO_NOMEM;
  }
  memcpy(s->nspace, nspace, nl + 1);
  if (nspace[nl - 1] != '.') {
    s->nspace[nl] = '.';
    s->nspace[nl + 1] = 0;
  }
  if (!query) {
    *result = s;
    return MSTRO_OK;
  }
  size_t ql = strlen(query);
  struct pctx c = {.q = query,
                   .len = ql,
                   .schema = schema,
                   .nspace = s->nspace,
                   .errbuf = errbuf,
                   .errlen = errlen,
                   .st = MSTRO_OK};
  if (ql > SEL_MAX_QUERY) {
    perr(&c, 0, "query longer than %u bytes", SEL_MAX_QUERY);
    goto fail;
  }
  s->query = strdup(query);
  if (!s->query) {
    c.st = MSTRO_NOMEM;
    goto fail;
  }
  skip_ws(&c);
  if (c.pos == c.len) {
    /* an empty query matches everything, like NULL */
    free(s->query);
    s->query = NULL;
    *result = s;
    return MSTRO_OK;
  }
  s->root = parse_expr(&c, 0);
  if (!s->root)
    goto fail;
  skip_ws(&c);
  if (c.pos != c.len) {
    perr(&c, c.pos, "unexpected text after the expression");
    goto fail;
  }
  *result = s;
  return MSTRO_OK;
fail:
  if (err_offset)
    *err_offset = c.err_offset;
  mstro_cdo_selector_dispose(s);
  return c.st != MSTRO_OK ? c.st : MSTRO_INVARG;
}

mstro_status mstro_cdo_selector_create(mstro_schema schema, const char *nspace, const char *query,
                                       mstro_cdo_selector *result)
{
  return mstro__selector_create_ex(schema, nspace, query, result, NULL, 0, NULL);
}

mstro_status mstro_cdo_selector_dispose(mstro_cdo_selector s)
{
  if (!s) {
    MSTRO_LOG_ERR(SELECTOR, "NULL selector");
    return MSTRO_INVARG;
  }
  node_free(s->root);
  free(s->query);
  free(s->nspace);
  free(s);
  return MSTRO_OK;
}

const char *mstro__selector_to_string(mstro_cdo_selector s)
{
  return s ? s->query : NULL;
}

const char *mstro__selector_namespace(mstro_cdo_selector s)
{
  return s ? s->nspace : MSTRO_ATTR_CORE_CDO_NAMESPACE;
}

mstro_schema mstro__selector_schema(mstro_cdo_selector s)
{
  return s ? s->schema : NULL;
}

/* Format: "MSSL" u8 version=1, then three (u32 len, bytes) fields: schema
 * name, namespace, query; a length of 0xffffffff means NULL. */
#define SELSER_NULL 0xffffffffu

static void put_u32(unsigned char *p, uint32_t x)
{
  for (int i = 0; i < 4; i++)
    p[i] = (unsigned char)(x >> (8 * i));
}

mstro_status mstro__selector_serialize(mstro_cdo_selector s, void **buf, size_t *len)
{
  if (!s || !buf || !len)
    return MSTRO_INVARG;
  const char *f[3] = {s->schema ? mstro__schema_name(s->schema) : NULL, s->nspace, s->query};
  size_t total = 5;
  for (int i = 0; i < 3; i++)
    total += 4 + (f[i] ? strlen(f[i]) : 0);
  unsigned char *p = malloc(total);
  if (!p)
    return MSTRO_NOMEM;
  memcpy(p, "MSSL", 4);
  p[4] = 1;
  size_t off = 5;
  for (int i = 0; i < 3; i++) {
    size_t l = f[i] ? strlen(f[i]) : 0;
    put_u32(p + off, f[i] ? (uint32_t)l : SELSER_NULL);
    off += 4;
    memcpy(p + off, f[i] ? f[i] : "", l);
    off += l;
  }
  *buf = p;
  *len = total;
  return MSTRO_OK;
}

mstro_status mstro__selector_deserialize(const void *buf, size_t len, mstro_cdo_selector *result)
{
  if (!buf || !result)
    return MSTRO_INVARG;
  *result = NULL;
  const unsigned char *p = buf;
  char *f[3] = {NULL, NULL, NULL};
  mstro_status st = MSTRO_INVMSG;
  if (len < 5 || memcmp(p, "MSSL", 4) || p[4] != 1)
    goto bad;
  size_t off = 5;
  for (int i = 0; i < 3; i++) {
    if (len - off < 4)
      goto bad;
    uint32_t l = (uint32_t)p[off] | (uint32_t)p[off + 1] << 8 | (uint32_t)p[off + 2] << 16 |
                 (uint32_t)p[off + 3] << 24;
    off += 4;
    if (l == SELSER_NULL)
      continue;
    if (l > len - off || l > SEL_MAX_QUERY || memchr(p + off, 0, l))
      goto bad;
    f[i] = malloc((size_t)l + 1);
    if (!f[i]) {
      st = MSTRO_NOMEM;
      goto cleanup;
    }
    memcpy(f[i], p + off, l);
    f[i][l] = 0;
    off += l;
  }
  if (off != len || !f[1])
    goto bad;
  mstro_schema schema = NULL;
  if (f[0] && !(schema = mstro__schema_find(f[0]))) {
    MSTRO_LOG_ERR(SELECTOR, "selector refers to schema %s, which is not loaded here", f[0]);
    st = MSTRO_INVARG;
    goto cleanup;
  }
  st = mstro_cdo_selector_create(schema, f[1], f[2], result);
  goto cleanup;
bad:
  MSTRO_LOG_ERR(SELECTOR, "malformed serialized selector (%zu bytes)", len);
  st = MSTRO_INVMSG;
cleanup:
  for (int i = 0; i < 3; i++)
    free(f[i]);
  return st;
}
