/*
 * html.c — an HTML part made into the text a reader would see: libxml2's
 * HTML parser (lenient, no network, no entity expansion from outside) builds
 * the tree; a non-recursive walk writes paragraphs, line breaks, list items
 * and table cells, drops scripts, styles and other active content, shows
 * links as their text plus a defanged URL and images as their alt text.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "mail/mail.h"

struct mmr_html {
	htmlParserCtxtPtr ctxt;
};

mmr_html *mmr_html_new(void)
{
	mmr_html *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->ctxt = htmlNewParserCtxt();
	if (!h->ctxt) {
		free(h);
		return NULL;
	}
	return h;
}

void mmr_html_free(mmr_html *h)
{
	if (!h)
		return;
	htmlFreeParserCtxt(h->ctxt);
	free(h);
}

int mmr_mail_defang_url(const char *url, mmr_buf *out)
{
	while (*url == ' ' || *url == '\t' || *url == '\r' || *url == '\n')
		url++;
	const char *colon = strchr(url, ':');
	const char *rest = url;
	int r = 0;
	if (colon && (colon - url) < 12) {
		size_t sl = (size_t)(colon - url);
		if (sl == 4 && !strncasecmp(url, "http", 4))
			r |= mmr_buf_adds(out, "hxxp");
		else if (sl == 5 && !strncasecmp(url, "https", 5))
			r |= mmr_buf_adds(out, "hxxps");
		else if (sl == 3 && !strncasecmp(url, "ftp", 3))
			r |= mmr_buf_adds(out, "fxp");
		else if (sl == 6 && !strncasecmp(url, "mailto", 6))
			r |= 0;
		else if ((sl == 10 && !strncasecmp(url, "javascript", 10)) ||
			 (sl == 4 && !strncasecmp(url, "data", 4)) ||
			 (sl == 8 && !strncasecmp(url, "vbscript", 8)))
			return mmr_buf_adds(out, "（スクリプト等のリンクは削除）");
		else
			r |= mmr_buf_add(out, url, sl);
		if (!(sl == 6 && !strncasecmp(url, "mailto", 6)))
			r |= mmr_buf_addc(out, ':');
		rest = colon + 1;
	}
	/* After "//", dots of the host become "[.]" so nothing links it. */
	int in_host = 0;
	if (rest[0] == '/' && rest[1] == '/') {
		r |= mmr_buf_adds(out, "//");
		rest += 2;
		in_host = 1;
	}
	for (const char *p = rest; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7F)
			continue;
		if (in_host && (c == '/' || c == '?' || c == '#'))
			in_host = 0;
		if (in_host && c == '.')
			r |= mmr_buf_adds(out, "[.]");
		else
			r |= mmr_buf_addc(out, (char)c);
	}
	return r ? -1 : 0;
}

/* URLs written as text in the HTML (not as links) are made non-clickable
 * too: out[from..) is rewritten with every http://, https:// and ftp://
 * URL (up to whitespace or a bracket) defanged. */
static int defang_bare_urls(mmr_buf *out, size_t from)
{
	if (!memmem(out->p + from, out->n - from, "://", 3))
		return 0;
	mmr_buf tail = {0}, u = {0};
	int r = mmr_buf_add(&tail, out->p + from, out->n - from);
	out->n = from;
	const char *p = tail.p, *end = tail.p + tail.n;
	while (!r && p < end) {
		/* Each "://" in turn, with its scheme just before it. */
		const char *hit = NULL, *sep = p;
		while (!hit && (sep = memmem(sep, (size_t)(end - sep), "://", 3))) {
			if (sep - p >= 5 && !strncasecmp(sep - 5, "https", 5))
				hit = sep - 5;
			else if (sep - p >= 4 && !strncasecmp(sep - 4, "http", 4))
				hit = sep - 4;
			else if (sep - p >= 3 && !strncasecmp(sep - 3, "ftp", 3))
				hit = sep - 3;
			sep += 3;
		}
		if (!hit) {
			r |= mmr_buf_add(out, p, (size_t)(end - p));
			break;
		}
		r |= mmr_buf_add(out, p, (size_t)(hit - p));
		const char *e = hit;
		while (e < end && (unsigned char)*e > ' ' && *e != '<' && *e != '>' && *e != '"' &&
		       *e != ']' && *e != ')')
			e++;
		u.n = 0;
		r |= mmr_buf_add(&u, hit, (size_t)(e - hit));
		mmr_buf d = {0};
		r |= mmr_mail_defang_url(u.p, &d);
		r |= mmr_buf_add(out, d.p ? d.p : "", d.n);
		free(d.p);
		p = e;
	}
	free(tail.p);
	free(u.p);
	return r ? -1 : 0;
}

