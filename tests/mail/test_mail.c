/*
 * test_mail.c — src/mail: the text-izer on the public fixtures
 * (../shared/testdata/mail/mikel-mail, expectations in
 * tests/data/mail/mikel.expect) and on the messages of tests/data/mail
 * (NAME.eml with NAME.expect), then on messages built here: limits (size,
 * depth, parts, pathological nesting), reuse of one textizer, quarantine,
 * the audit record.
 *
 * Every output is parsed back with GMime and must be one text/plain UTF-8
 * part, with only the kept headers, no attachment bytes, every attachment
 * name listed, valid UTF-8, and no markup when HTML was converted.
 *
 * .expect lines: "exit N", "contains TEXT", "not TEXT", "subject TEXT",
 * "attachment NAME", "field KEY=VALUE" (in X-Mamori-Textized),
 * "header NAME", "noheader NAME".
 */
#include <dirent.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <gmime/gmime.h>

#include "mail/mail.h"
#include "mamori.h"
#include "testutil.h"

static mmr_textizer *tz;

static const char *const kept[] = {"From",
				   "To",
				   "Cc",
				   "Reply-To",
				   "Date",
				   "Subject",
				   "Message-ID",
				   "In-Reply-To",
				   "References",
				   "MIME-Version",
				   "Content-Type",
				   "Content-Transfer-Encoding",
				   "X-Mamori-Textized"};

/* The output parsed back: decoded body (g_free) and message (unref). */
struct parsed {
	GMimeMessage *msg;
	char *body;
	size_t body_len;
};

static void parse_output(const mmr_mail_result *r, struct parsed *p)
{
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(r->out, r->out_len);
	GMimeParser *parser = g_mime_parser_new_with_stream(s);
	p->msg = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	g_object_unref(s);
	assert_non_null(p->msg);
	GMimeObject *part = g_mime_message_get_mime_part(p->msg);
	assert_non_null(part);
	assert_true(GMIME_IS_PART(part));
	GMimeContentType *ct = g_mime_object_get_content_type(part);
	assert_true(g_mime_content_type_is_type(ct, "text", "plain"));
	assert_string_equal(g_mime_content_type_get_parameter(ct, "charset"), "UTF-8");
	GMimeStream *out = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(g_mime_part_get_content(GMIME_PART(part)), out);
	GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
	p->body = g_strndup((const char *)ba->data, ba->len);
	p->body_len = ba->len;
	g_object_unref(out);
	assert_true(g_utf8_validate(p->body, (gssize)p->body_len, NULL));
	/* Only the kept headers. */
	GMimeHeaderList *hl = g_mime_object_get_header_list(GMIME_OBJECT(p->msg));
	for (int i = 0; i < g_mime_header_list_get_count(hl); i++) {
		const char *name = g_mime_header_get_name(g_mime_header_list_get_header_at(hl, i));
		bool ok = false;
		for (size_t k = 0; k < sizeof kept / sizeof kept[0]; k++)
			ok |= !strcasecmp(name, kept[k]);
		if (!ok)
			fail_msg("header %s kept", name);
	}
}

static void parsed_free(struct parsed *p)
{
	g_free(p->body);
	g_object_unref(p->msg);
}

