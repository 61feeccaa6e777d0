/* check_plugins.c: what PlexiChat checks of a plugin before anything of
 * it runs: SemVer versions (the specification's precedence examples),
 * ranges as npm writes them, the manifest, Ed25519 signatures (RFC 8032
 * test vectors) and dependency resolution. */
#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/codec.h"
#include "plugins/px_pl_catalog.h"
#include "plugins/px_pl_manifest.h"
#include "plugins/px_pl_pkg.h"
#include "plugins/px_pl_resolve.h"
#include "plugins/px_pl_semver.h"
#include "plugins/px_pl_sig.h"
#include "tests/unit/run_suite.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* --- versions --------------------------------------------------------------- */

static const struct {
	int line;
	const char *s;
	int ok;
} ver_cases[] = {
	{ __LINE__, "0.0.0", 1 },
	{ __LINE__, "1.2.3", 1 },
	{ __LINE__, "10.20.30", 1 },
	{ __LINE__, "1.0.0-alpha", 1 },
	{ __LINE__, "1.0.0-alpha.1", 1 },
	{ __LINE__, "1.0.0-0.3.7", 1 },
	{ __LINE__, "1.0.0-x.7.z.92", 1 },
	{ __LINE__, "1.0.0-x-y-z.--", 1 },
	{ __LINE__, "1.0.0+20130313144700", 1 },
	{ __LINE__, "1.0.0-beta+exp.sha.5114f85", 1 },
	{ __LINE__, "1.0.0+21AF26D3----117B344092BD", 1 },
	{ __LINE__, "18446744073709551615.0.0", 1 },
	{ __LINE__, "18446744073709551616.0.0", 0 },
	{ __LINE__, "", 0 },
	{ __LINE__, "1", 0 },
	{ __LINE__, "1.2", 0 },
	{ __LINE__, "1.2.3.4", 0 },
	{ __LINE__, "v1.2.3", 0 },
	{ __LINE__, "01.2.3", 0 },
	{ __LINE__, "1.02.3", 0 },
	{ __LINE__, "1.2.03", 0 },
	{ __LINE__, "1.2.3-01", 0 },
	{ __LINE__, "1.2.3-", 0 },
	{ __LINE__, "1.2.3-a..b", 0 },
	{ __LINE__, "1.2.3+", 0 },
	{ __LINE__, "1.2.3 ", 0 },
	{ __LINE__, "1.2.3-a_b", 0 },
	{ __LINE__, "-1.2.3", 0 },
};

START_TEST(test_version_parse)
{
	for (size_t i = 0; i < N(ver_cases); i++) {
		struct px_pl_ver v;
		int ok = px_pl_ver_parse(ver_cases[i].s, &v) == 0;

		ck_assert_msg(ok == ver_cases[i].ok, "line %d: \"%s\": want %s", ver_cases[i].line,
			      ver_cases[i].s, ver_cases[i].ok ? "a version" : "refused");
	}
}
END_TEST

START_TEST(test_version_order)
{
	/* SemVer 2.0.0 section 11, in increasing order; build metadata ignored */
	static const char *const order[] = {
		"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
		"1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "1.9.0", "1.10.0",
		"2.0.0", "2.1.0", "2.1.1", "10.0.0",
	};
	struct px_pl_ver a, b;
	char out[80];

	for (size_t i = 0; i < N(order); i++)
		for (size_t j = 0; j < N(order); j++) {
			int c;

			ck_assert(px_pl_ver_parse(order[i], &a) == 0);
			ck_assert(px_pl_ver_parse(order[j], &b) == 0);
			c = px_pl_ver_cmp(&a, &b);
			ck_assert_msg(i < j ? c < 0 : i > j ? c > 0 : c == 0, "%s vs %s: %d", order[i],
				      order[j], c);
		}
	ck_assert(px_pl_ver_parse("1.0.0+build.1", &a) == 0 && px_pl_ver_parse("1.0.0", &b) == 0);
	ck_assert_int_eq(px_pl_ver_cmp(&a, &b), 0);
	ck_assert(px_pl_ver_parse("1.0.0-rc.1+b", &a) == 0);
	px_pl_ver_format(&a, out, sizeof(out));
	ck_assert_str_eq(out, "1.0.0-rc.1");
}
END_TEST

/* --- ranges ----------------------------------------------------------------- */

