#ifndef RINGPROXY_CURING_SHIM_H
#define RINGPROXY_CURING_SHIM_H
// features.h first: liburing defines _XOPEN_SOURCE, and without this the
// fd_set definitions clash with SwiftGlibc's module.
#include <features.h>
#include <liburing.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/mman.h>
#include <netinet/tcp.h>

// Macros and flag constants that Swift does not import.
static inline unsigned char rp_iosqe_io_link(void) { return IOSQE_IO_LINK; }
static inline unsigned char rp_iosqe_buffer_select(void) { return IOSQE_BUFFER_SELECT; }
static inline unsigned char rp_iosqe_cqe_skip_success(void) { return IOSQE_CQE_SKIP_SUCCESS; }
static inline unsigned int rp_cqe_f_more(void) { return IORING_CQE_F_MORE; }
static inline unsigned int rp_cqe_f_buffer(void) { return IORING_CQE_F_BUFFER; }
static inline unsigned int rp_cqe_buffer_shift(void) { return IORING_CQE_BUFFER_SHIFT; }
static inline unsigned int rp_setup_single_issuer(void) { return IORING_SETUP_SINGLE_ISSUER; }
static inline unsigned int rp_setup_defer_taskrun(void) { return IORING_SETUP_DEFER_TASKRUN; }
static inline unsigned int rp_setup_cqsize(void) { return IORING_SETUP_CQSIZE; }
static inline unsigned int rp_setup_submit_all(void) { return IORING_SETUP_SUBMIT_ALL; }
static inline unsigned int rp_setup_coop_taskrun(void) { return IORING_SETUP_COOP_TASKRUN; }

// GNU extensions for splicing: glibc declares them only under _GNU_SOURCE,
// which this header cannot define without diverging from SwiftGlibc.
extern int pipe2(int pipefd[2], int flags);
// The CPUs this process may run on (sched_getaffinity, a GNU extension
// declared here for the same reason as pipe2); 0 if unknown.
extern int sched_getaffinity(int pid, unsigned long size, void *mask);
static inline int rp_cpus_allowed(void) {
    unsigned long mask[1024 / (8 * sizeof(unsigned long))] = {0};
    if (sched_getaffinity(0, sizeof(mask), mask) != 0) return 0;
    int count = 0;
    for (unsigned i = 0; i < sizeof(mask) / sizeof(mask[0]); i++) count += __builtin_popcountl(mask[i]);
    return count;
}
static inline int rp_f_setpipe_sz(void) { return 1031; /* F_SETPIPE_SZ */ }
static inline int rp_f_getpipe_sz(void) { return 1032; /* F_GETPIPE_SZ */ }
static inline unsigned int rp_splice_f_move(void) { return 1; /* SPLICE_F_MOVE */ }
static inline unsigned int rp_splice_f_nonblock(void) { return 2; /* SPLICE_F_NONBLOCK */ }

#endif
