/*
 * ooxml.c — Office Open XML (docx, xlsx, pptx and their macro-enabled and
 * template forms) rebuilt without active content (libzip + libxml2).
 *
 * Removed: VBA projects and their data, ActiveX controls, OLE objects and
 * other embeddings, alternative-format chunks, Excel 4 macro sheets, custom
 * UI (ribbon callbacks), toolbars and key maps, external relationships
 * (remote templates, linked data, external links; hyperlinks only with
 * remove_links), DDE/DDEAUTO fields and DDE formulas, digital signatures
 * (which the rebuild would break). [Content_Types].xml and every .rels part
 * are rewritten to stay consistent, and the references to removed
 * relationships are taken out of the parts that made them.
 */
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zip.h>

#include "sanitize/sanitize_int.h"

#define MAX_ENTRIES 10000
#define MAX_ENTRY_BYTES (64u * 1024u * 1024u)
#define MAX_TOTAL_BYTES (512u * 1024u * 1024u)
#define MAX_RATIO 200 /* uncompressed / compressed, above 1 MiB */

#define NS_R "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define NS_PKG_REL "http://schemas.openxmlformats.org/package/2006/relationships"

struct part {
	char *name; /* without the leading '/' */
	unsigned char *data;
	size_t len;
	bool drop;
	xmlDocPtr doc;	 /* parsed, when it had to be changed */
	bool dirty;	 /* doc differs from data */
	char **gone_ids; /* relationship ids removed from this part's .rels */
	size_t n_gone;
};

struct pkg {
	san_ctx *c;
	struct part *parts;
	size_t n;
	struct part *ct; /* [Content_Types].xml */
};

static struct part *part_find(struct pkg *p, const char *name)
{
	if (name[0] == '/')
		name++;
	for (size_t i = 0; i < p->n; i++)
		if (!strcasecmp(p->parts[i].name, name))
			return &p->parts[i];
	return NULL;
}

static bool bad_name(const char *n)
{
	if (!n[0] || n[0] == '/' || strchr(n, '\\') || strchr(n, ':'))
		return true;
	for (const char *s = n; (s = strstr(s, "..")); s += 2)
		if ((s == n || s[-1] == '/') && (s[2] == '/' || s[2] == '\0'))
			return true;
	return false;
}

/* Read every entry into memory within the limits; refuse on bombs,
 * encryption and strange names. */
static int load(struct pkg *p, zip_t *za)
{
	san_ctx *c = p->c;
	zip_int64_t n = zip_get_num_entries(za, 0);
	if (n <= 0)
		return san_refuse(c, "空の ZIP です (empty archive)");
	if (n > MAX_ENTRIES)
		return san_refuse(c, "ZIP の項目が多すぎます（%lld 個）(entry limit)",
				  (long long)n);
	p->parts = calloc((size_t)n, sizeof *p->parts);
	if (!p->parts)
		return MMR_ENOMEM;
	size_t total = 0;
	for (zip_int64_t i = 0; i < n; i++) {
		zip_stat_t st;
		if (zip_stat_index(za, (zip_uint64_t)i, 0, &st) != 0 ||
		    !(st.valid & ZIP_STAT_NAME) || !(st.valid & ZIP_STAT_SIZE))
			return san_refuse(c, "ZIP の項目 %lld を読めません (bad entry)",
					  (long long)i);
		if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE)
			return san_refuse(c, "暗号化された ZIP 項目 %s があります (encrypted)",
					  st.name);
		if (bad_name(st.name))
			return san_refuse(c, "不正な項目名 \"%s\" (bad entry name)", st.name);
		size_t nl = strlen(st.name);
		if (nl && st.name[nl - 1] == '/')
			continue; /* a directory */
		if (st.size > MAX_ENTRY_BYTES)
			return san_refuse(
				c,
				"ZIP 爆弾の疑い: %s の展開後の大きさ %llu バイトが上限を超えます "
				"(zip bomb)",
				st.name, (unsigned long long)st.size);
		if ((st.valid & ZIP_STAT_COMP_SIZE) && st.size > 1024u * 1024u &&
		    st.size / (st.comp_size ? st.comp_size : 1) > MAX_RATIO)
			return san_refuse(c, "ZIP 爆弾の疑い: %s の圧縮率が異常です (zip bomb)",
					  st.name);
		total += st.size;
		if (total > MAX_TOTAL_BYTES)
			return san_refuse(
				c, "ZIP 爆弾の疑い: 展開後の合計が上限を超えます (zip bomb)");
		if (san_timed_out(c))
			return MMR_EDENIED;
		struct part *pt = &p->parts[p->n];
		pt->name = strdup(st.name);
		pt->data = malloc(st.size + 1);
		if (!pt->name || !pt->data) {
			free(pt->name);
			free(pt->data);
			return MMR_ENOMEM;
		}
		p->n++;
		zip_file_t *zf = zip_fopen_index(za, (zip_uint64_t)i, 0);
		if (!zf)
			return san_refuse(c, "ZIP の項目 %s を展開できません (%s)", st.name,
					  zip_strerror(za));
		zip_int64_t got = st.size ? zip_fread(zf, pt->data, st.size) : 0;
		/* One more byte must not come: the directory said how big it is. */
		unsigned char extra;
		zip_int64_t more = zip_fread(zf, &extra, 1);
		zip_fclose(zf);
		if (got < 0 || (zip_uint64_t)got != st.size || more != 0)
			return san_refuse(c, "ZIP の項目 %s が壊れています (truncated or corrupt)",
					  st.name);
		pt->len = st.size;
		pt->data[pt->len] = '\0';
		if (part_find(p, pt->name) != pt)
			return san_refuse(c, "同じ名前の項目が二つあります: %s (duplicate entry)",
					  st.name);
	}
	return MMR_OK;
}