static const struct {
	int line;
	const char *range, *ver;
	int match;
} range_cases[] = {
	{ __LINE__, "1.2.3", "1.2.3", 1 },
	{ __LINE__, "=1.2.3", "1.2.4", 0 },
	{ __LINE__, "^1.2.3", "1.9.9", 1 },
	{ __LINE__, "^1.2.3", "2.0.0", 0 },
	{ __LINE__, "^1.2.3", "1.2.2", 0 },
	{ __LINE__, "^0.2.3", "0.2.9", 1 },
	{ __LINE__, "^0.2.3", "0.3.0", 0 },
	{ __LINE__, "^0.0.3", "0.0.3", 1 },
	{ __LINE__, "^0.0.3", "0.0.4", 0 },
	{ __LINE__, "^0.0", "0.0.9", 1 },
	{ __LINE__, "^0.0", "0.1.0", 0 },
	{ __LINE__, "^0", "0.9.9", 1 },
	{ __LINE__, "^0", "1.0.0", 0 },
	{ __LINE__, "^1.2", "1.2.0", 1 },
	{ __LINE__, "~1.2.3", "1.2.9", 1 },
	{ __LINE__, "~1.2.3", "1.3.0", 0 },
	{ __LINE__, "~1", "1.9.0", 1 },
	{ __LINE__, "~1", "2.0.0", 0 },
	{ __LINE__, "1.2.x", "1.2.7", 1 },
	{ __LINE__, "1.2.x", "1.3.0", 0 },
	{ __LINE__, "1.x", "1.99.0", 1 },
	{ __LINE__, "1", "2.0.0", 0 },
	{ __LINE__, "*", "3.4.5", 1 },
	{ __LINE__, "", "0.0.1", 1 },
	{ __LINE__, ">=1.0.0 <2.0.0", "1.5.0", 1 },
	{ __LINE__, ">=1.0.0 <2.0.0", "2.0.0", 0 },
	{ __LINE__, ">= 1.0.0 < 2.0.0", "1.0.0", 1 },
	{ __LINE__, ">1.2", "1.2.9", 0 },
	{ __LINE__, ">1.2", "1.3.0", 1 },
	{ __LINE__, "<=1.2", "1.2.9", 1 },
	{ __LINE__, "<=1.2", "1.3.0", 0 },
	{ __LINE__, "<1.2", "1.1.9", 1 },
	{ __LINE__, "<1.2", "1.2.0", 0 },
	{ __LINE__, "1.2.3 - 2.3.4", "2.3.4", 1 },
	{ __LINE__, "1.2.3 - 2.3.4", "2.3.5", 0 },
	{ __LINE__, "1.2 - 2.3", "2.3.9", 1 },
	{ __LINE__, "1.2 - 2.3", "2.4.0", 0 },
	{ __LINE__, "^1.0.0 || ^3.0.0", "3.1.0", 1 },
	{ __LINE__, "^1.0.0 || ^3.0.0", "2.1.0", 0 },
	/* pre-releases only where a comparator names one of the same version */
	{ __LINE__, "^1.2.0", "2.0.0-beta", 0 },
	{ __LINE__, "^1.2.0", "1.3.0-beta", 0 },
	{ __LINE__, ">=1.2.3-alpha.3", "1.2.3-alpha.7", 1 },
	{ __LINE__, ">=1.2.3-alpha.3", "1.2.3-alpha.1", 0 },
	{ __LINE__, ">=1.2.3-alpha.3", "3.4.5-alpha.9", 0 },
	{ __LINE__, ">=1.2.3-alpha.3", "3.4.5", 1 },
};

static const char *const bad_ranges[] = {
	"^", ">=", "1.2.3.4", "1.x.3", "^01.2.3", "1.2.3 -", "=>1.0.0", "<<1", "~>1.0",
	"1.2.3-", "a.b.c", "1 - 2 - 3",
	"1||2||3||4||5||6||7||8||9",
	"1 1 1 1 1 1 1 1 1",
};

START_TEST(test_ranges)
{
	for (size_t i = 0; i < N(range_cases); i++) {
		struct px_pl_range r;
		struct px_pl_ver v;

		ck_assert_msg(px_pl_range_parse(range_cases[i].range, &r) == 0, "line %d: \"%s\" refused",
			      range_cases[i].line, range_cases[i].range);
		ck_assert(px_pl_ver_parse(range_cases[i].ver, &v) == 0);
		ck_assert_msg(px_pl_range_match(&r, &v) == range_cases[i].match,
			      "line %d: %s in \"%s\": want %d", range_cases[i].line, range_cases[i].ver,
			      range_cases[i].range, range_cases[i].match);
	}
	for (size_t i = 0; i < N(bad_ranges); i++) {
		struct px_pl_range r;

		ck_assert_msg(px_pl_range_parse(bad_ranges[i], &r) != 0, "\"%s\" accepted", bad_ranges[i]);
	}
}
END_TEST

/* --- signatures ------------------------------------------------------------- */

