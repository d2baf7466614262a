/*
 * sanitize.c — find the type from the content (libmagic), dispatch to the
 * format's sanitizer, refuse everything else, and write the report.
 */
#include <ctype.h>
#include <magic.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sanitize/sanitize_int.h"

struct mmr_sanitizer {
	mmr_sanitize_opts opts;
	magic_t magic;
};

double san_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void opts_defaults(mmr_sanitize_opts *o)
{
	if (!o->max_input_bytes)
		o->max_input_bytes = MMR_SANITIZE_DEFAULT_MAX_INPUT;
	if (o->max_seconds <= 0)
		o->max_seconds = MMR_SANITIZE_DEFAULT_MAX_SECONDS;
	if (o->flatten_dpi <= 0)
		o->flatten_dpi = 150;
	if (o->flatten_dpi > 600)
		o->flatten_dpi = 600;
}

int mmr_sanitizer_new(const mmr_sanitize_opts *opts, mmr_sanitizer **out, mmr_error *err)
{
	*out = NULL;
	mmr_sanitizer *s = calloc(1, sizeof *s);
	if (!s) {
		mmr_error_set(err, MMR_ENOMEM, "メモリが足りません (out of memory)");
		return MMR_ENOMEM;
	}
	if (opts)
		s->opts = *opts;
	opts_defaults(&s->opts);
	if (sodium_init() < 0) {
		free(s);
		mmr_error_set(err, MMR_ENOMEM, "libsodium を初期化できません");
		return MMR_ENOMEM;
	}
	s->magic = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR | MAGIC_NO_CHECK_COMPRESS);
	if (!s->magic || magic_load(s->magic, NULL) != 0) {
		mmr_error_set(err, MMR_EIO, "libmagic のデータベースを読めません: %s",
			      s->magic ? magic_error(s->magic) : "magic_open");
		mmr_sanitizer_free(s);
		return MMR_EIO;
	}
	*out = s;
	return MMR_OK;
}

void mmr_sanitizer_free(mmr_sanitizer *s)
{
	if (!s)
		return;
	if (s->magic)
		magic_close(s->magic);
	free(s);
}

void san_removed(san_ctx *c, const char *kind, const char *part)
{
	json_t *k = json_object_get(c->res->removed, kind);
	if (!k) {
		k = json_pack("{s:i,s:[]}", "count", 0, "parts");
		json_object_set_new(c->res->removed, kind, k);
	}
	json_t *n = json_object_get(k, "count");
	json_integer_set(n, json_integer_value(n) + 1);
	json_t *parts = json_object_get(k, "parts");
	/* The report names the first 100 places of each kind. */
	if (part && json_array_size(parts) < 100)
		json_array_append_new(parts, json_string(part));
}

void san_note(san_ctx *c, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (json_array_size(c->res->notes) < 100)
		json_array_append_new(c->res->notes, json_string(buf));
}

int san_refuse(san_ctx *c, const char *fmt, ...)
{
	if (c->res->reason[0])
		return MMR_EDENIED; /* the first reason stands */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->res->reason, sizeof c->res->reason, fmt, ap);
	va_end(ap);
	return MMR_EDENIED;
}

bool san_timed_out(san_ctx *c)
{
	if (san_now() <= c->deadline)
		return false;
	san_refuse(c, "処理時間の上限（%.0f 秒）を超えました (time limit)", c->opts.max_seconds);
	return true;
}

static mmr_sanitize_result *result_new(void)
{
	mmr_sanitize_result *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->removed = json_object();
	r->notes = json_array();
	if (!r->removed || !r->notes) {
		mmr_sanitize_result_free(r);
		return NULL;
	}
	return r;
}

int san_ctx_init(san_ctx *c, const mmr_sanitize_opts *opts)
{
	memset(c, 0, sizeof *c);
	if (opts)
		c->opts = *opts;
	opts_defaults(&c->opts);
	c->deadline = san_now() + c->opts.max_seconds;
	c->res = result_new();
	return c->res ? MMR_OK : MMR_ENOMEM;
}

void san_ctx_done(san_ctx *c)
{
	mmr_sanitize_result_free(c->res);
	c->res = NULL;
}

