/* What the fuzz targets share: a way to hand input bytes to the real source
 * layer through a file descriptor (no parser is duplicated here), and the
 * invariants every source must keep whatever it is fed.
 *
 * Each target defines LLVMFuzzerTestOneInput. Built with clang and
 * -fsanitize=fuzzer it is a libFuzzer binary; built with any compiler and
 * standalone_main.c it replays the seed corpus and the regression inputs as
 * an ordinary test. Single-threaded, like libFuzzer's own driver. */
#ifndef TURNSTILE_FUZZ_COMMON_H
#define TURNSTILE_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Prints the broken invariant and aborts, which libFuzzer reports as a
 * crash (and saves the input). Active in every build type. */
#define FUZZ_CHECK(cond, ...)                                                       \
	do {                                                                        \
		if (!(cond))                                                        \
			fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);          \
	} while (0)

void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
	__attribute__((format(printf, 4, 5), noreturn));

/* Puts data in one memory file kept for the whole run (rewritten, not
 * recreated, each time) and returns a path that opens it: /proc/self/fd/N. */
const char *fuzz_memfile(const uint8_t *data, size_t size);

/* Feeds data to source_open and reads every frame, twice: from a regular
 * file (seekable: skips use lseek) and from standard input on a pipe (skips
 * read). Checks each call's invariants, and that both runs give the same
 * results, frame for frame. kind is the source kind the data must open as
 * when it opens at all ("avi", "mjpeg", "y4m"). */
void fuzz_source(const uint8_t *data, size_t size, const char *kind);

#endif