/* RFC 8032 section 7.1, TEST 1 to 3: secret key, public key, message, signature. */
static const struct {
	int line;
	const char *seed, *pub, *msg, *sig;
} ed_cases[] = {
	{ __LINE__, "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
	  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
	  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
	  "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
	{ __LINE__, "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
	  "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
	  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
	  "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
	{ __LINE__, "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
	  "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
	  "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
	  "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a" },
};

static void unhex(const char *h, struct px_buf *out)
{
	px_buf_reset(out);
	ck_assert(px_codec_hex_decode(h, strlen(h), out) == 0);
}

START_TEST(test_ed25519_vectors)
{
	struct px_buf seed = PX_BUF_INIT, pub = PX_BUF_INIT, msg = PX_BUF_INIT, sig = PX_BUF_INIT;
	unsigned char got[PX_PL_SIG_LEN], key[PX_PL_KEY_LEN];

	for (size_t i = 0; i < N(ed_cases); i++) {
		unhex(ed_cases[i].seed, &seed);
		unhex(ed_cases[i].pub, &pub);
		unhex(ed_cases[i].msg, &msg);
		unhex(ed_cases[i].sig, &sig);
		ck_assert(px_pl_sig_public((unsigned char *)seed.data, key) == 0);
		ck_assert_msg(memcmp(key, pub.data, PX_PL_KEY_LEN) == 0, "line %d: public key",
			      ed_cases[i].line);
		ck_assert(px_pl_sig_sign((unsigned char *)seed.data, msg.data, msg.len, got) == 0);
		ck_assert_msg(memcmp(got, sig.data, PX_PL_SIG_LEN) == 0, "line %d: signature",
			      ed_cases[i].line);
		ck_assert_msg(px_pl_sig_verify((unsigned char *)pub.data, msg.data, msg.len,
					       (unsigned char *)sig.data) == 1,
			      "line %d: not verified", ed_cases[i].line);
		/* one bit off anywhere: refused */
		got[i * 7] ^= 0x01;
		ck_assert(px_pl_sig_verify((unsigned char *)pub.data, msg.data, msg.len, got) == 0);
		if (msg.len) {
			msg.data[0] ^= 0x80;
			ck_assert(px_pl_sig_verify((unsigned char *)pub.data, msg.data, msg.len,
						   (unsigned char *)sig.data) == 0);
		}
	}
	px_buf_free(&seed);
	px_buf_free(&pub);
	px_buf_free(&msg);
	px_buf_free(&sig);
}
END_TEST

START_TEST(test_key_text)
{
	unsigned char seed[PX_PL_KEY_LEN], pub[PX_PL_KEY_LEN], back[PX_PL_KEY_LEN], s[PX_PL_SIG_LEN];
	struct px_buf t = PX_BUF_INIT;

	ck_assert(px_pl_sig_keygen(seed, pub) == 0);
	px_codec_b64_encode(&t, pub, sizeof(pub), PX_CODEC_B64_PAD);
	px_buf_puts(&t, "\n");
	ck_assert(px_pl_sig_decode(t.data, back, sizeof(back)) == 0);
	ck_assert(memcmp(back, pub, sizeof(pub)) == 0);
	ck_assert(px_pl_sig_decode("AAAA", back, sizeof(back)) != 0);      /* too short */
	ck_assert(px_pl_sig_decode("not base64!", back, sizeof(back)) != 0);
	ck_assert(px_pl_sig_sign(seed, "pkg", 3, s) == 0);
	ck_assert(px_pl_sig_verify(pub, "pkg", 3, s) == 1);
	ck_assert(px_pl_sig_verify(pub, "pkh", 3, s) == 0);
	px_buf_free(&t);
}
END_TEST

/* --- manifests -------------------------------------------------------------- */

#define GOOD_PROC "\"name\":\"poll\",\"version\":\"1.4.0\",\"kind\":\"process\",\"protocol\":1," \
		  "\"entry\":\"bin/poll\""

static const struct {
	int line;
	const char *json;
	const char *err; /* NULL: accepted; else the start of the reason */
} man_cases[] = {
	{ __LINE__, "{" GOOD_PROC "}", NULL },
	{ __LINE__, "{\"name\":\"word-filter\",\"version\":\"2.0.0-rc.1\",\"kind\":\"inproc\",\"abi\":1,"
		    "\"entry\":\"word_filter.so\",\"hooks\":[\"message.before_store\"],"
		    "\"permissions\":[\"messages.read\",\"messages.modify\"],\"failure\":\"closed\","
		    "\"settings\":[{\"key\":\"words\",\"type\":\"string\",\"label\":\"Words\"},"
		    "{\"key\":\"mode\",\"type\":\"enum\",\"label\":\"Mode\",\"options\":\"mask|reject\"}]}", NULL },
	{ __LINE__, "{" GOOD_PROC ",\"hooks\":[\"command:/poll\",\"event.message\",\"schedule\",\"route\"],"
		    "\"permissions\":[\"messages.read\",\"messages.post\"],\"schedule_seconds\":60,"
		    "\"dependencies\":{\"base\":\"^1.2.0 || ^2\"},\"memory_mb\":32,\"call_timeout_ms\":100}", NULL },
	{ __LINE__, "{" GOOD_PROC ",\"extra\":1}", "extra: unknown field" },
	{ __LINE__, "{\"version\":\"1.0.0\",\"kind\":\"process\",\"protocol\":1,\"entry\":\"x\"}",
	  "manifest: name, version" },
	{ __LINE__, "{" GOOD_PROC ",\"name\":\"Poll\"}", "name:" },
	{ __LINE__, "{" GOOD_PROC ",\"name\":\"poll-\"}", "name:" },
	{ __LINE__, "{" GOOD_PROC ",\"version\":\"1.4\"}", "version: not SemVer" },
	{ __LINE__, "{" GOOD_PROC ",\"entry\":\"../../bin/sh\"}", "entry:" },
	{ __LINE__, "{" GOOD_PROC ",\"entry\":\"/bin/sh\"}", "entry:" },
	{ __LINE__, "{" GOOD_PROC ",\"entry\":\"bin/./poll\"}", "entry:" },
	{ __LINE__, "{" GOOD_PROC ",\"protocol\":2}", "protocol: built for 2" },
	{ __LINE__, "{\"name\":\"x\",\"version\":\"1.0.0\",\"kind\":\"inproc\",\"abi\":7,\"entry\":\"x.so\"}",
	  "abi: built for 7" },
	{ __LINE__, "{\"name\":\"x\",\"version\":\"1.0.0\",\"kind\":\"inproc\",\"protocol\":1,"
		    "\"entry\":\"x.so\"}", "abi:" },
	{ __LINE__, "{" GOOD_PROC ",\"kind\":\"shell\"}", "kind:" },
	{ __LINE__, "{" GOOD_PROC ",\"hooks\":[\"message.before_store\"]}", "hooks: message.before_store needs" },
	{ __LINE__, "{" GOOD_PROC ",\"hooks\":[\"event.member\"]}", "hooks: an event hook needs" },
	{ __LINE__, "{" GOOD_PROC ",\"hooks\":[\"event.typing\"]}", "hooks: unknown event" },
	{ __LINE__, "{" GOOD_PROC ",\"hooks\":[\"exec\"]}", "hooks: unknown hook" },
	{ __LINE__, "{" GOOD_PROC ",\"hooks\":[\"route\",\"route\"]}", "hooks: listed twice" },
	{ __LINE__, "{" GOOD_PROC ",\"hooks\":[\"schedule\"]}", "schedule_seconds:" },
	{ __LINE__, "{" GOOD_PROC ",\"permissions\":[\"root\"]}", "permissions: unknown" },
	{ __LINE__, "{" GOOD_PROC ",\"permissions\":\"network\"}", "permissions: must be" },
	{ __LINE__, "{" GOOD_PROC ",\"dependencies\":{\"poll\":\"*\"}}", "dependencies: a plugin cannot" },
	{ __LINE__, "{" GOOD_PROC ",\"dependencies\":{\"base\":\"^^1\"}}", "dependencies: not a version" },
	{ __LINE__, "{" GOOD_PROC ",\"memory_mb\":100000}", "memory_mb: must be between" },
	{ __LINE__, "{" GOOD_PROC ",\"memory_mb\":\"64\"}", "memory_mb: must be an integer" },
	{ __LINE__, "{" GOOD_PROC ",\"settings\":[{\"key\":\"m\",\"type\":\"enum\",\"label\":\"M\"}]}",
	  "settings.options:" },
	{ __LINE__, "{" GOOD_PROC "} {}", "manifest: not one JSON object" },
	{ __LINE__, "[1]", "manifest: not one JSON object" },
	{ __LINE__, "{\"name\":\"a\\u0000b\",\"version\":\"1.0.0\"}", "name:" },
	{ __LINE__, "{" GOOD_PROC ",\"permissions\":[\"storage\"],\"migrations\":[{\"up\":\"sql/1.sql\","
		    "\"down\":\"sql/1.down.sql\"},{\"up\":\"sql/2.sql\"}]}", NULL },
	{ __LINE__, "{" GOOD_PROC ",\"migrations\":[{\"up\":\"sql/1.sql\"}]}",
	  "migrations: data migrations need the permission \"storage\"" },
	{ __LINE__, "{" GOOD_PROC ",\"permissions\":[\"storage\"],\"migrations\":[{\"up\":\"../x.sql\"}]}",
	  "migrations: up and down" },
	{ __LINE__, "{" GOOD_PROC ",\"permissions\":[\"storage\"],\"migrations\":[{\"down\":\"x.sql\"}]}",
	  "migrations: up and down" },
	{ __LINE__, "{" GOOD_PROC ",\"permissions\":[\"storage\"],\"migrations\":[{\"up\":\"x\",\"run\":1}]}",
	  "migrations: unknown field" },
	{ __LINE__, "{" GOOD_PROC ",\"permissions\":[\"storage\"],\"migrations\":{}}",
	  "migrations: must be an array" },
};

START_TEST(test_manifest)
{
	for (size_t i = 0; i < N(man_cases); i++) {
		struct px_buf err = PX_BUF_INIT;
		struct px_pl_manifest m;
		int rc = px_pl_manifest_parse(man_cases[i].json, strlen(man_cases[i].json), &m, &err);

		if (!man_cases[i].err)
			ck_assert_msg(rc == 0, "line %d: refused: %s", man_cases[i].line,
				      err.data ? err.data : "");
		else
			ck_assert_msg(rc != 0 && err.data &&
					      !strncmp(err.data, man_cases[i].err, strlen(man_cases[i].err)),
				      "line %d: want \"%s...\", got %s", man_cases[i].line, man_cases[i].err,
				      rc ? (err.data ? err.data : "(no reason)") : "accepted");
		px_buf_free(&err);
	}
}
END_TEST

START_TEST(test_manifest_fields)
{
	const char *j = man_cases[2].json;
	struct px_buf err = PX_BUF_INIT;
	struct px_pl_manifest m;
	struct px_pl_ver v;

	ck_assert(px_pl_manifest_parse(j, strlen(j), &m, &err) == 0);
	ck_assert_str_eq(m.name, "poll");
	ck_assert(m.kind == PX_PL_PROCESS && m.abi == PX_PL_PROTOCOL);
	ck_assert_int_eq(m.nhooks, 4);
	ck_assert(m.hooks[0].hook == PX_PL_HOOK_COMMAND && !strcmp(m.hooks[0].arg, "poll"));
	ck_assert(m.hooks[1].hook == PX_PL_HOOK_EVENT && !strcmp(m.hooks[1].arg, "message"));
	ck_assert(m.perms == (PX_PL_PERM_MESSAGES_READ | PX_PL_PERM_MESSAGES_POST));
	ck_assert(!(m.perms & PX_PL_PERM_NETWORK));
	ck_assert_int_eq(m.ndeps, 1);
	ck_assert(px_pl_ver_parse("2.9.0", &v) == 0 && px_pl_range_match(&m.deps[0].range, &v));
	ck_assert(px_pl_ver_parse("1.1.0", &v) == 0 && !px_pl_range_match(&m.deps[0].range, &v));
	ck_assert_int_eq(m.memory_mb, 32);
	ck_assert_int_eq(m.open_files, 32);  /* the default */
	ck_assert_int_eq(m.call_timeout_ms, 100);
	ck_assert_int_eq(m.fail_closed, 0);
	px_buf_free(&err);
}
END_TEST

/* --- dependency resolution ------------------------------------------------- */

/* A manifest of name at version with deps "dep:range" (NULL-ended). */
static struct px_pl_manifest *mk(const char *name, const char *ver, ...)
{
	struct px_pl_manifest *m = calloc(1, sizeof(*m));
	const char *d;
	va_list ap;

	ck_assert(m != NULL);
	snprintf(m->name, sizeof(m->name), "%s", name);
	ck_assert(px_pl_ver_parse(ver, &m->version) == 0);
	va_start(ap, ver);
	while ((d = va_arg(ap, const char *))) {
		struct px_pl_dep *dep = &m->deps[m->ndeps++];
		const char *colon = strchr(d, ':');

		snprintf(dep->name, sizeof(dep->name), "%.*s", (int)(colon - d), d);
		snprintf(dep->text, sizeof(dep->text), "%s", colon + 1);
		ck_assert(px_pl_range_parse(dep->text, &dep->range) == 0);
	}
	va_end(ap);
	return m;
}

static const char *plan_text(const struct px_pl_plan *p, char *out, size_t n)
{
	size_t at = 0;

	out[0] = '\0';
	for (int i = 0; i < p->n && at < n; i++) {
		char v[64];

		px_pl_ver_format(&p->pick[i].m->version, v, sizeof(v));
		at += (size_t)snprintf(out + at, n - at, "%s%s@%s%s", i ? " " : "", p->pick[i].m->name, v,
				       p->pick[i].installed ? "(kept)" : "");
	}
	return out;
}

/* Resolves want@range and checks the plan (sorted words) or the reason. */
static void expect_resolve(int line, struct px_pl_manifest **inst, int ni, struct px_pl_manifest **av,
			   int na, const char *want, const char *range, const char *plan,
			   const char *why)
{
	struct px_buf w = PX_BUF_INIT;
	struct px_pl_plan p;
	char got[512];
	int rc;

	rc = px_pl_resolve((const struct px_pl_manifest *const *)inst, ni,
			   (const struct px_pl_manifest *const *)av, na, want, range, &p, &w);
	if (plan)
		ck_assert_msg(rc == 0 && !strcmp(plan_text(&p, got, sizeof(got)), plan),
			      "line %d: want %s, got %s", line, plan,
			      rc ? (w.data ? w.data : "(no reason)") : got);
	else
		ck_assert_msg(rc != 0 && w.data && strstr(w.data, why), "line %d: want \"%s\", got %s", line,
			      why, rc ? (w.data ? w.data : "(no reason)") : plan_text(&p, got, sizeof(got)));
	px_buf_free(&w);
}

START_TEST(test_resolve)
{
	struct px_pl_manifest *base11 = mk("base", "1.1.0", NULL), *base13 = mk("base", "1.3.0", NULL),
			      *base20 = mk("base", "2.0.0", NULL),
			      *poll = mk("poll", "1.4.0", "base:^1.2", NULL),
			      *poll15 = mk("poll", "1.5.0-beta.1", "base:^1.2", NULL),
			      *charts = mk("charts", "1.0.0", "base:~1.3", "poll:*", NULL),
			      *lonely = mk("lonely", "1.0.0", "ghost:*", NULL),
			      *a = mk("a", "1.0.0", "b:*", NULL), *b = mk("b", "1.0.0", "a:*", NULL),
			      *app11 = mk("app", "1.1.0", "lib:^2", NULL),
			      *app10 = mk("app", "1.0.0", "lib:^1", NULL), *lib1 = mk("lib", "1.9.0", NULL);
	struct px_pl_manifest *av[] = { base11, base13, base20, poll, poll15, charts, lonely, a, b,
					app11, app10, lib1 };
	struct px_pl_manifest *inst_old[] = { base11 }, *inst_poll[] = { base13, poll },
			      *inst_all[] = { base13, poll, charts };
	struct px_buf w = PX_BUF_INIT;

	/* a missing dependency comes from the available versions, newest in range */
	expect_resolve(__LINE__, NULL, 0, av, 12, "poll", "*", "poll@1.4.0 base@1.3.0", NULL);
	/* a pre-release only when asked for by name */
	expect_resolve(__LINE__, NULL, 0, av, 12, "poll", ">=1.5.0-beta.1", "poll@1.5.0-beta.1 base@1.3.0",
		       NULL);
	/* an installed dependency stays as it is: explained, nothing picked */
	expect_resolve(__LINE__, inst_old, 1, av, 12, "poll", "^1", NULL,
		       "base 1.1.0 is installed, but poll 1.4.0 needs base ^1.2");
	/* an upgrade that breaks an installed plugin is refused */
	expect_resolve(__LINE__, inst_poll, 2, av, 12, "base", "2.0.0", NULL,
		       "poll 1.4.0 needs base ^1.2, but base 2.0.0 is chosen because base 2.0.0 was asked for");
	/* an upgrade within every range goes through; the others are kept */
	expect_resolve(__LINE__, inst_all, 3, av, 12, "poll", "1.4.0",
		       "poll@1.4.0(kept) base@1.3.0(kept) charts@1.0.0(kept)", NULL);
	expect_resolve(__LINE__, NULL, 0, av, 12, "lonely", "*", NULL,
		       "lonely 1.0.0 needs ghost *, and ghost is neither installed nor available");
	expect_resolve(__LINE__, NULL, 0, av, 12, "poll", "^3", NULL,
		       "no available version of poll is in that range");
	expect_resolve(__LINE__, NULL, 0, av, 12, "a", "*", NULL, "a -> b -> a: a dependency cycle");
	expect_resolve(__LINE__, NULL, 0, av, 12, "a", "^^", NULL, "^^: not a version range");
	/* the newest app needs a lib that does not exist: the older one is taken */
	expect_resolve(__LINE__, NULL, 0, av, 12, "app", "^1", "app@1.0.0 lib@1.9.0", NULL);

	ck_assert(px_pl_resolve_remove((const struct px_pl_manifest *const *)inst_all, 3, "charts", &w) == 0);
	ck_assert(px_pl_resolve_remove((const struct px_pl_manifest *const *)inst_all, 3, "base", &w) != 0);
	ck_assert_msg(w.data && strstr(w.data, "poll 1.4.0 needs base ^1.2"), "%s", w.data ? w.data : "");
	px_buf_free(&w);
	for (size_t i = 0; i < N(av); i++)
		free(av[i]);
}
END_TEST

/* --- packages --------------------------------------------------------------- */

#define POLL_MANIFEST "{\"name\":\"poll\",\"version\":\"1.0.0\",\"kind\":\"process\",\"protocol\":1," \
		      "\"entry\":\"bin/poll\"}"

struct ent {
	const char *name;
	mode_t type;       /* AE_IFREG, AE_IFDIR, AE_IFLNK; 0 ends the list */
	int mode;
	const char *data;  /* file contents, or a link's target */
	int hardlink;
};

/* A gzip'ed ustar archive of ents, in *out (malloc'ed), *n bytes. */
static void tarball(const struct ent *ents, void **out, size_t *n)
{
	struct archive *a = archive_write_new();
	size_t cap = 1 << 20, used = 0;
	void *buf = malloc(cap);

	ck_assert(a && buf);
	ck_assert(archive_write_set_format_pax_restricted(a) == ARCHIVE_OK);
	ck_assert(archive_write_add_filter_gzip(a) == ARCHIVE_OK);
	ck_assert(archive_write_open_memory(a, buf, cap, &used) == ARCHIVE_OK);
	for (; ents->type; ents++) {
		struct archive_entry *e = archive_entry_new();
		size_t len = ents->data && ents->type == AE_IFREG && !ents->hardlink ? strlen(ents->data) : 0;

		archive_entry_set_pathname(e, ents->name);
		archive_entry_set_filetype(e, ents->type);
		archive_entry_set_perm(e, ents->mode);
		archive_entry_set_size(e, (la_int64_t)len);
		if (ents->type == AE_IFLNK)
			archive_entry_set_symlink(e, ents->data);
		if (ents->hardlink)
			archive_entry_set_hardlink(e, ents->data);
		ck_assert(archive_write_header(a, e) == ARCHIVE_OK);
		if (len)
			ck_assert(archive_write_data(a, ents->data, len) == (la_ssize_t)len);
		archive_entry_free(e);
	}
	ck_assert(archive_write_close(a) == ARCHIVE_OK);
	archive_write_free(a);
	*out = buf;
	*n = used;
}

static const struct ent good_pkg[] = {
	{ "plugin.json", AE_IFREG, 0644, POLL_MANIFEST, 0 },
	{ "bin", AE_IFDIR, 0755, NULL, 0 },
	{ "bin/poll", AE_IFREG, 0755, "#!/bin/sh\necho poll\n", 0 },
	{ "./migrations/001_votes.up.sql", AE_IFREG, 0644, "CREATE TABLE votes (id int);", 0 },
	{ NULL, 0, 0, NULL, 0 },
};

static const struct {
	int line;
	struct ent e[4];
	const char *err;
} bad_pkgs[] = {
	{ __LINE__, { { "plugin.json", AE_IFREG, 0644, POLL_MANIFEST, 0 },
		      { "../evil", AE_IFREG, 0644, "x", 0 } }, "not a plain relative name" },
	{ __LINE__, { { "plugin.json", AE_IFREG, 0644, POLL_MANIFEST, 0 },
		      { "/etc/cron.d/x", AE_IFREG, 0644, "x", 0 } }, "not a plain relative name" },
	{ __LINE__, { { "plugin.json", AE_IFREG, 0644, POLL_MANIFEST, 0 },
		      { "bin/../../x", AE_IFREG, 0644, "x", 0 } }, "not a plain relative name" },
	{ __LINE__, { { "plugin.json", AE_IFREG, 0644, POLL_MANIFEST, 0 },
		      { "bin/poll", AE_IFLNK, 0777, "/bin/sh", 0 } }, "only files and folders" },
	{ __LINE__, { { "plugin.json", AE_IFREG, 0644, POLL_MANIFEST, 0 },
		      { "bin/poll", AE_IFREG, 0644, "plugin.json", 1 } }, "only files and folders" },
	{ __LINE__, { { "plugin.json", AE_IFREG, 0644, POLL_MANIFEST, 0 } }, "the entry point bin/poll" },
	{ __LINE__, { { "bin/poll", AE_IFREG, 0755, "x", 0 } }, "no plugin.json" },
	{ __LINE__, { { "plugin.json", AE_IFREG, 0644, "{\"name\":1}", 0 } }, "name: must be a string" },
};

START_TEST(test_packages)
{
	char dir[] = "/tmp/px-plugin-XXXXXX", sub[64], path[128];
	struct px_pl_manifest m;
	struct px_buf err = PX_BUF_INIT;
	struct stat st;
	size_t n;
	void *p;

	tarball(good_pkg, &p, &n);
	ck_assert_msg(px_pl_pkg_inspect(p, n, &m, NULL, &err) == 0, "%s", err.data ? err.data : "");
	ck_assert_str_eq(m.name, "poll");
	ck_assert(mkdtemp(dir) != NULL);
	snprintf(sub, sizeof(sub), "%s/poll-1.0.0", dir);
	ck_assert_msg(px_pl_pkg_unpack(p, n, sub, &err) == 0, "%s", err.data ? err.data : "");
	snprintf(path, sizeof(path), "%s/bin/poll", sub);
	ck_assert(stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0755);
	snprintf(path, sizeof(path), "%s/migrations/001_votes.up.sql", sub);
	ck_assert(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644 && st.st_size == 28);
	/* the target must be new */
	ck_assert(px_pl_pkg_unpack(p, n, sub, &err) != 0);
	/* a cut package is damaged, not half unpacked */
	px_buf_reset(&err);
	snprintf(sub, sizeof(sub), "%s/cut", dir);
	ck_assert(px_pl_pkg_unpack(p, n / 2, sub, &err) != 0);
	ck_assert(access(sub, F_OK) != 0);
	free(p);
	for (size_t i = 0; i < N(bad_pkgs); i++) {
		px_buf_reset(&err);
		tarball(bad_pkgs[i].e, &p, &n);
		snprintf(sub, sizeof(sub), "%s/bad%zu", dir, i);
		ck_assert_msg(px_pl_pkg_unpack(p, n, sub, &err) != 0 && err.data &&
				      strstr(err.data, bad_pkgs[i].err),
			      "line %d: want %s, got %s", bad_pkgs[i].line, bad_pkgs[i].err,
			      err.data ? err.data : "accepted");
		ck_assert_msg(access(sub, F_OK) != 0, "line %d: left %s", bad_pkgs[i].line, sub);
		free(p);
	}
	ck_assert(px_pl_pkg_rmtree(dir) == 0);
	ck_assert(access(dir, F_OK) != 0);
	px_buf_free(&err);
}
END_TEST

/* --- catalogues -------------------------------------------------------------- */

#define CAT_MANIFEST "{\"name\":\"poll\",\"version\":\"1.0.0\",\"kind\":\"process\",\"protocol\":1," \
		     "\"entry\":\"bin/poll\"}"
#define CAT_SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define CAT_SIG "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="
#define CAT_ENTRY(url) "{\"manifest\":" CAT_MANIFEST ",\"url\":\"" url "\",\"sha256\":\"" CAT_SHA \
		       "\",\"signature\":\"" CAT_SIG "\"}"

static const struct {
	int line;
	const char *json, *want; /* want: the package URL, or the start of the reason */
	int ok;
} cat_cases[] = {
	{ __LINE__, "{\"plugins\":[" CAT_ENTRY("poll-1.0.0.tar.gz") "]}",
	  "https://plugins.example.org/stable/poll-1.0.0.tar.gz", 1 },
	{ __LINE__, "{\"plugins\":[" CAT_ENTRY("https://cdn.example.org/p.tar.gz") "]}",
	  "https://cdn.example.org/p.tar.gz", 1 },
	{ __LINE__, "{\"plugins\":[" CAT_ENTRY("http://cdn.example.org/p.tar.gz") "]}", "plugins[0].url:", 0 },
	{ __LINE__, "{\"plugins\":[" CAT_ENTRY("../p.tar.gz") "]}", "plugins[0].url:", 0 },
	{ __LINE__, "{\"plugins\":[" CAT_ENTRY("/etc/p.tar.gz") "]}", "plugins[0].url:", 0 },
	{ __LINE__, "{\"plugins\":[{\"manifest\":" CAT_MANIFEST ",\"url\":\"p.tgz\",\"sha256\":\"xyz\","
		    "\"signature\":\"" CAT_SIG "\"}]}", "plugins[0].sha256:", 0 },
	{ __LINE__, "{\"plugins\":[{\"manifest\":" CAT_MANIFEST ",\"url\":\"p.tgz\",\"sha256\":\"" CAT_SHA
		    "\",\"signature\":\"AAAA\"}]}", "plugins[0].signature:", 0 },
	{ __LINE__, "{\"plugins\":[{\"manifest\":{\"name\":\"x\"},\"url\":\"p.tgz\",\"sha256\":\"" CAT_SHA
		    "\",\"signature\":\"" CAT_SIG "\"}]}", "plugins[0].manifest:", 0 },
	{ __LINE__, "{\"plugins\":[{\"url\":\"p.tgz\"}]}", "plugins[0].: manifest, url", 0 },
	{ __LINE__, "{\"plugins\":[" CAT_ENTRY("p.tgz") ",{\"extra\":1}]}", "plugins[1].extra:", 0 },
	{ __LINE__, "[]", "index:", 0 },
};

START_TEST(test_catalog)
{
	for (size_t i = 0; i < N(cat_cases); i++) {
		struct px_pl_catalog c = { 0, NULL };
		struct px_buf err = PX_BUF_INIT;
		int rc = px_pl_catalog_parse(cat_cases[i].json, strlen(cat_cases[i].json),
					     "https://plugins.example.org/stable/index.json", &c, &err);

		if (cat_cases[i].ok)
			ck_assert_msg(rc == 0 && c.n == 1 && !strcmp(c.v[0].url, cat_cases[i].want),
				      "line %d: %s", cat_cases[i].line,
				      rc ? (err.data ? err.data : "refused") : c.v[0].url);
		else
			ck_assert_msg(rc != 0 && c.n == 0 && err.data &&
					      !strncmp(err.data, cat_cases[i].want, strlen(cat_cases[i].want)),
				      "line %d: want %s, got %s", cat_cases[i].line, cat_cases[i].want,
				      rc ? (err.data ? err.data : "(no reason)") : "accepted");
		px_pl_catalog_free(&c);
		px_buf_free(&err);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("plugins");
	TCase *t = tcase_create("semver");

	tcase_add_test(t, test_version_parse);
	tcase_add_test(t, test_version_order);
	tcase_add_test(t, test_ranges);
	suite_add_tcase(s, t);
	t = tcase_create("manifest");
	tcase_add_test(t, test_manifest);
	tcase_add_test(t, test_manifest_fields);
	suite_add_tcase(s, t);
	t = tcase_create("resolve");
	tcase_add_test(t, test_resolve);
	suite_add_tcase(s, t);
	t = tcase_create("packages");
	tcase_add_test(t, test_packages);
	suite_add_tcase(s, t);
	t = tcase_create("catalogues");
	tcase_add_test(t, test_catalog);
	suite_add_tcase(s, t);
	t = tcase_create("signatures");
	tcase_add_test(t, test_ed25519_vectors);
	tcase_add_test(t, test_key_text);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return px_check_run(suite(), CK_FORK_GETENV);
}