/* What libmagic's MIME type means for us. */
enum kind { K_OOXML, K_ZIP, K_PDF, K_PNG, K_JPEG, K_GIF, K_TEXT, K_REFUSE };

static const struct mime_rule {
	const char *prefix; /* MIME type, or its start when it ends in '*' */
	enum kind kind;
	const char *type;
	const char *reason; /* for K_REFUSE */
} mime_rules[] = {
	{"application/vnd.openxmlformats-officedocument.*", K_OOXML, "ooxml", NULL},
	{"application/vnd.ms-word.document.macroEnabled*", K_OOXML, "ooxml", NULL},
	{"application/vnd.ms-word.template.macroEnabled*", K_OOXML, "ooxml", NULL},
	{"application/vnd.ms-excel.sheet.macroEnabled*", K_OOXML, "ooxml", NULL},
	{"application/vnd.ms-excel.template.macroEnabled*", K_OOXML, "ooxml", NULL},
	{"application/vnd.ms-powerpoint.presentation.macroEnabled*", K_OOXML, "ooxml", NULL},
	{"application/vnd.ms-powerpoint.slideshow.macroEnabled*", K_OOXML, "ooxml", NULL},
	{"application/zip", K_ZIP, "zip", NULL},
	{"application/pdf", K_PDF, "pdf", NULL},
	{"image/png", K_PNG, "png", NULL},
	{"image/jpeg", K_JPEG, "jpeg", NULL},
	{"image/gif", K_GIF, "gif", NULL},
	{"text/plain", K_TEXT, "text", NULL},
	{"text/csv", K_TEXT, "csv", NULL},
	{"application/csv", K_TEXT, "csv", NULL},
	{"application/x-dosexec", K_REFUSE, "executable",
	 "実行ファイル (Windows) は取り込めません"},
	{"application/vnd.microsoft.portable-executable", K_REFUSE, "executable",
	 "実行ファイル (Windows) は取り込めません"},
	{"application/x-executable", K_REFUSE, "executable", "実行ファイル (ELF) は取り込めません"},
	{"application/x-pie-executable", K_REFUSE, "executable",
	 "実行ファイル (ELF) は取り込めません"},
	{"application/x-sharedlib", K_REFUSE, "executable",
	 "実行ファイル・共有ライブラリ (ELF) は取り込めません"},
	{"application/x-mach-binary", K_REFUSE, "executable",
	 "実行ファイル (Mach-O) は取り込めません"},
	{"application/x-msi", K_REFUSE, "executable", "インストーラ (MSI) は取り込めません"},
	{"application/java-archive", K_REFUSE, "executable", "Java アーカイブは取り込めません"},
	{"text/x-shellscript", K_REFUSE, "script", "スクリプトは取り込めません"},
	{"text/x-script.*", K_REFUSE, "script", "スクリプトは取り込めません"},
	{"text/x-python", K_REFUSE, "script", "スクリプトは取り込めません"},
	{"text/x-perl", K_REFUSE, "script", "スクリプトは取り込めません"},
	{"text/x-php", K_REFUSE, "script", "スクリプトは取り込めません"},
	{"text/x-msdos-batch", K_REFUSE, "script", "スクリプトは取り込めません"},
	{"text/html", K_REFUSE, "html", "HTML（スクリプトを含み得る）は取り込めません"},
	{"image/svg+xml", K_REFUSE, "svg", "SVG（スクリプトを含み得る）は取り込めません"},
	{"application/encrypted", K_REFUSE, "encrypted",
	 "暗号化・パスワード保護された文書は検査できないため取り込めません"},
	{"application/msword", K_REFUSE, "legacy-office",
	 "旧形式の Office 文書 (doc) はマクロを除去できないため取り込めません"},
	{"application/vnd.ms-excel", K_REFUSE, "legacy-office",
	 "旧形式の Office 文書 (xls) はマクロを除去できないため取り込めません"},
	{"application/vnd.ms-powerpoint", K_REFUSE, "legacy-office",
	 "旧形式の Office 文書 (ppt) はマクロを除去できないため取り込めません"},
	{"application/x-ole-storage", K_REFUSE, "legacy-office",
	 "OLE 複合文書（旧形式の Office 文書など）は取り込めません"},
	{"application/CDFV2", K_REFUSE, "legacy-office",
	 "OLE 複合文書（旧形式の Office 文書など）は取り込めません"},
	{"application/vnd.ms-outlook", K_REFUSE, "legacy-office",
	 "Outlook のメッセージは取り込めません"},
	{"application/x-7z-compressed", K_REFUSE, "archive", "アーカイブ (7z) は取り込めません"},
	{"application/x-rar", K_REFUSE, "archive", "アーカイブ (RAR) は取り込めません"},
	{"application/vnd.rar", K_REFUSE, "archive", "アーカイブ (RAR) は取り込めません"},
	{"application/gzip", K_REFUSE, "archive", "圧縮ファイル (gzip) は取り込めません"},
	{"application/x-bzip2", K_REFUSE, "archive", "圧縮ファイル (bzip2) は取り込めません"},
	{"application/x-xz", K_REFUSE, "archive", "圧縮ファイル (xz) は取り込めません"},
	{"application/zstd", K_REFUSE, "archive", "圧縮ファイル (zstd) は取り込めません"},
	{"application/x-tar", K_REFUSE, "archive", "アーカイブ (tar) は取り込めません"},
	{"application/x-lzh-compressed", K_REFUSE, "archive", "アーカイブ (LZH) は取り込めません"},
	{"application/vnd.ms-cab-compressed", K_REFUSE, "archive",
	 "アーカイブ (CAB) は取り込めません"},
	{"application/x-iso9660-image", K_REFUSE, "archive", "ディスクイメージは取り込めません"},
};

