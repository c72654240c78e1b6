/* imap-probe: drives one imap_conn through a list of commands so that the
 * transcript tests (run_transcript.py + fakeserver.py) can observe the
 * client from both ends.  Output is one line per result, stable and easy to
 * match with regular expressions:
 *
 *   LIST <flags-hex> <delim-or-NIL> <raw name bytes>
 *   HIGHESTMODSEQ N                 (after EXAMINE, when the server said one)
 *   EXAMINE uidvalidity=N uidnext=N exists=N   (examine: fresh; examine-cached:
 *                                               may reuse the selected mailbox)
 *   META uid=N date=EPOCH size=N flags="..." hdrlen=N hdr="C-escaped"
 *   BODY uid=N got=N hex=<hex of the first 32 bytes>
 *   BODIES uid=N got=N hex=<...>  (bodies MAXLEN UID,UID,...: one line per
 *                                  message the bulk fetch returned)
 *   STRUCTURE uid=N hdrlen=N hdr="..." body=<imap_body_to_text of the tree>
 *                                    (structure UID[,UID...]: the first
 *                                    UID's, then one line per other one
 *                                    answered, or STRUCTURE uid=N
 *                                    bad="reason")
 *   BSIZE uid=N section=S size=N     (bsizes UID S,S,...: one line each)
 *   SECTION uid=N section=S got=N hex=<...>  (section UID SEC binary|body OFF LEN)
 *   parts UID SIZES WHOLES SPANS: imap_conn_fetch_parts; each list is "-"
 *   (none) or comma-separated: SIZES "S,S", WHOLES "S:binary|body:MAX",
 *   SPANS "S:binary|body:OFF[:LEN]"; prints BSIZE lines as bsizes, then
 *     WHOLE uid=N section=S len=N hex=<...>  (each whole section)
 *     SPAN uid=N section=S got=N|none        (each span)
 *   CAP <name>                       (for each known name the server has)
 *   SELECT uidvalidity=N uidnext=N exists=N  (select / select-cached NAME)
 *   PERMANENT <flag> yes|no          (permanent FLAG)
 *   CREATE|DELETE|RENAME|STORE|EXPUNGE ok  (create NAME, delete NAME,
 *                                    rename FROM TO, store UID OP FLAGS,
 *                                    expunge UID)
 *   MOVE|COPY uidvalidity=N uid=N    (move UID DEST, copy UID DEST)
 *   APPEND uidvalidity=N uid=N       (append MBOX FLAGS DATE TEXT: TEXT with
 *                                    "\0" turned into a NUL byte;
 *                                    append-big MBOX FLAGS DATE N: N bytes of
 *                                    header and lines of 'x'; DATE in epoch s)
 *   MSGID n=N uid...                 (search-msgid ID)
 *   IDLE changed=yes|no              (idle MS: IDLE for MS ms; then
 *   IDLE done changed=yes|no          DONE and what came before its OK)
 *   ERROR <ERRNO_NAME> <reason>      (then exit 1, unless the command was
 *                                    prefixed by "try", which goes on)
 *   QUOTA storage|message used=N limit=N  (quota NAME: GETQUOTAROOT, one line
 *   QUOTA none                        per resource limited, KiB for storage)
 *   SENT yes|no                      (after each ERROR: imap_conn_cmd_sent)
 *
 * and "ELAPSED_MS <n>" on stderr at exit, whatever happened, so that tests
 * can prove that a stalled server costs no more than the timeout. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imapfs/buf.h"
#include "imapfs/imap_body.h"
#include "imapfs/imap_conn.h"
#include "imapfs/log.h"
#include "imapfs/secret.h"

#define PROBE_MAX_BODY (64u << 20)

static struct timespec probe_t0;

static void usage(void)
{
	fprintf(stderr,
		"usage: imap-probe (--tls|--starttls) --host H --port P [--cafile F]\n"
		"                  [--timeout-ms N] [--out FILE] [-d] --user U\n"
		"                  [--oauth-command CMD] CMD...\n"
		"password: environment variable IMAPFS_PASSWORD, unless --oauth-command\n"
		"(then CMD prints OAuth tokens, as imapfs's -o oauth_command)\n"
		"CMD: list | examine NAME | examine-cached NAME | meta |\n"
		"     body UID OFF LEN | bodies MAXLEN UID,UID,... | caps |\n"
		"     search MAX | flags LO HI CHANGEDSINCE | structure UID |\n"
		"     bsizes UID SECTION,SECTION,... | section UID SECTION binary|body OFF LEN |\n"
		"     select NAME | select-cached NAME | permanent FLAG | create NAME |\n"
		"     delete NAME | rename FROM TO | store UID OP FLAGS | expunge UID |\n"
		"     move UID DEST | copy UID DEST | append MBOX FLAGS DATE TEXT |\n"
		"     append-big MBOX FLAGS DATE N | search-msgid ID | status NAME | idle MS | "
		"quota NAME |\n"
		"     try CMD... |\n"
		"     parts UID SIZES WHOLES TAILS\n");
}

static long long elapsed_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)(t.tv_sec - probe_t0.tv_sec) * 1000 +
	       (t.tv_nsec - probe_t0.tv_nsec) / 1000000;
}

static const char *errno_name(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "EUNKNOWN";
}

static void print_error(int rc, const char *reason)
{
	int e = rc < 0 ? -rc : rc;

	if (!reason || !*reason)
		reason = strerror(e);
	printf("ERROR %s %s\n", errno_name(e), reason);
}

/* Prints s[0..len) as a C string body: printable ASCII as is, the rest
 * escaped, so that header blocks stay on one line. */
