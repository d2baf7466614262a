/*
 * pdf.c — PDF rebuilt without active content (qpdf's C API).
 *
 * Every object reachable from the trailer is visited once (reference
 * cycles end at the visited set). Removed: JavaScript anywhere (actions,
 * the document's JavaScript name tree), OpenAction and additional actions
 * (/AA), Launch, GoToR, GoToE, SubmitForm, ImportData, Rendition, Movie and
 * Sound actions, embedded files (name tree and /EF of file specifications)
 * and file attachment annotations, RichMedia/Screen/3D annotations, XFA.
 * URI actions go only with remove_links. qpdf then writes the reachable
 * objects anew, so nothing unreferenced survives.
 */
#include <qpdf/qpdf-c.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sanitize/sanitize_int.h"

#define MAX_NODES 2000000u

struct walk {
	san_ctx *c;
	qpdf_data q;
	uint64_t *seen; /* open addressing: (id << 16 | gen) + 1, 0 = empty */
	size_t seen_cap, seen_n;
	qpdf_oh *stack;
	size_t sp, stack_cap;
	size_t nodes;
};

static int seen_add(struct walk *w, uint64_t key, bool *was)
{
	if ((w->seen_n + 1) * 2 > w->seen_cap) {
		size_t cap = w->seen_cap ? w->seen_cap * 2 : 4096;
		uint64_t *t = calloc(cap, sizeof *t);
		if (!t)
			return MMR_ENOMEM;
		for (size_t i = 0; i < w->seen_cap; i++) {
			if (!w->seen[i])
				continue;
			size_t h = (size_t)(w->seen[i] * 0x9E3779B97F4A7C15ull) & (cap - 1);
			while (t[h])
				h = (h + 1) & (cap - 1);
			t[h] = w->seen[i];
		}
		free(w->seen);
		w->seen = t;
		w->seen_cap = cap;
	}
	key++;
	size_t h = (size_t)(key * 0x9E3779B97F4A7C15ull) & (w->seen_cap - 1);
	while (w->seen[h]) {
		if (w->seen[h] == key) {
			*was = true;
			return MMR_OK;
		}
		h = (h + 1) & (w->seen_cap - 1);
	}
	w->seen[h] = key;
	w->seen_n++;
	*was = false;
	return MMR_OK;
}

static int push(struct walk *w, qpdf_oh oh)
{
	if (w->sp == w->stack_cap) {
		size_t cap = w->stack_cap ? w->stack_cap * 2 : 1024;
		qpdf_oh *s = realloc(w->stack, cap * sizeof *s);
		if (!s)
			return MMR_ENOMEM;
		w->stack = s;
		w->stack_cap = cap;
	}
	w->stack[w->sp++] = oh;
	return MMR_OK;
}

static bool name_is(qpdf_data q, qpdf_oh oh, const char *name)
{
	return qpdf_oh_is_name_and_equals(q, oh, name);
}

/* What an action does that must go (NULL: harmless). */
static const char *action_danger(struct walk *w, qpdf_oh a)
{
	qpdf_data q = w->q;
	if (!qpdf_oh_is_dictionary(q, a))
		return NULL;
	if (qpdf_oh_has_key(q, a, "/JS"))
		return "javascript";
	qpdf_oh s = qpdf_oh_get_key(q, a, "/S");
	static const struct {
		const char *name, *kind;
	} table[] = {
		{"/JavaScript", "javascript"},	{"/Launch", "launch"},
		{"/GoToR", "remote_goto"},	{"/GoToE", "embedded_goto"},
		{"/SubmitForm", "submit_form"}, {"/ImportData", "import_data"},
		{"/Rendition", "rendition"},	{"/Movie", "media_action"},
		{"/Sound", "media_action"},	{"/RichMediaExecute", "rich_media"},
		{"/GoTo3DView", "rich_media"},
	};
	const char *kind = NULL;
	for (size_t i = 0; i < sizeof table / sizeof table[0] && !kind; i++)
		if (name_is(q, s, table[i].name))
			kind = table[i].kind;
	if (!kind && w->c->opts.remove_links && name_is(q, s, "/URI"))
		kind = "uri";
	qpdf_oh_release(q, s);
	return kind;
}

