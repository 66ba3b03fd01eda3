/* What one object looks like to each of a camera's lines (objsize.h), kept
 * in the state directory as DIR/NAME.sizes, so that a restart starts from
 * what was learnt and not from the next few crossings (which may be body
 * fragments). Plain text, replaced atomically (write, then rename). A
 * cache, not a record: a missing or damaged file means learning afresh. */
#ifndef TURNSTILE_SIZE_STORE_H
#define TURNSTILE_SIZE_STORE_H

#include <stddef.h>

#include "camera_config.h"
#include "counter.h"

/* Room for the text of every line's samples: save's buffer, allocated once. */
#define SIZE_STORE_BUF (TURNSTILE_MAX_LINES * (CONFIG_NAME_MAX + 32 + OBJSIZE_HISTORY * 48))

/* Loads DIR/NAME.sizes into the counters of the lines it names (cnt[i] is
 * cfg->lines[i]'s); lines it does not name, or names no more, are left as
 * they are. Returns 0, -ENOENT when there is no file, -EINVAL when it is
 * damaged (then no counter is changed), or another -errno. */
int size_store_load(const char *dir, const struct camera_config *cfg, struct counter *const *cnt);

/* Writes every line's samples to DIR/NAME.sizes, formatting into buf
 * (SIZE_STORE_BUF bytes): no allocation. Returns 0 or -errno. */
int size_store_save(const char *dir, const struct camera_config *cfg, struct counter *const *cnt,
		    char *buf, size_t buflen);

#endif
