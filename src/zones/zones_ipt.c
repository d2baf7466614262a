/*
 * zones_ipt.c — read `iptables-save` output into the zones model.
 *
 * Built-in chains get the hook and priority netfilter gives them (raw -300,
 * mangle -150, filter 0, security 50; the nat table is not a filter and is
 * skipped). Understood: -s -d -i -o -p (with '!'), --sport/--dport, multiport
 * --sports/--dports, conntrack --ctstate and state --state, iprange
 * --src-range/--dst-range; targets ACCEPT, DROP, REJECT, RETURN, user chains
 * by -j and -g; other targets (LOG, MARK, …) do not end the chain. A match
 * module the model cannot see makes the rule approximate (see zones_nft.c).
 * Errors name the line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zones/zones_int.h"

#define IPT_MAX_LINE 8192
#define IPT_MAX_TOKENS 256

struct ipt_ctx {
	zruleset *rs;
	const char *name;
	int line;
	mmr_error *err;
	char table[32];
};

static int fail(struct ipt_ctx *c, const char *what, const char *tok)
{
	mmr_error_set(c->err, MMR_EINVAL, "%s:%d: %s%s%.60s%s", c->name, c->line, what,
		      tok ? ": " : "", tok ? tok : "", tok ? "" : "");
	return MMR_EINVAL;
}

/* Split a line into tokens in place, honouring "double quotes" with \" and
 * \\ escapes. Returns the token count or -1 for an unterminated quote. */
static int tokenize(char *s, char **tok, int max)
{
	int n = 0;
	while (*s) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		if (n == max)
			return -2;
		char *w = s;
		tok[n++] = w;
		while (*s && *s != ' ' && *s != '\t') {
			if (*s == '"') {
				s++;
				while (*s && *s != '"') {
					if (*s == '\\' && s[1])
						s++;
					*w++ = *s++;
				}
				if (*s != '"')
					return -1;
				s++;
			} else {
				*w++ = *s++;
			}
		}
		if (*s)
			s++;
		*w = 0;
	}
	return n;
}

static int builtin_hook(const char *table, const char *chain, int *prio)
{
	int p;
	if (!strcmp(table, "raw"))
		p = -300;
	else if (!strcmp(table, "mangle"))
		p = -150;
	else if (!strcmp(table, "filter"))
		p = 0;
	else if (!strcmp(table, "security"))
		p = 50;
	else
		return ZH_NONE;
	*prio = p;
	if (!strcmp(chain, "PREROUTING"))
		return ZH_PREROUTING;
	if (!strcmp(chain, "FORWARD"))
		return ZH_FORWARD;
	return ZH_NONE;
}

/* "80", "1024:65535", ":1023", "1024:" → interval. */
static int parse_port_range(const char *s, ziv *out)
{
	char *end;
	const char *colon = strchr(s, ':');
	long lo = 0, hi = 65535;
	if (colon != s) {
		lo = strtol(s, &end, 10);
		if (end == s || (colon ? end != colon : *end != 0))
			return -1;
	}
	if (!colon) {
		hi = lo;
	} else if (colon[1]) {
		hi = strtol(colon + 1, &end, 10);
		if (*end)
			return -1;
	}
	if (lo < 0 || hi > 65535 || lo > hi)
		return -1;
	out->lo = (uint32_t)lo;
	out->hi = (uint32_t)hi;
	return 0;
}