/* Parse a part's XML (once). No DTDs: OOXML has none, and entities are how
 * XML bombs work. */
static int parse(struct pkg *p, struct part *pt)
{
	if (pt->doc)
		return MMR_OK;
	if (memmem(pt->data, pt->len, "<!DOCTYPE", 9) || memmem(pt->data, pt->len, "<!ENTITY", 8))
		return san_refuse(p->c, "%s に DTD があります（XML 爆弾の疑い）(DTD in XML)",
				  pt->name);
	if (pt->len > 32u * 1024u * 1024u)
		return san_refuse(p->c, "%s が大きすぎます (XML size limit)", pt->name);
	pt->doc = xmlReadMemory((const char *)pt->data, (int)pt->len, pt->name, NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!pt->doc) {
		const xmlError *e = xmlGetLastError();
		if (e && e->message && strstr(e->message, "depth"))
			return san_refuse(p->c, "%s の XML の入れ子が深すぎます (XML depth limit)",
					  pt->name);
		return san_refuse(p->c, "%s は正しい XML ではありません (bad XML)", pt->name);
	}
	if (pt->doc->intSubset || pt->doc->extSubset)
		return san_refuse(p->c, "%s に DTD があります (DTD in XML)", pt->name);
	if (!xmlDocGetRootElement(pt->doc))
		return san_refuse(p->c, "%s に要素がありません (bad XML)", pt->name);
	return MMR_OK;
}

static char *attr(xmlNodePtr n, const char *name)
{
	return (char *)xmlGetProp(n, (const xmlChar *)name);
}

static bool is_elem(xmlNodePtr n, const char *local)
{
	return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, local);
}

/* The content type of a part by [Content_Types].xml (malloc'd or NULL). */
static char *content_type(struct pkg *p, const char *name)
{
	xmlNodePtr root = xmlDocGetRootElement(p->ct->doc);
	const char *dot = strrchr(name, '.');
	char *def = NULL;
	for (xmlNodePtr n = root->children; n; n = n->next) {
		if (is_elem(n, "Override")) {
			char *pn = attr(n, "PartName");
			bool match = pn && !strcasecmp(pn[0] == '/' ? pn + 1 : pn, name);
			xmlFree(pn);
			if (match) {
				xmlFree(def);
				return attr(n, "ContentType");
			}
		} else if (is_elem(n, "Default") && dot && !def) {
			char *ext = attr(n, "Extension");
			if (ext && !strcasecmp(ext, dot + 1))
				def = attr(n, "ContentType");
			xmlFree(ext);
		}
	}
	return def;
}

