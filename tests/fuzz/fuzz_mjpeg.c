/* Fuzz target: the raw MJPEG splitter (mjpeg_reader.c), through source_open
 * and source_read_frame on a file and on a pipe. Inputs that do not start
 * with an SOI and a marker are ignored, so the mutations stay on it. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
		fuzz_source(data, size, "mjpeg");
	return 0;
}