/* The checks every text-ized message passes. */
static void check_universal(const char *what, const mmr_mail_result *r, const struct parsed *p)
{
	for (size_t i = 0; i < r->n_attachments; i++) {
		const mmr_mail_attachment *a = &r->attachments[i];
		if (a->size >= 12 && strcmp(a->why, "添付ファイル") == 0) {
			if (memmem(r->out, r->out_len, a->data, a->size) ||
			    memmem(p->body, p->body_len, a->data, a->size))
				fail_msg("%s: bytes of attachment %zu in the output", what, i);
		}
		if (*a->name && !strstr(p->body, a->name))
			fail_msg("%s: attachment name \"%s\" not listed", what, a->name);
		if (!strstr(p->body, a->sha256))
			fail_msg("%s: attachment hash not listed", what);
	}
	if (r->html_converted) {
		static const char *const tags[] = {"html",   "head",  "body", "p",     "div", "br",
						   "span",   "a",     "img",  "table", "tr",  "td",
						   "script", "style", "font", "b",     "i",   "/"};
		for (const char *s = p->body; (s = strchr(s, '<')); s++)
			for (size_t k = 0; k < sizeof tags / sizeof tags[0]; k++) {
				size_t n = strlen(tags[k]);
				char after = s[1 + n];
				if (!strncasecmp(s + 1, tags[k], n) &&
				    (tags[k][0] == '/' || tags[k][0] == '!' || after == '>' ||
				     after == ' ' || after == '/'))
					fail_msg("%s: markup left: %.20s", what, s);
			}
	}
	assert_non_null(strstr(p->body, "mamori メールテキスト化"));
}

/* Apply one .expect file to the result (rc: what mmr_textize returned). */
static void check_expect(const char *what, const char *expect, int rc, const mmr_mail_result *r)
{
	int want_exit = 0;
	const char *x = strstr(expect, "exit ");
	if (x)
		want_exit = atoi(x + 5);
	int got_exit = rc == MMR_OK ? 0 : rc == MMR_ELIMIT ? 3 : 2;
	if (got_exit != want_exit)
		fail_msg("%s: exit %d, expected %d", what, got_exit, want_exit);
	if (rc != MMR_OK)
		return;
	struct parsed p;
	parse_output(r, &p);
	check_universal(what, r, &p);
	char *copy = strdup(expect);
	char *save = NULL;
	GMimeHeaderList *hl = g_mime_object_get_header_list(GMIME_OBJECT(p.msg));
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *arg = strchr(line, ' ');
		if (!arg || line[0] == '#')
			continue;
		*arg++ = '\0';
		if (!strcmp(line, "contains")) {
			if (!strstr(p.body, arg))
				fail_msg("%s: body lacks \"%s\":\n%s", what, arg, p.body);
		} else if (!strcmp(line, "not")) {
			if (strstr(p.body, arg))
				fail_msg("%s: body has \"%s\":\n%s", what, arg, p.body);
		} else if (!strcmp(line, "subject")) {
			const char *s = g_mime_message_get_subject(p.msg);
			if (!s || strcmp(s, arg))
				fail_msg("%s: subject \"%s\", expected \"%s\"", what, s ? s : "",
					 arg);
		} else if (!strcmp(line, "attachment")) {
			bool found = false;
			for (size_t i = 0; i < r->n_attachments; i++)
				found |= !strcmp(r->attachments[i].name, arg);
			if (!found || !strstr(p.body, arg))
				fail_msg("%s: attachment \"%s\" not listed", what, arg);
		} else if (!strcmp(line, "field")) {
			const char *f =
				g_mime_header_list_get_header(hl, "X-Mamori-Textized")
					? g_mime_header_get_value(g_mime_header_list_get_header(
						  hl, "X-Mamori-Textized"))
					: "";
			if (!strstr(f, arg))
				fail_msg("%s: X-Mamori-Textized \"%s\" lacks %s", what, f, arg);
		} else if (!strcmp(line, "header")) {
			if (!g_mime_header_list_contains(hl, arg))
				fail_msg("%s: header %s dropped", what, arg);
		} else if (!strcmp(line, "noheader")) {
			if (g_mime_header_list_contains(hl, arg))
				fail_msg("%s: header %s kept", what, arg);
		}
	}
	free(copy);
	parsed_free(&p);
}

static void textize_file(const char *path, const char *expect)
{
	size_t len;
	char *in = tu_read(path, &len);
	assert_non_null(in);
	const mmr_mail_result *r;
	mmr_error err = {0};
	int rc = mmr_textize(tz, in, len, &r, &err);
	if (rc != MMR_OK && rc != MMR_ELIMIT)
		fail_msg("%s: %s", path, err.message);
	check_expect(path, expect ? expect : "exit 0", rc, r);
	free(in);
}

