/* Fuzz target: the AVI reader (avi_reader.c), through source_open and
 * source_read_frame on a file and on a pipe. Inputs that do not start like
 * an AVI are ignored, so the mutations stay on this reader. */
#include <string.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size >= 12 && memcmp(data, "RIFF", 4) == 0 && memcmp(data + 8, "AVI ", 4) == 0)
		fuzz_source(data, size, "avi");
	return 0;
}