static void print_escaped(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '\r')
			fputs("\\r", stdout);
		else if (ch == '\n')
			fputs("\\n", stdout);
		else if (ch == '\t')
			fputs("\\t", stdout);
		else if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			printf("\\x%02x", ch);
		else
			putchar(ch);
	}
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *v_r)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*v_r = v;
	return true;
}

static int cmd_list(struct imap_conn *c)
{
	struct imap_list_entry *v = NULL;
	size_t n = 0;
	int rc = imap_conn_list(c, &v, &n);

	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		printf("LIST %x ", v[i].flags);
		if (v[i].delim)
			putchar(v[i].delim);
		else
			fputs("NIL", stdout);
		putchar(' ');
		fputs(v[i].name, stdout);
		putchar('\n');
	}
	imap_list_free(&v, n);
	return 0;
}

static int cmd_examine(struct imap_conn *c, const char *name, bool fresh)
{
	struct imap_mbox_status st;
	int rc = imap_conn_examine(c, name, fresh, &st);

	if (rc < 0)
		return rc;
	printf("EXAMINE uidvalidity=%" PRIu32 " uidnext=%" PRIu32 " exists=%" PRIu32 "\n",
	       st.uidvalidity, st.uidnext, st.exists);
	if (st.highestmodseq != 0)
		printf("HIGHESTMODSEQ %" PRIu64 "\n", st.highestmodseq);
	return 0;
}

static int meta_cb(void *arg, const struct imap_msg_meta *m)
{
	(void)arg;
	printf("META uid=%" PRIu32 " date=%lld size=%" PRIu64 " flags=\"%s\" hdrlen=%zu hdr=\"",
	       m->uid, (long long)m->internaldate, m->size, m->flags ? m->flags : "(null)",
	       m->headers_len);
	if (m->headers)
		print_escaped(m->headers, m->headers_len);
	fputs("\"\n", stdout);
	return 0;
}

static int cmd_body(struct imap_conn *c, uint32_t uid, uint64_t off, size_t len,
		    const char *out_path)
{
	char *buf = malloc(len ? len : 1);
	size_t got = 0;
	int rc;

	if (!buf)
		return -ENOMEM;
	rc = imap_conn_fetch_body(c, uid, off, len, buf, &got);
	if (rc < 0)
		goto out;
	if (got > len) {
		/* The contract says "at most len": a violation is a client bug. */
		fprintf(stderr, "imap-probe: fetch_body returned %zu > %zu bytes\n", got, len);
		abort();
	}
	printf("BODY uid=%" PRIu32 " got=%zu hex=", uid, got);
	for (size_t i = 0; i < got && i < 32; i++)
		printf("%02x", (unsigned char)buf[i]);
	putchar('\n');
	if (out_path) {
		FILE *f = fopen(out_path, "wb");

		if (!f || fwrite(buf, 1, got, f) != got || fclose(f) != 0) {
			fprintf(stderr, "imap-probe: cannot write %s\n", out_path);
			exit(2);
		}
	}
out:
	free(buf);
	return rc;
}