static int ct_state(const char *s)
{
	static const char *names[] = {"NEW", "ESTABLISHED", "RELATED", "INVALID", "UNTRACKED"};
	for (int i = 0; i <= ZCT_MAX; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

/* Parse the value list `v` (comma-separated) of dimension dim into s. */
static int parse_values(struct ipt_ctx *c, int dim, const char *v, zivs *s)
{
	char buf[1024];
	if (strlen(v) >= sizeof buf)
		return fail(c, "値が長すぎます (value too long)", NULL);
	strcpy(buf, v);
	char *save = NULL;
	for (char *p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		ziv iv;
		int n;
		switch (dim) {
		case ZD_SADDR:
		case ZD_DADDR:
			if (zones_parse_addr(p, &iv))
				return fail(c, "IPv4 アドレスではありません (not an IPv4 address)",
					    p);
			break;
		case ZD_PROTO:
			n = zones_parse_proto(p);
			if (n < 0 && strcmp(p, "all"))
				return fail(c, "プロトコルを読めません (unknown protocol)", p);
			iv = n < 0 ? (ziv){0, 255} : (ziv){(uint32_t)n, (uint32_t)n};
			break;
		case ZD_SPORT:
		case ZD_DPORT:
			if (parse_port_range(p, &iv))
				return fail(c, "ポートを読めません (bad port)", p);
			break;
		case ZD_CT:
			n = ct_state(p);
			if (n < 0)
				return fail(c, "接続状態を読めません (unknown state)", p);
			iv = (ziv){(uint32_t)n, (uint32_t)n};
			break;
		default: {
			/* iptables' "+" suffix is nftables' "*" */
			char pat[64];
			size_t l = strlen(p);
			if (l == 0 || l >= sizeof pat)
				return fail(c, "インターフェイス名を読めません (bad interface)", p);
			memcpy(pat, p, l + 1);
			if (pat[l - 1] == '+')
				pat[l - 1] = '*';
			int rc = zrs_ifname_match(c->rs->arena, c->rs, pat, s);
			if (rc == MMR_ELIMIT)
				return fail(c, "インターフェイスが多すぎます (too many interfaces)",
					    p);
			if (rc)
				return rc;
			continue;
		}
		}
		if (zivs_add(c->rs->arena, s, iv.lo, iv.hi))
			return MMR_ENOMEM;
	}
	return MMR_OK;
}

static int restrict_dim(struct ipt_ctx *c, zrule *r, int dim, const char *v, int neg)
{
	zivs s = {0};
	int rc = parse_values(c, dim, v, &s);
	if (rc)
		return rc;
	zivs_normalize(&s);
	if (neg) {
		zivs comp;
		if (zivs_complement(c->rs->arena, &s, zdim_max(dim), &comp))
			return MMR_ENOMEM;
		s = comp;
	}
	return zrule_restrict(c->rs->arena, r, dim, &s);
}

static int known_module(const char *m)
{
	static const char *ok[] = {"tcp",   "udp",     "sctp",	  "multiport", "conntrack",
				   "state", "iprange", "comment", "icmp"};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (!strcmp(m, ok[i]))
			return 1;
	return 0;
}

static int read_rule(struct ipt_ctx *c, char **tok, int n)
{
	/* tok[0] is "-A", tok[1] the chain */
	if (n < 2)
		return fail(c, "-A にチェイン名がありません (missing chain)", NULL);
	int ci = zrs_chain_find(c->rs, "ip", c->table, tok[1]);
	if (ci < 0)
		return fail(c, "宣言されていないチェインです (undeclared chain)", tok[1]);
	zrule tmp;
	memset(&tmp, 0, sizeof tmp);
	tmp.target = -1;
	const char *comment = NULL;
	int neg = 0, modules = 0;
	for (int i = 2; i < n; i++) {
		const char *o = tok[i];
		const char *v = i + 1 < n ? tok[i + 1] : NULL;
		if (!strcmp(o, "!")) {
			neg = 1;
			continue;
		}
		int dim = -1;
		if (!strcmp(o, "-s") || !strcmp(o, "--source") || !strcmp(o, "--src-range"))
			dim = ZD_SADDR;
		else if (!strcmp(o, "-d") || !strcmp(o, "--destination") ||
			 !strcmp(o, "--dst-range"))
			dim = ZD_DADDR;
		else if (!strcmp(o, "-p") || !strcmp(o, "--protocol"))
			dim = ZD_PROTO;
		else if (!strcmp(o, "-i") || !strcmp(o, "--in-interface"))
			dim = ZD_IIF;
		else if (!strcmp(o, "-o") || !strcmp(o, "--out-interface"))
			dim = ZD_OIF;
		else if (!strcmp(o, "--sport") || !strcmp(o, "--source-port") ||
			 !strcmp(o, "--sports") || !strcmp(o, "--source-ports"))
			dim = ZD_SPORT;
		else if (!strcmp(o, "--dport") || !strcmp(o, "--destination-port") ||
			 !strcmp(o, "--dports") || !strcmp(o, "--destination-ports"))
			dim = ZD_DPORT;
		else if (!strcmp(o, "--ctstate") || !strcmp(o, "--state"))
			dim = ZD_CT;
		if (dim >= 0) {
			if (!v)
				return fail(c, "オプションに値がありません (option without value)",
					    o);
			int rc = restrict_dim(c, &tmp, dim, v, neg);
			if (rc)
				return rc;
			neg = 0;
			i++;
			continue;
		}
		if (!strcmp(o, "-m") || !strcmp(o, "--match")) {
			if (!v)
				return fail(c, "-m にモジュール名がありません (missing module)",
					    NULL);
			if (!known_module(v))
				tmp.approx = 1;
			modules = 1;
			i++;
			continue;
		}
		if (!strcmp(o, "--comment")) {
			comment = v;
			i++;
			continue;
		}
		if (!strcmp(o, "-j") || !strcmp(o, "--jump") || !strcmp(o, "-g") ||
		    !strcmp(o, "--goto")) {
			if (!v)
				return fail(c, "ターゲットがありません (missing target)", NULL);
			int go = o[1] == 'g' || !strcmp(o, "--goto");
			if (!strcmp(v, "ACCEPT"))
				tmp.verdict = ZV_ACCEPT;
			else if (!strcmp(v, "DROP") || !strcmp(v, "REJECT"))
				tmp.verdict = ZV_DROP;
			else if (!strcmp(v, "RETURN"))
				tmp.verdict = ZV_RETURN;
			else {
				int t = zrs_chain_find(c->rs, "ip", c->table, v);
				if (t >= 0) {
					tmp.verdict = go ? ZV_GOTO : ZV_JUMP;
					tmp.target = t;
				} else if (go) {
					return fail(c, "-g のチェインがありません (no such chain)",
						    v);
				}
				/* else an extension target (LOG, MARK, …): no verdict */
			}
			i++;
			/* the target's own options follow; none of them filters */
			break;
		}
		if (modules && (o[0] != '-' || o[1] == '-')) {
			/* an option of a module we do not read (--tcp-flags, --icmp-type,
			 * …) or its value: a condition the model cannot see */
			tmp.approx = 1;
			neg = 0;
			continue;
		}
		return fail(c, "オプションを読めません (unknown option)", o);
	}
	if (tmp.approx &&
	    (tmp.verdict == ZV_DROP || tmp.verdict == ZV_RETURN || tmp.verdict == ZV_NONE))
		return MMR_OK;
	zrule *r = zrs_rule_add(c->rs, ci);
	if (!r)
		return fail(c, "規則が多すぎます (too many rules)", NULL);
	memcpy(r->match, tmp.match, sizeof r->match);
	memcpy(r->has, tmp.has, sizeof r->has);
	r->verdict = tmp.verdict;
	r->target = tmp.target;
	r->approx = tmp.approx;
	r->line = c->line;
	r->text = comment ? mmr_arena_strdup(c->rs->arena, comment) : NULL;
	if (tmp.approx)
		c->rs->n_approx++;
	return MMR_OK;
}

int zones_read_iptables_save(zruleset *rs, const char *name, const char *buf, size_t len,
			     mmr_error *err)
{
	struct ipt_ctx c = {.rs = rs, .name = name, .err = err};
	char *line = malloc(IPT_MAX_LINE);
	char **tok = malloc(IPT_MAX_TOKENS * sizeof *tok);
	int rc = MMR_OK, in_table = 0, skip_table = 0, seen = 0;
	if (!line || !tok) {
		rc = MMR_ENOMEM;
		goto done;
	}
	/* Two passes: declare every chain of a table, then read its rules, so a
	 * jump may name a chain declared later in the same table. */
	for (int pass = 0; pass < 2; pass++) {
		size_t pos = 0;
		c.line = 0;
		in_table = 0;
		while (pos < len) {
			size_t end = pos;
			while (end < len && buf[end] != '\n')
				end++;
			c.line++;
			size_t l = end - pos;
			if (l && buf[pos + l - 1] == '\r')
				l--;
			if (l >= IPT_MAX_LINE) {
				rc = fail(&c, "行が長すぎます (line too long)", NULL);
				goto done;
			}
			memcpy(line, buf + pos, l);
			line[l] = 0;
			pos = end + 1;
			if (memchr(line, 0, l)) {
				rc = fail(&c, "NUL 文字があります (NUL byte)", NULL);
				goto done;
			}
			if (!line[0] || line[0] == '#')
				continue;
			if (line[0] == '*') {
				if (in_table) {
					rc = fail(&c,
						  "COMMIT の前に次の表があります (missing COMMIT)",
						  line);
					goto done;
				}
				if (strlen(line + 1) == 0 || strlen(line + 1) >= sizeof c.table) {
					rc = fail(&c, "表の名前を読めません (bad table name)",
						  line);
					goto done;
				}
				strcpy(c.table, line + 1);
				in_table = 1;
				seen = 1;
				skip_table = !strcmp(c.table, "nat");
				continue;
			}
			if (!strcmp(line, "COMMIT")) {
				if (!in_table) {
					rc = fail(&c,
						  "表の外の COMMIT です (COMMIT outside a table)",
						  NULL);
					goto done;
				}
				in_table = 0;
				continue;
			}
			if (!in_table) {
				rc = fail(&c, "表（*filter 等）の外の行です (line outside a table)",
					  line);
				goto done;
			}
			int n = tokenize(line, tok, IPT_MAX_TOKENS);
			if (n == -1) {
				rc = fail(&c, "引用符が閉じていません (unterminated quote)", NULL);
				goto done;
			}
			if (n == -2) {
				rc = fail(&c, "語が多すぎます (too many words)", NULL);
				goto done;
			}
			if (tok[0][0] == ':') {
				if (pass == 1 || skip_table)
					continue;
				if (n < 2 || !tok[0][1]) {
					rc = fail(&c, "チェインの宣言を読めません (bad chain line)",
						  NULL);
					goto done;
				}
				int ci = zrs_chain_add(rs, "ip", c.table, tok[0] + 1, c.line);
				if (ci < 0) {
					rc = fail(&c, "チェインが多すぎます (too many chains)",
						  NULL);
					goto done;
				}
				int prio = 0;
				rs->chains[ci].hook = builtin_hook(c.table, tok[0] + 1, &prio);
				rs->chains[ci].prio = prio;
				if (strcmp(tok[1], "ACCEPT") && strcmp(tok[1], "DROP") &&
				    strcmp(tok[1], "-")) {
					rc = fail(&c, "ポリシーは ACCEPT か DROP です (bad policy)",
						  tok[1]);
					goto done;
				}
				rs->chains[ci].policy_drop = !strcmp(tok[1], "DROP");
				continue;
			}
			if (!strcmp(tok[0], "-A") || !strcmp(tok[0], "--append")) {
				if (pass == 0 || skip_table)
					continue;
				if ((rc = read_rule(&c, tok, n)))
					goto done;
				continue;
			}
			rc = fail(&c, "行を読めません (unreadable line)", tok[0]);
			goto done;
		}
		if (in_table) {
			rc = fail(&c, "最後の表に COMMIT がありません (missing COMMIT)", NULL);
			goto done;
		}
	}
	if (!seen)
		rc = fail(&c, "iptables-save の出力ではありません (no *table line)", NULL);
done:
	free(line);
	free(tok);
	return rc;
}
