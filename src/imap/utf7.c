/* imap_utf7: modified UTF-7 (RFC 3501 §5.1.3).
 *
 * The decoder accepts only the canonical form the encoder produces, so that
 * decode and encode are inverse bijections: one mailbox can never have two
 * spellings that map to the same file name, and a name we decode is the
 * exact name we send back. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imapfs/imap_utf7.h"

static const char utf7_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int utf7_b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == ',')
		return 63;
	return -1;
}

/* Printable US-ASCII stands for itself; everything else is base64. */
static bool utf7_is_direct(uint32_t c)
{
	return c >= 0x20 && c <= 0x7e;
}

static size_t utf7_put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Decodes one base64 run at in (just past "&", not "&-"), writing UTF-8 to
 * out.  Returns the bytes of input used, "-" included, or -EINVAL. */
static long utf7_decode_run(const char *in, char *out, size_t *olen)
{
	uint32_t bits = 0, high = 0;
	unsigned nbits = 0;
	size_t i;

	for (i = 0; in[i] != '-'; i++) {
		int v = utf7_b64_value((unsigned char)in[i]);
		uint32_t u;

		if (v < 0) /* includes the NUL of an unterminated run */
			return -EINVAL;
		bits = (bits << 6) | (uint32_t)v;
		nbits += 6;
		if (nbits < 16)
			continue;
		nbits -= 16;
		u = (bits >> nbits) & 0xffff;
		bits &= (1u << nbits) - 1;
		if (high) {
			if (u < 0xdc00 || u > 0xdfff)
				return -EINVAL;
			*olen += utf7_put_utf8(out + *olen,
					       0x10000 + ((high - 0xd800) << 10) + (u - 0xdc00));
			high = 0;
		} else if (u >= 0xd800 && u <= 0xdbff) {
			high = u;
		} else if (u >= 0xdc00 && u <= 0xdfff) {
			return -EINVAL;
		} else if (u == 0 || utf7_is_direct(u)) {
			return -EINVAL;
		} else {
			*olen += utf7_put_utf8(out + *olen, u);
		}
	}
	/* A whole unused base64 character, or set padding bits, would be a
	 * second spelling of the same name. */
	if (high || nbits >= 6 || bits != 0)
		return -EINVAL;
	return (long)i + 1;
}

int imap_utf7_decode(const char *in, char **out_r)
{
	size_t len = strlen(in), o = 0, i = 0;
	bool after_run = false;
	char *out;
	int ret = -EINVAL;

	*out_r = NULL;
	/* 8/3 base64 characters make one UTF-16 unit of at most 3 UTF-8
	 * bytes: a long run grows by 9/8, so twice the input is plenty. */
	if (len > (SIZE_MAX - 1) / 2)
		return -ENOMEM;
	out = malloc(len * 2 + 1);
	if (!out)
		return -ENOMEM;
	while (in[i]) {
		unsigned char c = (unsigned char)in[i];
		long used;

		if (!utf7_is_direct(c))
			goto out;
		i++;
		if (c != '&') {
			out[o++] = (char)c;
			after_run = false;
			continue;
		}
		if (in[i] == '-') {
			out[o++] = '&';
			i++;
			after_run = false;
			continue;
		}
		/* "&AAA-&AAA-" is one run split in two. */
		if (after_run)
			goto out;
		used = utf7_decode_run(in + i, out, &o);
		if (used < 0)
			goto out;
		i += (size_t)used;
		after_run = true;
	}
	out[o] = '\0';
	*out_r = out;
	out = NULL;
	ret = 0;
out:
	free(out);
	return ret;
}

/* Decodes one UTF-8 sequence strictly (no overlongs, surrogates or values
 * past U+10FFFF).  Returns its length, or 0 if invalid. */
static size_t utf7_get_utf8(const unsigned char *s, uint32_t *cp_r)
{
	unsigned char c = s[0];
	size_t n, i;
	uint32_t cp, min;

	if (c < 0x80) {
		*cp_r = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		/* Stops at the NUL terminator too. */
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*cp_r = cp;
	return n;
}

struct utf7_enc {
	char *o;
	size_t n;
	uint32_t bits;
	unsigned nbits;
	bool in_run;
};

static void utf7_enc_unit(struct utf7_enc *e, uint32_t u)
{
	e->bits = (e->bits << 16) | u;
	e->nbits += 16;
	while (e->nbits >= 6) {
		e->nbits -= 6;
		e->o[e->n++] = utf7_b64[(e->bits >> e->nbits) & 0x3f];
	}
	e->bits &= (1u << e->nbits) - 1;
}

static void utf7_enc_close(struct utf7_enc *e)
{
	if (!e->in_run)
		return;
	if (e->nbits)
		e->o[e->n++] = utf7_b64[(e->bits << (6 - e->nbits)) & 0x3f];
	e->o[e->n++] = '-';
	e->bits = 0;
	e->nbits = 0;
	e->in_run = false;
}

int imap_utf7_encode(const char *in, char **out_r)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t len = strlen(in), i = 0;
	struct utf7_enc e = {0};
	int ret = -EINVAL;

	*out_r = NULL;
	/* Worst case is a lone control character between printable ones:
	 * 1 byte becomes "&AAE-", 5 bytes. */
	if (len > (SIZE_MAX - 1) / 5)
		return -ENOMEM;
	e.o = malloc(len * 5 + 1);
	if (!e.o)
		return -ENOMEM;
	while (s[i]) {
		uint32_t cp;
		size_t n = utf7_get_utf8(s + i, &cp);

		if (n == 0)
			goto out;
		i += n;
		if (utf7_is_direct(cp)) {
			utf7_enc_close(&e);
			e.o[e.n++] = (char)cp;
			if (cp == '&')
				e.o[e.n++] = '-';
			continue;
		}
		if (!e.in_run) {
			e.o[e.n++] = '&';
			e.in_run = true;
		}
		if (cp >= 0x10000) {
			utf7_enc_unit(&e, 0xd800 + ((cp - 0x10000) >> 10));
			utf7_enc_unit(&e, 0xdc00 + ((cp - 0x10000) & 0x3ff));
		} else {
			utf7_enc_unit(&e, cp);
		}
	}
	utf7_enc_close(&e);
	e.o[e.n] = '\0';
	*out_r = e.o;
	e.o = NULL;
	ret = 0;
out:
	free(e.o);
	return ret;
}