static const struct mime_rule *mime_rule_find(const char *mime)
{
	for (size_t i = 0; i < sizeof mime_rules / sizeof mime_rules[0]; i++) {
		const char *p = mime_rules[i].prefix;
		size_t n = strlen(p);
		if (p[n - 1] == '*' ? !strncmp(mime, p, n - 1) : !strcmp(mime, p))
			return &mime_rules[i];
	}
	return NULL;
}

/* The extensions a name may carry for each type we output or refuse. */
static bool ext_matches(const char *type, const char *ext)
{
	static const char *const table[][8] = {
		{"docx", "docx", "docm", "dotx", "dotm", NULL},
		{"xlsx", "xlsx", "xlsm", "xltx", "xltm", NULL},
		{"pptx", "pptx", "pptm", "potx", "potm", "ppsx", "ppsm", NULL},
		{"pdf", "pdf", NULL},
		{"png", "png", NULL},
		{"jpeg", "jpg", "jpeg", "jpe", "jfif", NULL},
		{"gif", "gif", NULL},
		{"text", "txt", "text", "log", "csv", "tsv", "md", NULL},
		{"csv", "csv", "txt", "tsv", NULL},
	};
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		if (strcmp(table[i][0], type))
			continue;
		for (size_t j = 1; table[i][j]; j++)
			if (!strcmp(table[i][j], ext))
				return true;
		return false;
	}
	return true; /* refused types: the name is not judged */
}

static void declared_ext(mmr_sanitize_result *r, const char *name)
{
	const char *slash = name ? strrchr(name, '/') : NULL;
	const char *base = slash ? slash + 1 : name;
	const char *dot = base ? strrchr(base, '.') : NULL;
	if (!dot || dot == base) {
		r->declared_ext[0] = '\0';
	} else {
		size_t i = 0;
		for (const char *p = dot + 1; *p && i + 1 < sizeof r->declared_ext; p++)
			r->declared_ext[i++] = (char)tolower((unsigned char)*p);
		r->declared_ext[i] = '\0';
	}
}

static void name_check(mmr_sanitize_result *r)
{
	/* A name without an extension does not lie; one with a wrong one does. */
	r->name_mismatch = r->declared_ext[0] && !ext_matches(r->type, r->declared_ext);
	/* An executable under a document's name lies too. */
	if (r->declared_ext[0] && (!strcmp(r->type, "executable") || !strcmp(r->type, "script")))
		r->name_mismatch =
			strcmp(r->declared_ext, "exe") && strcmp(r->declared_ext, "sh") &&
			strcmp(r->declared_ext, "dll") && strcmp(r->declared_ext, "bat") &&
			strcmp(r->declared_ext, "ps1") && strcmp(r->declared_ext, "py");
}

