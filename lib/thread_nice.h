/* thread_nice.h: a nice value for the calling thread alone. Linux keeps
 * one per thread (setpriority on its thread id), so a service can let one
 * side of its work have the CPU first when both want it. */
#ifndef CIRR_THREAD_NICE_H
#define CIRR_THREAD_NICE_H

/* Sets the calling thread's nice value (0-19; 0 does nothing): 0, or -1
 * with errno. */
int thread_nice(unsigned nice);

#endif
