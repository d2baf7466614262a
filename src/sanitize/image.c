/*
 * image.c — PNG, JPEG and GIF decoded and encoded anew (libpng, libjpeg,
 * giflib): metadata (text chunks, EXIF, XMP, comments, application
 * extensions) and anything appended after the image are left behind.
 * Pixel counts are bounded before anything is allocated.
 */
#include <stdio.h> /* before jpeglib.h, which needs FILE */

#include <gif_lib.h>
#include <jpeglib.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "sanitize/sanitize_int.h"

#define MAX_PIXELS (100u * 1000u * 1000u) /* per image, and per GIF in total */

/* Bytes after the image's end marker: reported as appended data. */
static void appended(san_ctx *c, size_t end, size_t len)
{
	if (end < len) {
		char part[64];
		snprintf(part, sizeof part, "%zu バイト", len - end);
		san_removed(c, "appended_data", part);
	}
}

/* ---- PNG (libpng's simplified API) ---- */

/* Name the ancillary chunks (text, EXIF, time, profiles, private ones) the
 * re-encoding leaves behind, and anything after IEND. Only reports: the
 * decoding itself is libpng's. */
static void png_report(san_ctx *c, const unsigned char *d, size_t len)
{
	size_t off = 8;
	while (off + 12 <= len) {
		size_t n = ((size_t)d[off] << 24) | ((size_t)d[off + 1] << 16) |
			   ((size_t)d[off + 2] << 8) | d[off + 3];
		if (n > len - off - 12)
			return;
		char type[5];
		memcpy(type, d + off + 4, 4);
		type[4] = '\0';
		off += 12 + n;
		if (!strcmp(type, "IEND")) {
			appended(c, off, len);
			return;
		}
		/* Lower-case first letter: ancillary. The colour and transparency
		 * ones are applied to the pixels, not dropped. */
		if ((type[0] & 0x20) && strcmp(type, "tRNS") && strcmp(type, "gAMA") &&
		    strcmp(type, "sRGB") && strcmp(type, "cHRM") && strcmp(type, "bKGD") &&
		    strcmp(type, "pHYs") && strcmp(type, "sBIT"))
			san_removed(c, "image_metadata", type);
	}
}

int san_png(san_ctx *c, const unsigned char *data, size_t len)
{
	snprintf(c->res->type, sizeof c->res->type, "png");
	snprintf(c->res->ext, sizeof c->res->ext, "png");
	png_image img;
	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_memory(&img, data, len))
		return san_refuse(c, "PNG が壊れています (%s)", img.message);
	if ((size_t)img.width * img.height > MAX_PIXELS) {
		png_image_free(&img);
		return san_refuse(c, "PNG の画素数が多すぎます（%u×%u）(pixel limit)", img.width,
				  img.height);
	}
	/* 8-bit sRGB, with alpha when the input had it. */
	img.format = (img.format & PNG_FORMAT_FLAG_ALPHA) ? PNG_FORMAT_RGBA : PNG_FORMAT_RGB;
	size_t stride = PNG_IMAGE_ROW_STRIDE(img);
	size_t size = PNG_IMAGE_BUFFER_SIZE(img, stride);
	unsigned char *px = malloc(size ? size : 1);
	if (!px) {
		png_image_free(&img);
		return MMR_ENOMEM;
	}
	if (!png_image_finish_read(&img, NULL, px, (png_int_32)stride, NULL)) {
		free(px);
		return san_refuse(c, "PNG が壊れています (%s)", img.message);
	}
	png_alloc_size_t need = 0;
	int rc = MMR_OK;
	if (!png_image_write_get_memory_size(img, need, 0, px, (png_int_32)stride, NULL)) {
		rc = san_refuse(c, "PNG を書き出せません (%s)", img.message);
	} else {
		c->res->out = malloc(need);
		if (!c->res->out)
			rc = MMR_ENOMEM;
		else if (!png_image_write_to_memory(&img, c->res->out, &need, 0, px,
						    (png_int_32)stride, NULL))
			rc = san_refuse(c, "PNG を書き出せません (%s)", img.message);
		else
			c->res->out_len = need;
	}
	free(px);
	png_image_free(&img);
	if (!rc) {
		png_report(c, data, len);
		san_note(c, "画像を再符号化しました（メタデータと末尾の付加データは除かれます）");
	}
	return rc;
}

