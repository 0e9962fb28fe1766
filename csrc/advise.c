/* advise.c - tell the kernel how a memory-mapped byte range is about to be used.
 *
 * Not a kernel over data: a thin, portable wrapper of madvise(2) so that Python
 * can map or release the pages of a block of a memory-mapped file in one system
 * call without holding the GIL (mmap.madvise holds it), from several threads. */
#if !defined(_WIN32)
#define _DEFAULT_SOURCE 1 /* madvise and MADV_* under -std=c99 */
#include <errno.h>
#include <sys/mman.h>
#endif
#include "ramps.h"

#if defined(__linux__) && !defined(MADV_POPULATE_READ)
#define MADV_POPULATE_READ 22 /* Linux 5.14; older headers lack the name */
#endif

int ramps_advise(void *addr, size_t length, int what) {
    if (!length) return 0;
    if (!addr) return RAMPS_ADVISE_UNSUPPORTED;
#if defined(_WIN32)
    (void)what;
    return RAMPS_ADVISE_UNSUPPORTED;
#else
    int advice;
    switch (what) {
#ifdef MADV_POPULATE_READ
    case RAMPS_ADVISE_POPULATE: advice = MADV_POPULATE_READ; break;
#endif
#ifdef MADV_DONTNEED
    case RAMPS_ADVISE_RELEASE: advice = MADV_DONTNEED; break;
#endif
    default: return RAMPS_ADVISE_UNSUPPORTED;
    }
    return madvise(addr, length, advice) == 0 ? 0 : errno;
#endif
}