static void project_messages(void **state)
{
	(void)state;
	const char *dir = tu_path("%s/tests/data/mail", tu_root);
	size_t n;
	char **l = tu_list(dir, ".eml", &n);
	assert_true(n >= 8);
	for (size_t i = 0; i < n; i++) {
		char path[4096], epath[4096];
		snprintf(path, sizeof path, "%s/%s", dir, l[i]);
		snprintf(epath, sizeof epath, "%s", path);
		strcpy(epath + strlen(epath) - 4, ".expect");
		char *expect = tu_read(epath, NULL);
		assert_non_null(expect);
		textize_file(path, expect);
		free(expect);
	}
	tu_free_list(l);
}

/* Every public fixture: no crash, a well-formed result; those named in
 * mikel.expect also their expectations. */
static void public_fixtures(void **state)
{
	(void)state;
	const char *td = getenv("MAMORI_TESTDATA");
	const char *base = td ? tu_path("%s/mail/mikel-mail", td)
			      : tu_path("%s/../shared/testdata/mail/mikel-mail", tu_root);
	char *expects = tu_read(tu_path("%s/tests/data/mail/mikel.expect", tu_root), NULL);
	assert_non_null(expects);
	static const char *const dirs[] = {"attachment_emails", "error_emails", "mime_emails",
					   "multi_charset"};
	size_t total = 0;
	for (size_t d = 0; d < 4; d++) {
		char dir[2048];
		snprintf(dir, sizeof dir, "%s/%s", base, dirs[d]);
		size_t n;
		char **l = tu_list(dir, ".eml", &n);
		for (size_t i = 0; i < n; i++) {
			char key[512], path[4096 + 16];
			snprintf(key, sizeof key, "== %s/%s\n", dirs[d], l[i]);
			snprintf(path, sizeof path, "%s/%s", dir, l[i]);
			char *e = strstr(expects, key);
			char *section = NULL;
			if (e) {
				e += strlen(key);
				char *end = strstr(e, "\n==");
				section = strndup(e, end ? (size_t)(end - e + 1) : strlen(e));
			}
			textize_file(path, section);
			free(section);
			total++;
		}
		tu_free_list(l);
	}
	assert_true(total >= 60);
	free(expects);
}

/* ---- messages built here --------------------------------------------------- */

static char *build_nested(int depth)
{
	GString *s = g_string_new("");
	for (int i = 0; i < depth; i++)
		g_string_append_printf(s,
				       "From: a%d@example.com\r\nSubject: level %d\r\n"
				       "MIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n\r\n",
				       i, i);
	g_string_append(s,
			"From: last@example.com\r\nSubject: inner\r\n\r\nthe innermost text\r\n");
	return g_string_free(s, FALSE);
}

static char *build_parts(int parts)
{
	GString *s = g_string_new("From: a@example.com\r\nMIME-Version: 1.0\r\n"
				  "Content-Type: multipart/mixed; boundary=b\r\n\r\n");
	for (int i = 0; i < parts; i++)
		g_string_append_printf(s,
				       "--b\r\nContent-Type: application/octet-stream; "
				       "name=f%d.bin\r\n\r\nx%d\r\n",
				       i, i);
	g_string_append(s, "--b--\r\n");
	return g_string_free(s, FALSE);
}

static char *build_deep_multipart(int depth)
{
	GString *s = g_string_new("From: a@example.com\r\nMIME-Version: 1.0\r\n");
	for (int i = 0; i < depth; i++)
		g_string_append_printf(
			s, "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n", i, i);
	g_string_append(s, "Content-Type: text/plain\r\n\r\ndeep text\r\n");
	return g_string_free(s, FALSE);
}

static int run(mmr_textizer *t, const char *msg, mmr_error *err, const mmr_mail_result **r)
{
	return mmr_textize(t, msg, strlen(msg), r, err);
}