static void where(struct walk *w, qpdf_oh holder, char *buf, size_t cap)
{
	int id = qpdf_oh_get_object_id(w->q, holder);
	if (id > 0)
		snprintf(buf, cap, "obj %d %d", id, qpdf_oh_get_generation(w->q, holder));
	else
		snprintf(buf, cap, "(direct)");
}

static void removed_key(struct walk *w, qpdf_oh d, const char *key, const char *kind,
			const char *holder)
{
	qpdf_oh_remove_key(w->q, d, key);
	char part[96];
	snprintf(part, sizeof part, "%s %s", holder, key);
	san_removed(w->c, kind, part);
}

/* Take the dangerous entries out of one dictionary (or stream dictionary). */
static void scrub_dict(struct walk *w, qpdf_oh d, const char *holder)
{
	qpdf_data q = w->q;
	static const struct {
		const char *key, *kind;
	} always[] = {
		{"/AA", "additional_actions"},
		{"/JS", "javascript"},
		{"/XFA", "xfa"},
		{"/EF", "embedded_file"},
		{"/EmbeddedFiles", "embedded_file"},
		{"/RichMediaContent", "rich_media"},
		{"/RichMediaSettings", "rich_media"},
	};
	for (size_t i = 0; i < sizeof always / sizeof always[0]; i++)
		if (qpdf_oh_has_key(q, d, always[i].key))
			removed_key(w, d, always[i].key, always[i].kind, holder);
	/* The JavaScript name tree of the Names dictionary. */
	if (qpdf_oh_has_key(q, d, "/JavaScript")) {
		qpdf_oh v = qpdf_oh_get_key(q, d, "/JavaScript");
		if (qpdf_oh_is_dictionary(q, v) || qpdf_oh_is_array(q, v))
			removed_key(w, d, "/JavaScript", "javascript", holder);
		qpdf_oh_release(q, v);
	}
	/* OpenAction: an action goes; a destination (array) stays. */
	if (qpdf_oh_has_key(q, d, "/OpenAction")) {
		qpdf_oh v = qpdf_oh_get_key(q, d, "/OpenAction");
		if (qpdf_oh_is_dictionary(q, v)) {
			const char *k = action_danger(w, v);
			removed_key(w, d, "/OpenAction", "open_action", holder);
			if (k)
				san_removed(w->c, k, holder);
		}
		qpdf_oh_release(q, v);
	}
	if (qpdf_oh_has_key(q, d, "/A")) {
		qpdf_oh v = qpdf_oh_get_key(q, d, "/A");
		const char *k = action_danger(w, v);
		if (k)
			removed_key(w, d, "/A", k, holder);
		qpdf_oh_release(q, v);
	}
	if (qpdf_oh_has_key(q, d, "/Next")) {
		qpdf_oh v = qpdf_oh_get_key(q, d, "/Next");
		if (qpdf_oh_is_dictionary(q, v)) {
			const char *k = action_danger(w, v);
			if (k)
				removed_key(w, d, "/Next", k, holder);
		} else if (qpdf_oh_is_array(q, v)) {
			for (int i = qpdf_oh_get_array_n_items(q, v) - 1; i >= 0; i--) {
				qpdf_oh a = qpdf_oh_get_array_item(q, v, i);
				const char *k = action_danger(w, a);
				if (k) {
					qpdf_oh_erase_item(q, v, i);
					san_removed(w->c, k, holder);
				}
				qpdf_oh_release(q, a);
			}
		}
		qpdf_oh_release(q, v);
	}
	/* Annotations that act or carry files. */
	if (qpdf_oh_has_key(q, d, "/Annots")) {
		qpdf_oh v = qpdf_oh_get_key(q, d, "/Annots");
		if (qpdf_oh_is_array(q, v)) {
			for (int i = qpdf_oh_get_array_n_items(q, v) - 1; i >= 0; i--) {
				qpdf_oh a = qpdf_oh_get_array_item(q, v, i);
				qpdf_oh st = qpdf_oh_get_key_if_dict(q, a, "/Subtype");
				const char *k = NULL;
				if (name_is(q, st, "/FileAttachment"))
					k = "file_attachment";
				else if (name_is(q, st, "/RichMedia") || name_is(q, st, "/3D"))
					k = "rich_media";
				else if (name_is(q, st, "/Movie") || name_is(q, st, "/Sound") ||
					 name_is(q, st, "/Screen"))
					k = "media_annotation";
				if (k) {
					char part[96];
					where(w, a, part, sizeof part);
					qpdf_oh_erase_item(q, v, i);
					san_removed(w->c, k, part);
				}
				qpdf_oh_release(q, st);
				qpdf_oh_release(q, a);
			}
		}
		qpdf_oh_release(q, v);
	}
}

