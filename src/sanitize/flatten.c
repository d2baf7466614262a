/*
 * flatten.c — `--flatten`: every page of a PDF rendered to an image
 * (poppler + cairo) and written into a new PDF that holds only those
 * images. Nothing active can survive: no object of the input is copied.
 */
#include <cairo-pdf.h>
#include <cairo.h>
#include <poppler.h>
#include <stdlib.h>
#include <string.h>

#include "sanitize/sanitize_int.h"

#define MAX_PAGES 5000
#define MAX_PAGE_PT 14400.0 /* 200 inches, PDF's own limit */
#define MAX_SIDE_PX 12000

struct sink {
	unsigned char *buf;
	size_t len, cap;
	bool failed;
};

static cairo_status_t sink_write(void *closure, const unsigned char *data, unsigned int length)
{
	struct sink *s = closure;
	if (s->len + length > s->cap) {
		size_t cap = s->cap ? s->cap : 65536;
		while (cap < s->len + length)
			cap *= 2;
		unsigned char *b = realloc(s->buf, cap);
		if (!b) {
			s->failed = true;
			return CAIRO_STATUS_WRITE_ERROR;
		}
		s->buf = b;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, length);
	s->len += length;
	return CAIRO_STATUS_SUCCESS;
}

int san_pdf_flatten(san_ctx *c, const unsigned char *data, size_t len)
{
	snprintf(c->res->type, sizeof c->res->type, "pdf");
	snprintf(c->res->ext, sizeof c->res->ext, "pdf");
	GError *gerr = NULL;
	GBytes *bytes = g_bytes_new_static(data, len);
	PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, &gerr);
	g_bytes_unref(bytes);
	if (!doc) {
		bool pw = gerr && gerr->code == POPPLER_ERROR_ENCRYPTED;
		g_clear_error(&gerr);
		return pw ? san_refuse(
				    c,
				    "パスワードで保護された PDF は検査できないため取り込めません")
			  : san_refuse(c, "PDF が壊れていて読めません (damaged PDF)");
	}
	int n = poppler_document_get_n_pages(doc);
	if (n <= 0 || n > MAX_PAGES) {
		g_object_unref(doc);
		return san_refuse(c, "PDF のページ数 (%d) が扱える範囲を外れています (page limit)",
				  n);
	}
	struct sink sink = {0};
	cairo_surface_t *pdf = cairo_pdf_surface_create_for_stream(sink_write, &sink, 595, 842);
	cairo_t *out = cairo_create(pdf);
	double scale = c->opts.flatten_dpi / 72.0;
	int rc = MMR_OK;
	for (int i = 0; i < n && !rc; i++) {
		if (san_timed_out(c)) {
			rc = MMR_EDENIED;
			break;
		}
		PopplerPage *page = poppler_document_get_page(doc, i);
		double wpt = 0, hpt = 0;
		if (page)
			poppler_page_get_size(page, &wpt, &hpt);
		if (!page || !(wpt >= 1 && hpt >= 1 && wpt <= MAX_PAGE_PT && hpt <= MAX_PAGE_PT)) {
			if (page)
				g_object_unref(page);
			rc = san_refuse(c, "PDF の %d ページ目の大きさが不正です", i + 1);
			break;
		}
		double s = scale;
		if (wpt * s > MAX_SIDE_PX)
			s = MAX_SIDE_PX / wpt;
		if (hpt * s > MAX_SIDE_PX)
			s = MAX_SIDE_PX / hpt;
		int wpx = (int)(wpt * s + 0.5), hpx = (int)(hpt * s + 0.5);
		cairo_surface_t *img = cairo_image_surface_create(
			CAIRO_FORMAT_RGB24, wpx > 0 ? wpx : 1, hpx > 0 ? hpx : 1);
		cairo_t *cr = cairo_create(img);
		cairo_set_source_rgb(cr, 1, 1, 1);
		cairo_paint(cr);
		cairo_scale(cr, s, s);
		poppler_page_render_for_printing(page, cr);
		cairo_destroy(cr);
		g_object_unref(page);
		cairo_surface_flush(img);
		if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
			cairo_surface_destroy(img);
			rc = MMR_ENOMEM;
			break;
		}
		cairo_pdf_surface_set_size(pdf, wpt, hpt);
		cairo_save(out);
		cairo_scale(out, 1.0 / s, 1.0 / s);
		cairo_set_source_surface(out, img, 0, 0);
		cairo_paint(out);
		cairo_restore(out);
		cairo_show_page(out);
		cairo_surface_destroy(img);
		c->res->pages = i + 1;
	}
	cairo_destroy(out);
	cairo_surface_finish(pdf);
	bool bad = cairo_surface_status(pdf) != CAIRO_STATUS_SUCCESS || sink.failed;
	cairo_surface_destroy(pdf);
	g_object_unref(doc);
	if (!rc && bad)
		rc = MMR_ENOMEM;
	if (rc) {
		free(sink.buf);
		return rc;
	}
	san_note(c, "全 %d ページを %d dpi の画像にしました (flatten)", c->res->pages,
		 c->opts.flatten_dpi);
	c->res->out = sink.buf;
	c->res->out_len = sink.len;
	return MMR_OK;
}