/* The writer's state: newlines owed, a space owed, inside <pre>. */
struct writer {
	mmr_buf *out;
	size_t start;
	int nl;	   /* newlines owed before the next text */
	int space; /* a space owed before the next text */
	int pre;   /* depth of <pre> */
	int cell;  /* cells written in the current table row */
	int err;
};

static int at_start(const struct writer *w)
{
	return w->out->n == w->start;
}

static void flush(struct writer *w)
{
	if (!at_start(w)) {
		for (int i = 0; i < w->nl; i++)
			w->err |= mmr_buf_addc(w->out, '\n');
		if (!w->nl && w->space)
			w->err |= mmr_buf_addc(w->out, ' ');
	}
	w->nl = 0;
	w->space = 0;
}

static void block(struct writer *w, int lines)
{
	if (w->nl < lines)
		w->nl = lines;
}

static void text(struct writer *w, const char *s)
{
	if (w->pre) {
		flush(w);
		for (; *s; s++)
			if (*s != '\r')
				w->err |= mmr_buf_addc(w->out, *s);
		return;
	}
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
			w->space = 1;
			continue;
		}
		/* U+00A0 and U+3000 stay: they are what the author typed. */
		if (w->nl || w->space)
			flush(w);
		w->err |= mmr_buf_addc(w->out, (char)c);
	}
}

/* What an element is to the writer: a kind in the low bits, and whether it
 * is skipped with everything in it or opens a block (blank line around,
 * or a line of its own). Looked up once per element (tag_of). */
enum {
	T_OTHER = 0,
	T_PRE,
	T_BR,
	T_HR,
	T_LI,
	T_TR,
	T_CELL,
	T_IMG,
	T_A,
	T_KIND = 0x0F,
	T_SKIP = 0x10,
	T_PARA = 0x20,
	T_LINE = 0x40,
};

static const struct tag {
	const char *name;
	unsigned info;
} tags[] = {
	/* sorted by name (bsearch) */
	{"a", T_A},
	{"address", T_PARA},
	{"applet", T_SKIP},
	{"article", T_LINE},
	{"aside", T_LINE},
	{"audio", T_SKIP},
	{"blockquote", T_PARA},
	{"body", T_LINE},
	{"br", T_BR},
	{"button", T_SKIP},
	{"canvas", T_SKIP},
	{"caption", T_LINE},
	{"center", T_LINE},
	{"dd", T_LINE},
	{"details", T_LINE},
	{"div", T_LINE},
	{"dl", T_PARA},
	{"dt", T_LINE},
	{"embed", T_SKIP},
	{"fieldset", T_LINE},
	{"figure", T_PARA},
	{"footer", T_LINE},
	{"form", T_LINE},
	{"frameset", T_SKIP},
	{"h1", T_PARA},
	{"h2", T_PARA},
	{"h3", T_PARA},
	{"h4", T_PARA},
	{"h5", T_PARA},
	{"h6", T_PARA},
	{"head", T_SKIP},
	{"header", T_LINE},
	{"hr", T_HR},
	{"iframe", T_SKIP},
	{"img", T_IMG},
	{"legend", T_LINE},
	{"li", T_LI | T_LINE},
	{"main", T_LINE},
	{"math", T_SKIP},
	{"nav", T_LINE},
	{"object", T_SKIP},
	{"ol", T_PARA},
	{"option", T_LINE},
	{"p", T_PARA},
	{"pre", T_PRE | T_PARA},
	{"script", T_SKIP},
	{"section", T_LINE},
	{"select", T_SKIP},
	{"style", T_SKIP},
	{"summary", T_LINE},
	{"svg", T_SKIP},
	{"table", T_PARA},
	{"td", T_CELL},
	{"template", T_SKIP},
	{"th", T_CELL},
	{"tr", T_TR | T_LINE},
	{"ul", T_PARA},
	{"video", T_SKIP},
};

static int tag_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct tag *)elem)->name);
}