/* ---- JPEG (libjpeg) ---- */

struct jerr {
	struct jpeg_error_mgr pub;
	jmp_buf jb;
	char msg[JMSG_LENGTH_MAX];
};

static void jpeg_fail(j_common_ptr cinfo)
{
	struct jerr *e = (struct jerr *)cinfo->err;
	cinfo->err->format_message(cinfo, e->msg);
	longjmp(e->jb, 1);
}

static void jpeg_quiet(j_common_ptr cinfo, int level)
{
	(void)cinfo;
	(void)level;
}

/* Decode into *px (malloc'd); returns 0, or -1 with e->msg set. Kept apart
 * from the encoder so that setjmp sees no live locals change. */
static int jpeg_decode(san_ctx *c, const unsigned char *data, size_t len, struct jerr *e,
		       unsigned char **px, JDIMENSION *w, JDIMENSION *h, int *comps,
		       J_COLOR_SPACE *cs, bool *too_big)
{
	struct jpeg_decompress_struct d;
	unsigned char *volatile buf = NULL;
	d.err = jpeg_std_error(&e->pub);
	e->pub.error_exit = jpeg_fail;
	e->pub.emit_message = jpeg_quiet;
	if (setjmp(e->jb)) {
		jpeg_destroy_decompress(&d);
		free(buf);
		return -1;
	}
	jpeg_create_decompress(&d);
	jpeg_mem_src(&d, data, (unsigned long)len);
	/* Markers are noted (not kept: length limit 0) to report what goes. */
	jpeg_save_markers(&d, JPEG_COM, 0);
	for (int m = 1; m < 16; m++)
		if (m != 14) /* APP14: Adobe colour transform, structural */
			jpeg_save_markers(&d, JPEG_APP0 + m, 0);
	jpeg_read_header(&d, TRUE);
	for (jpeg_saved_marker_ptr m = d.marker_list; m; m = m->next) {
		char part[16];
		if (m->marker == JPEG_COM)
			snprintf(part, sizeof part, "COM");
		else
			snprintf(part, sizeof part, "APP%d", m->marker - JPEG_APP0);
		san_removed(c, "image_metadata", part);
	}
	if ((size_t)d.image_width * d.image_height > MAX_PIXELS) {
		*too_big = true;
		*w = d.image_width;
		*h = d.image_height;
		jpeg_destroy_decompress(&d);
		return -1;
	}
	jpeg_start_decompress(&d);
	size_t row = (size_t)d.output_width * (size_t)d.output_components;
	buf = malloc(row * d.output_height + 1);
	if (!buf) {
		jpeg_destroy_decompress(&d);
		snprintf(e->msg, sizeof e->msg, "out of memory");
		return -1;
	}
	while (d.output_scanline < d.output_height) {
		JSAMPROW r = buf + row * d.output_scanline;
		jpeg_read_scanlines(&d, &r, 1);
	}
	*w = d.output_width;
	*h = d.output_height;
	*comps = d.output_components;
	*cs = d.out_color_space;
	/* Not jpeg_finish_decompress: whatever follows the image is ignored. */
	jpeg_destroy_decompress(&d);
	*px = buf;
	return 0;
}

