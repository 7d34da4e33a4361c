/* Background threads at the lowest CPU priority (see lowprio.h).
 *
 * Nice +19, as RocksDB lowers its compaction threads: on a machine with
 * fewer cores than busy threads the scheduler would otherwise let a waking
 * job preempt a loop with a request waiting. At nice +5 it still did: CFS
 * converts its wakeup granularity into the waker's virtual time, and at +5
 * that is ~3 ms, about the credit a thread that slept gets, so each
 * activation preempted a loop for one slice (bench/reload: health p99
 * 4.0 ms; at +19, 0.9-1.4 ms). The job still gets every cycle the loops
 * leave. Nice +10 once left a 1.2 s activation waiting over a minute on a
 * machine overloaded by other processes; an activation that shares the
 * catalogue is ~35 ms of CPU now (a full load, 0.75 s, happens at SIGHUP,
 * after a re-ingest or for a model-store version). */
#include "util/lowprio.h"

#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

int lowprio_this_thread(void)
{
#ifdef __linux__
    /* Linux nices a thread id (a POSIX process id would be every thread) */
    return setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), LOWPRIO_NICE) == 0 ? 0 : -1;
#else
    return -1;
#endif
}