static int bodies_cb(void *arg, uint32_t uid, const char *data, size_t len)
{
	(void)arg;
	printf("BODIES uid=%" PRIu32 " got=%zu hex=", uid, len);
	for (size_t i = 0; i < len && i < 32; i++)
		printf("%02x", (unsigned char)data[i]);
	putchar('\n');
	return 0;
}

/* bodies MAXLEN UID,UID,...: the UIDs as given (the client checks the
 * order). */
static int cmd_bodies(struct imap_conn *c, const char *maxlen, const char *list)
{
	uint32_t uids[IMAP_CONN_MAX_BODIES];
	uint64_t max = 0, v;
	size_t n = 0;
	char *copy = strdup(list), *save = NULL;

	if (!copy)
		return -ENOMEM;
	parse_u64(maxlen, PROBE_MAX_BODY, &max);
	for (char *t = strtok_r(copy, ",", &save); t && n < IMAP_CONN_MAX_BODIES;
	     t = strtok_r(NULL, ",", &save))
		if (parse_u64(t, UINT32_MAX, &v))
			uids[n++] = (uint32_t)v;
	free(copy);
	return imap_conn_fetch_bodies(c, uids, n, (size_t)max, bodies_cb, NULL);
}

/* search MAX: imap_conn_search_uids (cmd_sync.c). */
static int cmd_search(struct imap_conn *c, const char *max)
{
	uint32_t *v = NULL;
	uint64_t m = 0;
	size_t n = 0;
	int rc;

	parse_u64(max, UINT32_MAX, &m);
	rc = imap_conn_search_uids(c, (size_t)m, &v, &n);
	if (rc < 0)
		return rc;
	printf("SEARCH n=%zu", n);
	for (size_t i = 0; i < n; i++)
		printf(" %" PRIu32, v[i]);
	putchar('\n');
	free(v);
	return 0;
}

static int flags_cb(void *arg, uint32_t uid, const char *flags)
{
	(void)arg;
	printf("FLAGS uid=%" PRIu32 " flags=\"%s\"\n", uid, flags);
	return 0;
}

/* flags LO HI CHANGEDSINCE: imap_conn_fetch_flags (cmd_sync.c). */
static int cmd_flags(struct imap_conn *c, char **av)
{
	uint64_t lo = 0, hi = 0, since = 0;

	parse_u64(av[0], UINT32_MAX, &lo);
	parse_u64(av[1], UINT32_MAX, &hi);
	parse_u64(av[2], UINT64_MAX, &since);
	return imap_conn_fetch_flags(c, (uint32_t)lo, (uint32_t)hi, since, flags_cb, NULL);
}

static int structures_cb(void *arg, uint32_t uid, struct imap_body *body, const char *headers,
			 size_t hlen, const char *err)
{
	struct buf text = BUF_INIT;

	(void)arg;
	if (body == NULL) {
		printf("STRUCTURE uid=%" PRIu32 " bad=\"", uid);
		print_escaped(err, strlen(err));
		fputs("\"\n", stdout);
		return 0;
	}
	imap_body_to_text(body, &text);
	printf("STRUCTURE uid=%" PRIu32 " hdrlen=%zu hdr=\"", uid, hlen);
	print_escaped(headers, hlen);
	fputs("\" body=", stdout);
	print_escaped(text.data ? text.data : "", text.len);
	putchar('\n');
	buf_free(&text);
	imap_body_free(&body);
	return 0;
}

/* structure UID[,UID...]: imap_conn_fetch_structures (cmd_parts.c) of the
 * first UID, with the others as the ones asked for with it; each printed
 * by structures_cb. */
static int cmd_structure(struct imap_conn *c, const char *list)
{
	uint32_t uids[IMAP_STRUCTURES_MAX + 1];
	char *copy = strdup(list), *save = NULL, *headers = NULL;
	struct imap_body *body = NULL;
	size_t n = 0, hlen = 0;
	uint64_t v;
	int rc;

	if (copy == NULL)
		abort();
	for (char *e = strtok_r(copy, ",", &save); e != NULL && n < IMAP_STRUCTURES_MAX + 1;
	     e = strtok_r(NULL, ",", &save)) {
		parse_u64(e, UINT32_MAX, &v);
		uids[n++] = (uint32_t)v;
	}
	free(copy);
	rc = imap_conn_fetch_structures(c, n ? uids[0] : 0, uids + (n > 0), n ? n - 1 : 0,
					structures_cb, NULL, &body, &headers, &hlen);
	if (rc < 0)
		return rc;
	structures_cb(NULL, uids[0], body, headers, hlen, NULL); /* frees body */
	free(headers);
	return 0;
}

