/* imap_utf7: modified UTF-7 mailbox names (RFC 3501 §5.1.3). */
#ifndef IMAPFS_IMAP_UTF7_H
#define IMAPFS_IMAP_UTF7_H

/* Decodes to UTF-8 in a malloc'd string.  Returns 0, or -EINVAL when the
 * input is not valid modified UTF-7: bad or unterminated base64, "&-"
 * misuse, printable ASCII encoded in base64, non-zero padding bits, lone or
 * reversed surrogates, NUL, or 8-bit bytes.  Only the canonical spelling
 * imap_utf7_encode produces is valid (so also not an unused trailing base64
 * character, nor two base64 runs back to back as in "&AOQ-&APY-"): decode
 * and encode are exact inverses, and one name has one spelling.  -ENOMEM
 * on out of memory.  *out_r is NULL on failure. */
int imap_utf7_decode(const char *in, char **out_r);

/* Encodes UTF-8 to modified UTF-7.  -EINVAL if the input is not UTF-8
 * (overlong forms and encoded surrogates included). */
int imap_utf7_encode(const char *in, char **out_r);

#endif