static int jpeg_encode(const unsigned char *px, JDIMENSION w, JDIMENSION h, int comps,
		       J_COLOR_SPACE cs, struct jerr *e, unsigned char **out,
		       unsigned long *out_len)
{
	struct jpeg_compress_struct k;
	k.err = jpeg_std_error(&e->pub);
	e->pub.error_exit = jpeg_fail;
	e->pub.emit_message = jpeg_quiet;
	if (setjmp(e->jb)) {
		jpeg_destroy_compress(&k);
		return -1;
	}
	jpeg_create_compress(&k);
	jpeg_mem_dest(&k, out, out_len);
	k.image_width = w;
	k.image_height = h;
	k.input_components = comps;
	k.in_color_space = cs;
	jpeg_set_defaults(&k);
	jpeg_set_quality(&k, 92, TRUE);
	jpeg_start_compress(&k, TRUE);
	size_t row = (size_t)w * (size_t)comps;
	while (k.next_scanline < k.image_height) {
		JSAMPROW r = (JSAMPROW)(px + row * k.next_scanline);
		jpeg_write_scanlines(&k, &r, 1);
	}
	jpeg_finish_compress(&k);
	jpeg_destroy_compress(&k);
	return 0;
}

int san_jpeg(san_ctx *c, const unsigned char *data, size_t len)
{
	snprintf(c->res->type, sizeof c->res->type, "jpeg");
	snprintf(c->res->ext, sizeof c->res->ext, "jpg");
	struct jerr e;
	memset(&e, 0, sizeof e);
	unsigned char *px = NULL;
	JDIMENSION w = 0, h = 0;
	int comps = 0;
	J_COLOR_SPACE cs = JCS_UNKNOWN;
	bool too_big = false;
	if (jpeg_decode(c, data, len, &e, &px, &w, &h, &comps, &cs, &too_big)) {
		if (too_big)
			return san_refuse(c, "JPEG の画素数が多すぎます（%u×%u）(pixel limit)", w,
					  h);
		return san_refuse(c, "JPEG が壊れています (%s)", e.msg);
	}
	unsigned char *out = NULL;
	unsigned long out_len = 0;
	int r = jpeg_encode(px, w, h, comps, cs, &e, &out, &out_len);
	free(px);
	if (r) {
		free(out);
		return san_refuse(c, "JPEG を書き出せません (%s)", e.msg);
	}
	c->res->out = out;
	c->res->out_len = out_len;
	/* Whatever follows the last end-of-image marker was appended. */
	for (size_t i = len; i >= 2; i--)
		if (data[i - 2] == 0xFF && data[i - 1] == 0xD9) {
			appended(c, i, len);
			break;
		}
	san_note(c,
		 "画像を再符号化しました（EXIF などのメタデータと末尾の付加データは除かれます）");
	return MMR_OK;
}

/* ---- GIF (giflib), frame by frame ---- */

struct memrd {
	const unsigned char *p;
	size_t len, off;
};

static int gif_read(GifFileType *g, GifByteType *buf, int n)
{
	struct memrd *m = g->UserData;
	size_t k = (size_t)n;
	if (k > m->len - m->off)
		k = m->len - m->off;
	memcpy(buf, m->p + m->off, k);
	m->off += k;
	return (int)k;
}

struct gifsink {
	unsigned char *b;
	size_t len, cap;
};

static int gif_write(GifFileType *g, const GifByteType *buf, int n)
{
	struct gifsink *s = g->UserData;
	if (s->len + (size_t)n > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 65536;
		while (cap < s->len + (size_t)n)
			cap *= 2;
		unsigned char *b = realloc(s->b, cap);
		if (!b)
			return 0;
		s->b = b;
		s->cap = cap;
	}
	memcpy(s->b + s->len, buf, (size_t)n);
	s->len += (size_t)n;
	return n;
}