/* bsizes UID S,S,...: imap_conn_fetch_binary_sizes. */
static int cmd_bsizes(struct imap_conn *c, const char *uid_s, const char *list)
{
	const char *sections[64];
	uint64_t sizes[64], uid = 0;
	char *copy = strdup(list), *save = NULL;
	size_t n = 0;
	int rc;

	if (!copy)
		return -ENOMEM;
	parse_u64(uid_s, UINT32_MAX, &uid);
	for (char *t = strtok_r(copy, ",", &save); t && n < 64; t = strtok_r(NULL, ",", &save))
		sections[n++] = t;
	rc = imap_conn_fetch_binary_sizes(c, (uint32_t)uid, sections, n, sizes);
	for (size_t i = 0; rc == 0 && i < n; i++)
		printf("BSIZE uid=%" PRIu64 " section=%s size=%" PRIu64 "\n", uid, sections[i],
		       sizes[i]);
	free(copy);
	return rc;
}

/* section UID SEC binary|body OFF LEN: imap_conn_fetch_section. */
static int cmd_section(struct imap_conn *c, char **av, const char *out_path)
{
	uint64_t uid = 0, off = 0, len = 0;
	size_t got = 0;
	char *buf;
	int rc;

	parse_u64(av[0], UINT32_MAX, &uid);
	parse_u64(av[3], INT64_MAX, &off);
	parse_u64(av[4], PROBE_MAX_BODY, &len);
	buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	rc = imap_conn_fetch_section(c, (uint32_t)uid, av[1], !strcmp(av[2], "binary"), off,
				     (size_t)len, buf, &got);
	if (rc == 0) {
		if (got > len)
			abort();
		printf("SECTION uid=%" PRIu64 " section=%s got=%zu hex=", uid, av[1], got);
		for (size_t i = 0; i < got && i < 32; i++)
			printf("%02x", (unsigned char)buf[i]);
		putchar('\n');
		if (out_path) {
			FILE *f = fopen(out_path, "wb");

			if (!f || fwrite(buf, 1, got, f) != got || fclose(f) != 0) {
				fprintf(stderr, "imap-probe: cannot write %s\n", out_path);
				exit(2);
			}
		}
	}
	free(buf);
	return rc;
}

/* parts UID SIZES WHOLES SPANS: imap_conn_fetch_parts; a span is
 * SECTION:binary|body:OFF[:LEN] (LEN 2 when left out). */
#define PROBE_MAX_ITEMS 64
static int cmd_parts(struct imap_conn *c, char **av)
{
	const char *sections[PROBE_MAX_ITEMS];
	uint64_t sizes[PROBE_MAX_ITEMS], uid = 0, v;
	struct imap_whole w[PROBE_MAX_ITEMS];
	struct imap_span t[PROBE_MAX_ITEMS];
	char *copy[3], *save = NULL, *end;
	size_t ns = 0, nw = 0, nt = 0, len;
	uint64_t l;
	int rc;

	parse_u64(av[0], UINT32_MAX, &uid);
	for (int k = 0; k < 3; k++) {
		copy[k] = strdup(av[k + 1]);
		if (copy[k] == NULL)
			abort();
		if (strcmp(copy[k], "-") == 0)
			continue;
		for (char *e = strtok_r(copy[k], ",", &save); e != NULL; e = strtok_r(NULL, ",", &save)) {
			char *how = strchr(e, ':'), *num = how ? strchr(how + 1, ':') : NULL;

			if (k == 0 && ns < PROBE_MAX_ITEMS) {
				sections[ns++] = e;
				continue;
			}
			if (num == NULL)
				continue;
			*how++ = '\0';
			*num++ = '\0';
			len = 2;
			if ((end = strchr(num, ':')) != NULL) {
				*end++ = '\0';
				parse_u64(end, UINT32_MAX, &l);
				len = (size_t)l;
			}
			parse_u64(num, UINT32_MAX, &v);
			if (k == 1 && nw < PROBE_MAX_ITEMS)
				w[nw++] = (struct imap_whole){.section = e,
							      .binary = !strcmp(how, "binary"),
							      .max = (size_t)v};
			else if (k == 2 && nt < PROBE_MAX_ITEMS)
				t[nt++] = (struct imap_span){.section = e,
							     .binary = !strcmp(how, "binary"),
							     .off = v,
							     .len = len};
		}
	}
	rc = imap_conn_fetch_parts(c, (uint32_t)uid, sections, ns, sizes, w, nw, t, nt);
	for (size_t i = 0; rc == 0 && i < ns; i++)
		printf("BSIZE uid=%" PRIu64 " section=%s size=%" PRIu64 "\n", uid, sections[i],
		       sizes[i]);
	for (size_t i = 0; rc == 0 && i < nw; i++) {
		printf("WHOLE uid=%" PRIu64 " section=%s len=%zu hex=", uid, w[i].section, w[i].len);
		for (size_t j = 0; j < w[i].len && j < 32; j++)
			printf("%02x", (unsigned char)w[i].data[j]);
		putchar('\n');
		free(w[i].data);
	}
	for (size_t i = 0; rc == 0 && i < nt; i++) {
		if (t[i].got == SIZE_MAX)
			printf("SPAN uid=%" PRIu64 " section=%s got=none\n", uid, t[i].section);
		else
			printf("SPAN uid=%" PRIu64 " section=%s got=%zu\n", uid, t[i].section,
			       t[i].got);
	}
	for (size_t i = 0; rc < 0 && i < nw; i++)
		if (w[i].data != NULL)
			abort(); /* the contract: nothing to free after an error */
	for (int k = 0; k < 3; k++)
		free(copy[k]);
	return rc;
}

