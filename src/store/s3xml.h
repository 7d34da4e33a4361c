/* The few XML shapes S3 answers with (ListBucketResult, InitiateMultipart-
 * UploadResult, Error), read by hand: find an element's text by tag name and
 * decode its entities. Not a general XML parser: S3's elements carry no
 * attributes below the root, no CDATA and no comments, and that is all this
 * handles. Pure functions over a byte range, no allocation. */
#ifndef RECSYS_STORE_S3XML_H
#define RECSYS_STORE_S3XML_H

#include <stddef.h>

/* Finds the first <tag>...</tag> (or <tag/>) in [p, end). Returns a pointer
 * to the start of its content and sets *content_end (equal to the start for
 * <tag/>); *next, when not NULL, is set past the closing tag. NULL when
 * there is none or it is not closed. */
const char *s3xml_find(const char *p, const char *end, const char *tag, const char **content_end,
                       const char **next);

/* Decodes the text [p, end) into out (NUL-terminated): &amp; &lt; &gt;
 * &quot; &apos;, &#N; and &#xH; (as UTF-8). -1 when it does not fit in
 * outlen or an entity is malformed, else the decoded length. */
long s3xml_text(const char *p, const char *end, char *out, size_t outlen);

/* s3xml_find then s3xml_text: the decoded text of the first <tag> in
 * [p, end); -1 when absent, too long or malformed. */
long s3xml_get(const char *p, const char *end, const char *tag, char *out, size_t outlen);

#endif