int mmr_sanitize_buffer(mmr_sanitizer *s, const char *name, const unsigned char *data, size_t len,
			mmr_sanitize_result **out, mmr_error *err)
{
	*out = NULL;
	san_ctx c;
	if (san_ctx_init(&c, &s->opts)) {
		mmr_error_set(err, MMR_ENOMEM, "メモリが足りません (out of memory)");
		return MMR_ENOMEM;
	}
	double start = san_now();
	mmr_sanitize_result *r = c.res;
	declared_ext(r, name);
	r->in_len = len;
	crypto_hash_sha256(r->sha_before, data, len);
	int rc = MMR_OK;

	if (len > c.opts.max_input_bytes) {
		snprintf(r->type, sizeof r->type, "%s", "too-large");
		rc = san_refuse(
			&c, "ファイルが大きすぎます（%zu バイト、上限 %zu バイト）(input limit)",
			len, c.opts.max_input_bytes);
		goto done;
	}
	if (len == 0) {
		snprintf(r->type, sizeof r->type, "%s", "empty");
		rc = san_refuse(&c, "空のファイルです (empty file)");
		goto done;
	}
	const char *mime = magic_buffer(s->magic, data, len);
	snprintf(r->mime, sizeof r->mime, "%s", mime ? mime : "unknown");
	const struct mime_rule *rule = mime_rule_find(r->mime);
	snprintf(r->type, sizeof r->type, "%s", rule ? rule->type : "unknown");
	if (!rule) {
		rc = san_refuse(&c, "対応していない形式です（%s）(unsupported type)", r->mime);
		goto done;
	}
	switch (rule->kind) {
	case K_OOXML:
	case K_ZIP: rc = san_ooxml(&c, data, len); break;
	case K_PDF:
		rc = c.opts.flatten ? san_pdf_flatten(&c, data, len) : san_pdf(&c, data, len);
		break;
	case K_PNG: rc = san_png(&c, data, len); break;
	case K_JPEG: rc = san_jpeg(&c, data, len); break;
	case K_GIF: rc = san_gif(&c, data, len); break;
	case K_TEXT: rc = san_text(&c, data, len); break;
	case K_REFUSE: rc = san_refuse(&c, "%s", rule->reason); break;
	}
	if (c.opts.flatten && rule->kind != K_PDF && rc == MMR_OK)
		san_note(&c, "--flatten は PDF にのみ適用されます");
done:
	name_check(r);
	if (rc == MMR_OK && !r->out)
		rc = san_refuse(&c, "内部エラー: 出力がありません");
	if (rc == MMR_ENOMEM) {
		san_ctx_done(&c);
		mmr_error_set(err, MMR_ENOMEM, "メモリが足りません (out of memory)");
		return MMR_ENOMEM;
	}
	if (rc == MMR_OK) {
		r->sanitized = true;
		r->reason[0] = '\0';
		crypto_hash_sha256(r->sha_after, r->out, r->out_len);
	} else {
		if (!r->reason[0])
			san_refuse(&c, "無害化できませんでした (error %d)", rc);
		free(r->out);
		r->out = NULL;
		r->out_len = 0;
		r->ext[0] = '\0';
	}
	r->seconds = san_now() - start;
	*out = r;
	return MMR_OK;
}

bool mmr_sanitize_result_ok(const mmr_sanitize_result *r)
{
	return r->sanitized;
}

const char *mmr_sanitize_result_reason(const mmr_sanitize_result *r)
{
	return r->reason;
}

const char *mmr_sanitize_result_type(const mmr_sanitize_result *r)
{
	return r->type;
}

const char *mmr_sanitize_result_extension(const mmr_sanitize_result *r)
{
	return r->ext;
}

bool mmr_sanitize_result_name_mismatch(const mmr_sanitize_result *r)
{
	return r->name_mismatch;
}