/* What a content type or relationship type says must go (NULL: keep). */
static const char *danger_of(const char *ct_or_type)
{
	static const struct {
		const char *needle, *kind;
	} table[] = {
		{"vbaProject", "vba_project"},
		{"vbaData", "vba_project"},
		{"wordVbaData", "vba_project"},
		{"activeX", "activex"},
		{"/control", "activex"},
		{"oleObject", "embedded_object"},
		{"/package", "embedded_object"},
		{"aFChunk", "alt_chunk"},
		{"macrosheet", "macro_sheet"},
		{"xlMacrosheet", "macro_sheet"},
		{"xlIntlMacrosheet", "macro_sheet"},
		{"dialogsheet", "macro_sheet"},
		{"ui/extensibility", "custom_ui"},
		{"customUI", "custom_ui"},
		{"attachedToolbars", "macro_customization"},
		{"keyMapCustomizations", "macro_customization"},
		{"externalLink", "external_link"},
		{"digital-signature", "digital_signature"},
	};
	if (!ct_or_type)
		return NULL;
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (strstr(ct_or_type, table[i].needle))
			return table[i].kind;
	return NULL;
}

static void drop(struct pkg *p, struct part *pt, const char *kind)
{
	if (pt->drop)
		return;
	pt->drop = true;
	if (kind)
		san_removed(p->c, kind, pt->name);
}

/* "word/_rels/document.xml.rels" → "word/document.xml"; "_rels/.rels" → "". */
static bool rels_source(const char *rels, char *src, size_t cap)
{
	size_t n = strlen(rels);
	if (n < 5 || strcasecmp(rels + n - 5, ".rels"))
		return false;
	const char *r = strstr(rels, "_rels/");
	if (!r || (r != rels && r[-1] != '/') || strchr(r + 6, '/'))
		return false;
	size_t dir = (size_t)(r - rels);
	snprintf(src, cap, "%.*s%.*s", (int)dir, rels, (int)(n - 5 - (dir + 6)), r + 6);
	return true;
}

/* Resolve a relationship target against its source part into a part name. */
static void resolve(const char *source, const char *target, char *out, size_t cap)
{
	char buf[1024];
	if (target[0] == '/') {
		snprintf(buf, sizeof buf, "%s", target + 1);
	} else {
		const char *slash = strrchr(source, '/');
		int dl = slash ? (int)(slash - source + 1) : 0;
		snprintf(buf, sizeof buf, "%.*s%s", dl, source, target);
	}
	/* Collapse "x/../" and "./". */
	char *segs[128];
	size_t ns = 0;
	char *save = NULL;
	for (char *s = strtok_r(buf, "/", &save); s && ns < 128; s = strtok_r(NULL, "/", &save)) {
		if (!strcmp(s, "."))
			continue;
		if (!strcmp(s, "..")) {
			if (ns)
				ns--;
			continue;
		}
		segs[ns++] = s;
	}
	out[0] = '\0';
	size_t o = 0;
	for (size_t i = 0; i < ns && o < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? "/" : "", segs[i]);
	char *hash = strchr(out, '#');
	if (hash)
		*hash = '\0';
}

static int remember_gone(struct part *src, const char *id)
{
	char **g = realloc(src->gone_ids, (src->n_gone + 1) * sizeof *g);
	if (!g)
		return MMR_ENOMEM;
	src->gone_ids = g;
	g[src->n_gone] = strdup(id);
	if (!g[src->n_gone])
		return MMR_ENOMEM;
	src->n_gone++;
	return MMR_OK;
}

static bool type_is(const char *type, const char *suffix)
{
	size_t a = strlen(type), b = strlen(suffix);
	return a >= b && !strcmp(type + a - b, suffix);
}

/* Pass 1 over one .rels part: drop the parts that dangerous relationships
 * point to. */
static int rels_mark(struct pkg *p, struct part *rels)
{
	char src[1024];
	if (!rels_source(rels->name, src, sizeof src))
		return MMR_OK;
	int rc = parse(p, rels);
	if (rc)
		return rc;
	for (xmlNodePtr n = xmlDocGetRootElement(rels->doc)->children; n; n = n->next) {
		if (!is_elem(n, "Relationship"))
			continue;
		char *type = attr(n, "Type"), *target = attr(n, "Target"),
		     *mode = attr(n, "TargetMode");
		if (type && target && !(mode && !strcasecmp(mode, "External"))) {
			const char *kind = danger_of(type);
			char name[1024];
			resolve(src, target, name, sizeof name);
			struct part *t = part_find(p, name);
			if (kind && t)
				drop(p, t, kind);
		}
		xmlFree(type);
		xmlFree(target);
		xmlFree(mode);
	}
	return MMR_OK;
}

