/* driver_selftest.c - a fuzz target that crashes on purpose, to test that
 * driver.c keeps the input that crashed it (tests/fuzz/test_driver.py): any
 * input whose first byte is 0xff crashes, by abort() or by SIGSEGV as
 * ACCORD_SELFTEST_CRASH says ("abort", default; "segv"). The SIGSEGV is
 * raised, not caused: a compiler may delete a store through a null pointer. */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || data[0] != 0xff)
        return 0;
    const char *how = getenv("ACCORD_SELFTEST_CRASH");
    if (how && strcmp(how, "segv") == 0)
        raise(SIGSEGV);
    abort();
}
