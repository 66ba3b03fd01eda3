/* The aggregator's state directory: the site's totals and, for each node,
 * the last seq counted, in one file written atomically (site.tmp, fsync,
 * rename, fsync of the directory), so the totals and the sequence numbers
 * they include never disagree; a lock file keeps a second aggregator out.
 *
 * STATE/site: "turnstile-site 1", then lines "site IN OUT OCC CORR",
 * "node NAME LAST IN OUT OCC CORR REPEATS GAPS", "camera NODE NAME IN OUT OCC
 * CORR", "line NODE CAMERA NAME IN OUT", and "crc XXXXXXXX" (CRC-32 of the
 * bytes before it).
 *
 * Threads: one at a time. */
#ifndef TURNSTILE_SITE_STORE_H
#define TURNSTILE_SITE_STORE_H

#include <stddef.h>

#include "site.h"

struct site_store;

/* Creates (one level) and locks dir, and loads its totals into s (empty
 * site given; stays empty for a new directory). Returns 0, or -errno with
 * one line in err naming the directory (-EBUSY: in use; -EINVAL: the file
 * is damaged). */
int site_store_open(const char *dir, struct site *s, struct site_store **out, char *err,
		    size_t errlen);

/* Replaces the file with s. Returns 0 or -errno. */
int site_store_save(struct site_store *st, const struct site *s);

void site_store_close(struct site_store *st);

#endif
