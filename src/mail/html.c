/*
 * html.c — an HTML part made into the text a reader would see: libxml2's
 * HTML parser (lenient, no network, no entity expansion from outside) builds
 * the tree; a non-recursive walk writes paragraphs, line breaks, list items
 * and table cells, drops scripts, styles and other active content, shows
 * links as their text plus a defanged URL and images as their alt text.
 */
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
		const char *hit = NULL;
		for (const char *q = p; q + 6 <= end; q++)
			if ((!strncasecmp(q, "http://", 7) && q + 7 <= end) ||
			    (!strncasecmp(q, "https://", 8) && q + 8 <= end) ||
			    (!strncasecmp(q, "ftp://", 6))) {
				hit = q;
				break;
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

static int name_is(const xmlNode *n, const char *name)
{
	return n->name && !strcasecmp((const char *)n->name, name);
}

static int is_skipped(const xmlNode *n)
{
	static const char *const skip[] = {
		"script", "style", "head",     "template", "iframe", "object", "embed", "applet",
		"svg",	  "math",  "frameset", "select",   "button", "canvas", "audio", "video"};
	for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++)
		if (name_is(n, skip[i]))
			return 1;
	return 0;
}

/* 2: a paragraph-like block (blank line around), 1: a line of its own. */
static int block_kind(const xmlNode *n)
{
	static const char *const para[] = {"p",	 "h1", "h2",	     "h3",	"h4",
					   "h5", "h6", "blockquote", "table",	"ul",
					   "ol", "dl", "pre",	     "address", "figure"};
	static const char *const line[] = {
		"div",	   "li",     "tr",     "dt",	  "dd",	     "section",	 "article",
		"header",  "footer", "nav",    "aside",	  "form",    "fieldset", "legend",
		"caption", "main",   "center", "details", "summary", "option",	 "body"};
	for (size_t i = 0; i < sizeof para / sizeof para[0]; i++)
		if (name_is(n, para[i]))
			return 2;
	for (size_t i = 0; i < sizeof line / sizeof line[0]; i++)
		if (name_is(n, line[i]))
			return 1;
	return 0;
}

static void enter(struct writer *w, xmlNode *n)
{
	int k = block_kind(n);
	if (k)
		block(w, k);
	if (name_is(n, "pre"))
		w->pre++;
	else if (name_is(n, "br")) {
		if (at_start(w))
			return;
		w->nl++;
		w->space = 0;
	} else if (name_is(n, "hr")) {
		block(w, 1);
		text(w, "――――――――");
		block(w, 1);
	} else if (name_is(n, "li")) {
		text(w, "・");
	} else if (name_is(n, "tr")) {
		w->cell = 0;
	} else if (name_is(n, "td") || name_is(n, "th")) {
		if (w->cell++)
			text(w, " | ");
	} else if (name_is(n, "img")) {
		xmlChar *alt = xmlGetProp(n, (const xmlChar *)"alt");
		if (alt && *alt) {
			w->space = 1;
			text(w, (const char *)alt);
			w->space = 1;
		}
		xmlFree(alt);
	}
	if (name_is(n, "a"))
		n->_private = (void *)(w->out->n + 1); /* where the link text starts */
}

static void leave(struct writer *w, xmlNode *n)
{
	int k = block_kind(n);
	if (name_is(n, "pre") && w->pre)
		w->pre--;
	if (name_is(n, "a")) {
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
		if (n->type == XML_ELEMENT_NODE && !is_skipped(n)) {
			enter(&w, n);
			descend = n->children != NULL;
			if (!descend)
				leave(&w, n);
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
				leave(&w, n);
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
