/* A table of totals: the site, each camera, each camera's lines. The
 * coordinator's live totals are one (it is their only writer); a journal
 * resumes one from its files.
 *
 * Threads: none of its own; whoever owns a tally guards it. */
#ifndef TURNSTILE_TALLY_H
#define TURNSTILE_TALLY_H

#include "turnstile/event.h"
#include "turnstile/limits.h"
#include "turnstile/totals.h"

struct tally {
	int ncameras;
	struct totals site;
	struct totals *cams;  /* ncameras */
	struct totals *lines; /* TURNSTILE_MAX_LINES per camera; only in and out are used */
};

/* Zero totals for ncameras cameras. Returns 0 or -ENOMEM (t is then safe to
 * tally_free). */
int tally_init(struct tally *t, int ncameras);
void tally_free(struct tally *t);
void tally_zero(struct tally *t);
/* Copies src's totals into dst; cameras dst has and src has not stay zero. */
void tally_copy(struct tally *dst, const struct tally *src);

/* Adds one crossing with totals_add. camera or line -1 (or out of range): a
 * camera or line this run does not have (a journal written under another
 * config); the crossing still counts where it can. */
void tally_add(struct tally *t, int camera, int line, enum direction dir);

/* The totals of camera (-1: the site), or of one of its lines; an index out
 * of range reads as zeros. */
struct totals tally_get(const struct tally *t, int camera);
struct totals tally_get_line(const struct tally *t, int camera, int line);

#endif