static void limits(void **state)
{
	(void)state;
	mmr_mail_limits lim;
	mmr_mail_limits_default(&lim);
	assert_int_equal(lim.max_message_bytes, 25u * 1024 * 1024);
	assert_int_equal(lim.max_depth, 8);
	assert_int_equal(lim.max_parts, 200);
	lim.max_depth = 2;
	lim.max_message_bytes = 100000;
	mmr_textizer *t;
	mmr_error err;
	assert_int_equal(mmr_textizer_new(&lim, &t, &err), MMR_OK);
	const mmr_mail_result *r;

	char *m = build_nested(2);
	assert_int_equal(run(t, m, &err, &r), MMR_OK);
	assert_int_equal(r->nested, 2);
	struct parsed p;
	parse_output(r, &p);
	assert_non_null(strstr(p.body, "the innermost text"));
	assert_non_null(strstr(p.body, "件名: level 1"));
	parsed_free(&p);
	g_free(m);

	m = build_nested(3);
	assert_int_equal(run(t, m, &err, &r), MMR_ELIMIT);
	assert_non_null(strstr(err.message, "深すぎ"));
	g_free(m);

	m = build_parts(150);
	assert_int_equal(run(t, m, &err, &r), MMR_OK);
	assert_int_equal(r->n_attachments, 150);
	g_free(m);
	m = build_parts(250);
	assert_int_equal(run(t, m, &err, &r), MMR_ELIMIT);
	assert_non_null(strstr(err.message, "パートが多すぎ"));
	g_free(m);

	GString *big = g_string_new("From: a@example.com\r\n\r\n");
	while (big->len <= 100000)
		g_string_append(big, "0123456789012345678901234567890123456789\r\n");
	assert_int_equal(run(t, big->str, &err, &r), MMR_ELIMIT);
	assert_non_null(strstr(err.message, "大きすぎ"));
	g_string_free(big, TRUE);

	assert_int_equal(mmr_textize(t, "", 0, &r, &err), MMR_EINVAL);
	mmr_textizer_free(t);

	/* Pathological nesting is refused before the parser recurses, fast. */
	m = build_deep_multipart(200000);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(run(tz, m, &err, &r), MMR_ELIMIT);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_true(b.tv_sec - a.tv_sec < 5);
	g_free(m);
	m = build_deep_multipart(150);
	assert_int_equal(run(tz, m, &err, &r), MMR_OK);
	parse_output(r, &p);
	assert_non_null(strstr(p.body, "deep text"));
	parsed_free(&p);
	g_free(m);

	/* Limits out of range are refused. */
	lim.max_parts = 0;
	assert_int_equal(mmr_textizer_new(&lim, &t, &err), MMR_EINVAL);
}

static void limits_from_profile(void **state)
{
	(void)state;
	const char *yaml = "profile: t\nextends: guideline\ntitle: t\nbody: t\ndocument: t\n"
			   "rules: []\nsettings:\n  mail: {max_message_bytes: 5000, max_depth: 1, "
			   "max_parts: 7, html_allowed: false}\n";
	mmr_policy *pol;
	mmr_error err;
	int rc = mmr_policy_load_buffer("t.yaml", yaml, strlen(yaml), tu_path("%s/policy", tu_root),
					&pol, &err);
	if (rc != MMR_OK)
		fail_msg("%s", err.message);
	mmr_mail_limits lim;
	mmr_mail_limits_default(&lim);
	assert_int_equal(mmr_mail_limits_from_policy(pol, &lim, &err), MMR_OK);
	assert_int_equal(lim.max_message_bytes, 5000);
	assert_int_equal(lim.max_depth, 1);
	assert_int_equal(lim.max_parts, 7);
	assert_false(lim.html_allowed);
	mmr_policy_free(pol);
}