int san_gif(san_ctx *c, const unsigned char *data, size_t len)
{
	snprintf(c->res->type, sizeof c->res->type, "gif");
	snprintf(c->res->ext, sizeof c->res->ext, "gif");
	struct memrd m = {data, len, 0};
	struct gifsink sink = {0};
	int ge = 0;
	GifFileType *in = DGifOpen(&m, gif_read, &ge);
	if (!in)
		return san_refuse(c, "GIF が壊れています (%s)", GifErrorString(ge));
	GifFileType *out = EGifOpen(&sink, gif_write, &ge);
	int rc = MMR_OK;
	GifByteType *px = NULL;
	size_t total = 0;
	int frames = 0;
	if (!out) {
		rc = MMR_ENOMEM;
		goto done;
	}
	EGifSetGifVersion(out, true);
	if (EGifPutScreenDesc(out, in->SWidth, in->SHeight, in->SColorResolution,
			      in->SBackGroundColor, in->SColorMap) == GIF_ERROR) {
		rc = san_refuse(c, "GIF の画面記述が不正です");
		goto done;
	}
	for (;;) {
		GifRecordType t;
		if (DGifGetRecordType(in, &t) == GIF_ERROR) {
			rc = san_refuse(c, "GIF が壊れています (%s)", GifErrorString(in->Error));
			goto done;
		}
		if (t == TERMINATE_RECORD_TYPE) {
			appended(c, m.off, len);
			break;
		}
		if (t == EXTENSION_RECORD_TYPE) {
			int code = 0;
			GifByteType *ext = NULL;
			if (DGifGetExtension(in, &code, &ext) == GIF_ERROR) {
				rc = san_refuse(c, "GIF の拡張ブロックが壊れています");
				goto done;
			}
			/* Only the graphic control block (delay, transparency) is kept. */
			if (code == GRAPHICS_EXT_FUNC_CODE && ext && ext[0] == 4)
				EGifPutExtension(out, code, ext[0], ext + 1);
			else if (code != GRAPHICS_EXT_FUNC_CODE)
				san_removed(c,
					    code == COMMENT_EXT_FUNC_CODE ? "gif_comment"
									  : "gif_extension",
					    NULL);
			while (ext) {
				if (DGifGetExtensionNext(in, &ext) == GIF_ERROR) {
					rc = san_refuse(c, "GIF の拡張ブロックが壊れています");
					goto done;
				}
			}
			continue;
		}
		if (t != IMAGE_DESC_RECORD_TYPE) {
			rc = san_refuse(c, "GIF に未知のブロックがあります");
			goto done;
		}
		if (DGifGetImageDesc(in) == GIF_ERROR) {
			rc = san_refuse(c, "GIF の画像記述が壊れています");
			goto done;
		}
		GifImageDesc *d = &in->Image;
		size_t n = (size_t)d->Width * (size_t)d->Height;
		total += n;
		if (d->Width <= 0 || d->Height <= 0 || n > MAX_PIXELS || total > MAX_PIXELS ||
		    ++frames > 10000) {
			rc = san_refuse(c, "GIF の画素数・コマ数が多すぎます (pixel limit)");
			goto done;
		}
		if (san_timed_out(c)) {
			rc = MMR_EDENIED;
			goto done;
		}
		free(px);
		px = malloc(n);
		if (!px) {
			rc = MMR_ENOMEM;
			goto done;
		}
		if (DGifGetLine(in, px, (int)n) == GIF_ERROR) {
			rc = san_refuse(c, "GIF の画像データが壊れています");
			goto done;
		}
		/* The lines stay in the order read, so the interlace flag holds. */
		if (EGifPutImageDesc(out, d->Left, d->Top, d->Width, d->Height, d->Interlace,
				     d->ColorMap) == GIF_ERROR ||
		    EGifPutLine(out, px, (int)n) == GIF_ERROR) {
			rc = san_refuse(c, "GIF を書き出せません");
			goto done;
		}
	}
	if (!frames)
		rc = san_refuse(c, "GIF に画像がありません");
done:
	free(px);
	DGifCloseFile(in, &ge);
	if (out && EGifCloseFile(out, &ge) == GIF_ERROR && !rc)
		rc = san_refuse(c, "GIF を書き出せません");
	if (rc) {
		free(sink.b);
		return rc;
	}
	c->res->out = sink.b;
	c->res->out_len = sink.len;
	san_note(c, "画像を再符号化しました（コメント・アプリケーション拡張と末尾の付加データは除か"
		    "れます）");
	return MMR_OK;
}