/* Push the values of a dictionary. The key iterator is global to q, so
 * the keys are collected first. */
static int push_dict_values(struct walk *w, qpdf_oh d)
{
	qpdf_data q = w->q;
	char *keys[256];
	size_t nk = 0;
	int rc = MMR_OK;
	qpdf_oh_begin_dict_key_iter(q, d);
	while (qpdf_oh_dict_more_keys(q)) {
		const char *k = qpdf_oh_dict_next_key(q);
		if (nk == sizeof keys / sizeof keys[0]) {
			/* Flush a full batch. */
			for (size_t i = 0; i < nk && !rc; i++)
				rc = push(w, qpdf_oh_get_key(q, d, keys[i]));
			for (size_t i = 0; i < nk; i++)
				free(keys[i]);
			nk = 0;
			if (rc)
				return rc;
			/* qpdf keeps the iterator across get_key calls. */
		}
		keys[nk] = strdup(k);
		if (!keys[nk]) {
			rc = MMR_ENOMEM;
			break;
		}
		nk++;
	}
	for (size_t i = 0; i < nk && !rc; i++)
		rc = push(w, qpdf_oh_get_key(q, d, keys[i]));
	for (size_t i = 0; i < nk; i++)
		free(keys[i]);
	return rc;
}

/* An error stored by a call that returns none: true, and the error taken
 * (so that qpdf does not complain of an unhandled one). */
static bool pdf_failed(qpdf_data q)
{
	if (!qpdf_has_error(q))
		return false;
	(void)qpdf_get_error(q);
	return true;
}

static int walk(struct walk *w)
{
	qpdf_data q = w->q;
	int rc = push(w, qpdf_get_trailer(q));
	while (!rc && w->sp) {
		qpdf_oh oh = w->stack[--w->sp];
		if (++w->nodes > MAX_NODES) {
			qpdf_oh_release(q, oh);
			return san_refuse(w->c, "PDF のオブジェクトが多すぎます (object limit)");
		}
		if ((w->nodes & 4095) == 0 && san_timed_out(w->c)) {
			qpdf_oh_release(q, oh);
			return MMR_EDENIED;
		}
		if (qpdf_oh_is_indirect(q, oh)) {
			int id = qpdf_oh_get_object_id(q, oh), gen = qpdf_oh_get_generation(q, oh);
			bool was = false;
			rc = seen_add(w, ((uint64_t)(uint32_t)id << 16) | (uint64_t)(gen & 0xffff),
				      &was);
			if (rc || was) {
				qpdf_oh_release(q, oh);
				continue;
			}
		}
		char holder[64];
		if (qpdf_oh_is_stream(q, oh)) {
			qpdf_oh d = qpdf_oh_get_dict(q, oh);
			where(w, oh, holder, sizeof holder);
			scrub_dict(w, d, holder);
			rc = push_dict_values(w, d);
			qpdf_oh_release(q, d);
		} else if (qpdf_oh_is_dictionary(q, oh)) {
			where(w, oh, holder, sizeof holder);
			scrub_dict(w, oh, holder);
			rc = push_dict_values(w, oh);
		} else if (qpdf_oh_is_array(q, oh)) {
			int n = qpdf_oh_get_array_n_items(q, oh);
			for (int i = 0; i < n && !rc; i++)
				rc = push(w, qpdf_oh_get_array_item(q, oh, i));
		}
		qpdf_oh_release(q, oh);
		if (!rc && pdf_failed(q))
			rc = san_refuse(w->c, "PDF が壊れていて読めません (damaged PDF)");
	}
	return rc;
}