/* One textizer for many messages gives each the same result as a fresh one. */
static void reuse(void **state)
{
	(void)state;
	const char *dir = tu_path("%s/tests/data/mail", tu_root);
	char *a = tu_read(tu_path("%s/iso2022jp_alternative_attachment.eml", dir), NULL);
	char *b = tu_read(tu_path("%s/html_only_sjis.eml", dir), NULL);
	assert_non_null(a);
	assert_non_null(b);
	const mmr_mail_result *r;
	mmr_error err;
	assert_int_equal(run(tz, a, &err, &r), MMR_OK);
	char *first = g_strndup(r->out, r->out_len);
	assert_int_equal(run(tz, b, &err, &r), MMR_OK);
	assert_int_equal(run(tz, a, &err, &r), MMR_OK);
	assert_int_equal(strlen(first), r->out_len);
	assert_memory_equal(first, r->out, r->out_len);
	g_free(first);
	free(a);
	free(b);
}

static void quarantine_and_audit(void **state)
{
	(void)state;
	char *m = tu_read(
		tu_path("%s/tests/data/mail/iso2022jp_alternative_attachment.eml", tu_root), NULL);
	assert_non_null(m);
	const mmr_mail_result *r;
	mmr_error err;
	mmr_textizer_set_quarantined(tz, 1);
	assert_int_equal(run(tz, m, &err, &r), MMR_OK);
	mmr_textizer_set_quarantined(tz, 0);
	assert_int_equal(r->n_attachments, 1);
	struct parsed p;
	parse_output(r, &p);
	assert_non_null(strstr(p.body, "隔離保管"));
	parsed_free(&p);

	char dir[] = "/tmp/mamori-mail-test-XXXXXX";
	assert_non_null(mkdtemp(dir));
	assert_int_equal(mmr_mail_quarantine(r, dir, &err), MMR_OK);
	assert_int_equal(mmr_mail_quarantine(r, dir, &err), MMR_OK); /* again: kept */
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, r->attachments[0].sha256);
	size_t len;
	char *stored = tu_read(path, &len);
	assert_non_null(stored);
	assert_int_equal(len, r->attachments[0].size);
	assert_memory_equal(stored, r->attachments[0].data, len);
	assert_non_null(strstr(stored, "%PDF-1.4"));
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	free(stored);
	unlink(path);
	rmdir(dir);
	assert_int_equal(mmr_mail_quarantine(r, "/nonexistent/dir", &err), MMR_EIO);

	char *rec = mmr_mail_audit_json(r);
	assert_non_null(rec);
	json_error_t je;
	json_t *o = json_loads(rec, 0, &je);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "message_id")),
			    "<test-1@example.com>");
	assert_non_null(strstr(json_string_value(json_object_get(o, "from")), "山田太郎"));
	assert_string_equal(json_string_value(json_object_get(o, "to")),
			    "soumu@city.example.lg.jp");
	assert_int_equal(json_integer_value(json_object_get(o, "size_in")), r->in_len);
	json_t *att = json_array_get(json_object_get(o, "attachments"), 0);
	assert_string_equal(json_string_value(json_object_get(att, "name")), "見積書.pdf");
	assert_string_equal(json_string_value(json_object_get(att, "sha256")),
			    r->attachments[0].sha256);
	assert_int_equal(strlen(json_string_value(json_object_get(o, "sha256_in"))), 64);
	/* never the body */
	assert_null(strstr(rec, "お世話"));
	assert_null(strstr(rec, "会議は"));
	json_decref(o);
	free(rec);
	free(m);
}

static void defang(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{"https://www.example.com/a.b?c=d.e", "hxxps://www[.]example[.]com/a.b?c=d.e"},
		{"HTTP://x.y", "hxxp://x[.]y"},
		{"ftp://f.example/", "fxp://f[.]example/"},
		{"mailto:someone@example.com", "someone@example.com"},
		{"javascript:alert(1)", "（スクリプト等のリンクは削除）"},
		{"  http://a.b\n/c", "hxxp://a[.]b/c"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		mmr_buf b = {0};
		assert_int_equal(mmr_mail_defang_url(cases[i][0], &b), 0);
		assert_string_equal(b.p, cases[i][1]);
		free(b.p);
	}
}