/* Pass 2: remove relationships that are external (hyperlinks kept unless
 * remove_links) or point to a dropped part; remember their ids. */
static int rels_prune(struct pkg *p, struct part *rels)
{
	char src[1024];
	if (!rels_source(rels->name, src, sizeof src) || !rels->doc)
		return MMR_OK;
	struct part *source = src[0] ? part_find(p, src) : NULL;
	if (src[0] && (!source || source->drop)) {
		rels->drop = true; /* its part is gone */
		return MMR_OK;
	}
	xmlNodePtr next;
	for (xmlNodePtr n = xmlDocGetRootElement(rels->doc)->children; n; n = next) {
		next = n->next;
		if (!is_elem(n, "Relationship"))
			continue;
		char *type = attr(n, "Type"), *target = attr(n, "Target"),
		     *mode = attr(n, "TargetMode"), *id = attr(n, "Id");
		const char *kind = NULL;
		char where[1200];
		if (mode && !strcasecmp(mode, "External")) {
			if (type && type_is(type, "/hyperlink"))
				kind = p->c->opts.remove_links ? "hyperlink" : NULL;
			else if (type && type_is(type, "/attachedTemplate"))
				kind = "remote_template";
			else if (type && (type_is(type, "/oleObject") || type_is(type, "/package")))
				kind = "linked_object";
			else
				kind = "external_relationship";
			snprintf(where, sizeof where, "%s: %s", src[0] ? src : "/",
				 target ? target : "");
		} else if (target) {
			char name[1024];
			resolve(src, target, name, sizeof name);
			struct part *t = part_find(p, name);
			if (t && t->drop)
				kind = ""; /* counted when the part was dropped */
			else if (type && danger_of(type))
				kind = danger_of(type); /* points to nothing: drop anyway */
			snprintf(where, sizeof where, "%s", name);
		}
		int rc = MMR_OK;
		if (kind) {
			if (kind[0])
				san_removed(p->c, kind, where);
			if (source && id)
				rc = remember_gone(source, id);
			xmlUnlinkNode(n);
			xmlFreeNode(n);
			rels->dirty = true;
		}
		xmlFree(type);
		xmlFree(target);
		xmlFree(mode);
		xmlFree(id);
		if (rc)
			return rc;
	}
	return MMR_OK;
}

static bool gone(const struct part *pt, const char *id)
{
	for (size_t i = 0; i < pt->n_gone; i++)
		if (!strcmp(pt->gone_ids[i], id))
			return true;
	return false;
}

/* Elements that are nothing without the relationship they name. */
static bool whole_element(const char *local)
{
	static const char *const names[] = {
		"OLEObject",	     "oleObject",	 "oleObj",   "control",
		"externalReference", "attachedTemplate", "altChunk", "sheet"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(local, names[i]))
			return true;
	return false;
}

/* Containers left empty once their children are gone. */
static bool empty_container(xmlNodePtr n)
{
	static const char *const names[] = {"oleObjects", "controls", "externalReferences"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp((const char *)n->name, names[i])) {
			for (xmlNodePtr c = n->children; c; c = c->next)
				if (c->type == XML_ELEMENT_NODE)
					return false;
			return true;
		}
	return false;
}

static bool starts_dde(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	return !strncasecmp(s, "DDE", 3);
}

/* Take out of one part's tree: references to removed relationships, DDE
 * fields (Word) and DDE formulas (Excel). Returns the number of changes. */