size_t mmr_sanitize_result_removed_count(const mmr_sanitize_result *r)
{
	size_t n = 0;
	const char *k;
	json_t *v;
	json_object_foreach (r->removed, k, v) {
		(void)k;
		n += (size_t)json_integer_value(json_object_get(v, "count"));
	}
	return n;
}

void mmr_sanitize_result_removed_summary(const mmr_sanitize_result *r, char *buf, size_t cap)
{
	size_t o = 0;
	const char *k;
	json_t *v;
	buf[0] = '\0';
	json_object_foreach (r->removed, k, v) {
		int n = snprintf(buf + o, cap - o, "%s%s ×%lld", o ? ", " : "", k,
				 (long long)json_integer_value(json_object_get(v, "count")));
		if (n < 0 || (size_t)n >= cap - o)
			break;
		o += (size_t)n;
	}
}

const unsigned char *mmr_sanitize_result_data(const mmr_sanitize_result *r, size_t *len)
{
	*len = r->out_len;
	return r->out;
}

static void hex32(const unsigned char *h, char *out)
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

void mmr_sanitize_result_sha256(const mmr_sanitize_result *r, char before[65], char after[65])
{
	hex32(r->sha_before, before);
	if (r->sanitized)
		hex32(r->sha_after, after);
	else
		after[0] = '\0';
}

json_t *mmr_sanitize_result_report(const mmr_sanitize_result *r, const char *input,
				   const char *output)
{
	char before[65], after[65];
	mmr_sanitize_result_sha256(r, before, after);
	json_t *o = json_object();
	if (!o)
		return NULL;
	json_object_set_new(o, "event", json_string("sanitize"));
	json_object_set_new(o, "input", input ? json_string(input) : json_null());
	json_object_set_new(o, "output",
			    output && r->sanitized ? json_string(output) : json_null());
	json_object_set_new(o, "verdict", json_string(r->sanitized ? "sanitized" : "refused"));
	json_object_set_new(o, "reason", r->sanitized ? json_null() : json_string(r->reason));
	json_object_set_new(o, "type", json_string(r->type));
	json_object_set_new(o, "mime", json_string(r->mime));
	json_object_set_new(o, "declared_extension", json_string(r->declared_ext));
	json_object_set_new(o, "name_mismatch", json_boolean(r->name_mismatch));
	json_object_set_new(o, "output_extension",
			    r->sanitized ? json_string(r->ext) : json_null());
	json_object_set(o, "removed", r->removed);
	json_object_set_new(o, "removed_total",
			    json_integer((json_int_t)mmr_sanitize_result_removed_count(r)));
	json_object_set(o, "notes", r->notes);
	json_object_set_new(o, "sha256_before", json_string(before));
	json_object_set_new(o, "sha256_after", r->sanitized ? json_string(after) : json_null());
	json_object_set_new(o, "bytes_before", json_integer((json_int_t)r->in_len));
	json_object_set_new(o, "bytes_after", json_integer((json_int_t)r->out_len));
	if (r->pages)
		json_object_set_new(o, "pages", json_integer(r->pages));
	json_object_set_new(o, "seconds", json_real(r->seconds));
	return o;
}

char *mmr_sanitize_result_json(const mmr_sanitize_result *r, const char *input, const char *output)
{
	json_t *o = mmr_sanitize_result_report(r, input, output);
	if (!o)
		return NULL;
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

void mmr_sanitize_result_free(mmr_sanitize_result *r)
{
	if (!r)
		return;
	free(r->out);
	json_decref(r->removed);
	json_decref(r->notes);
	free(r);
}

char *mmr_sanitize_rename(const char *name, const char *ext)
{
	const char *slash = strrchr(name, '/');
	const char *base = slash ? slash + 1 : name;
	const char *dot = strrchr(base, '.');
	size_t stem = dot && dot != base ? (size_t)(dot - name) : strlen(name);
	size_t n = stem + 1 + strlen(ext) + 1;
	char *s = malloc(n);
	if (!s)
		return NULL;
	snprintf(s, n, "%.*s.%s", (int)stem, name, ext);
	return s;
}