static int cmd_select(struct imap_conn *c, const char *name, bool fresh)
{
	struct imap_mbox_status st;
	int rc = imap_conn_select(c, name, fresh, &st);

	if (rc < 0)
		return rc;
	printf("SELECT uidvalidity=%" PRIu32 " uidnext=%" PRIu32 " exists=%" PRIu32 "\n",
	       st.uidvalidity, st.uidnext, st.exists);
	return 0;
}

/* move UID DEST / copy UID DEST */
static int cmd_copy(struct imap_conn *c, bool move, char **av)
{
	uint64_t uid = 0;
	uint32_t uv = 0, dst = 0;
	int rc;

	parse_u64(av[0], UINT32_MAX, &uid);
	rc = move ? imap_conn_move(c, (uint32_t)uid, av[1], &uv, &dst)
		  : imap_conn_copy(c, (uint32_t)uid, av[1], &uv, &dst);
	if (rc == 0)
		printf("%s uidvalidity=%" PRIu32 " uid=%" PRIu32 "\n", move ? "MOVE" : "COPY", uv,
		       dst);
	return rc;
}

/* append MBOX FLAGS DATE TEXT / append-big MBOX FLAGS DATE N */
static int cmd_append(struct imap_conn *c, bool big, char **av)
{
	static const char hdr[] = "Subject: big\r\n\r\n";
	uint64_t date = 0, n = 0;
	uint32_t uv = 0, uid = 0;
	size_t len = 0;
	char *data;
	int rc;

	parse_u64(av[2], INT64_MAX, &date);
	if (big) {
		parse_u64(av[3], 256u << 20, &n);
		data = malloc(n + sizeof(hdr));
		if (!data)
			return -ENOMEM;
		memcpy(data, hdr, sizeof(hdr) - 1);
		for (len = sizeof(hdr) - 1; len < n; len++)
			data[len] = len % 78 == 76 ? '\r' : len % 78 == 77 ? '\n' : 'x';
		len = n;
	} else {
		data = strdup(av[3]);
		if (!data)
			return -ENOMEM;
		for (size_t i = 0; av[3][i]; i++) {
			if (av[3][i] == '\\' && av[3][i + 1] == '0') {
				data[len++] = '\0';
				i++;
			} else {
				data[len++] = av[3][i];
			}
		}
	}
	rc = imap_conn_append(c, av[0], av[1], (time_t)date, data, len, &uv, &uid);
	if (rc == 0)
		printf("APPEND uidvalidity=%" PRIu32 " uid=%" PRIu32 "\n", uv, uid);
	free(data);
	return rc;
}

static int cmd_search_msgid(struct imap_conn *c, const char *id)
{
	uint32_t *v = NULL;
	size_t n = 0;
	int rc = imap_conn_search_msgid(c, id, &v, &n);

	if (rc < 0)
		return rc;
	printf("MSGID n=%zu", n);
	for (size_t i = 0; i < n; i++)
		printf(" %" PRIu32, v[i]);
	putchar('\n');
	free(v);
	return 0;
}

