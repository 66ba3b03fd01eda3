/* Limits every layer agrees on: the config refuses more, the coordinator and
 * the journal size their tables by them. */
#ifndef TURNSTILE_LIMITS_H
#define TURNSTILE_LIMITS_H

#define TURNSTILE_MAX_LINES 8 /* counting lines per camera */

#endif