static size_t scrub_tree(struct pkg *p, struct part *pt, xmlNodePtr n, int depth)
{
	size_t changed = 0;
	xmlNodePtr next;
	for (; n; n = next) {
		next = n->next;
		if (n->type != XML_ELEMENT_NODE)
			continue;
		bool remove = false;
		for (xmlAttrPtr a = n->properties, an; a; a = an) {
			an = a->next;
			if (!a->ns || strcmp((const char *)a->ns->href, NS_R))
				continue;
			xmlChar *v = xmlNodeGetContent((xmlNodePtr)a);
			bool g = v && gone(pt, (const char *)v);
			xmlFree(v);
			if (!g)
				continue;
			if (whole_element((const char *)n->name)) {
				remove = true;
				break;
			}
			xmlRemoveProp(a);
			changed++;
		}
		const char *local = (const char *)n->name;
		if (!remove && !strcmp(local, "instrText")) {
			xmlChar *t = xmlNodeGetContent(n);
			if (t && starts_dde((const char *)t)) {
				xmlNodeSetContent(n, (const xmlChar *)"");
				san_removed(p->c, "dde_field", pt->name);
				changed++;
			}
			xmlFree(t);
		} else if (!remove && !strcmp(local, "fldSimple")) {
			for (xmlAttrPtr a = n->properties; a; a = a->next) {
				if (strcmp((const char *)a->name, "instr"))
					continue;
				xmlChar *t = xmlNodeGetContent((xmlNodePtr)a);
				if (t && starts_dde((const char *)t)) {
					xmlSetNsProp(n, a->ns, a->name, (const xmlChar *)"");
					san_removed(p->c, "dde_field", pt->name);
					changed++;
				}
				xmlFree(t);
				break;
			}
		} else if (!remove && !strcmp(local, "f")) {
			xmlChar *t = xmlNodeGetContent(n);
			const char *bar = t ? strchr((const char *)t, '|') : NULL;
			if (bar && strchr(bar, '!')) {
				remove = true;
				san_removed(p->c, "dde_formula", pt->name);
			}
			xmlFree(t);
		}
		if (remove) {
			xmlNodePtr parent = n->parent;
			xmlUnlinkNode(n);
			xmlFreeNode(n);
			changed++;
			if (parent && parent->type == XML_ELEMENT_NODE && empty_container(parent)) {
				if (next == NULL)
					next = parent->next;
				xmlUnlinkNode(parent);
				xmlFreeNode(parent);
			}
			continue;
		}
		if (depth < 256)
			changed += scrub_tree(p, pt, n->children, depth + 1);
	}
	return changed;
}

static bool ci_contains(const struct part *pt, const char *needle)
{
	size_t nl = strlen(needle);
	if (pt->len < nl)
		return false;
	for (size_t i = 0; i + nl <= pt->len; i++)
		if (!strncasecmp((const char *)pt->data + i, needle, nl))
			return true;
	return false;
}

/* The macro-free main content type for a macro-enabled or template one. */
static const char *plain_main_type(const char *ct, char type[16], char ext[8])
{
	if (strstr(ct, "wordprocessingml") || strstr(ct, "ms-word")) {
		snprintf(type, 16, "docx");
		snprintf(ext, 8, "docx");
		return "application/"
		       "vnd.openxmlformats-officedocument.wordprocessingml.document.main+"
		       "xml";
	}
	if (strstr(ct, "spreadsheetml") || strstr(ct, "ms-excel")) {
		snprintf(type, 16, "xlsx");
		snprintf(ext, 8, "xlsx");
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml";
	}
	if (strstr(ct, "presentationml") || strstr(ct, "ms-powerpoint")) {
		snprintf(type, 16, "pptx");
		snprintf(ext, 8, "pptx");
		return "application/vnd.openxmlformats-officedocument.presentationml.presentation."
		       "main+xml";
	}
	return NULL;
}

/* Find the main part (the officeDocument relationship of _rels/.rels) and
 * make its content type the macro-free one. */
static int main_part(struct pkg *p)
{
	struct part *root_rels = part_find(p, "_rels/.rels");
	if (!root_rels)
		return san_refuse(p->c,
				  "ZIP アーカイブは取り込めません（Office 文書ではありません）");
	int rc = parse(p, root_rels);
	if (rc)
		return rc;
	char main_name[1024] = "";
	for (xmlNodePtr n = xmlDocGetRootElement(root_rels->doc)->children; n; n = n->next) {
		if (!is_elem(n, "Relationship"))
			continue;
		char *type = attr(n, "Type"), *target = attr(n, "Target");
		if (type && target && type_is(type, "/officeDocument") && !main_name[0])
			resolve("", target, main_name, sizeof main_name);
		xmlFree(type);
		xmlFree(target);
	}
	if (!main_name[0] || !part_find(p, main_name))
		return san_refuse(
			p->c, "ZIP アーカイブは取り込めません（Office 文書の本体がありません）");
	char *ct = content_type(p, main_name);
	const char *plain = ct ? plain_main_type(ct, p->c->res->type, p->c->res->ext) : NULL;
	if (!plain) {
		xmlFree(ct);
		return san_refuse(p->c, "対応していない Office 文書です（%s）", main_name);
	}
	if (strcmp(ct, plain)) {
		san_note(p->c, "形式を %s から %s に変更しました", ct, plain);
		for (xmlNodePtr n = xmlDocGetRootElement(p->ct->doc)->children; n; n = n->next) {
			char *pn = is_elem(n, "Override") ? attr(n, "PartName") : NULL;
			if (pn && !strcasecmp(pn[0] == '/' ? pn + 1 : pn, main_name))
				xmlSetProp(n, (const xmlChar *)"ContentType",
					   (const xmlChar *)plain);
			xmlFree(pn);
		}
		p->ct->dirty = true;
	}
	xmlFree(ct);
	return MMR_OK;
}