/* Charset conversion directly: CP50220/50221 extensions, the Japanese
 * encodings, a lying declaration, an undecodable part. */
static void charsets(void **state)
{
	(void)state;
	static const struct {
		const char *declared, *in, *want;
		int how;
	} cases[] = {
		{"iso-2022-jp", "\x1b$B-!-j\x1b(B", "①㈱", MMR_CS_DECLARED},
		{"ISO-2022-JP", "\x1b$B$\"$$\x1b(B abc", "あい abc", MMR_CS_DECLARED},
		{"iso-2022-jp", "\x1b(I1\x1b(B", "ｱ", MMR_CS_DECLARED},
		{"iso-2022-jp",
		 "a\x0e"
		 "1\x0f"
		 "b",
		 "aｱb", MMR_CS_DECLARED},
		{"iso-2022-jp", "\x1b$(D0!\x1b(B", "〓", MMR_CS_DECLARED},
		{"shift_jis", "\x87\x40\x82\xa0", "①あ", MMR_CS_DECLARED},
		{"euc-jp", "\xa4\xa2\xa4\xa4", "あい", MMR_CS_DECLARED},
		{"utf-8", "\xe6\x97\xa5\xe6\x9c\xac", "日本", MMR_CS_DECLARED},
		{NULL, "\xe6\x97\xa5\xe6\x9c\xac", "日本", MMR_CS_DECLARED},
		{"us-ascii", "\xe6\x97\xa5\xe6\x9c\xac", "日本", MMR_CS_GUESSED},
		{"iso-8859-1", "\x1b$B$\"$$\x1b(B", "あい", MMR_CS_GUESSED},
		{"utf-8", "ok \xff\xfe", "ok \xef\xbf\xbd\xef\xbf\xbd", MMR_CS_LOSSY},
	};
	mmr_charsets *cs = mmr_charsets_new();
	assert_non_null(cs);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		mmr_buf out = {0};
		int how = mmr_charsets_to_utf8(cs, cases[i].declared, cases[i].in,
					       strlen(cases[i].in), &out);
		if (how != cases[i].how || !out.p || strcmp(out.p, cases[i].want))
			fail_msg("case %zu: got \"%s\" (%d), expected \"%s\" (%d)", i,
				 out.p ? out.p : "", how, cases[i].want, cases[i].how);
		free(out.p);
	}
	/* A long Shift_JIS text declared Latin-1 is detected. */
	const char *sj = "\x96\x7b\x93\xfa\x82\xcc\x89\xef\x8b\x63\x8e\x91\x97\xbf";
	GString *long_sj = g_string_new("");
	for (int i = 0; i < 20; i++)
		g_string_append(long_sj, sj);
	mmr_buf out = {0};
	assert_int_equal(mmr_charsets_to_utf8(cs, "iso-8859-1", long_sj->str, long_sj->len, &out),
			 MMR_CS_GUESSED);
	assert_non_null(strstr(out.p, "本日の会議資料"));
	free(out.p);
	g_string_free(long_sj, TRUE);
	mmr_charsets_free(cs);
}

static int setup(void **state)
{
	(void)state;
	mmr_mail_limits lim;
	mmr_mail_limits_default(&lim);
	mmr_error err;
	return mmr_textizer_new(&lim, &tz, &err);
}

static int teardown(void **state)
{
	(void)state;
	mmr_textizer_free(tz);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		tu_root = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(project_messages),
		cmocka_unit_test(public_fixtures),
		cmocka_unit_test(limits),
		cmocka_unit_test(limits_from_profile),
		cmocka_unit_test(reuse),
		cmocka_unit_test(quarantine_and_audit),
		cmocka_unit_test(defang),
		cmocka_unit_test(charsets),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
