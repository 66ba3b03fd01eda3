/* Fuzz target: the YUV4MPEG2 reader (y4m_reader.c), through source_open and
 * source_read_frame on a file and on a pipe. Inputs that do not start with
 * the Y4M magic are ignored, so the mutations stay on this reader. */
#include <string.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size >= 10 && memcmp(data, "YUV4MPEG2 ", 10) == 0)
		fuzz_source(data, size, "y4m");
	return 0;
}