/* The tag info of element n (lower-cased name looked up in tags). */
static unsigned tag_of(const xmlNode *n)
{
	char name[16];
	size_t i = 0;
	if (!n->name)
		return T_OTHER;
	for (const xmlChar *p = n->name; *p; p++) {
		if (i + 1 >= sizeof name)
			return T_OTHER; /* longer than any tag in the table */
		name[i++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	}
	name[i] = '\0';
	const struct tag *t =
		bsearch(name, tags, sizeof tags / sizeof tags[0], sizeof tags[0], tag_cmp);
	return t ? t->info : T_OTHER;
}

/* 2: a paragraph-like block (blank line around), 1: a line of its own. */
static int block_kind(unsigned info)
{
	return info & T_PARA ? 2 : info & T_LINE ? 1 : 0;
}

static void enter(struct writer *w, xmlNode *n, unsigned info)
{
	int k = block_kind(info);
	if (k)
		block(w, k);
	switch (info & T_KIND) {
	case T_PRE: w->pre++; break;
	case T_BR:
		if (at_start(w))
			return;
		w->nl++;
		w->space = 0;
		break;
	case T_HR:
		block(w, 1);
		text(w, "――――――――");
		block(w, 1);
		break;
	case T_LI: text(w, "・"); break;
	case T_TR: w->cell = 0; break;
	case T_CELL:
		if (w->cell++)
			text(w, " | ");
		break;
	case T_IMG: {
		xmlChar *alt = xmlGetProp(n, (const xmlChar *)"alt");
		if (alt && *alt) {
			w->space = 1;
			text(w, (const char *)alt);
			w->space = 1;
		}
		xmlFree(alt);
		break;
	}
	case T_A:
		n->_private = (void *)(w->out->n + 1); /* where the link text starts */
		break;
	}
}

static void leave(struct writer *w, xmlNode *n, unsigned info)
{
	int k = block_kind(info);
	if ((info & T_KIND) == T_PRE && w->pre)
		w->pre--;
	if ((info & T_KIND) == T_A && n->_private) {
		xmlChar *href = xmlGetProp(n, (const xmlChar *)"href");
		if (href && *href && href[0] != '#') {
			size_t from = (size_t)n->_private - 1;
			/* Newlines or a space owed before the link were written
			 * with its first text: they are not part of it. */
			while (from < w->out->n &&
			       (w->out->p[from] == '\n' || w->out->p[from] == ' '))
				from++;
			const char *shown = w->out->p ? w->out->p + from : "";
			size_t shown_len = w->out->n - from;
			size_t hl = strlen((const char *)href);
			int same = shown_len == hl && !memcmp(shown, href, hl);
			mmr_buf u = {0};
			if (mmr_mail_defang_url((const char *)href, &u) == 0 && u.n) {
				if (same) {
					w->out->n = from; /* replace the clickable text */
					w->out->p[w->out->n] = '\0';
					text(w, u.p);
				} else {
					text(w, " [");
					text(w, u.p);
					text(w, "]");
				}
			}
			free(u.p);
		}
		xmlFree(href);
		n->_private = NULL;
	}
	if (k)
		block(w, k);
}

int mmr_html_to_text(mmr_html *h, const char *html, size_t len, mmr_buf *out)
{
	if (len > (size_t)INT_MAX)
		return -1;
	int opts = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
		   HTML_PARSE_NONET | HTML_PARSE_NOIMPLIED | HTML_PARSE_COMPACT |
		   HTML_PARSE_IGNORE_ENC;
	htmlDocPtr doc = htmlCtxtReadMemory(h->ctxt, html, (int)len, NULL, "UTF-8", opts);
	if (!doc)
		return 0; /* nothing readable: no text */
	struct writer w = {.out = out, .start = out->n};
	xmlNode *n = doc->children;
	while (n) {
		int descend = 0;
		unsigned info = n->type == XML_ELEMENT_NODE ? tag_of(n) : 0;
		if (n->type == XML_ELEMENT_NODE && !(info & T_SKIP)) {
			n->extra = (unsigned short)info; /* for leave() on the way up */
			enter(&w, n, info);
			descend = n->children != NULL;
			if (!descend)
				leave(&w, n, info);
		} else if (n->type == XML_TEXT_NODE && n->content) {
			text(&w, (const char *)n->content);
		}
		if (descend) {
			n = n->children;
			continue;
		}
		while (n && !n->next) {
			n = n->parent;
			if (!n || n == (xmlNode *)doc) {
				n = NULL;
				break;
			}
			if (n->type == XML_ELEMENT_NODE)
				leave(&w, n, n->extra);
		}
		if (n)
			n = n->next;
	}
	xmlFreeDoc(doc);
	if (!at_start(&w) && out->p[out->n - 1] != '\n')
		w.err |= mmr_buf_addc(out, '\n');
	if (!w.err && w.start < out->n)
		w.err |= defang_bare_urls(out, w.start);
	return w.err ? -1 : 0;
}