static bool says_password(qpdf_data q)
{
	qpdf_error e = qpdf_get_error(q);
	const char *t = e ? qpdf_get_error_full_text(q, e) : NULL;
	return t && strstr(t, "password");
}

int san_pdf(san_ctx *c, const unsigned char *data, size_t len)
{
	snprintf(c->res->type, sizeof c->res->type, "pdf");
	snprintf(c->res->ext, sizeof c->res->ext, "pdf");
	qpdf_data q = qpdf_init();
	if (!q)
		return MMR_ENOMEM;
	qpdf_silence_errors(q);
	qpdf_set_suppress_warnings(q, QPDF_TRUE);
	struct walk w = {.c = c, .q = q};
	int rc = MMR_OK;
	if (qpdf_read_memory(q, "input.pdf", (const char *)data, (unsigned long long)len, NULL) &
	    QPDF_ERRORS) {
		if (says_password(q))
			rc = san_refuse(
				c, "パスワードで保護された PDF は検査できないため取り込めません");
		else
			rc = san_refuse(c, "PDF が壊れていて読めません (damaged PDF)");
		goto done;
	}
	if (qpdf_is_encrypted(q))
		san_note(c, "暗号化（所有者パスワードのみ）を解除して書き出しました");
	qpdf_oh root = qpdf_get_root(q);
	bool has_root = !pdf_failed(q) && qpdf_oh_is_dictionary(q, root);
	qpdf_oh_release(q, root);
	if (!has_root) {
		rc = san_refuse(c, "PDF に文書カタログがありません (damaged PDF)");
		goto done;
	}
	if ((rc = walk(&w)))
		goto done;
	int np = qpdf_get_num_pages(q);
	if (np < 0 || pdf_failed(q)) {
		rc = san_refuse(c, "PDF のページ木が壊れています (damaged PDF)");
		goto done;
	}
	c->res->pages = np > 0 ? np : 0;
	qpdf_oh_release_all(q);
	if (qpdf_init_write_memory(q) & QPDF_ERRORS) {
		rc = san_refuse(c, "PDF を書き出せません");
		goto done;
	}
	qpdf_set_object_stream_mode(q, qpdf_o_preserve);
	qpdf_set_preserve_encryption(q, QPDF_FALSE);
	qpdf_set_deterministic_ID(q, QPDF_TRUE);
	if (qpdf_write(q) & QPDF_ERRORS) {
		rc = san_refuse(c, "PDF が壊れていて書き出せません (damaged PDF)");
		goto done;
	}
	size_t n = qpdf_get_buffer_length(q);
	const unsigned char *buf = qpdf_get_buffer(q);
	c->res->out = malloc(n ? n : 1);
	if (!c->res->out) {
		rc = MMR_ENOMEM;
		goto done;
	}
	memcpy(c->res->out, buf, n);
	c->res->out_len = n;
done:
	free(w.seen);
	for (size_t i = 0; i < w.sp; i++)
		qpdf_oh_release(q, w.stack[i]);
	free(w.stack);
	qpdf_cleanup(&q);
	return rc;
}
