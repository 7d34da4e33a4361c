/* The CPU priority of background threads in a serving process: the bio
 * job thread (activations, reloads) and the model-store poller (download,
 * checksum and a full catalogue load per new version). Each one calls
 * lowprio_this_thread() first, so region event loops keep their CPU on a
 * busy machine. Scheduled retraining does not: it holds the database's
 * write lock while storing its model (net/retrain_sched.c). */
#ifndef RECSYS_UTIL_LOWPRIO_H
#define RECSYS_UTIL_LOWPRIO_H

/* The nice value they run at (see lowprio.c for why it is the lowest). */
#define LOWPRIO_NICE 19

/* Lowers the calling thread, and only it, to LOWPRIO_NICE. 0, or -1 where
 * threads cannot be niced one by one (not Linux) or the call failed. */
int lowprio_this_thread(void);

#endif