/* Drop the Override entries of dropped parts and the Default entries of
 * dangerous content types. */
static void content_types_prune(struct pkg *p)
{
	xmlNodePtr next;
	for (xmlNodePtr n = xmlDocGetRootElement(p->ct->doc)->children; n; n = next) {
		next = n->next;
		bool remove = false;
		if (is_elem(n, "Override")) {
			char *pn = attr(n, "PartName");
			struct part *pt = pn ? part_find(p, pn) : NULL;
			remove = !pt || pt->drop;
			xmlFree(pn);
		} else if (is_elem(n, "Default")) {
			char *ct = attr(n, "ContentType");
			remove = danger_of(ct) != NULL;
			xmlFree(ct);
		}
		if (remove) {
			xmlUnlinkNode(n);
			xmlFreeNode(n);
			p->ct->dirty = true;
		}
	}
}

static int write_zip(struct pkg *p, unsigned char **out, size_t *out_len)
{
	zip_error_t ze;
	zip_error_init(&ze);
	zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
	if (!src)
		return MMR_ENOMEM;
	zip_source_keep(src);
	zip_t *za = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
	if (!za) {
		zip_source_free(src);
		return MMR_ENOMEM;
	}
	/* [Content_Types].xml first, then the parts in their order. */
	int rc = MMR_OK;
	for (size_t pass = 0; pass < 2 && !rc; pass++) {
		for (size_t i = 0; i < p->n; i++) {
			struct part *pt = &p->parts[i];
			if (pt->drop || (pass == 0) != (pt == p->ct))
				continue;
			zip_source_t *s = zip_source_buffer(za, pt->data, pt->len, 0);
			zip_int64_t idx = s ? zip_file_add(za, pt->name, s, ZIP_FL_ENC_UTF_8) : -1;
			if (idx < 0) {
				zip_source_free(s);
				rc = MMR_ENOMEM;
				break;
			}
			const char *dot = strrchr(pt->name, '.');
			bool packed =
				dot && (!strcasecmp(dot, ".png") || !strcasecmp(dot, ".jpeg") ||
					!strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".gif"));
			zip_set_file_compression(za, (zip_uint64_t)idx,
						 packed ? ZIP_CM_STORE : ZIP_CM_DEFLATE, 6);
		}
	}
	if (rc || zip_close(za) != 0) {
		if (!rc)
			zip_discard(za);
		else
			zip_discard(za);
		zip_source_free(src);
		return MMR_ENOMEM;
	}
	zip_stat_t st;
	if (zip_source_stat(src, &st) != 0 || zip_source_open(src) != 0) {
		zip_source_free(src);
		return MMR_ENOMEM;
	}
	unsigned char *buf = malloc(st.size ? st.size : 1);
	zip_int64_t got = buf ? zip_source_read(src, buf, st.size) : -1;
	zip_source_close(src);
	zip_source_free(src);
	if (got < 0 || (zip_uint64_t)got != st.size) {
		free(buf);
		return MMR_ENOMEM;
	}
	*out = buf;
	*out_len = st.size;
	return MMR_OK;
}

static int serialize(struct part *pt)
{
	xmlChar *buf = NULL;
	int len = 0;
	xmlDocDumpMemoryEnc(pt->doc, &buf, &len, "UTF-8");
	if (!buf)
		return MMR_ENOMEM;
	unsigned char *d = malloc((size_t)len + 1);
	if (!d) {
		xmlFree(buf);
		return MMR_ENOMEM;
	}
	memcpy(d, buf, (size_t)len);
	d[len] = '\0';
	xmlFree(buf);
	free(pt->data);
	pt->data = d;
	pt->len = (size_t)len;
	return MMR_OK;
}