/* IDLE for ms milliseconds: "IDLE changed=yes|no" once the time is up
 * (or the server ended it), then DONE and "IDLE done". */
static int cmd_idle(struct imap_conn *c, const char *ms_s)
{
	struct timespec t0, t;
	bool changed = false;
	long ms = atol(ms_s);
	int rc = imap_conn_idle_start(c);

	if (rc < 0)
		return rc;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		long left;

		clock_gettime(CLOCK_MONOTONIC, &t);
		left = ms - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			break;
		rc = imap_conn_idle_wait(c, -1, (int)left, &changed);
		if (rc < 0) {
			printf("IDLE changed=%s\n", changed ? "yes" : "no");
			return rc;
		}
	}
	printf("IDLE changed=%s\n", changed ? "yes" : "no");
	changed = false;
	rc = imap_conn_idle_done(c, &changed);
	if (rc == 0)
		printf("IDLE done changed=%s\n", changed ? "yes" : "no");
	return rc;
}

/* The commands that change mail and print "VERB ok". */
static int cmd_write(struct imap_conn *c, const char *cmd, char **av)
{
	uint64_t uid = 0;
	int rc;

	if (!strcmp(cmd, "create")) {
		rc = imap_conn_create(c, av[0]);
	} else if (!strcmp(cmd, "delete")) {
		rc = imap_conn_delete(c, av[0]);
	} else if (!strcmp(cmd, "rename")) {
		rc = imap_conn_rename(c, av[0], av[1]);
	} else if (!strcmp(cmd, "store")) {
		parse_u64(av[0], UINT32_MAX, &uid);
		rc = imap_conn_store(c, (uint32_t)uid, av[1], av[2]);
	} else {
		parse_u64(av[0], UINT32_MAX, &uid);
		rc = imap_conn_uid_expunge(c, (uint32_t)uid);
	}
	if (rc == 0) {
		for (const char *p = cmd; *p; p++)
			putchar(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
		puts(" ok");
	}
	return rc;
}

static void cmd_caps(const struct imap_conn *c)
{
	static const char *const known[] = {
	    "IMAP4rev1",    "IMAP4rev2",   "STARTTLS", "LOGINDISABLED", "AUTH=PLAIN",
	    "SASL-IR",	    "LITERAL+",	   "LITERAL-", "UIDPLUS",	"MOVE",
	    "IDLE",	    "CONDSTORE",   "QRESYNC",  "BINARY",	"ENABLE",
	    "NAMESPACE",    "SPECIAL-USE", "ESEARCH",  "NOTIFY",	"AUTH=OAUTHBEARER",
	    "AUTH=XOAUTH2",
	};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (imap_conn_has_cap(c, known[i]))
			printf("CAP %s\n", known[i]);
}

/* Validates the command words before anything touches the network, so
 * that a usage error never looks like a client failure.  Returns the
 * number of arguments cmd takes, or -1. */
static int cmd_arity(const char *cmd)
{
	if (!strcmp(cmd, "list") || !strcmp(cmd, "meta") || !strcmp(cmd, "caps"))
		return 0;
	if (!strcmp(cmd, "examine") || !strcmp(cmd, "examine-cached"))
		return 1;
	if (!strcmp(cmd, "body"))
		return 3;
	if (!strcmp(cmd, "bodies"))
		return 2;
	if (!strcmp(cmd, "search") || !strcmp(cmd, "structure"))
		return 1;
	if (!strcmp(cmd, "bsizes"))
		return 2;
	if (!strcmp(cmd, "section"))
		return 5;
	if (!strcmp(cmd, "parts"))
		return 4;
	if (!strcmp(cmd, "flags"))
		return 3;
	if (!strcmp(cmd, "try"))
		return 0;
	if (!strcmp(cmd, "select") || !strcmp(cmd, "select-cached") || !strcmp(cmd, "permanent") ||
	    !strcmp(cmd, "create") || !strcmp(cmd, "delete") || !strcmp(cmd, "expunge") ||
	    !strcmp(cmd, "search-msgid") || !strcmp(cmd, "status") || !strcmp(cmd, "idle") ||
	    !strcmp(cmd, "quota"))
		return 1;
	if (!strcmp(cmd, "rename") || !strcmp(cmd, "move") || !strcmp(cmd, "copy"))
		return 2;
	if (!strcmp(cmd, "store"))
		return 3;
	if (!strcmp(cmd, "append") || !strcmp(cmd, "append-big"))
		return 4;
	return -1;
}

static bool check_cmds(char **av, int ac)
{
	for (int i = 0; i < ac;) {
		int n = cmd_arity(av[i]);
		uint64_t v;

		if (n < 0 || i + n >= ac) {
			fprintf(stderr, "imap-probe: bad or incomplete command '%s'\n", av[i]);
			return false;
		}
		if (!strcmp(av[i], "body") && (!parse_u64(av[i + 1], UINT32_MAX, &v) ||
					       !parse_u64(av[i + 2], INT64_MAX, &v) ||
					       !parse_u64(av[i + 3], PROBE_MAX_BODY, &v))) {
			fprintf(stderr, "imap-probe: body needs UID OFF LEN (LEN <= %u)\n",
				PROBE_MAX_BODY);
			return false;
		}
		i += n + 1;
	}
	return ac > 0;
}

static int run_cmds(struct imap_conn *c, char **av, int ac, const char *out_path)
{
	bool keep_going = false;

	for (int i = 0; i < ac;) {
		const char *cmd = av[i];
		int rc = 0;

		if (!strcmp(cmd, "try")) {
			keep_going = true;
			i++;
			continue;
		}
		if (!strcmp(cmd, "list")) {
			rc = cmd_list(c);
		} else if (!strcmp(cmd, "examine")) {
			rc = cmd_examine(c, av[i + 1], true);
		} else if (!strcmp(cmd, "examine-cached")) {
			rc = cmd_examine(c, av[i + 1], false);
		} else if (!strcmp(cmd, "meta")) {
			rc = imap_conn_fetch_meta(c, 1, 0, meta_cb, NULL);
		} else if (!strcmp(cmd, "body")) {
			uint64_t uid, off, len;

			parse_u64(av[i + 1], UINT32_MAX, &uid);
			parse_u64(av[i + 2], INT64_MAX, &off);
			parse_u64(av[i + 3], PROBE_MAX_BODY, &len);
			rc = cmd_body(c, (uint32_t)uid, off, (size_t)len, out_path);
		} else if (!strcmp(cmd, "bodies")) {
			rc = cmd_bodies(c, av[i + 1], av[i + 2]);
		} else if (!strcmp(cmd, "search")) {
			rc = cmd_search(c, av[i + 1]);
		} else if (!strcmp(cmd, "flags")) {
			rc = cmd_flags(c, av + i + 1);
		} else if (!strcmp(cmd, "structure")) {
			rc = cmd_structure(c, av[i + 1]);
		} else if (!strcmp(cmd, "bsizes")) {
			rc = cmd_bsizes(c, av[i + 1], av[i + 2]);
		} else if (!strcmp(cmd, "section")) {
			rc = cmd_section(c, av + i + 1, out_path);
		} else if (!strcmp(cmd, "parts")) {
			rc = cmd_parts(c, av + i + 1);
		} else if (!strcmp(cmd, "caps")) {
			cmd_caps(c);
		} else if (!strcmp(cmd, "select") || !strcmp(cmd, "select-cached")) {
			rc = cmd_select(c, av[i + 1], !strcmp(cmd, "select"));
		} else if (!strcmp(cmd, "permanent")) {
			printf("PERMANENT %s %s\n", av[i + 1],
			       imap_conn_flag_permanent(c, av[i + 1]) ? "yes" : "no");
		} else if (!strcmp(cmd, "move") || !strcmp(cmd, "copy")) {
			rc = cmd_copy(c, !strcmp(cmd, "move"), av + i + 1);
		} else if (!strcmp(cmd, "append") || !strcmp(cmd, "append-big")) {
			rc = cmd_append(c, !strcmp(cmd, "append-big"), av + i + 1);
		} else if (!strcmp(cmd, "search-msgid")) {
			rc = cmd_search_msgid(c, av[i + 1]);
		} else if (!strcmp(cmd, "idle")) {
			rc = cmd_idle(c, av[i + 1]);
		} else if (!strcmp(cmd, "quota")) {
			struct imap_quota q;

			rc = imap_conn_getquotaroot(c, av[i + 1], &q);
			if (rc == 0 && q.has_storage)
				printf("QUOTA storage used=%" PRIu64 " limit=%" PRIu64 "\n",
				       q.storage_used, q.storage_limit);
			if (rc == 0 && q.has_message)
				printf("QUOTA message used=%" PRIu64 " limit=%" PRIu64 "\n",
				       q.message_used, q.message_limit);
			if (rc == 0 && !q.has_storage && !q.has_message)
				printf("QUOTA none\n");
		} else if (!strcmp(cmd, "status")) {
			uint32_t uv = 0, un = 0;

			rc = imap_conn_status(c, av[i + 1], &uv, &un);
			if (rc == 0)
				printf("STATUS uidvalidity=%" PRIu32 " uidnext=%" PRIu32 "\n", uv, un);
		} else if (!strcmp(cmd, "create") || !strcmp(cmd, "delete") ||
			   !strcmp(cmd, "rename") || !strcmp(cmd, "store") ||
			   !strcmp(cmd, "expunge")) {
			rc = cmd_write(c, cmd, av + i + 1);
		}
		if (rc < 0) {
			print_error(rc, imap_conn_error(c));
			printf("SENT %s\n", imap_conn_cmd_sent(c) ? "yes" : "no");
			if (!keep_going)
				return rc;
		}
		keep_going = false;
		i += cmd_arity(cmd) + 1;
	}
	return 0;
}

static int probe_oauth_token(void *arg, const char *refused, char **token_r, char *err,
			     size_t errlen)
{
	return secret_token_get(arg, refused, token_r, err, errlen);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"tls", no_argument, NULL, 'T'},
	    {"starttls", no_argument, NULL, 'S'},
	    {"host", required_argument, NULL, 'h'},
	    {"port", required_argument, NULL, 'p'},
	    {"cafile", required_argument, NULL, 'c'},
	    {"timeout-ms", required_argument, NULL, 't'},
	    {"user", required_argument, NULL, 'u'},
	    {"out", required_argument, NULL, 'o'},
	    {"debug", no_argument, NULL, 'd'},
	    {"oauth-command", required_argument, NULL, 'a'},
	    {NULL, 0, NULL, 0},
	};
	struct imap_conn_opts o = {.timeout_ms = 5000};
	struct imap_conn *c = NULL;
	struct secret_token *token = NULL;
	const char *out_path = NULL, *oauth_command = NULL;
	char err[512] = "";
	int mode = 0; /* 'T' or 'S' */
	bool debug = false;
	int opt, rc, status;
	uint64_t v;

	clock_gettime(CLOCK_MONOTONIC, &probe_t0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt_long(argc, argv, "+d", longopts, NULL)) != -1) {
		switch (opt) {
		case 'T':
		case 'S':
			if (mode && mode != opt) {
				usage();
				return 2;
			}
			mode = opt;
			break;
		case 'h':
			o.host = optarg;
			break;
		case 'p':
			o.port = optarg;
			break;
		case 'c':
			o.cafile = optarg;
			break;
		case 't':
			if (!parse_u64(optarg, 3600000, &v) || v == 0) {
				usage();
				return 2;
			}
			o.timeout_ms = (int)v;
			break;
		case 'u':
			o.user = optarg;
			break;
		case 'o':
			out_path = optarg;
			break;
		case 'd':
			debug = true;
			break;
		case 'a':
			oauth_command = optarg;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (oauth_command) {
		/* The same token source as imapfs's, deadline included. */
		token = secret_token_new(oauth_command, o.timeout_ms);
		o.oauth_token = probe_oauth_token;
		o.oauth_arg = token;
	}
	o.password = token ? NULL : getenv("IMAPFS_PASSWORD");
	if (!mode || !o.host || !o.port || !o.user || (!o.password && !token) ||
	    !check_cmds(argv + optind, argc - optind)) {
		usage();
		return 2;
	}
	o.implicit_tls = mode == 'T';
	log_init("imap-probe", debug ? LOG_NET : 0);

	rc = imap_conn_open(&o, &c, err, sizeof(err));
	if (rc < 0) {
		print_error(rc, err);
		status = 1;
		goto out;
	}
	status = run_cmds(c, argv + optind, argc - optind, out_path) < 0 ? 1 : 0;
out:
	imap_conn_close(&c);
	secret_token_free(&token);
	fflush(stdout);
	fprintf(stderr, "ELAPSED_MS %lld\n", elapsed_ms());
	return status;
}