static int sanitize_pkg(struct pkg *p)
{
	san_ctx *c = p->c;
	p->ct = part_find(p, "[Content_Types].xml");
	if (!p->ct)
		return san_refuse(c, "ZIP アーカイブは取り込めません（Office 文書ではありません）");
	int rc = parse(p, p->ct);
	if (rc)
		return rc;
	if ((rc = main_part(p)))
		return rc;
	/* Parts dangerous by content type or by place. */
	for (size_t i = 0; i < p->n; i++) {
		struct part *pt = &p->parts[i];
		if (pt == p->ct)
			continue;
		char *ct = content_type(p, pt->name);
		const char *kind = danger_of(ct);
		if (!kind &&
		    (strstr(pt->name, "/embeddings/") || !strncmp(pt->name, "embeddings/", 11)))
			kind = "embedded_object";
		if (!kind && (strstr(pt->name, "/activeX/")))
			kind = "activex";
		if (!kind && !strncasecmp(pt->name, "customUI/", 9))
			kind = "custom_ui";
		if (!kind && !strncmp(pt->name, "_xmlsignatures/", 15))
			kind = "digital_signature";
		if (!kind) {
			const char *slash = strrchr(pt->name, '/');
			const char *base = slash ? slash + 1 : pt->name;
			if (!strcasecmp(base, "vbaProject.bin") || !strcasecmp(base, "vbaData.xml"))
				kind = "vba_project";
		}
		xmlFree(ct);
		if (kind)
			drop(p, pt, kind);
	}
	for (size_t i = 0; i < p->n; i++)
		if (!p->parts[i].drop && (rc = rels_mark(p, &p->parts[i])))
			return rc;
	/* Dropping can cascade (a dropped part's own .rels targets), so prune
	 * until nothing changes. */
	for (size_t i = 0; i < p->n; i++)
		if (!p->parts[i].drop && (rc = rels_prune(p, &p->parts[i])))
			return rc;
	content_types_prune(p);
	if (san_timed_out(c))
		return MMR_EDENIED;
	for (size_t i = 0; i < p->n; i++) {
		struct part *pt = &p->parts[i];
		if (pt->drop || pt == p->ct)
			continue;
		const char *dot = strrchr(pt->name, '.');
		if (!dot || strcasecmp(dot, ".xml"))
			continue;
		bool dde = (!strncmp(pt->name, "word/", 5) && ci_contains(pt, "DDE")) ||
			   (!strncmp(pt->name, "xl/", 3) && memchr(pt->data, '|', pt->len));
		if (!pt->n_gone && !dde)
			continue;
		if ((rc = parse(p, pt)))
			return rc;
		if (scrub_tree(p, pt, xmlDocGetRootElement(pt->doc), 0))
			pt->dirty = true;
		if (san_timed_out(c))
			return MMR_EDENIED;
	}
	for (size_t i = 0; i < p->n; i++) {
		struct part *pt = &p->parts[i];
		if (!pt->drop && pt->dirty && (rc = serialize(pt)))
			return rc;
	}
	return write_zip(p, &c->res->out, &c->res->out_len);
}

static void pkg_free(struct pkg *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct part *pt = &p->parts[i];
		free(pt->name);
		free(pt->data);
		if (pt->doc)
			xmlFreeDoc(pt->doc);
		for (size_t j = 0; j < pt->n_gone; j++)
			free(pt->gone_ids[j]);
		free(pt->gone_ids);
	}
	free(p->parts);
}

int san_ooxml(san_ctx *c, const unsigned char *data, size_t len)
{
	zip_error_t ze;
	zip_error_init(&ze);
	zip_source_t *src = zip_source_buffer_create(data, len, 0, &ze);
	if (!src)
		return MMR_ENOMEM;
	zip_t *za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
	if (!za) {
		zip_source_free(src);
		snprintf(c->res->type, sizeof c->res->type, "zip");
		int rc = san_refuse(c, "ZIP が壊れています (%s)", zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return rc;
	}
	struct pkg p = {.c = c};
	int rc = load(&p, za);
	zip_close(za);
	if (!rc)
		rc = sanitize_pkg(&p);
	if (rc == MMR_EDENIED && !strcmp(c->res->type, "zip"))
		snprintf(c->res->type, sizeof c->res->type, "archive");
	pkg_free(&p);
	return rc;
}
